"""The /api/v2 door: its routers (one per resource), its error envelope and its OpenAPI document."""

from fastapi import APIRouter

from ..common.doors import Door
from . import (
    account,
    apps,
    auth,
    billing,
    content_credentials,
    execution,
    gpu,
    media,
    models,
    nodes,
    ping,
    plans,
    recipes,
    sessions,
    sharing,
    topups,
    voices,
)
from .errors import v2_envelope

PREFIX = "/api/v2"

router = APIRouter(prefix=PREFIX)
for module in (ping, auth, account, nodes, sessions, sharing, execution, media, recipes, models, gpu, billing, topups,
               voices, apps, plans, content_credentials):
    router.include_router(module.router)

door = Door(name="v2", prefix=PREFIX, router=router, envelope=v2_envelope, title="Mini AI Studio API v2")
