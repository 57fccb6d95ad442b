"""Classical creative engines (no AI model): camera moves, Lanczos upscale, face-mesh swap, algorithmic
music, video effects.
"""
