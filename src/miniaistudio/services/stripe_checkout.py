"""Stripe behind the calls top-ups make, through the official SDK: create a Checkout session for a
credit pack, read a paid session's payment reference and receipt, and verify webhook events.

Nothing else in the studio imports ``stripe``; SDK failures become studio errors with stable codes
(the SDK's message is logged, never echoed: it may quote request details).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import stripe

from ..config import CreditPack
from ..core.errors import BillingUnavailable, PaymentProviderError, WebhookSignatureInvalid

log = logging.getLogger(__name__)

#: Seconds one HTTP call to Stripe may take (the SDK's own default is 80 s).
STRIPE_TIMEOUT = 20
#: Seconds the webhook waits for a receipt link, once: Stripe expects its webhooks answered within seconds.
RECEIPT_TIMEOUT = 5
#: What the webhook asks to be told about (configure these events on the Stripe endpoint).
CHECKOUT_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded",
                             "checkout.session.async_payment_failed", "checkout.session.expired"})


@dataclass(frozen=True)
class CreatedCheckout:
    session_id: str
    url: str


@dataclass(frozen=True)
class PaymentDetails:
    """What the invoice cites: the PaymentIntent id and the card receipt's address, when Stripe has them."""

    payment_reference: str | None
    receipt_url: str | None


@dataclass(frozen=True)
class CheckoutEvent:
    """A verified webhook event about a Checkout session (``session_id`` empty for other events)."""

    id: str
    type: str
    session_id: str
    payment_status: str | None
    payment_reference: str | None
    amount_total: int | None
    currency: str | None


def verify_event(payload: bytes, signature: str, webhook_secret: str) -> CheckoutEvent:
    """The event in ``payload`` if ``signature`` (the ``Stripe-Signature`` header) signs it with
    ``webhook_secret`` within the SDK's tolerance (300 s), else ``WEBHOOK_SIGNATURE_INVALID``."""
    try:
        stripe.Webhook.construct_event(payload, signature, webhook_secret)  # verifies, then parses as the SDK would
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid("the Stripe-Signature header does not sign this body with the configured "
                                      "webhook secret, or it is too old",
                                      details={"reason": _signature_reason(exc)}) from None
    except (ValueError, UnicodeError, KeyError, TypeError):  # signed, yet not a Stripe event
        raise WebhookSignatureInvalid("the signed body is not a Stripe event",
                                      details={"reason": "malformed_event"}) from None
    return _checkout_event(event)


def _signature_reason(exc: stripe.SignatureVerificationError) -> str:
    text = str(exc)
    if "tolerance" in text:
        return "timestamp_too_old"
    if "timestamp" in text or "No signatures found with expected scheme" in text:
        return "malformed_header"
    return "mismatch"


def _checkout_event(event: object) -> CheckoutEvent:
    """The fields the studio reads, from the verified event's JSON (checked, not trusted for shape)."""
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookSignatureInvalid("the signed body is not a Stripe event", details={"reason": "malformed_event"})
    event_type: str = event["type"]
    session: dict[str, Any] = {}
    data = event.get("data")
    if event_type.startswith("checkout.session.") and isinstance(data, dict) and isinstance(data.get("object"), dict):
        session = data["object"]
    session_id = session.get("id")
    amount = session.get("amount_total")
    payment_intent = session.get("payment_intent")
    return CheckoutEvent(
        id=event["id"], type=event_type, session_id=session_id if isinstance(session_id, str) else "",
        payment_status=_text(session.get("payment_status")),
        payment_reference=payment_intent if isinstance(payment_intent, str) else _text(
            (payment_intent or {}).get("id") if isinstance(payment_intent, dict) else None),
        amount_total=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=_text(session.get("currency")))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class StripeCheckout:
    """One configured Stripe account (``stripe_secret_key``; ``api_base`` for a local fake)."""

    def __init__(self, secret_key: str, *, api_base: str | None = None) -> None:
        self._client = stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None,
                                           max_network_retries=2,
                                           http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT))
        self._webhook_client = stripe.StripeClient(secret_key,
                                                   base_addresses={"api": api_base} if api_base else None,
                                                   max_network_retries=0,
                                                   http_client=stripe.RequestsClient(timeout=RECEIPT_TIMEOUT))

    def create_session(self, *, topup_id: str, user_id: str, email: str, pack: CreditPack,
                       success_url: str, cancel_url: str) -> CreatedCheckout:
        """A hosted Checkout page selling ``pack`` once; the idempotency key is the top-up's id, so a
        retried call never makes a second session."""
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": user_id,
            "line_items": [{"quantity": 1, "price_data": {
                "currency": pack.currency, "unit_amount": pack.unit_amount,
                "product_data": {"name": pack.title}}}],
            "metadata": {"topup_id": topup_id, "pack_id": pack.id, "credits": str(pack.credits)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if "." in email.rpartition("@")[2]:  # Stripe refuses local names such as admin@localhost
            params["customer_email"] = email
        session = self._call(lambda: self._client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]  # the SDK's TypedDict, built as plain data
            options={"idempotency_key": f"topup-{topup_id}"}))
        if not session.url:
            raise PaymentProviderError("Stripe created a Checkout session without a page address")
        return CreatedCheckout(session_id=session.id, url=session.url)

    def payment_details(self, session_id: str) -> PaymentDetails:
        """The session's PaymentIntent and its charge's receipt (one quick call, expanded; no retries)."""
        session = self._call(lambda: self._webhook_client.v1.checkout.sessions.retrieve(
            session_id, params={"expand": ["payment_intent.latest_charge"]}))
        intent = session.payment_intent
        if isinstance(intent, str) or intent is None:
            return PaymentDetails(payment_reference=intent, receipt_url=None)
        charge = intent.latest_charge
        receipt = None if isinstance(charge, str) or charge is None else charge.receipt_url
        return PaymentDetails(payment_reference=intent.id, receipt_url=receipt)

    @staticmethod
    def _call(request: Any) -> Any:
        try:
            return request()
        except stripe.AuthenticationError:
            log.error("Stripe refused the configured secret key", exc_info=True)
            raise BillingUnavailable("Stripe refused the configured key: check MINIAI_STRIPE_SECRET_KEY") from None
        except stripe.StripeError as exc:
            log.error("Stripe request failed: %s", exc, exc_info=True)
            raise PaymentProviderError("the payment provider could not complete the request; try again",
                                       details={"provider_status": exc.http_status} if exc.http_status else None
                                       ) from None
