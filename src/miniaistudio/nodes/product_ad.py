"""Product Ad Video: an 8-second styled ad from a product mockup still (classical compositor)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.context import NodeContext, Provenance
from ..core.node import ImageInput, Node, VideoOutput, node
from ..runtimes.creative.product_ad_looks import StyleName

AD_SECONDS = 8.0


@node("video.product_ad", title="Product Ad Video", category="Video",
      tags=("product", "advertisement", "mockup", "commercial"))
class ProductAdVideo(Node):
    """An ad clip of the product in a mockup: the product cut out and set in a styled scene (light,
    colour grade, background, particles or bokeh, reflections), filmed by an eased virtual camera.
    Nine styles (custom reads the prompt's colour, set, particle and motion words). Classical.

    The renderer is ``runtimes/creative/product_ad.py``; the styles are data in ``product_ad_looks.py``."""

    image: ImageInput
    style: StyleName = Field(default="luxury_macro", description="Animation style preset")
    user_prompt: str = Field(default="", max_length=2000, json_schema_extra={"widget": "textarea"},
                             description="Custom style: colours, set, particles and motion in words "
                                         "(required when style is custom)")
    aspect_ratio: Literal["16:9", "9:16"] = "9:16"
    duration: float = Field(default=AD_SECONDS, ge=1.0, le=30.0, description="Seconds")
    short_side: int = Field(default=540, ge=96, le=1080, description="Frame height (16:9) or width (9:16), px")
    fps: int = Field(default=30, ge=6, le=60)
    seed: int = Field(default=7, ge=0, le=2**31 - 1, json_schema_extra={"widget": "seed"},
                      description="Layout of particles, neon signs and leaves")

    def invoke(self, ctx: NodeContext) -> VideoOutput:
        from ..core.errors import NodeFailed
        from ..runtimes.creative.product_ad import ENGINE, frame_size, render_product_ad
        from ..runtimes.creative.product_ad_looks import look_for
        from ..runtimes.models.model_host import host_of

        if self.image is None:
            raise NodeFailed("no mockup image is linked", code="INPUT_MISSING")
        if self.style == "custom" and not self.user_prompt.strip():
            raise NodeFailed("the custom style is made from user_prompt: describe the look", code="PROMPT_REQUIRED",
                             details={"field": "user_prompt"})
        look = look_for(self.style, self.user_prompt)
        width, height = frame_size(self.aspect_ratio, self.short_side)
        prov = Provenance(engine=ENGINE, ai_generated=False, style=self.style, camera=look.camera,
                          setting=look.setting, particles=look.particles, width=width, height=height,
                          params=self.model_dump(mode="json", exclude={"image"}), source=self.image.media_id)
        path = render_product_ad(ctx, ctx.load_image(self.image), look, aspect_ratio=self.aspect_ratio,
                                 short_side=self.short_side, fps=self.fps, duration=self.duration, seed=self.seed,
                                 cache=host_of(ctx).cache, provenance=prov)
        return VideoOutput(video=ctx.store_file(path, "video", prov))
