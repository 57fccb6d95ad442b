"""Socket types and the one rule that decides which links are allowed.

The canvas mirrors :func:`link_problem` in TypeScript so a bad link is refused while
dragging; the server re-checks on every save and run.
"""

from __future__ import annotations

from enum import StrEnum


class SocketType(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    MEDIA = "media"  # any of image, video, audio
    GPU = "gpu"  # GPU trigger: orders a node after the session's GPU Control node


MEDIA_KINDS = frozenset({SocketType.IMAGE, SocketType.VIDEO, SocketType.AUDIO})


def link_problem(output_type: SocketType, input_type: SocketType) -> str | None:
    """Why an output of ``output_type`` cannot feed an input of ``input_type``, or None."""
    if output_type == input_type:
        return None
    if input_type == SocketType.MEDIA and output_type in MEDIA_KINDS:
        return None
    if output_type == SocketType.MEDIA and input_type in MEDIA_KINDS:
        return f"a generic media output may not be {input_type}; use a {input_type} output"
    return f"{output_type} output cannot connect to {input_type} input"
