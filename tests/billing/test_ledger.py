"""The credits ledger through the real database: holds, captures, releases, refunds, idempotent
top-ups, collaborator limits, and the race (many threads holding at once never overspend)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from conftest import PASSWORD
from miniaistudio.core.errors import CreditLimit, InsufficientBalance, InvalidRequest, StudioError
from miniaistudio.services.credits import MAX_AMOUNT, Balance, CollaboratorLimits, CreditLedger
from miniaistudio.studio import Studio


def new_user(studio: Studio, email: str) -> str:
    return studio.accounts.create_user(email, PASSWORD).id


def consistent(ledger: CreditLedger) -> None:
    checks = ledger.verify()
    assert checks and all(c.ok for c in checks), checks


async def test_hold_capture_release_and_the_entries_that_explain_the_balance(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "payer@example.com")
    assert ledger.balance(uid) == Balance(0, 0)
    ledger.grant(uid, 100, reason="welcome", actor_id=uid)

    held = ledger.hold(uid, 30, actor_id=uid, session_id="s1", run_id="r1")
    assert ledger.balance(uid) == Balance(70, 30)
    assert ledger.balance(uid).total == 100
    captured = ledger.capture(held.id, 12, model_id="m1")
    assert (captured.status, captured.captured) == ("captured", 12)
    assert ledger.balance(uid) == Balance(88, 0)
    assert ledger.capture(held.id, 30).captured == 12  # idempotent: a second capture charges nothing
    assert ledger.release(held.id).status == "captured"
    assert ledger.balance(uid) == Balance(88, 0)

    other = ledger.hold(uid, 50, actor_id=uid, run_id="r2")
    assert ledger.release(other.id).status == "released"
    assert ledger.release(other.id).status == "released"
    assert ledger.balance(uid) == Balance(88, 0)

    refund = ledger.refund(held.id, 5, reason="bad output")
    assert (refund.kind, refund.amount, refund.available_after) == ("refund", 5, 93)
    with pytest.raises(InvalidRequest):
        ledger.refund(held.id, 8, reason="more than was charged")  # 12 charged, 5 refunded

    page = ledger.entries(uid, page=1, page_size=100)
    kinds = [e.kind for e in reversed(page.entries)]
    assert kinds == ["grant", "hold", "capture", "release", "hold", "release", "refund"]
    capture = next(e for e in page.entries if e.kind == "capture")
    assert (capture.amount, capture.reserved_delta, capture.model_id, capture.run_id) == (0, -12, "m1", "r1")
    assert sum(e.amount for e in page.entries) == 93 and page.total == 7
    consistent(ledger)


async def test_holds_never_go_below_zero_and_say_what_was_missing(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "poor@example.com")
    ledger.grant(uid, 10)
    with pytest.raises(InsufficientBalance) as refused:
        ledger.hold(uid, 11, actor_id=uid)
    assert refused.value.status == 402 and refused.value.details == {"required": 11, "available": 10}
    with pytest.raises(InsufficientBalance):
        ledger.adjust(uid, -11, reason="too much")
    assert ledger.adjust(uid, -10, reason="correction").available_after == 0
    assert ledger.balance(uid) == Balance(0, 0)
    consistent(ledger)


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1, 1.5, True, "3"])
async def test_bad_amounts_are_refused_cleanly_and_change_nothing(studio: Studio, amount: object) -> None:
    ledger = studio.credits
    uid = new_user(studio, "amounts@example.com")
    ledger.grant(uid, 5)
    for call in (lambda: ledger.grant(uid, amount),  # type: ignore[arg-type]
                 lambda: ledger.hold(uid, amount, actor_id=uid),  # type: ignore[arg-type]
                 lambda: ledger.top_up(uid, amount, idempotency_key="k")):  # type: ignore[arg-type]
        with pytest.raises(StudioError) as refused:
            call()
        assert refused.value.code == "INVALID_AMOUNT"
    assert ledger.balance(uid) == Balance(5, 0)
    consistent(ledger)


async def test_a_balance_cannot_overflow(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "rich@example.com")
    for i in range(1001):
        try:
            ledger.grant(uid, MAX_AMOUNT, idempotency_key=f"g{i}")
        except InvalidRequest as exc:
            assert exc.code == "INVALID_AMOUNT"
            break
    else:
        pytest.fail("the balance grew without bound")
    assert ledger.balance(uid).available == 1000 * MAX_AMOUNT
    consistent(ledger)


async def test_top_ups_are_idempotent_by_key_also_when_raced(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "buyer@example.com")
    first = ledger.top_up(uid, 500, idempotency_key="stripe:cs_1", reason="pack", ref_type="stripe_checkout",
                          ref_id="cs_1")
    again = ledger.top_up(uid, 500, idempotency_key="stripe:cs_1", reason="pack")
    assert again == first and ledger.balance(uid).available == 500

    results = []
    barrier = threading.Barrier(8)

    def buy() -> None:
        barrier.wait()
        results.append(ledger.top_up(uid, 100, idempotency_key="stripe:cs_2"))

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.id for r in results}) == 1 and len(results) == 8
    assert ledger.balance(uid).available == 600
    consistent(ledger)


async def test_many_threads_holding_at_once_never_overspend(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "race@example.com")
    ledger.grant(uid, 100)
    barrier = threading.Barrier(24)
    outcomes: list[str] = []

    def debit() -> None:
        barrier.wait()
        try:
            ledger.hold(uid, 30, actor_id=uid)
            outcomes.append("held")
        except InsufficientBalance:
            outcomes.append("refused")

    threads = [threading.Thread(target=debit) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("held") == 3 and outcomes.count("refused") == 21
    assert ledger.balance(uid) == Balance(10, 90)
    consistent(ledger)


async def test_starting_grant_once_per_account(studio: Studio) -> None:
    ledger = CreditLedger(studio.db, starting_grant=25)
    uid = new_user(studio, "new@example.com")
    assert ledger.balance(uid) == Balance(25, 0)
    ledger.open_account(uid)
    ledger.hold(uid, 5, actor_id=uid)
    assert ledger.balance(uid) == Balance(20, 5)
    assert [e.kind for e in ledger.entries(uid).entries] == ["hold", "grant"]
    consistent(ledger)


async def test_collaborators_are_held_to_their_limits_against_one_payer(studio: Studio) -> None:
    now = [datetime(2026, 12, 30, tzinfo=UTC)]
    ledger = CreditLedger(studio.db, clock=lambda: now[0])
    owner, ann, bob = (new_user(studio, f"{n}@example.com") for n in ("owner", "ann", "bob"))
    ledger.grant(owner, 1000)
    limits = CollaboratorLimits(monthly=10, total=15)

    barrier = threading.Barrier(16)
    outcomes: dict[str, list[str]] = {ann: [], bob: []}

    def run(actor: str) -> None:
        barrier.wait()
        try:
            ledger.hold(owner, 1, actor_id=actor, session_id="shared", limits=limits)
            outcomes[actor].append("held")
        except CreditLimit:
            outcomes[actor].append("limit")

    threads = [threading.Thread(target=run, args=(actor,)) for actor in (ann, bob) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes[ann].count("held") == 8 and outcomes[bob].count("held") == 8
    with pytest.raises(CreditLimit) as refused:
        ledger.hold(owner, 3, actor_id=ann, session_id="shared", limits=limits)
    assert refused.value.status == 402
    assert refused.value.details == {"limit": 10, "used": 8, "required": 3, "period": "month"}
    assert ledger.credits_used("shared", ann) == (8, 8)
    assert ledger.balance(owner) == Balance(984, 16)  # charged to the owner

    # The unused part of a hold goes back to the collaborator's counters.
    held = ledger.hold(owner, 2, actor_id=ann, session_id="shared", limits=limits)
    ledger.capture(held.id, 1)
    assert ledger.credits_used("shared", ann) == (9, 9)

    # A new month starts a new monthly count; the total still binds.
    now[0] = datetime(2027, 1, 2, tzinfo=UTC)
    assert ledger.credits_used("shared", ann) == (0, 9)
    ledger.hold(owner, 6, actor_id=ann, session_id="shared", limits=limits)
    with pytest.raises(CreditLimit) as total:
        ledger.hold(owner, 1, actor_id=ann, session_id="shared", limits=limits)
    assert total.value.details == {"limit": 15, "used": 15, "required": 1, "period": "total"}
    # The owner's own runs are not counted against anyone's limits.
    ledger.hold(owner, 50, actor_id=owner, session_id="shared", limits=None)
    assert ledger.credits_used("shared", owner) == (0, 0)
    consistent(ledger)


async def test_release_active_gives_back_holds_of_runs_that_no_longer_run(studio: Studio) -> None:
    ledger = studio.credits
    uid = new_user(studio, "crash@example.com")
    ledger.grant(uid, 10)
    keep = ledger.hold(uid, 3, actor_id=uid, run_id="still-running")
    ledger.hold(uid, 4, actor_id=uid, run_id="gone")
    ledger.hold(uid, 2, actor_id=uid, purpose="gpu")
    assert ledger.release_active("run", keep=lambda h: h.id == keep.id) == 1
    assert ledger.balance(uid) == Balance(5, 5)
    consistent(ledger)
