"""The AI Visual Studio v1 door (``/api/v1``): thin routers over the services, the seed's error
envelope (``errors.py``) and its own OpenAPI document. ``/api/v1`` is shared with the Studii dialect
(``/api/v1/jobs``, ``/api/v1/uploads``), so this door owns its own routes there and, for now, the
404 of unknown ``/api/v1`` paths."""

from fastapi import APIRouter

from ..common.doors import Door
from . import generations, keys, webhooks
from .errors import aivs_envelope
from .schemas import AivsErrorPublic

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX, responses={"default": {"model": AivsErrorPublic, "description": "An error"}})
for module in (keys, generations, webhooks):
    router.include_router(module.router)

door = Door(name="aivs", prefix=PREFIX, router=router, envelope=aivs_envelope, title="AI Visual Studio API v1",
            answers_unknown_paths=True)
