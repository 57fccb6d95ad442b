"""The Studii door (``/api/v1/jobs``, ``/api/v1/uploads``): thin routers over the jobs core and signed
uploads, the seed's error envelope ``{"error", "code"}`` (``errors.py``) and its own OpenAPI document at
``/api/v1/studii/openapi.json``. ``/api/v1`` is shared with AI Visual Studio: this door answers its own
routes only (``Doors`` picks the door whose route matches a path)."""

from fastapi import APIRouter

from ..common.doors import Door
from . import jobs, uploads
from .errors import studii_envelope
from .schemas import StudiiErrorPublic

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX, responses={"default": {"model": StudiiErrorPublic, "description": "An error"}})
for module in (jobs, uploads):
    router.include_router(module.router)

door = Door(name="studii", prefix=PREFIX, router=router, envelope=studii_envelope, title="Studii API",
            answers_unknown_paths=False, openapi_path="/api/v1/studii/openapi.json")
