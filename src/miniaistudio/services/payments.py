"""Credit top-ups through Stripe Checkout: start a checkout for a pack, and fulfil it from the webhook.

Credits are granted only from a verified webhook (Stripe: "webhooks are required for fulfilment"),
never from the browser's return to the success page. Each Checkout session credits the ledger at
most once, by two guards: the event id is recorded in ``stripe_events`` (a replayed or duplicated
delivery is answered without effect), and the ledger entry's idempotency key is
``"stripe:" + session id`` (two different events about one session credit once). The top-up is
marked paid and its invoice written in one transaction, guarded by ``status != 'paid'``.

Events about a Checkout session the studio does not know (made by another integration on the same
Stripe account, or deleted since) are acknowledged with 200 and logged: an error answer would only
make Stripe retry for days.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import CreditPack
from ..core.errors import BillingUnavailable, InvalidRequest, WebhookSignatureInvalid
from ..core.policy import Principal
from ..store.db import Database
from ..store.tables import StripeEvent, TopUp, User
from .invoices import Invoices
from .stripe_checkout import CHECKOUT_EVENTS, CheckoutEvent, PaymentDetails, StripeCheckout, verify_event

log = logging.getLogger(__name__)

WebhookOutcome = Literal["credited", "duplicate", "ignored", "unknown_session", "awaiting_payment",
                         "already_paid", "expired", "payment_failed"]


class CreditTopUps(Protocol):
    """The one thing payments need from the credits ledger: an idempotent top-up."""

    def top_up(self, user_id: str, amount: int, *, idempotency_key: str, reason: str, ref_type: str,
               ref_id: str) -> Any: ...


@dataclass(frozen=True)
class StartedCheckout:
    checkout_url: str
    checkout_session_id: str
    topup_id: str
    pack: CreditPack


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str | None
    webhook_secret: str | None
    api_base: str | None
    public_url: str | None


def ledger_key(checkout_session_id: str) -> str:
    """The ledger idempotency key of a Checkout session's top-up."""
    return f"stripe:{checkout_session_id}"


class Payments:
    def __init__(self, db: Database, packs: list[CreditPack], stripe: StripeSettings, invoices: Invoices,
                 ledger: CreditTopUps) -> None:
        self.db = db
        self._packs = {pack.id: pack for pack in packs}
        self.stripe = stripe
        self.invoices = invoices
        self.ledger = ledger
        self._checkout = StripeCheckout(stripe.secret_key, api_base=stripe.api_base) if stripe.secret_key else None

    def packs(self) -> list[CreditPack]:
        return list(self._packs.values())

    # -- checkout ---------------------------------------------------------------------------------
    def start_checkout(self, principal: Principal, pack_id: str, *, request_base_url: str) -> StartedCheckout:
        """A Stripe Checkout page for one pack, and the pending top-up it will fulfil."""
        pack = self._packs.get(pack_id)
        if pack is None:
            raise InvalidRequest(f"no credit pack {pack_id!r}", code="UNKNOWN_CREDIT_PACK",
                                 details={"available": sorted(self._packs)})
        if self._checkout is None:
            raise BillingUnavailable(
                "top-ups are not configured on this studio: an admin sets MINIAI_STRIPE_SECRET_KEY and "
                "MINIAI_STRIPE_WEBHOOK_SECRET (and MINIAI_BILLING_PUBLIC_URL behind a proxy); admins can "
                "still grant credits", details={"settings": ["stripe_secret_key", "stripe_webhook_secret"]})
        with self.db.session() as s:
            email = s.scalar(select(User.email).where(User.id == principal.user_id)) or principal.email
        base = (self.stripe.public_url or request_base_url).rstrip("/")
        topup_id = str(uuid.uuid4())
        created = self._checkout.create_session(
            topup_id=topup_id, user_id=principal.user_id, email=email, pack=pack,
            success_url=f"{base}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/billing?checkout=canceled")
        # Written after Stripe answers: a failed call leaves no pending row, and no webhook can come
        # before the buyer, who has not seen the page yet, pays.
        with self.db.session() as s:
            s.add(TopUp(id=topup_id, user_id=principal.user_id, pack=pack.id, pack_name=pack.title,
                        credits=pack.credits, amount=pack.unit_amount, currency=pack.currency,
                        checkout_session_id=created.session_id, status="pending", created_at=datetime.now(UTC)))
        return StartedCheckout(checkout_url=created.url, checkout_session_id=created.session_id, topup_id=topup_id,
                               pack=pack)

    # -- the webhook ------------------------------------------------------------------------------
    def receive_webhook(self, payload: bytes, signature: str | None) -> WebhookOutcome:
        """Verify and apply one Stripe event. Blocking (database, maybe one Stripe call)."""
        if not signature:
            raise WebhookSignatureInvalid("the Stripe-Signature header is missing", details={"reason": "missing"})
        if not self.stripe.webhook_secret:
            raise BillingUnavailable("Stripe webhooks are not configured: an admin sets MINIAI_STRIPE_WEBHOOK_SECRET "
                                     "to the endpoint's signing secret (whsec_...)",
                                     details={"settings": ["stripe_webhook_secret"]})
        event = verify_event(payload, signature, self.stripe.webhook_secret)
        if not self._first_delivery(event):
            return "duplicate"
        outcome = self._apply(event)
        log.info("stripe event %s (%s): %s", event.id, event.type, outcome)
        return outcome

    def _first_delivery(self, event: CheckoutEvent) -> bool:
        """Record the event; False when it was already applied (a replay or a duplicate delivery)."""
        try:
            with self.db.session() as s:
                seen = s.get(StripeEvent, event.id)
                if seen is not None:
                    return seen.processed_at is None  # recorded but never applied: apply it now
                s.add(StripeEvent(id=event.id, type=event.type[:100], received_at=datetime.now(UTC)))
        except IntegrityError:  # the same event arriving twice at once: the other delivery applies it
            return False
        return True

    def _apply(self, event: CheckoutEvent) -> WebhookOutcome:
        if event.type not in CHECKOUT_EVENTS or not event.session_id:
            return self._finish(event, "ignored")
        if event.type == "checkout.session.completed" and event.payment_status != "paid":
            return self._finish(event, "awaiting_payment")  # a delayed method: async_payment_succeeded follows
        if event.type in ("checkout.session.expired", "checkout.session.async_payment_failed"):
            return self._close_unpaid(event)
        with self.db.session() as s:
            topup = s.scalar(select(TopUp).where(TopUp.checkout_session_id == event.session_id))
        if topup is None:
            log.warning("stripe event %s is about Checkout session %s, which this studio did not create; "
                        "acknowledged without effect", event.id, event.session_id)
            return self._finish(event, "unknown_session")
        if topup.status == "paid":
            return self._finish(event, "already_paid")
        if event.amount_total is not None and (event.amount_total, event.currency) != (topup.amount, topup.currency):
            log.warning("stripe session %s was paid %s %s for top-up %s priced %s %s; the pack's credits are granted",
                        event.session_id, event.amount_total, event.currency, topup.id, topup.amount, topup.currency)
        # Credit first: if anything after fails, Stripe's retry finds the entry by its key and credits nothing.
        self.ledger.top_up(topup.user_id, topup.credits, idempotency_key=ledger_key(event.session_id),
                           reason=f"Stripe top-up: {topup.pack_name}", ref_type="topup", ref_id=topup.id)
        return self._mark_paid(event, topup.id, self._payment_details(event))

    def _payment_details(self, event: CheckoutEvent) -> PaymentDetails:
        """The receipt link for the invoice; the event's own PaymentIntent id when Stripe cannot say."""
        fallback = PaymentDetails(payment_reference=event.payment_reference, receipt_url=None)
        if self._checkout is None:
            return fallback
        try:
            details = self._checkout.payment_details(event.session_id)
        except Exception:  # the credits must not wait for a receipt link
            log.warning("no receipt for Checkout session %s", event.session_id, exc_info=True)
            return fallback
        return PaymentDetails(payment_reference=details.payment_reference or event.payment_reference,
                              receipt_url=details.receipt_url)

    def _mark_paid(self, event: CheckoutEvent, topup_id: str, details: PaymentDetails) -> WebhookOutcome:
        now = datetime.now(UTC)
        with self.db.session() as s:
            # The write comes first: on SQLite it takes the write lock before anything is read.
            marked = s.execute(update(TopUp).where(TopUp.id == topup_id, TopUp.status != "paid").values(
                status="paid", paid_at=now, payment_reference=details.payment_reference,
                receipt_url=details.receipt_url)).rowcount  # type: ignore[attr-defined]
            outcome: WebhookOutcome = "credited" if marked else "already_paid"
            if marked:
                topup = s.get(TopUp, topup_id)
                assert topup is not None
                email = s.scalar(select(User.email).where(User.id == topup.user_id)) or ""
                self.invoices.issue(s, topup, buyer_email=email, issued_at=now)
            self._processed(s, event, outcome)
        return outcome

    def _close_unpaid(self, event: CheckoutEvent) -> WebhookOutcome:
        outcome: WebhookOutcome = "expired" if event.type == "checkout.session.expired" else "payment_failed"
        with self.db.session() as s:
            s.execute(update(TopUp).where(TopUp.checkout_session_id == event.session_id,
                                          TopUp.status == "pending").values(
                status="expired" if outcome == "expired" else "failed"))
            self._processed(s, event, outcome)
        return outcome

    def _finish(self, event: CheckoutEvent, outcome: WebhookOutcome) -> WebhookOutcome:
        with self.db.session() as s:
            self._processed(s, event, outcome)
        return outcome

    @staticmethod
    def _processed(s: Session, event: CheckoutEvent, outcome: str) -> None:
        s.execute(update(StripeEvent).where(StripeEvent.id == event.id).values(
            processed_at=datetime.now(UTC), outcome=outcome))
