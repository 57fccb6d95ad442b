"""Studii's five tools, in one table: each tool's inputs (a pydantic model, unknown names refused),
whether it needs ``source_object_key``, and the graph it runs — ``studio`` on the generative nodes,
the photo tools on bundled recipes (``photo_restore``, ``product_background``, ``career_photo``,
``virtual_staging``) whose ``image`` input takes the source's media id and whose other inputs are
the tool's ``inputs`` by name. Which plans include which tools: ``services/plans.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...core.graph import Graph, GraphEdge, GraphNode
from ...core.recipes import Recipe, instantiate, validate_inputs
from ...nodes.generation import AspectRatio
from ...services.models import ModelLibrary

#: ``quality`` -> denoising steps (None: the model's default).
QUALITY_STEPS: dict[str, int | None] = {"draft": 12, "standard": None, "high": 40}
#: Frames per second and seconds of a ``studio`` video.
VIDEO_FPS, VIDEO_SECONDS = 8, 2.0


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudioInputs(_Inputs):
    mode: Literal["image", "video"] = "image"
    source: Literal["text", "image"] = "text"
    quality: Literal["draft", "standard", "high"] = "standard"
    aspect_ratio: AspectRatio = "1:1"
    prompt: str = Field(min_length=1, max_length=4000)


class PhotoRestoreInputs(_Inputs):
    upscale: bool = False


class ProductBackgroundInputs(_Inputs):
    background: Literal["white", "color", "gradient", "blur", "scene"] = "white"
    color: str | None = Field(default=None, max_length=32)


class CareerPhotoInputs(_Inputs):
    backdrop: str | None = Field(default=None, max_length=64)


class VirtualStagingInputs(_Inputs):
    style: str | None = Field(default=None, min_length=1, max_length=64)
    room: str | None = Field(default=None, min_length=1, max_length=64)


@dataclass(frozen=True)
class Tool:
    slug: str
    inputs: type[_Inputs]
    needs_source: bool
    recipe_id: str | None  # None: studio, built here


TOOLS: dict[str, Tool] = {tool.slug: tool for tool in (
    Tool("studio", StudioInputs, needs_source=False, recipe_id=None),
    Tool("photo-restore", PhotoRestoreInputs, needs_source=True, recipe_id="photo_restore"),
    Tool("product-background", ProductBackgroundInputs, needs_source=True, recipe_id="product_background"),
    Tool("career-photo", CareerPhotoInputs, needs_source=True, recipe_id="career_photo"),
    Tool("virtual-staging", VirtualStagingInputs, needs_source=True, recipe_id="virtual_staging"),
)}
#: The recipe input that takes the source image's media id.
RECIPE_IMAGE_INPUT = "image"


def needs_source(tool: Tool, inputs: _Inputs) -> bool:
    return tool.needs_source or (isinstance(inputs, StudioInputs) and inputs.source == "image")


def output_kind_of(tool: Tool, inputs: _Inputs) -> str:
    return "video" if isinstance(inputs, StudioInputs) and inputs.mode == "video" else "image"


def _node(node_id: str, node_type: str, x: float, **params: Any) -> GraphNode:
    return GraphNode.model_validate({"id": node_id, "type": node_type, "position": {"x": x, "y": 0},
                                     "params": {k: v for k, v in params.items() if v is not None}})


def _edge(source: str, target: str, handle: str = "image") -> GraphEdge:
    return GraphEdge(id=f"{source}-{target}", source=source, source_handle=handle, target=target,
                     target_handle=handle)


def studio_graph(inputs: StudioInputs, source_media_id: str | None, models: ModelLibrary) -> tuple[Graph, str]:
    """The generative nodes for ``studio`` (blocking: reads the models registry) and the output node.

    text → ``image.generate`` (the first installed text-to-image model); image → ``image.edit`` of the
    source by the prompt; video mode then ``video.from_image`` (the first image-to-video model, else the
    classical camera engine, labelled as such)."""
    steps = QUALITY_STEPS[inputs.quality]
    if inputs.source == "image":
        nodes = [_node("source", "upload.image", 0, media_ids=[source_media_id], selection="selected",
                       selected_index=0),
                 _node("image", "image.edit", 300, instruction=inputs.prompt, steps=steps)]
        edges = [_edge("source", "image")]
    else:
        nodes = [_node("image", "image.generate", 0, prompt=inputs.prompt, aspect_ratio=inputs.aspect_ratio,
                       steps=steps)]
        edges = []
    output = "image"
    if inputs.mode == "video":
        video_model = models.first_of_kind(("image_to_video",))
        nodes.append(_node("video", "video.from_image", 600, engine=video_model.id if video_model else "classical",
                           fps=VIDEO_FPS, duration=VIDEO_SECONDS))
        edges.append(_edge("image", "video"))
        output = "video"
    return Graph(nodes=nodes, edges=edges), output


def recipe_graph(recipe: Recipe, inputs: _Inputs, source_media_id: str) -> tuple[Graph, str]:
    """A photo tool's recipe with the source in its ``image`` input and the tool's inputs by name
    (blocking: validates against the recipe's schema). The output node: one named ``output``, else the
    recipe's one executable node nothing else reads from."""
    values = {RECIPE_IMAGE_INPUT: source_media_id, **inputs.model_dump(exclude_none=True)}
    filled = validate_inputs(recipe, values)
    graph = instantiate(recipe, filled, {RECIPE_IMAGE_INPUT: source_media_id})
    return graph, output_node(graph)


#: Node types that make no output a job could answer with.
_NOT_OUTPUTS = ("gpu.control", "comment", "group", "text")


def output_node(graph: Graph) -> str:
    ids = {n.id for n in graph.nodes}
    if "output" in ids:
        return "output"
    read = {e.source for e in graph.edges}
    sinks = [n.id for n in graph.nodes if n.id not in read and n.type not in _NOT_OUTPUTS]
    return sinks[-1] if sinks else (graph.nodes[-1].id if graph.nodes else "")
