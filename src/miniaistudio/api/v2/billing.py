"""Billing over HTTP: the caller's balance, usage history and active GPU billing session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Query
from sqlalchemy.exc import SQLAlchemyError

from ...core.errors import BillingUnavailable
from ...services.usage_history import MAX_PAGE
from ..common.deps import CurrentUser, StudioDep
from .billing_schemas import BalancePublic, GpuActivePublic, UsageHistoryPublic

router = APIRouter(prefix="/billing", tags=["billing"])


@contextmanager
def billing_state() -> Iterator[None]:
    """A database failure reading billing state answers BILLING_UNAVAILABLE (503), not a 500."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise BillingUnavailable("billing state cannot be read right now; try again shortly") from exc


@router.get("/balance", summary="GetBalance: available, reserved (held for running work) and total credits",
            response_model=BalancePublic)
def balance(user: CurrentUser, studio: StudioDep) -> BalancePublic:
    billing = studio.settings.billing
    with billing_state():
        found = studio.credits.balance(user.user_id, open_account=billing == "credits")
    return BalancePublic.of(found, billing)


@router.get("/usage-history", summary="GetUsageHistory: GPU-minute sessions and per-run charges, newest first, "
                                      "with totals", response_model=UsageHistoryPublic)
def usage_history(user: CurrentUser, studio: StudioDep, page: int = Query(default=1, ge=1, le=MAX_PAGE),
                  page_size: int = Query(default=50, ge=1, le=100)) -> UsageHistoryPublic:
    with billing_state():
        return UsageHistoryPublic.of(studio.usage.page(user.user_id, page, page_size))


@router.get("/gpu-active", summary="GetActiveGpuSession: elapsed and paid time, tasks served, expiry and the "
                                   "refund if stopped now", response_model=GpuActivePublic)
def gpu_active(user: CurrentUser, studio: StudioDep) -> GpuActivePublic:
    billing = studio.gpu_billing
    return GpuActivePublic.of(billing.active(user.user_id) if billing is not None else None)
