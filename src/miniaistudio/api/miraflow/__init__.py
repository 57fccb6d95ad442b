"""The Miraflow door (``/api``): the seed's paths, camelCase fields and ``{"result": "success" |
"failure"}`` envelopes (``errors.py``), keys sent as ``x-api-key``, and its own OpenAPI document at
``/api/openapi.json``. One module per section of the seed; ``videos.py``, ``mockups.py`` and
``product_ads.py`` (talking avatars, mockups, ad videos) join them from the engines' branch.

Its prefix holds the other doors' (``/api/v2``, ``/api/v1``, ``/api/files``): the longest prefix wins,
so this door answers only its own paths and the unknown ones directly under ``/api``."""

from fastapi import APIRouter

from ..common.doors import Door
from . import assets, avatars, images, keys, media, mockup_status, mockups, product_ads, thumbnails, videos, voices
from .errors import miraflow_envelope
from .schemas import MiraflowFailure

PREFIX = "/api"

router = APIRouter(prefix=PREFIX, responses={"default": {"model": MiraflowFailure, "description": "An error"}})
for module in (keys, media, avatars, voices, images, assets, mockup_status, thumbnails, videos):
    router.include_router(module.router)
for module in (mockups, product_ads):  # product mockups and ad videos
    router.include_router(module.router)

door = Door(name="miraflow", prefix=PREFIX, router=router, envelope=miraflow_envelope, title="Miraflow API")
