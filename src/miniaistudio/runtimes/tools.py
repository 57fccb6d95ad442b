"""Finding system tools, with the exact install command when one is missing."""

from __future__ import annotations

import shutil

from ..core.errors import ToolMissing

APT_PACKAGES = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg"}


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = APT_PACKAGES.get(name, name)
        raise ToolMissing(
            f"{name} is not installed; install it with: sudo apt-get install -y {package}",
            code="TOOL_MISSING",
            details={"tool": name, "install": f"apt-get install -y {package}"},
        )
    return path
