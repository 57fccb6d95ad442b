"""New accounts get the configured starting grant once, however they were created (sign-up, CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PASSWORD, Api, make_settings
from miniaistudio.config import Settings
from miniaistudio.studio import Studio


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, billing="credits", billing_starting_grant=25)


async def test_every_new_account_gets_the_starting_grant_once(api: Api, studio: Studio) -> None:
    for _ in range(3):
        r = await api.get("/api/v2/billing/balance")
        assert r.json() == {"available": 25, "reserved": 0, "total": 25, "billing": "credits"}
    uid = str((await api.get("/api/v2/auth/me")).json()["id"])
    assert [(e.kind, e.amount, e.reason) for e in studio.credits.entries(uid).entries] == \
        [("grant", 25, "starting grant")]

    other = studio.accounts.create_user("cli-made@example.com", PASSWORD)  # what `users create` does
    studio.credits.hold(other.id, 20, actor_id=other.id)  # the first use opens the account with its grant
    assert studio.credits.balance(other.id).available == 5
    assert all(c.ok for c in studio.credits.verify())
