from __future__ import annotations

from fastapi import APIRouter

from ... import __version__
from .schemas import PingPublic

router = APIRouter(tags=["system"])


@router.get("/ping", summary="Liveness check (no authentication)",
            response_model=PingPublic, response_model_exclude_unset=True)
def ping() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
