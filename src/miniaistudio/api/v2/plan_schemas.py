"""Public models of plans (``/api/v2/account/plan``, ``/api/v2/users/{user_id}/plan``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ...services.plans import UserPlan, allowed_tools, plan_rate_limit

PlanName = Literal["pro", "team", "business"]


class PlanUpdate(BaseModel):
    plan: PlanName | None = Field(description="null: back to the studio's default (Pro when billing is on)")


class PlanPublic(BaseModel):
    user_id: str
    email: str
    plan: PlanName | None = Field(description="The plan in effect (null: billing is off and nothing is set)")
    set_by_admin: bool = Field(description="false: the studio's default applies")
    tools: list[str] = Field(description="The Studii tools the plan includes")
    rate_limit_per_minute: int | None = Field(description="Requests per minute of each Studii key "
                                                          "(null: the studio's key rate limit)")

    @classmethod
    def of(cls, view: UserPlan) -> PlanPublic:
        return cls(user_id=view.user_id, email=view.email, plan=view.plan.value if view.plan else None,
                   set_by_admin=view.stored is not None, tools=list(allowed_tools(view.plan)),
                   rate_limit_per_minute=plan_rate_limit(view.plan))
