"""Mini AI Studio: a self-hosted AI media studio built around a typed node graph."""

__version__ = "0.1.0"
