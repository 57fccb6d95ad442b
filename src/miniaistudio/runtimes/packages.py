"""Optional Python packages: import one, or say exactly which command installs it."""

from __future__ import annotations

import importlib
from typing import Any

from ..core.errors import ToolMissing


def require_package(import_name: str, pip_name: str, purpose: str, *, code: str = "PACKAGE_MISSING",
                    then: str | None = None) -> Any:
    """The module ``import_name``, or :class:`ToolMissing` naming ``purpose`` and ``pip install pip_name``.

    ``code`` is the stable error code callers already answer with; ``then`` is a command to run
    after installing (e.g. the one that places model files).
    """
    try:
        return importlib.import_module(import_name)
    except ImportError as exc:
        install = f"pip install {pip_name}"
        after = f" (then run {then})" if then else ""
        raise ToolMissing(f"{purpose} is not installed; install it with: {install}{after}", code=code,
                          details={"package": pip_name, "install": install}) from exc
