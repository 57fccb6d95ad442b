"""Backends that do the heavy lifting for nodes: ffmpeg, Pillow, fonts (models come later)."""
