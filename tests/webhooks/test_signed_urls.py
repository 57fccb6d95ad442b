"""Signed download links: absolute, time-limited, no auth header; expired, tampered or moved to another
media item → 403 with a code; unknown media → 404. Through the real app over HTTP."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conftest import FIXTURES, Api, make_settings
from miniaistudio.api.files.urls import SignedMediaUrls
from miniaistudio.app import create_app
from miniaistudio.core.errors import StudioError
from miniaistudio.core.urls import Urls
from miniaistudio.services.signed_urls import SignedUrls
from miniaistudio.studio import Studio


def error_code(r: httpx.Response) -> str:
    return str(r.json()["code"])


def split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


async def test_signed_links_serve_media_without_auth(studio: Studio, client: httpx.AsyncClient, api: Api,
                                                     tmp_path: Path) -> None:
    session = await api.new_session()
    photo = FIXTURES / sorted(p.name for p in FIXTURES.iterdir() if p.suffix == ".png")[0]
    media = await api.upload(session["id"], photo)
    other = await api.upload(session["id"], photo)
    urls: Urls = SignedMediaUrls(studio.signed_urls, "https://studio.example.com/")
    url = urls.media_download(media["id"])
    assert url.startswith(f"https://studio.example.com/api/files/media/{media['id']}?expires=")
    path, query = split(url)

    r = await client.get(path, params=query)  # no Authorization header, no cookie
    assert r.status_code == 200 and r.content == photo.read_bytes()
    assert r.headers["content-type"] == "image/png" and r.headers["x-content-type-options"] == "nosniff"

    ranged = await client.get(path, params=query, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == photo.read_bytes()[:10]
    assert ranged.headers["content-range"].startswith("bytes 0-9/")
    bad_range = await client.get(path, params=query, headers={"Range": "bytes=999999999-"})
    assert bad_range.status_code == 416 and error_code(bad_range) == "RANGE_NOT_SATISFIABLE"

    tampered_signature = {**query, "signature": query["signature"][:-2] + ("AA" if query["signature"][-2:] != "AA"
                                                                           else "BB")}
    later = {**query, "expires": str(int(query["expires"]) + 3600)}  # extending a link breaks its signature
    for params in (tampered_signature, later, {**query, "signature": ""}, {**query, "signature": "x" * 64}):
        r = await client.get(path, params=params)
        assert r.status_code == 403 and error_code(r) == "SIGNED_URL_INVALID", params
    r = await client.get(f"/api/files/media/{other['id']}", params=query)  # another media id, same signature
    assert r.status_code == 403 and error_code(r) == "SIGNED_URL_INVALID"

    expired = studio.signed_urls.sign(media["id"], ttl_seconds=-1)
    r = await client.get(path, params={"expires": expired.expires, "signature": expired.signature})
    assert r.status_code == 403 and error_code(r) == "SIGNED_URL_EXPIRED"

    for unknown in ("00000000-0000-4000-8000-000000000000", "not-a-media-id"):
        link = studio.signed_urls.sign(unknown)
        r = await client.get(f"/api/files/media/{unknown}", params={"expires": link.expires,
                                                                    "signature": link.signature})
        assert r.status_code == 404 and error_code(r) == "MEDIA_NOT_FOUND"

    for params in ({}, {"expires": "soon", "signature": query["signature"]}, {**query, "expires": "-5"},
                   {**query, "expires": str(2**70)}, {**query, "signature": "s" * 65}):
        r = await client.get(path, params=params)
        assert r.status_code == 422 and error_code(r) == "INVALID_REQUEST", params
    r = await client.get("/api/files/nothing-here")
    assert r.status_code == 404 and error_code(r) == "NOT_FOUND"


def test_links_stop_working_when_the_server_secret_changes(studio: Studio) -> None:
    link = studio.signed_urls.sign("00000000-0000-4000-8000-000000000000")
    rotated = SignedUrls("another-server-secret-0123456789abcdef", 60)
    with pytest.raises(StudioError) as refused:
        rotated.check(link.media_id, link.expires, link.signature)
    assert refused.value.code == "SIGNED_URL_INVALID"
    studio.signed_urls.check(link.media_id, link.expires, link.signature)  # still good under its own


async def test_the_public_url_host_is_answered(tmp_path: Path) -> None:
    """Links are handed out under ``public_url``, so the studio answers to its host (DNS-rebinding guard)."""
    studio = Studio(make_settings(tmp_path, public_url="https://files.example.com/"))
    app = create_app(studio.settings, studio)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://files.example.com") as c:
        assert (await c.get("/api/v2/ping")).status_code == 200
        other = await c.get("/api/v2/ping", headers={"Host": "elsewhere.example.com"})
        assert other.status_code == 400 and error_code(other) == "HOST_NOT_ALLOWED"
    url = SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url).media_download("m")
    assert url.startswith("https://files.example.com/api/files/media/m?expires=")
    studio.close()
