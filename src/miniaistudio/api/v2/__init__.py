"""The /api/v2 routers, one per resource."""

from fastapi import APIRouter

from . import account, auth, execution, media, nodes, ping, sessions

router = APIRouter(prefix="/api/v2")
for module in (ping, auth, account, nodes, sessions, execution, media):
    router.include_router(module.router)
