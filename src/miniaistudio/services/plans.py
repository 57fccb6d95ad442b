"""Plans: what a user's subscription tier allows on the Studii door — which tools, and how many
requests a minute each Studii key may make.

A user's ``plan`` column holds ``pro``, ``team`` or ``business``, set by an admin (``miniaistudio
users plan``, ``PUT /api/v2/users/{user_id}/plan``). A user without one has the studio's default:
Pro when billing is on (a metered studio sells the higher tiers), and no plan at all when billing is
off (a studio on your own machine limits nothing: every tool, the studio's key rate limit).

| plan | tools | requests / min per key |
|---|---|---|
| pro | studio, photo-restore, product-background | 60 |
| team | all five | 300 |
| business | all five | 300 |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from ..core.errors import InvalidRequest, NotFound
from ..store.db import Database
from ..store.tables import User

ALL_TOOLS = ("studio", "photo-restore", "product-background", "career-photo", "virtual-staging")


class Plan(StrEnum):
    PRO = "pro"
    TEAM = "team"
    BUSINESS = "business"


#: The Studii tools each plan may run (tool slugs: ``api/studii/tools.py``).
PLAN_TOOLS: dict[Plan, tuple[str, ...]] = {
    Plan.PRO: ("studio", "photo-restore", "product-background"),
    Plan.TEAM: ALL_TOOLS,
    Plan.BUSINESS: ALL_TOOLS,
}
#: Requests per minute of each Studii key, per plan (a key may set less).
PLAN_RATE_LIMITS: dict[Plan, int] = {Plan.PRO: 60, Plan.TEAM: 300, Plan.BUSINESS: 300}


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"


def effective_plan(stored: str | None, *, billing_on: bool) -> Plan | None:
    """The plan a user has: the stored one, else Pro when billing is on, else none (no limits)."""
    if stored is not None and stored in {plan.value for plan in Plan}:
        return Plan(stored)
    return Plan.PRO if billing_on else None


def allowed_tools(plan: Plan | None) -> tuple[str, ...]:
    return ALL_TOOLS if plan is None else PLAN_TOOLS[plan]


def plan_rate_limit(plan: Plan | None) -> int | None:
    """A Studii key's requests per minute under the plan (None: the studio's default)."""
    return None if plan is None else PLAN_RATE_LIMITS[plan]


def parse_plan(value: str) -> Plan:
    try:
        return Plan(value.strip().lower())
    except ValueError:
        raise InvalidRequest(f"unknown plan {value[:40]!r}; one of {', '.join(p.value for p in Plan)}",
                             code="UNKNOWN_PLAN", details={"plans": [p.value for p in Plan]}) from None


@dataclass(frozen=True)
class UserPlan:
    user_id: str
    email: str
    plan: Plan | None  # effective
    stored: str | None  # what the admin set (None: the default)


class Plans:
    def __init__(self, db: Database, *, billing_on: bool) -> None:
        self.db = db
        self.billing_on = billing_on

    def of(self, user_id: str) -> UserPlan:
        with self.db.session() as s:
            row = s.get(User, user_id)
            if row is None:
                raise UserNotFound("user not found")
            return self._view(row)

    def set(self, *, plan: Plan | None, user_id: str | None = None, email: str | None = None) -> UserPlan:
        """Set a user's plan (None: back to the studio's default), by id or e-mail."""
        with self.db.session() as s:
            if user_id is not None:
                row = s.get(User, user_id) if len(user_id) <= 36 else None
            else:
                row = s.scalars(select(User).where(User.email == (email or "").strip().lower())).first()
            if row is None:
                raise UserNotFound("user not found")
            row.plan = plan.value if plan is not None else None
            return self._view(row)

    def _view(self, row: User) -> UserPlan:
        return UserPlan(row.id, row.email, effective_plan(row.plan, billing_on=self.billing_on), row.plan)
