"""Photo tools: restoration, product backgrounds, career headshots and the virtual-staging prompt.

The classical engines (``runtimes/creative/photo_restore.py``, ``product_backdrop.py``,
``headshot.py``) run on a CPU and label their outputs as such (``ai_generated`` false); a
model joins only where one is installed and asked for: a face-restoration model in Photo
Restore, an image model for Product Background's generated scene (never faked: without one
the node fails with MODEL_NOT_INSTALLED). Virtual staging is the image-edit node driven by
the Staging Prompt node (``core/staging_prompt.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import GpuInput, ImageInput, Node, NodeOutput, Socket, TextOutput, node
from ..core.sockets import SocketType
from ..core.staging_prompt import Room, Style, staging_prompt
from ..core.values import MediaRef
from .image import HEX_COLOR, _rgba

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

    from ..runtimes.models.model_host import ModelHost, ModelInfo

CLASSICAL = "classical"
MaskInput = Annotated[MediaRef | None, Socket(SocketType.IMAGE, label="Mask",
                                              description="Product mask (white = product), e.g. Background Removal's")]


def _host(ctx: NodeContext) -> ModelHost:
    from ..runtimes.models.model_host import host_of

    return host_of(ctx)


def _gray(image: Image.Image) -> NDArray[np.float32]:
    import numpy as np

    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _rgb(color: str) -> tuple[int, int, int]:
    r, g, b, _ = _rgba(color)
    return r, g, b


# --------------------------------------------------------------------------- restore
class RestoreOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The restored photo")]
    mask: Annotated[MediaRef, Socket(SocketType.IMAGE, description="Scratches and dust repaired (white)")]


@node("image.photo_restore", title="Photo Restore", category="Photo",
      tags=("restore", "scratches", "denoise", "old photo"))
class PhotoRestore(Node):
    """Restore an old or damaged photo on the CPU: scratches and dust inpainted, noise and JPEG
    blocks removed, faded colour and contrast brought back, gently sharpened, optionally 2x upscaled.

    With a face-restoration model installed (ONNX, kind ``face_restoration``) faces are restored
    by it too and the output is marked AI-generated; otherwise the engine is ``classical-restore``.
    """

    image: ImageInput
    scratches: bool = Field(default=True, description="Find and inpaint scratches and dust")
    denoise: float = Field(default=1.0, ge=0.0, le=3.0, description="x the measured noise (0 = off)")
    deblock: bool = Field(default=True, description="Smooth JPEG block edges when they are visible")
    color: bool = Field(default=True, description="Restore faded colour and contrast")
    contrast: float = Field(default=0.5, ge=0.0, le=1.0, description="Local contrast (CLAHE) blend")
    sharpen: float = Field(default=0.5, ge=0.0, le=2.0)
    upscale: bool = Field(default=False, description="2x Lanczos upscale at the end")
    model: str = Field(default="", max_length=200,
                            description='face-restoration model id or name; empty = the installed one if any; '
                                        '"classical" = never a model')

    def invoke(self, ctx: NodeContext) -> RestoreOutput:
        import numpy as np
        from PIL import Image

        from ..runtimes.creative.classical_upscale import upscale_lanczos
        from ..runtimes.creative.photo_restore import ENGINE, RestoreOptions, restore
        from ..runtimes.models import vision

        assert self.image is not None
        source = ctx.load_image(self.image)
        alpha = source.getchannel("A") if source.mode in ("RGBA", "LA") else None
        ctx.progress(0.05, "restoring")
        options = RestoreOptions(scratches=self.scratches, denoise=self.denoise, deblock=self.deblock,
                                 color=self.color, contrast=self.contrast, sharpen=self.sharpen)
        out, mask, report = restore(vision.rgb_array(source), options, ctx.check_canceled)
        prov = Provenance(engine=ENGINE, ai_generated=False, restoration=report.as_dict(),
                          source=self.image.media_id, params=self.model_dump(mode="json", exclude={"image"}))
        info = self._face_model(ctx)
        if info is not None:
            from ..runtimes.models.face_restore import restore_faces

            ctx.progress(0.7, "restoring faces")
            out, faces = restore_faces(out, info, cache=_host(ctx).cache)
            if faces:
                prov.update(engine=f"{ENGINE}+onnx-face-restoration", ai_generated=True, faces_restored=faces,
                            model=info.id, model_name=info.display_name, model_sha256=info.sha256,
                            model_kind=info.kind)
        image = Image.fromarray(out, "RGB")
        if alpha is not None:
            image.putalpha(alpha)
        if self.upscale:
            ctx.progress(0.9, "upscaling 2x")
            image = upscale_lanczos(image, 2, sharpen=0.3)
            prov["upscale"] = "classical-lanczos 2x"
        mask_img = Image.fromarray(np.ascontiguousarray(mask), "L")
        return RestoreOutput(image=ctx.save_image(image, prov), mask=ctx.save_image(mask_img, prov))

    def _face_model(self, ctx: NodeContext) -> ModelInfo | None:
        from ..runtimes.models.face_restore import KIND

        ref = self.model.strip()
        if ref.lower() == CLASSICAL:
            return None
        host = _host(ctx)
        if not ref:
            return host.catalog.first_of_kind((KIND,))
        return host.resolve(ref, (KIND,))


# --------------------------------------------------------------------------- product
Backdrop = Literal["white", "color", "gradient", "blur", "scene"]
DEFAULT_SCENE = ("a clean light marble countertop in a bright photo studio, soft window light, "
                 "shallow depth of field, professional product photography")


class ProductOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The product on its new background")]
    mask: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The product mask used (white = product)")]


@node("image.product_background", title="Product Background", category="Photo", gpu=True,
      tags=("product", "background", "e-commerce", "shadow"))
class ProductBackground(Node):
    """Put a cut-out product on a new background: studio white or a colour with a soft contact
    shadow, a gradient sweep, the original blurred, or a scene generated by an installed image
    model (inpaint or text-to-image) around the product; the product's own pixels are kept.

    Link the photo and its mask (Background Removal with the product engine).
    """

    image: ImageInput
    mask: MaskInput
    gpu: GpuInput = None
    background: Backdrop = "white"
    color: str = Field(default="#ffffff", pattern=HEX_COLOR, json_schema_extra={"widget": "color"},
                       description="color: the background; gradient: the top colour")
    gradient_to: str = Field(default="#d5d9df", pattern=HEX_COLOR, json_schema_extra={"widget": "color"},
                             description="gradient: the bottom colour")
    shadow: float = Field(default=0.45, ge=0.0, le=1.0, description="Contact shadow opacity (white, color, gradient)")
    scene_prompt: str = Field(default=DEFAULT_SCENE, max_length=2000, json_schema_extra={"widget": "textarea"})
    model: str = Field(default="", max_length=200,
                       description="scene only: inpaint or text-to-image model; empty = the first installed")
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, json_schema_extra={"widget": "seed"})

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return params.get("background", "white") != "scene" or int(params.get("seed", -1)) >= 0

    def invoke(self, ctx: NodeContext) -> ProductOutput:
        from PIL import Image

        from ..runtimes.creative import product_backdrop as pb
        from ..runtimes.models import vision

        assert self.image is not None and self.mask is not None
        source = ctx.load_image(self.image).convert("RGB")
        mask_img = ctx.load_image(self.mask).convert("L")
        if mask_img.size != source.size:
            mask_img = mask_img.resize(source.size, Image.Resampling.LANCZOS)
        mask = _gray(mask_img)
        if float((mask > 0.5).mean()) < 0.001:
            raise NodeFailed("the mask is empty: no product was found in the photo", code="PRODUCT_NOT_FOUND")
        rgb = vision.rgb_array(source)
        w, h = source.size
        params = self.model_dump(mode="json", exclude={"image", "mask", "gpu"})
        shadow = None
        if self.background == "scene":
            back, prov = self._scene(ctx, source, mask_img, params)
        else:
            if self.background == "white":
                back = pb.solid(w, h, pb.STUDIO_WHITE)
            elif self.background == "color":
                back = pb.solid(w, h, _rgb(self.color))
            elif self.background == "gradient":
                back = pb.gradient(w, h, _rgb(self.color), _rgb(self.gradient_to))
            else:
                back = pb.blurred(rgb, mask)
            if self.background != "blur":
                shadow = pb.contact_shadow(mask, self.shadow)
            prov = Provenance(engine=pb.ENGINE, ai_generated=False, background=self.background,
                              params=params)
        out = pb.composite(rgb, mask, back, shadow)
        prov.update(source=self.image.media_id, coverage=round(float(mask.mean()), 4))
        return ProductOutput(image=ctx.save_image(Image.fromarray(out, "RGB"), prov),
                             mask=ctx.save_image(mask_img, prov))

    def _scene(self, ctx: NodeContext, source: Image.Image, mask: Image.Image,
               params: dict[str, Any]) -> tuple[NDArray[np.float32], Provenance]:
        """A background generated around the product by the image model (the product is kept)."""
        import numpy as np
        from PIL import Image, ImageOps

        from ..runtimes.models.diffusion import pick_seed
        from .generation import _run_edit, _steps_cfg

        host = _host(ctx)
        info = host.resolve(self.model, ("inpaint", "text_to_image"))
        if not self.scene_prompt.strip():
            raise NodeFailed("the scene prompt is empty", code="PROMPT_EMPTY")
        steps, cfg = _steps_cfg(info, None, None)
        repaint = ImageOps.invert(mask)  # white = repaint: everything but the product
        out, prov = _run_edit(ctx, host, info, self.gpu, source, prompt=self.scene_prompt.strip(),
                              negative_prompt="text, watermark, people, distorted product, blurry",
                              strength=1.0, image_guidance=0.0, steps=steps, cfg=cfg, seed=pick_seed(self.seed),
                              loras=[], mask=repaint, background="scene", params=params)
        scene = out.convert("RGB").resize(source.size, Image.Resampling.LANCZOS)
        return np.asarray(scene, dtype=np.float32), prov


# --------------------------------------------------------------------------- career photo
BackdropName = Literal["grey", "blue", "white", "beige", "charcoal"]


class CareerOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The 4:5 headshot")]
    mask: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The person mask in the headshot's frame")]


@node("image.career_photo", title="Career Photo", category="Photo",
      tags=("headshot", "portrait", "linkedin", "backdrop"))
class CareerPhoto(Node):
    """Turn a front-facing portrait into a professional 4:5 headshot on the CPU: framed from face
    landmarks (eyes level at 40 % height, face centred), a neutral studio backdrop behind the person
    (selfie segmentation), gentle skin smoothing on skin only and a light balance.

    Needs exactly one front-facing face (the studio's one portrait check): NO_FACE_FOUND, MULTIPLE_FACES,
    FACE_NOT_FRONTAL or FACE_TOO_SMALL otherwise.
    """

    image: ImageInput
    backdrop: BackdropName = "grey"
    height: int = Field(default=1000, ge=256, le=4096,
                        description="Output height in pixels (at most 2x the photo's own resolution)")
    smoothing: float = Field(default=0.5, ge=0.0, le=1.0, description="Skin smoothing strength")
    light: float = Field(default=0.6, ge=0.0, le=1.0, description="White balance and exposure strength")

    def invoke(self, ctx: NodeContext) -> CareerOutput:
        import numpy as np
        from PIL import Image

        from ..runtimes.creative import headshot as hs
        from ..runtimes.creative.portrait_check import check_portrait
        from ..runtimes.models import vision
        from .background import refine_mask

        assert self.image is not None
        cache = _host(ctx).cache
        rgb = vision.rgb_array(ctx.load_image(self.image))
        pts = check_portrait(rgb, cache=cache).require()
        ctx.progress(0.3, "segmenting the person")
        person = refine_mask(vision.person_mask(rgb, cache=cache), 0.5, 1.0)
        framing = hs.frame_face(pts, rgb.shape[1], rgb.shape[0], self.height)
        photo = hs.warp(rgb, framing)
        mask = np.clip(hs.warp(person, framing, smooth=False), 0.0, 1.0)
        face = framing.apply(pts)
        ctx.progress(0.6, "retouching")
        skin = hs.skin_mask(photo, face)
        photo = hs.smooth_skin(photo, skin, self.smoothing, hs.eye_distance(face))
        photo, light = hs.balance_light(photo, skin, mask, self.light)
        out = hs.composite(photo, mask, hs.backdrop(framing.width, framing.height, self.backdrop))
        prov = Provenance(engine=hs.ENGINE, ai_generated=False, source=self.image.media_id,
                          model="mediapipe face_mesh + selfie_segmentation (analysis only)",
                          framing={"roll_degrees": round(framing.roll_degrees, 2), "scale": round(framing.scale, 4),
                                   "padded": framing.padded, "width": framing.width, "height": framing.height},
                          retouch=light, params=self.model_dump(mode="json", exclude={"image"}))
        mask_img = Image.fromarray(np.clip(mask * 255 + 0.5, 0, 255).astype(np.uint8), "L")
        return CareerOutput(image=ctx.save_image(Image.fromarray(out, "RGB"), prov),
                            mask=ctx.save_image(mask_img, prov))


# --------------------------------------------------------------------------- staging
@node("text.staging_prompt", title="Staging Prompt", category="Text", tags=("virtual staging", "interior"))
class StagingPrompt(Node):
    """The virtual-staging instruction for an interior style and a room; link it to Image Edit's prompt.

    The template is documented in ``core/staging_prompt.py``."""

    style: Style = "modern"
    room: Room = "living_room"

    def invoke(self, ctx: NodeContext) -> TextOutput:
        return TextOutput(text=staging_prompt(self.style, self.room))
