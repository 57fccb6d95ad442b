"""``/v1/ai/apps``: list, describe and run published apps; poll runs. Thin routers over ``services/apps.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ...core.errors import InvalidRequest, StudioError
from ...core.policy import ApiScope, Principal
from ..common.deps import RequireScope, StudioDep
from ..files.urls import SignedMediaUrls
from .schemas import MagnificApp, MagnificAppAnswer, MagnificAppList, MagnificRun, MagnificRunAnswer, MagnificRunRequest

router = APIRouter(tags=["apps"])

Reader = Annotated[Principal, Depends(RequireScope(ApiScope.READ))]
Runner = Annotated[Principal, Depends(RequireScope(ApiScope.GENERATE_IMAGE))]


def _urls(studio: StudioDep) -> SignedMediaUrls:
    return SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url)


@router.get("/apps", summary="List all available workflow apps", response_model=MagnificAppList)
def list_apps(user: Reader, studio: StudioDep) -> MagnificAppList:
    return MagnificAppList(data=[MagnificApp.of(view) for view in studio.apps.listing(user)])


@router.get("/apps/runs/{run_id}", summary="Poll run status and results", response_model=MagnificRunAnswer)
def get_run(run_id: str, user: Reader, studio: StudioDep) -> MagnificRunAnswer:
    return MagnificRunAnswer(data=MagnificRun.of(studio.apps.get_run(user, run_id), _urls(studio)))


@router.get("/apps/{app_id}", summary="Get app definition and inputs", response_model=MagnificAppAnswer)
def get_app(app_id: str, user: Reader, studio: StudioDep) -> MagnificAppAnswer:
    return MagnificAppAnswer(data=MagnificApp.of(studio.apps.get(user, app_id)))


@router.post("/apps/{app_id}/run", summary="Execute a workflow app", response_model=MagnificRunAnswer)
async def run_app(app_id: str, body: MagnificRunRequest, user: Runner, studio: StudioDep) -> MagnificRunAnswer:
    if body.webhook is not None:
        try:
            studio.webhooks.rules.check_form(body.webhook)
        except StudioError as exc:
            raise InvalidRequest(f"webhook: {exc.message}", code=exc.code, details={
                "errors": [{"field": "webhook", "message": exc.message}]}) from exc
    view = await studio.apps.run(user, app_id, dict(body.inputs), body.webhook)
    return MagnificRunAnswer(data=MagnificRun.of(view, _urls(studio)))
