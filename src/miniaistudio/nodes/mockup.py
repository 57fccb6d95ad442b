"""Product Mockup: logos placed on a product photo, blended with the surface's shading (classical)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..core.context import NodeContext, Provenance
from ..core.errors import NodeFailed
from ..core.node import ImageInput, Node, NodeOutput, Socket, node
from ..core.sockets import SocketType
from ..core.values import MediaRef

if TYPE_CHECKING:
    from PIL import Image

    from ..runtimes.creative.mockup_compositor import Placement

MAX_LOGOS = 16
MediaId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
LogoInput = Annotated[MediaRef | None, Socket(SocketType.IMAGE, required=False, label="Logo",
                                              description="A logo (transparent PNG welcome); first of the logos")]


class MockupLayer(BaseModel):
    """Where one logo goes: centre in percent of the product image, scale (1 = a quarter of its
    width), clockwise rotation in degrees. The asset id names the logo (one of the logos' media
    ids); a layer naming none takes the logo of its own position."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(default="", max_length=64)
    x: float = Field(default=50.0, ge=-50.0, le=150.0, description="Logo centre, % of the product's width")
    y: float = Field(default=50.0, ge=-50.0, le=150.0, description="Logo centre, % of the product's height")
    scale: float = Field(default=1.0, gt=0.0, le=8.0, description="1 = a quarter of the product's width")
    rotation: float = Field(default=0.0, ge=-360.0, le=360.0, description="Degrees, clockwise")
    opacity: float = Field(default=1.0, ge=0.0, le=1.0)


class MockupOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE, description="The product with its logos")]
    mask: Annotated[MediaRef, Socket(SocketType.IMAGE, description="Where logos landed (white = logo)")]


@node("image.mockup_composite", title="Product Mockup", category="Image",
      tags=("mockup", "logo", "product", "branding"))
class MockupComposite(Node):
    """Place logos on a product photo: each layer's position and size in percent of the product,
    rotation, and a blend that follows the surface (folds darken the logo, sheen lifts it; the
    logo's transparency is kept). Classical compositor; chain Image Edit with the instruction to
    refine it with a model."""

    product: ImageInput
    logo: LogoInput = None
    logo_media_ids: list[MediaId] = Field(
        default_factory=list, max_length=MAX_LOGOS, description="More logos from the gallery",
        json_schema_extra={"widget": "media", "multiple": True})
    layers: list[MockupLayer] = Field(default_factory=list, max_length=MAX_LOGOS,
                                      description="One placement per logo; empty = each logo centred")
    instruction: str = Field(default="", max_length=4000, json_schema_extra={"widget": "textarea"},
                             description="What the mockup should show (kept with the result; an edit model "
                                         "chained after follows it)")

    def invoke(self, ctx: NodeContext) -> MockupOutput:
        from ..runtimes.creative.mockup_compositor import ENGINE, Placement, composite_logos

        if self.product is None:
            raise NodeFailed("no product image is linked", code="INPUT_MISSING")
        logos = self._logos(ctx)
        if not logos:
            raise NodeFailed("no logo: link a Logo image or list logo media ids", code="NO_LOGO")
        layers = self.layers or [MockupLayer(asset_id=ref.media_id) for ref in logos]
        by_id = {ref.media_id: ref for ref in logos}
        product = ctx.load_image(self.product)
        images: dict[str, Image.Image] = {}
        placed: list[tuple[Image.Image, Placement]] = []
        for index, layer in enumerate(layers):
            ref = by_id.get(layer.asset_id) or logos[min(index, len(logos) - 1)]
            if ref.media_id not in images:
                images[ref.media_id] = ctx.load_image(ref)
            placement = Placement(x=layer.x, y=layer.y, scale=layer.scale, rotation=layer.rotation,
                                  opacity=layer.opacity)
            placed.append((images[ref.media_id], placement))
        ctx.progress(0.3, f"blending {len(placed)} logo(s)")
        image, mask = composite_logos(product, placed)
        prov = Provenance(engine=ENGINE, ai_generated=False, instruction=self.instruction,
                          params=self.model_dump(mode="json", exclude={"product", "logo"}),
                          source=self.product.media_id, logos=[ref.media_id for ref in logos])
        return MockupOutput(image=ctx.save_image(image, prov), mask=ctx.save_image(mask, prov))

    def _logos(self, ctx: NodeContext) -> list[MediaRef]:
        refs = [self.logo] if self.logo is not None else []
        for media_id in self.logo_media_ids:
            ref = ctx.resolve_media(media_id)
            if ref.kind != "image":
                raise NodeFailed(f"media {media_id} is {ref.kind}; logos are images", code="WRONG_MEDIA_KIND",
                                 details={"media_id": media_id, "kind": ref.kind})
            refs.append(ref)
        return refs
