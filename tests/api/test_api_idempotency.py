"""``Idempotency-Key`` on the creating POSTs of /api/v2, through the real app: a repeated request
gets the first answer replayed, a reused key with another body is refused, a duplicate sent while
the first is still being answered is refused, and keys are per caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from PIL import Image

from conftest import Api

KEY = {"Idempotency-Key": "create-demo-1"}


async def _session_count(api: Api) -> int:
    r = await api.get("/api/v2/sessions")
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


async def test_same_key_same_body_replays_the_first_answer(api: Api) -> None:
    first = await api.post("/api/v2/sessions", json={"name": "Once"}, headers=KEY)
    again = await api.post("/api/v2/sessions", json={"name": "Once"}, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await _session_count(api) == 1
    # without a key, or with another key, the request creates again
    assert (await api.post("/api/v2/sessions", json={"name": "Once"})).status_code == 201
    other = await api.post("/api/v2/sessions", json={"name": "Once"}, headers={"Idempotency-Key": "create-demo-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert await _session_count(api) == 3


async def test_same_key_other_body_or_path_is_refused(api: Api) -> None:
    assert (await api.post("/api/v2/sessions", json={"name": "A"}, headers=KEY)).status_code == 201
    other_body = await api.post("/api/v2/sessions", json={"name": "B"}, headers=KEY)
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    session = (await api.get("/api/v2/sessions")).json()["items"][0]
    other_path = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"}, headers=KEY)
    assert other_path.status_code == 422
    assert other_path.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _session_count(api) == 1


async def test_keys_belong_to_their_caller(make_user: Callable[..., Any]) -> None:
    alice, bob = await make_user(), await make_user()
    a = await alice.post("/api/v2/sessions", json={"name": "Mine"}, headers=KEY)
    b = await bob.post("/api/v2/sessions", json={"name": "Mine"}, headers=KEY)
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers and a.json()["id"] != b.json()["id"]


async def test_a_duplicate_while_the_first_is_answered_is_refused(api: Api) -> None:
    release = asyncio.Event()
    reading = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:  # the first request is held mid-body
        reading.set()  # the app reads the body only once the key is claimed
        yield b'{"name": '
        await release.wait()
        yield b'"Slow"}'

    first = asyncio.create_task(api.post("/api/v2/sessions", content=slow_body(),
                                         headers={**KEY, "Content-Type": "application/json"}))
    await asyncio.wait_for(reading.wait(), timeout=60)
    for _ in range(200):  # until the first request holds the key
        await asyncio.sleep(0.01)
        duplicate = await api.post("/api/v2/sessions", json={"name": "Slow"}, headers=KEY)
        if duplicate.status_code == 409:
            break
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT"
    assert duplicate.headers["retry-after"] == "1"
    release.set()
    answered = await first
    assert answered.status_code == 201, answered.text
    replayed = await api.post("/api/v2/sessions", json={"name": "Slow"}, headers=KEY)
    # the fingerprint is of the bytes: the streamed body and httpx's JSON differ in spacing
    assert replayed.status_code == 422
    assert await _session_count(api) == 1


async def test_errors_that_did_nothing_are_not_kept(api: Api) -> None:
    missing = await api.post("/api/v2/session/execute", session="00000000-0000-4000-8000-000000000000",
                             json={"mode": "full"}, headers=KEY)
    assert missing.status_code == 404
    replayed = await api.post("/api/v2/session/execute", session="00000000-0000-4000-8000-000000000000",
                              json={"mode": "full"}, headers=KEY)
    assert replayed.headers.get("idempotent-replayed") == "true"  # a 4xx answer is the answer
    unauthenticated = await api.client.post("/api/v2/sessions", json={"name": "x"},
                                            headers={**KEY, "Authorization": "Bearer not-a-token"})
    assert unauthenticated.status_code == 401


async def test_upload_replays(api: Api, tmp_path: Path) -> None:
    image = tmp_path / "dot.png"
    Image.new("RGB", (4, 4), "red").save(image)
    sent = []
    for _ in range(2):
        with image.open("rb") as fh:
            sent.append(await api.post("/api/v2/media/upload", files={"file": ("dot.png", fh, "image/png")},
                                       headers={"Idempotency-Key": "upload-1"}))
    assert sent[0].status_code == sent[1].status_code == 201, sent[0].text
    assert sent[1].json()["id"] == sent[0].json()["id"]
    assert sent[1].headers["idempotent-replayed"] == "true"  # though httpx drew a new multipart boundary
    with image.open("rb") as fh:
        other = await api.post("/api/v2/media/upload", files={"file": ("other.png", fh, "image/png")},
                               headers={"Idempotency-Key": "upload-1"})
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_invalid_key_is_refused(api: Api) -> None:
    r = await api.post("/api/v2/sessions", json={"name": "x"}, headers={"Idempotency-Key": "k" * 256})
    assert r.status_code == 422
    assert r.json()["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert await _session_count(api) == 0
