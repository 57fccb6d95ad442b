"""Declaring node types: one pydantic model per node type, like InvokeAI's invocations.

A node class's fields are its parameters, except fields annotated with :class:`Socket`
metadata, which are its inputs. The return annotation of ``invoke`` is a
:class:`NodeOutput` subclass whose fields are the output sockets::

    @node("image.invert", title="Invert", category="Image")
    class Invert(Node):
        image: ImageInput
        strength: float = Field(1.0, ge=0, le=1)

        def invoke(self, ctx: NodeContext) -> ImageOutput: ...

The registry reads these declarations once and serves them to the API schema, the
canvas palette, validation and the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .sockets import SocketType
from .values import GpuToken, MediaRef

if TYPE_CHECKING:
    from .context import NodeContext


@dataclass(frozen=True)
class Socket:
    """Annotated metadata marking a field as a socket."""

    type: SocketType
    required: bool = True
    description: str = ""
    label: str | None = None


ImageInput = Annotated[MediaRef | None, Socket(SocketType.IMAGE)]
VideoInput = Annotated[MediaRef | None, Socket(SocketType.VIDEO)]
AudioInput = Annotated[MediaRef | None, Socket(SocketType.AUDIO)]
MediaInput = Annotated[MediaRef | None, Socket(SocketType.MEDIA)]
TextInput = Annotated[str | None, Socket(SocketType.TEXT)]
GpuInput = Annotated[GpuToken | None, Socket(SocketType.GPU, required=False)]


class Node(BaseModel):
    """Base class of every node type. Subclasses are registered with :func:`node`."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    # Filled in by the registry decorator.
    type_name: ClassVar[str] = ""
    version: ClassVar[str] = "1.0.0"
    declaration: ClassVar[NodeDeclaration | None] = None

    def invoke(self, ctx: NodeContext) -> NodeOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        """False when outputs must differ on every run (e.g. a random pick among uploads)."""
        return True


class NodeOutput(BaseModel):
    """Base class of node outputs; each field is an output socket."""

    model_config = ConfigDict(arbitrary_types_allowed=True)


class ImageOutput(NodeOutput):
    image: Annotated[MediaRef, Socket(SocketType.IMAGE)]


class VideoOutput(NodeOutput):
    video: Annotated[MediaRef, Socket(SocketType.VIDEO)]


class AudioOutput(NodeOutput):
    audio: Annotated[MediaRef, Socket(SocketType.AUDIO)]


class TextOutput(NodeOutput):
    text: Annotated[str, Socket(SocketType.TEXT)]


class MediaOutput(NodeOutput):
    media: Annotated[MediaRef, Socket(SocketType.MEDIA)]


class NoOutput(NodeOutput):
    """For nodes that only annotate the canvas (comments, groups)."""


def socket_of(metadata: list[Any]) -> Socket | None:
    for item in metadata:
        if isinstance(item, Socket):
            return item
    return None


@dataclass(frozen=True)
class NodeDeclaration:
    """What ``@node`` says about a node type beyond its fields: how the palette shows it."""

    title: str
    category: str
    description: str
    gpu: bool
    executable: bool
    tags: tuple[str, ...]
    #: Kinds of installed model of which the node needs one to run at all (empty: it runs without one).
    model_kinds: tuple[str, ...] = ()


#: Node classes in the order ``@node`` declared them; registries pick them up (this module
#: imports no registry, so declaring a node and building the catalog stay one-way).
DECLARED: list[type[Node]] = []


def node(
    type_name: str,
    *,
    title: str,
    category: str,
    version: str = "1.0.0",
    description: str | None = None,
    gpu: bool = False,
    executable: bool = True,
    tags: tuple[str, ...] = (),
    model_kinds: tuple[str, ...] = (),
) -> Any:
    """Class decorator: declare a node type; the registry of its package registers it."""

    def decorate(cls: type[Node]) -> type[Node]:
        cls.type_name = type_name
        cls.version = version
        cls.declaration = NodeDeclaration(title=title, category=category,
                                          description=description or user_summary(cls.__doc__),
                                          gpu=gpu, executable=executable, tags=tags, model_kinds=model_kinds)
        DECLARED.append(cls)
        return cls

    return decorate


def user_summary(docstring: str | None) -> str:
    """What the palette and Inspector say about a node: the docstring's first paragraph, on one line.

    The rest of a node's docstring is for developers (modules, formulas) and stays in the code.
    """
    first = (docstring or "").strip().split("\n\n", 1)[0]
    return " ".join(first.split())
