"""Thumbnail: a bold video thumbnail (1280x720 or 720x1280) laid out on a CPU
(``runtimes/creative/thumbnail_layout.py``): a short punchy title written by the Text Refiner's
language model (a deterministic headline from the prompt when none is installed, said in the
metadata), the reference photos cut out as subjects, and a generated scene behind them when the
optional Scene input is linked (a text-to-image node)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.node import ImageOutput, Node, Socket, node
from ..core.sockets import SocketType
from ..core.values import MediaRef
from .uploads import MediaId

if TYPE_CHECKING:
    from PIL import Image

SceneInput = Annotated[MediaRef | None, Socket(SocketType.IMAGE, required=False, label="Scene",
                                               description="A background scene (scaled to cover)")]
#: The few-shot prompt that makes a base model write titles: an instruction, examples, the idea.
TITLE_PROMPT = """Write a short punchy YouTube thumbnail title, two to four words, for each video idea.

Idea: a tutorial on baking sourdough bread at home
Title: PERFECT SOURDOUGH!
Idea: reviewing the fastest electric cars of the year
Title: INSANE EV SPEED
Idea: a week-long solo hike across the mountains in winter
Title: 7 DAYS ALONE
Idea: {idea}
Title:"""
#: A person cut-out covering less of the photo than this is not a person: try the object model.
MIN_PERSON_COVERAGE = 0.04


@node("image.thumbnail", title="Thumbnail", category="Image", tags=("thumbnail", "layout", "youtube"))
class Thumbnail(Node):
    """A video thumbnail: big cut-out subject with a white outline, a short title in heavy outlined capitals,
    a saturated background (or the linked scene) and a contrast grade."""

    scene: SceneInput = None
    prompt: str = Field(default="", max_length=4000, json_schema_extra={"widget": "textarea"},
                        description="What the video is about: the title is written from it")
    title: str = Field(default="", max_length=60, description="The title to use as is (empty: written from the prompt)")
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    reference_media_ids: list[MediaId] = Field(default_factory=list, max_length=4,
                                               description="Photos whose subject is cut out and placed")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, json_schema_extra={"widget": "seed"},
                      description="Picks the palette and the title's sampling")

    def invoke(self, ctx: NodeContext) -> ImageOutput:
        from ..runtimes.creative import thumbnail_layout as layout_engine

        ctx.progress(0.05, "writing the title")
        title, title_source = self._title(ctx)
        subjects: list[Image.Image] = []
        cutouts: list[str] = []
        for number, media_id in enumerate(self.reference_media_ids):
            ctx.check_canceled()
            ctx.progress(0.2 + 0.5 * number / max(1, len(self.reference_media_ids)), "cutting out the subjects")
            cutout, how = self._cutout(ctx, ctx.load_image(ctx.resolve_media(media_id)))
            subjects.append(cutout)
            cutouts.append(how)
        scene = ctx.load_image(self.scene) if self.scene is not None else None
        ctx.progress(0.8, "laying out")
        layout = layout_engine.compose(title, subjects, scene, self.aspect_ratio, self.seed)
        prov = Provenance(engine="classical-layout", title=title, title_source=title_source,
                          title_lines=list(layout.title_lines), title_box=list(layout.title_box),
                          title_font_size=layout.font_size, palette=layout.palette, cutouts=cutouts,
                          scene=scene is not None, prompt=self.prompt, seed=self.seed,
                          params=self.model_dump(mode="json", exclude={"scene"}))
        return ImageOutput(image=ctx.save_image(layout.image, prov))

    def _title(self, ctx: NodeContext) -> tuple[str, str]:
        """The title and where it came from: given, the language model, or the fallback headline."""
        from ..runtimes.creative.thumbnail_layout import clean_title, headline
        from ..runtimes.models import llm
        from ..runtimes.models.assets import DEFAULT_LLM_FILE
        from ..runtimes.models.model_host import host_of

        if self.title.strip():
            return clean_title(self.title), "given"
        idea = " ".join(self.prompt.split())[:500]
        if not idea:
            return "WATCH THIS", "fallback-headline (empty prompt)"
        try:
            gen = llm.generate(DEFAULT_LLM_FILE, TITLE_PROMPT.format(idea=idea), max_tokens=16, temperature=0.4,
                               seed=self.seed % 2**31, stop=("\n",), cache=host_of(ctx).cache)
            title = clean_title(gen.text)
        except Exception as exc:  # no model or no llama.cpp: the deterministic headline, and say why
            return headline(idea), f"fallback-headline (no language model: {type(exc).__name__})"
        return (title, f"llm:{DEFAULT_LLM_FILE}") if title else (headline(idea), "fallback-headline (empty LLM output)")

    def _cutout(self, ctx: NodeContext, photo: Image.Image) -> tuple[Image.Image, str]:
        """The photo's person (mediapipe), else its main object (u2netp, when placed), else the photo cropped."""
        from PIL import Image, ImageOps

        from ..runtimes.models import vision
        from ..runtimes.models.model_host import host_of
        from ..runtimes.models.vision_assets import u2netp_path
        from .background import refine_mask

        rgb_image = photo.convert("RGB")
        rgb = vision.rgb_array(rgb_image)
        cache = host_of(ctx).cache
        mask = vision.person_mask(rgb, cache=cache)
        how = "person"
        if float(mask.mean()) < MIN_PERSON_COVERAGE:
            try:
                mask, how = vision.object_mask(rgb, u2netp_path(), cache=cache), "product"
            except Exception:
                side = min(rgb_image.size)
                return ImageOps.fit(rgb_image, (side, side)).convert("RGBA"), "cropped"
        alpha = Image.fromarray((refine_mask(mask, 0.5, 1.5) * 255).astype("uint8"), "L")
        cutout = rgb_image.convert("RGBA")
        cutout.putalpha(alpha)
        return cutout, how
