"""``GET /api/avatars``, ``POST /api/avatar/create`` and ``GET /api/voices``: stock avatars and the
caller's own (exactly one front-facing face, else refused), voices under the seed's ``avatars`` key."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import Api
from miraflow.conftest import FIXTURES, failure, miraflow_key, upload, xkey

pytestmark = pytest.mark.timeout(120)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def portrait(name: str) -> Image.Image:
    image = Image.open(FIXTURES / name)
    image.thumbnail((512, 512))
    return image.convert("RGB")


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    both = Image.new("RGB", (left.width + right.width, max(left.height, right.height)))
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    return both


async def test_stock_avatars_are_listed_with_the_seeds_fields(api: Api) -> None:
    key = await miraflow_key(api)
    r = await api.client.get("/api/avatars", headers=xkey(key))
    assert r.status_code == 200, r.text
    avatars = r.json()["avatars"]
    assert set(r.json()) == {"avatars"} and len(avatars) >= 2
    for avatar in avatars:
        assert set(avatar) == {"id", "name", "createdAt", "voiceId", "isPhoto"}, avatar
        assert ISO_MS.match(avatar["createdAt"]) and avatar["isPhoto"] is True


async def test_an_avatar_is_made_from_a_photo_with_one_front_facing_face(api: Api, make_user: Any) -> None:
    key = await miraflow_key(api)
    photo = await upload(api, jpeg(portrait("grace_hopper.jpg")), "grace.jpg", "image/jpeg")
    voices = (await api.client.get("/api/voices", headers=xkey(key))).json()["avatars"]
    r = await api.client.post("/api/avatar/create", json={"name": "Grace", "mediaId": photo,
                                                           "voiceId": voices[0]["id"]}, headers=xkey(key))
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["result"] == "success" and created["avatar"]["name"] == "Grace"
    assert created["avatar"]["voiceId"] == voices[0]["id"]
    listed = (await api.client.get("/api/avatars", headers=xkey(key))).json()["avatars"]
    assert listed[-1] == created["avatar"]
    # multipart: the photo as a file
    r = await api.client.post("/api/avatar/create", data={"name": "Eileen"}, headers=xkey(key),
                              files={"photo": ("eileen.jpg", jpeg(portrait("astronaut.png")), "image/jpeg")})
    assert r.status_code == 200, r.text
    # another user sees the stock avatars only, and cannot use the photo
    other = await make_user()
    other_key = await miraflow_key(other)
    theirs = (await api.client.get("/api/avatars", headers=xkey(other_key))).json()["avatars"]
    assert created["avatar"]["id"] not in {a["id"] for a in theirs}
    failure(await api.client.post("/api/avatar/create", json={"name": "x", "mediaId": photo}, headers=xkey(other_key)),
            404, "MEDIA_NOT_FOUND")


@pytest.mark.parametrize(("picture", "code"), [
    (lambda: Image.open(FIXTURES / "coffee.png"), "NO_FACE"),
    (lambda: side_by_side(portrait("grace_hopper.jpg"), portrait("astronaut.png")), "MULTIPLE_FACES"),
    (lambda: portrait("grace_hopper.jpg").rotate(45, expand=True, fillcolor=(40, 60, 160)), "FACE_NOT_FRONTAL"),
])
async def test_an_avatar_without_one_front_facing_face_is_refused(api: Api, picture: Any, code: str) -> None:
    key = await miraflow_key(api)
    photo = await upload(api, jpeg(picture()), "photo.jpg", "image/jpeg")
    before = (await api.client.get("/api/avatars", headers=xkey(key))).json()["avatars"]
    failure(await api.client.post("/api/avatar/create", json={"name": "Nobody", "mediaId": photo},
                                  headers=xkey(key)), 400, code)
    assert (await api.client.get("/api/avatars", headers=xkey(key))).json()["avatars"] == before


async def test_a_refused_multipart_photo_is_not_kept(api: Api) -> None:
    key = await miraflow_key(api)
    before = (await api.get("/api/v2/media")).json()
    failure(await api.client.post("/api/avatar/create", data={"name": "Mug"}, headers=xkey(key),
                                  files={"photo": ("mug.png", (FIXTURES / "coffee.png").read_bytes(), "image/png")}),
            400, "NO_FACE")
    assert (await api.get("/api/v2/media")).json() == before


async def test_unknown_voice_and_bad_bodies_are_refused(api: Api) -> None:
    key = await miraflow_key(api)
    photo = await upload(api, jpeg(portrait("grace_hopper.jpg")), "grace.jpg", "image/jpeg")
    failure(await api.client.post("/api/avatar/create", json={"name": "G", "mediaId": photo, "voiceId": "piper:nope"},
                                  headers=xkey(key)), 400, "VOICE_NOT_FOUND")
    failure(await api.client.post("/api/avatar/create", json={"mediaId": photo}, headers=xkey(key)), 400,
            "INVALID_REQUEST")


async def test_voices_are_listed_under_the_seeds_avatars_key(api: Api) -> None:
    key = await miraflow_key(api)
    r = await api.client.get("/api/voices", headers=xkey(key))
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"avatars"}
    voices = r.json()["avatars"]
    assert voices and all(set(v) == {"id", "name", "createdAt"} for v in voices)
    assert any(v["id"].startswith("espeak-ng:") for v in voices)


def test_stock_portraits_ship_with_the_package() -> None:
    from miniaistudio.services.miraflow_avatars import STOCK

    for avatar in STOCK:
        assert avatar.stock_file is not None and Path(avatar.stock_file).is_file()
