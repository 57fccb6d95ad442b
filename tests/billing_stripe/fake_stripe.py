"""A local fake of the two Stripe endpoints top-ups use, served on loopback for the real ``stripe`` SDK.

Stripe cannot be reached from our machines and stripe-mock is not installable, so this small server
answers ``POST /v1/checkout/sessions`` and ``GET /v1/checkout/sessions/{id}`` (with
``expand[]=payment_intent.latest_charge``) the way Stripe does: form-encoded requests in, JSON objects
out, ``Idempotency-Key`` honoured, errors in Stripe's ``{"error": {...}}`` shape. Response objects
carry every field the SDK's own types declare as always present (``test_fake_stripe_contract.py``
checks that against ``stripe.checkout.Session``, ``stripe.PaymentIntent`` and ``stripe.Charge``).

Tests then play Stripe's part in a payment: :meth:`FakeStripe.pay` marks a session paid, and
:func:`signed_event` builds the webhook event Stripe would send, signed with the SDK's own helper.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = stripe.api_version


@dataclass
class Recorded:
    """One request the fake received, as Stripe would see it."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    query: list[tuple[str, str]]


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def _stripe_error(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return status, {"error": error}


@dataclass
class FakeStripe:
    """The fake's state; ``url`` is its address for ``StripeClient(base_addresses={"api": url})``."""

    api_key: str
    url: str = ""
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    down: bool = False  # answer every request with a 500, as during an outage
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what Stripe does when the buyer pays -------------------------------------------------------------
    def pay(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """Complete the session (``payment_status`` "paid", or "unpaid" for a delayed method) and
        return the session object a ``checkout.session.*`` event carries."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            if session["payment_intent"] is None:
                session["payment_intent"] = _id("pi")
                session["_charge"] = _id("ch")
            return self.public(session)

    def settle(self, session_id: str) -> dict[str, Any]:
        """A delayed payment method succeeded: the session is now paid."""
        with self.lock:
            self.sessions[session_id]["payment_status"] = "paid"
            return self.public(self.sessions[session_id])

    @staticmethod
    def public(session: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def receipt_url(self, session_id: str) -> str:
        return f"https://pay.stripe.com/receipts/payment/{self.sessions[session_id]['_charge']}"

    # -- the API ------------------------------------------------------------------------------------------
    def handle(self, request: Recorded) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(request)
            if self.down:
                return _stripe_error(500, "api_error", "the fake is down")
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _stripe_error(401, "invalid_request_error", "Invalid API Key provided")
            if request.method == "POST" and request.path == "/v1/checkout/sessions":
                key = request.headers.get("idempotency-key", "")
                if key and key in self.idempotent:
                    return self.idempotent[key]
                answer = self._create(request.form)
                if key:
                    self.idempotent[key] = answer
                return answer
            if request.method == "GET" and request.path.startswith("/v1/checkout/sessions/"):
                expand = [v for k, v in request.query if k.startswith("expand[")]  # the SDK sends expand[0]=...
                return self._retrieve(request.path.rsplit("/", 1)[-1], expand)
            return _stripe_error(404, "invalid_request_error", f"Unrecognized request URL ({request.path})")

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        for required in ("mode", "success_url", "line_items[0][quantity]"):
            if required not in form:
                return _stripe_error(400, "invalid_request_error", f"Missing required param: {required}.",
                                     "parameter_missing")
        try:
            unit_amount = int(form["line_items[0][price_data][unit_amount]"])
            quantity = int(form["line_items[0][quantity]"])
        except (KeyError, ValueError):
            return _stripe_error(400, "invalid_request_error", "Invalid line_items", "parameter_invalid_integer")
        session_id = f"cs_test_{secrets.token_hex(24)}"
        now = int(time.time())
        metadata = {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}
        session: dict[str, Any] = {
            "id": session_id, "object": "checkout.session", "adaptive_pricing": {"enabled": False},
            "after_expiration": None, "allow_promotion_codes": None, "amount_subtotal": unit_amount * quantity,
            "amount_total": unit_amount * quantity,
            "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
            "billing_address_collection": None, "cancel_url": form.get("cancel_url"),
            "client_reference_id": form.get("client_reference_id"), "client_secret": None, "consent": None,
            "consent_collection": None, "created": now, "currency": form.get("line_items[0][price_data][currency]"),
            "custom_fields": [], "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                                                "terms_of_service_acceptance": None},
            "customer": None, "customer_creation": "if_required", "customer_details": None,
            "customer_email": form.get("customer_email"), "discounts": [], "expires_at": now + 24 * 3600,
            "invoice": None, "invoice_creation": None, "livemode": False, "locale": None, "metadata": metadata,
            "mode": form["mode"], "payment_intent": None, "payment_link": None,
            "payment_method_collection": "if_required", "payment_method_options": {},
            "payment_method_types": ["card"], "payment_status": "unpaid", "phone_number_collection": {"enabled": False},
            "recovered_from": None, "saved_payment_method_options": None, "setup_intent": None,
            "shipping_address_collection": None, "shipping_cost": None, "shipping_options": [], "status": "open",
            "submit_type": None, "subscription": None, "success_url": form["success_url"],
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}, "ui_mode": "hosted",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, self.public(session)

    def _retrieve(self, session_id: str, expand: list[str]) -> tuple[int, dict[str, Any]]:
        session = self.sessions.get(session_id)
        if session is None:
            return _stripe_error(404, "invalid_request_error", f"No such checkout.session: '{session_id}'",
                                 "resource_missing")
        answer = self.public(session)
        if session["payment_intent"] and any(e.startswith("payment_intent") for e in expand):
            charge: Any = session["_charge"]
            if "payment_intent.latest_charge" in expand:
                charge = self._charge(session)
            answer["payment_intent"] = self._payment_intent(session, charge)
        return 200, answer

    @staticmethod
    def _payment_intent(session: dict[str, Any], latest_charge: Any) -> dict[str, Any]:
        paid = session["payment_status"] == "paid"
        return {"id": session["payment_intent"], "object": "payment_intent", "amount": session["amount_total"],
                "amount_capturable": 0, "amount_received": session["amount_total"] if paid else 0,
                "capture_method": "automatic_async", "client_secret": None, "confirmation_method": "automatic",
                "created": session["created"], "currency": session["currency"], "latest_charge": latest_charge,
                "livemode": False, "metadata": {}, "payment_method_types": ["card"],
                "status": "succeeded" if paid else "processing"}

    def _charge(self, session: dict[str, Any]) -> dict[str, Any]:
        paid = session["payment_status"] == "paid"
        return {"id": session["_charge"], "object": "charge", "amount": session["amount_total"],
                "amount_captured": session["amount_total"] if paid else 0, "amount_refunded": 0,
                "billing_details": {"address": None, "email": session["customer_email"], "name": None,
                                    "phone": None, "tax_id": None},
                "captured": paid, "created": session["created"], "currency": session["currency"], "disputed": False,
                "livemode": False, "metadata": {}, "paid": paid, "payment_intent": session["payment_intent"],
                "receipt_url": self.receipt_url(session["id"]), "refunded": False,
                "status": "succeeded" if paid else "pending"}


def signed_event(event_type: str, session: dict[str, Any], secret: str, *, event_id: str | None = None,
                 timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The webhook body Stripe sends about ``session``, and its ``Stripe-Signature`` header made by the
    SDK's own helper (``timestamp`` in the past to play an old delivery)."""
    event = {"id": event_id or _id("evt"), "object": "event", "api_version": API_VERSION,
             "created": int(time.time()), "data": {"object": session}, "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "type": event_type}
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        recorded = Recorded(method=self.command, path=parts.path,
                            headers={k.lower(): v for k, v in self.headers.items()}, form=form,
                            query=parse_qsl(parts.query, keep_blank_values=True))
        status, answer = self.fake.handle(recorded)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", _id("req"))
        self.send_header("Stripe-Version", self.headers.get("stripe-version") or API_VERSION)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
        pass


class FakeStripeServer:
    """The fake served on 127.0.0.1 from a thread; a context manager."""

    def __init__(self, api_key: str) -> None:
        self.fake = FakeStripe(api_key=api_key)
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.fake.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fake-stripe", daemon=True)

    def __enter__(self) -> FakeStripe:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
