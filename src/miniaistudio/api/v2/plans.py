"""Plans: a user reads their own; an admin sets anyone's (``services/plans.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from ...core.policy import StudioAction, require_studio
from ...services.plans import Plan
from ..common.deps import CurrentUser, StudioDep
from .plan_schemas import PlanPublic, PlanUpdate

router = APIRouter(tags=["plans"])


@router.get("/account/plan", summary="Your plan: its Studii tools and its key rate limit", response_model=PlanPublic)
def get_my_plan(user: CurrentUser, studio: StudioDep) -> PlanPublic:
    return PlanPublic.of(studio.plans.of(user.user_id))


@router.put("/users/{user_id}/plan", summary="Set a user's plan (admins)", response_model=PlanPublic)
def set_plan(user_id: str, body: PlanUpdate, user: CurrentUser, studio: StudioDep) -> PlanPublic:
    require_studio(user, StudioAction.SET_PLANS)
    return PlanPublic.of(studio.plans.set(plan=Plan(body.plan) if body.plan else None, user_id=user_id))
