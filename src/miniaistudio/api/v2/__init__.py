"""The /api/v2 routers, one per resource."""

from fastapi import APIRouter

from . import account, auth, execution, gpu, media, models, nodes, ping, recipes, sessions, voices

router = APIRouter(prefix="/api/v2")
for module in (ping, auth, account, nodes, sessions, execution, media, recipes, models, gpu, voices):
    router.include_router(module.router)
