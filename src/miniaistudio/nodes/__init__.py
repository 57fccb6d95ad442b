"""Node types by family. Importing this package registers them all."""

from . import annotations, image, text  # noqa: F401
