"""File names that open on every desktop: what a user downloads or finds in a zip.

Windows refuses ``<>:"/\\|?*``, control characters, trailing dots and spaces, and device names
(``CON``, ``NUL``, ``COM1``…); loop copies of a node have ``::`` in their ids. A name is built from
what a person recognises (the node's title, the iteration's label) plus a short id that keeps it unique.
"""

from __future__ import annotations

import re

_FORBIDDEN = frozenset('<>:"/\\|?*')
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})


def portable(text: str, *, limit: int = 80) -> str:
    """``text`` as a file-name part that every common file system accepts ('' when nothing is left)."""
    cleaned = "".join(" " if ch in _FORBIDDEN or not ch.isprintable() else ch for ch in text)
    cleaned = re.sub(r"\s+([\])])", r"\1", " ".join(cleaned.split()))  # "[Red: warm?]" -> "[Red warm]"
    cleaned = cleaned.strip(". ")[:limit].rstrip(". ")
    if cleaned.split(".")[0].upper() in _DEVICES:
        cleaned = f"_{cleaned}"
    return cleaned


def output_file_name(title: str, media_id: str, ext: str) -> str:
    """``Blur [sunset] - 1a2b3c4d.png``: the node's title (with its iteration label) and a short id."""
    return f"{portable(title) or 'output'} - {media_id[:8]}.{ext}"
