"""Job operation names of the seed's mockup section, declared once: the asset, mockup and ad-video
routes submit jobs under them, and ``GET /api/mockup/{jobId}/status`` answers for exactly these."""

from __future__ import annotations

ASSET_GENERATE = "asset.generate"
ASSET_EDIT = "asset.edit"
MOCKUP = "mockup.generate"
PRODUCT_AD = "mockup.video"

#: Every operation ``GET /api/mockup/{jobId}/status`` answers for.
MOCKUP_OPERATIONS: frozenset[str] = frozenset({ASSET_GENERATE, ASSET_EDIT, MOCKUP, PRODUCT_AD})
