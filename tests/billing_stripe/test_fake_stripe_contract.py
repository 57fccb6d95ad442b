"""The fake's contract: the real ``stripe`` SDK talks to it as to Stripe, and what it answers has the
shape of the SDK's own types. If the SDK changes what it sends or expects, these fail first."""

from __future__ import annotations

import typing

import pytest
import stripe

from .conftest import STRIPE_KEY, WEBHOOK_SECRET
from .fake_stripe import API_VERSION, FakeStripe, signed_event


def required_fields(cls: type) -> set[str]:
    """Attributes the SDK's type declares as always present (not ``Optional``)."""
    fields = set()
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if isinstance(annotation, str):
                optional = annotation.startswith(("Optional[", "ClassVar["))
            else:
                optional = type(None) in typing.get_args(annotation) or typing.get_origin(annotation) is typing.ClassVar
            if not optional and not name.startswith("_") and name != "OBJECT_NAME":
                fields.add(name)
    return fields


def client(fake: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_KEY, base_addresses={"api": fake.url}, max_network_retries=0)


def create(fake: FakeStripe) -> stripe.checkout.Session:
    return client(fake).v1.checkout.sessions.create(params={
        "mode": "payment", "client_reference_id": "user-1", "customer_email": "buyer@example.com",
        "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 1000,
                                                      "product_data": {"name": "1,000 credits"}}}],
        "metadata": {"topup_id": "t-1", "credits": "1000"},
        "success_url": "http://studio.test/billing?ok={CHECKOUT_SESSION_ID}", "cancel_url": "http://studio.test/billing"},
        options={"idempotency_key": "topup-t-1"})


def test_the_sdk_sends_what_stripe_expects(stripe_fake: FakeStripe) -> None:
    create(stripe_fake)
    request = stripe_fake.requests[-1]
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == f"Bearer {STRIPE_KEY}"
    assert request.headers["idempotency-key"] == "topup-t-1"
    assert request.headers["stripe-version"] == API_VERSION
    assert request.form == {
        "mode": "payment", "client_reference_id": "user-1", "customer_email": "buyer@example.com",
        "line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "1000",
        "line_items[0][price_data][product_data][name]": "1,000 credits",
        "metadata[topup_id]": "t-1", "metadata[credits]": "1000",
        "success_url": "http://studio.test/billing?ok={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://studio.test/billing"}


def test_answers_parse_into_the_sdks_typed_objects(stripe_fake: FakeStripe) -> None:
    session = create(stripe_fake)
    assert isinstance(session, stripe.checkout.Session)
    raw = stripe_fake.public(stripe_fake.sessions[session.id])
    missing = required_fields(stripe.checkout.Session) - raw.keys()
    assert not missing, f"the fake's session lacks fields the SDK declares as always present: {sorted(missing)}"
    assert session.url and session.url.startswith("https://checkout.stripe.com/")
    assert (session.amount_total, session.currency, session.payment_status) == (1000, "usd", "unpaid")
    assert session.metadata is not None and session.metadata["credits"] == "1000"

    stripe_fake.pay(session.id)
    paid = client(stripe_fake).v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]})
    retrieve = stripe_fake.requests[-1]
    assert (retrieve.method, retrieve.query) == ("GET", [("expand[0]", "payment_intent.latest_charge")])
    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert isinstance(intent.latest_charge, stripe.Charge)
    assert intent.latest_charge.receipt_url == stripe_fake.receipt_url(session.id)
    answer = stripe_fake.handle(stripe_fake.requests[-1])[1]  # the same retrieve, as raw JSON
    for cls, obj in ((stripe.PaymentIntent, answer["payment_intent"]),
                     (stripe.Charge, answer["payment_intent"]["latest_charge"])):
        missing = required_fields(cls) - obj.keys()
        assert not missing, f"the fake's {cls.__name__} lacks {sorted(missing)}"


def test_the_fake_speaks_stripes_errors(stripe_fake: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client(stripe_fake).v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": stripe_fake.url}).v1.checkout.sessions.retrieve("x")
    first, again = create(stripe_fake), create(stripe_fake)  # the same idempotency key: the same session
    assert first.id == again.id and len(stripe_fake.sessions) == 1


def test_signed_events_verify_with_the_sdk(stripe_fake: FakeStripe) -> None:
    session = create(stripe_fake)
    payload, headers = signed_event("checkout.session.completed", stripe_fake.pay(session.id), WEBHOOK_SECRET)
    event = stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], WEBHOOK_SECRET)
    assert isinstance(event, stripe.Event) and event.type == "checkout.session.completed"
    assert isinstance(event.data.object, stripe.checkout.Session)
    assert event.data.object.payment_status == "paid"
    missing = required_fields(stripe.Event) - typing.cast(dict[str, object], event.to_dict()).keys()
    assert not missing, f"the fake's event lacks {sorted(missing)}"
