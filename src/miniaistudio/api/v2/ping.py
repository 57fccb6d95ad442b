from __future__ import annotations

from fastapi import APIRouter

from ... import __version__

router = APIRouter(tags=["system"])


@router.get("/ping", summary="Liveness check (no authentication)")
def ping() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
