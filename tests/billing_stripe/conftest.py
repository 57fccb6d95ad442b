"""Billing tests: a studio configured for Stripe top-ups against a local fake of Stripe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import make_settings
from miniaistudio.config import Settings

from .fake_stripe import FakeStripe, FakeStripeServer

STRIPE_KEY = "sk_test_fake0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_0123456789abcdef0123456789"


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    with FakeStripeServer(STRIPE_KEY) as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, stripe_fake: FakeStripe) -> Settings:
    """The suite's test settings, with Stripe configured against the fake."""
    return make_settings(tmp_path, stripe_secret_key=STRIPE_KEY, stripe_webhook_secret=WEBHOOK_SECRET,
                         stripe_api_base=stripe_fake.url)
