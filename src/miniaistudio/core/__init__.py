"""The domain core: graph document, node declarations, cache signatures, engine, policy.

Nothing in this package imports FastAPI; HTTP dialects are thin adapters over it.
"""
