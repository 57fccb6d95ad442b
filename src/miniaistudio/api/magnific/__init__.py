"""The Magnific apps door (``/v1/ai``, Magnific's own paths): published apps listed, described and run
with an ``X-Magnific-Api-Key`` (any of the studio's key headers works), runs polled; its own error
envelope (``errors.py``) and OpenAPI document (``/v1/ai/openapi.json``)."""

from fastapi import APIRouter

from ..common.doors import Door
from . import apps
from .errors import magnific_envelope
from .schemas import MagnificErrorPublic

PREFIX = "/v1/ai"

router = APIRouter(prefix=PREFIX, responses={"default": {"model": MagnificErrorPublic, "description": "An error"}})
router.include_router(apps.router)

door = Door(name="magnific", prefix=PREFIX, router=router, envelope=magnific_envelope, title="Magnific apps API")
