"""Signed uploads end to end: the seed's two steps, then each refusal of the PUT (another type, a
tampered or expired URL, a second PUT, bytes of another type, too many bytes), none of which keeps
anything; the object key names the file for its owner only."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select, update

from conftest import Api
from miniaistudio.services.signed_uploads import PURGE_INTERVAL_SECONDS
from miniaistudio.store.tables import Media, PendingUpload
from miniaistudio.studio import Studio

from .conftest import bearer, jpeg_bytes, png_bytes, studii_error, studii_key, uploaded


async def request_upload(client: httpx.AsyncClient, key: str, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/uploads", headers=bearer(key),
                          json={"filename": "kitchen.jpg", "content_type": "image/jpeg", **body})
    assert r.status_code == 200, r.text
    created: dict[str, Any] = r.json()
    return created


def media_count(studio: Studio) -> int:
    with studio.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Media)) or 0)


def scratch_files(studio: Studio) -> list[str]:
    scratch = studio.settings.scratch_dir
    return sorted(p.name for p in scratch.glob("upload-*")) if scratch.exists() else []


async def test_the_seeds_upload_flow(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    # Step 1, as the seed writes it.
    r = await api.client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {key}",
                                                           "Content-Type": "application/json"},
                              content='{\n  "filename": "kitchen.jpg",\n  "content_type": "image/jpeg"\n}')
    assert r.status_code == 200, r.text
    created = r.json()
    assert set(created) == {"object_key", "signed_url", "token", "expires_in"}
    assert created["expires_in"] == 7200
    assert created["object_key"].endswith(".jpg") and "/" in created["object_key"]
    url = urlsplit(created["signed_url"])
    assert created["signed_url"].startswith(studio.settings.resolved_public_url + "/api/files/upload?")
    assert parse_qs(url.query)["token"] == [created["token"]]

    # Step 2: PUT the bytes, no auth header, the same content type.
    data = jpeg_bytes()
    put = await api.client.put(created["signed_url"], headers={"Content-Type": "image/jpeg"}, content=data)
    assert put.status_code == 200, put.text
    assert put.json() == {"object_key": created["object_key"], "content_type": "image/jpeg", "size_bytes": len(data)}

    # The bytes are a media item of the owner, in their gallery.
    media_id = await asyncio.to_thread(studio.signed_uploads.resolve, _principal(studio, api), created["object_key"])
    record = (await api.get(f"/api/v2/media/{media_id}")).json()
    assert record["mime"] == "image/jpeg" and record["filename"] == "kitchen.jpg"
    assert (await api.get(f"/api/v2/media/{media_id}/download")).content == data

    # A second PUT to the same URL is refused, and keeps nothing.
    before = media_count(studio)
    again = await api.client.put(created["signed_url"], headers={"Content-Type": "image/jpeg"}, content=data)
    assert again.status_code == 409 and again.json()["code"] == "UPLOAD_ALREADY_USED"
    assert media_count(studio) == before


def _principal(studio: Studio, api: Api) -> Any:
    from miniaistudio.core.policy import Principal

    return Principal(studio.accounts.user_id_by_email(api.email), api.email)


async def test_each_refused_put_keeps_nothing_and_the_upload_stays_usable(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    created = await request_upload(api.client, key, file_size=len(jpeg_bytes()))
    url = created["signed_url"]
    before = media_count(studio)

    async def put(target: str, content: bytes, content_type: str | None = "image/jpeg") -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return await api.client.put(target, headers=headers, content=content)

    refusals = {
        "another declared type": (await put(url, jpeg_bytes(), "image/png"), 415, "UPLOAD_TYPE_MISMATCH"),
        "no content type": (await put(url, jpeg_bytes(), None), 415, "UPLOAD_TYPE_MISMATCH"),
        "bytes of another type": (await put(url, png_bytes()), 415, "UPLOAD_TYPE_MISMATCH"),
        "not media at all": (await put(url, b"#!/bin/sh\necho hi\n" * 3), 415, "UNSUPPORTED_MEDIA_TYPE"),
        "over the declared size": (await put(url, jpeg_bytes() + b"\0" * 10), 413, "UPLOAD_TOO_LARGE"),
        "a tampered token": (await put(url.replace("token=", "token=0"), jpeg_bytes()), 403, "SIGNED_URL_INVALID"),
        "a forged signature": (await put(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"), jpeg_bytes()),
                               403, "SIGNED_URL_INVALID"),
        "no token": (await api.client.put("/api/files/upload", headers={"Content-Type": "image/jpeg"},
                                          content=jpeg_bytes()), 422, "INVALID_REQUEST"),
    }
    for what, (answer, status, code) in refusals.items():
        assert (answer.status_code, answer.json().get("code")) == (status, code), (what, answer.text)
    assert media_count(studio) == before
    assert scratch_files(studio) == []
    with studio.db.session() as s:
        assert s.scalar(select(PendingUpload.status).where(PendingUpload.object_key == created["object_key"])) \
            == "pending"

    # After every refusal the right PUT still works, once.
    ok = await put(url, jpeg_bytes())
    assert ok.status_code == 200, ok.text
    assert media_count(studio) == before + 1


async def test_an_expired_upload_is_refused_and_purged(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    created = await request_upload(api.client, key)
    expired = studio.signed_uploads._token(created["token"].split(".")[0], int(time.time()) - 1)
    r = await api.client.put(f"/api/files/upload?token={expired}", headers={"Content-Type": "image/jpeg"},
                             content=jpeg_bytes())
    assert r.status_code == 403 and r.json()["code"] == "SIGNED_URL_EXPIRED", r.text
    with studio.db.session() as s:  # the upload's own expiry passes too
        s.execute(update(PendingUpload).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert await asyncio.to_thread(studio.signed_uploads.purge_expired) == 1
    r = await api.client.put(created["signed_url"], headers={"Content-Type": "image/jpeg"}, content=jpeg_bytes())
    assert r.status_code == 403 and r.json()["code"] in ("SIGNED_URL_EXPIRED",), r.text
    assert media_count(studio) == 0


async def test_upload_requests_are_checked(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    cases = [({"filename": "a.exe", "content_type": "application/x-msdownload"}, "content_type"),
             ({"content_type": "image/jpeg"}, "filename"),
             ({"filename": "a.jpg"}, "content_type"),
             ({"filename": "", "content_type": "image/jpeg"}, "filename")]
    for body, field in cases:
        r = await api.client.post("/api/v1/uploads", headers=bearer(key), json=body)
        assert r.status_code == 400, r.text
        error = studii_error(r)
        assert error["code"] == "invalid_request" and field in error["error"], error
    r = await api.client.post("/api/v1/uploads", json={"filename": "a.jpg", "content_type": "image/jpeg"})
    assert r.status_code == 401 and studii_error(r)["code"] == "missing_api_key"


async def test_an_object_key_is_its_owners_only(studio: Studio, make_user: Any) -> None:
    owner, stranger = await make_user(), await make_user()
    object_key = await uploaded(owner.client, await studii_key(owner))
    r = await stranger.client.post("/api/v1/jobs", headers=bearer(await studii_key(stranger)),
                                   json={"tool": "photo-restore", "inputs": {}, "source_object_key": object_key})
    assert r.status_code == 404, r.text
    error = studii_error(r)
    assert error["code"] == "object_not_found" and object_key in error["error"]


async def test_creating_uploads_sweeps_expired_ones_at_most_every_few_minutes(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    uploads, t0 = studio.signed_uploads, time.time()

    def pending_keys() -> set[str]:
        with studio.db.session() as s:
            return set(s.scalars(select(PendingUpload.object_key)))

    def expire(object_key: str) -> None:
        with studio.db.session() as s:
            s.execute(update(PendingUpload).where(PendingUpload.object_key == object_key)
                      .values(expires_at=datetime.fromtimestamp(t0, UTC) - timedelta(seconds=1)))

    try:
        uploads.clock = lambda: t0
        first = (await request_upload(api.client, key))["object_key"]
        expire(first)
        uploads.clock = lambda: t0 + PURGE_INTERVAL_SECONDS + 1  # a sweep is due: the expired one goes
        second = (await request_upload(api.client, key))["object_key"]
        assert pending_keys() == {second}
        expire(second)
        uploads.clock = lambda: t0 + PURGE_INTERVAL_SECONDS + 2  # a second later: no sweep yet
        third = (await request_upload(api.client, key))["object_key"]
        assert pending_keys() == {second, third}
        uploads.clock = lambda: t0 + 2 * PURGE_INTERVAL_SECONDS + 2  # due again
        fourth = (await request_upload(api.client, key))["object_key"]
        assert pending_keys() == {third, fourth}
    finally:
        uploads.clock = time.time
