"""Miraflow's direct upload: ``/api/media/initialize`` → PUT to the signed ``uploadUrl`` → ``/api/media/finalize``,
then the media id works in every other call. Each refusal keeps nothing; an upload never finalized goes."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

from PIL import Image

from conftest import Api
from miniaistudio.studio import Studio

from .conftest import failure, miraflow_key, png, xkey


async def initialize(api: Api, key: str, size: int, name: str = "my-image.png",
                     mime: str = "image/png") -> dict[str, Any]:
    r = await api.client.post("/api/media/initialize", headers=xkey(key),
                              json={"fileName": name, "contentType": mime, "fileSize": size})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"mediaId", "uploadUrl"}
    return body


async def test_the_seeds_upload_flow_and_the_media_id_everywhere(studio: Studio, api: Api) -> None:
    key = await miraflow_key(api)
    # the seed's example body, literally
    r = await api.client.post("/api/media/initialize", headers={**xkey(key), "Content-Type": "application/json"},
                              content='{"fileName": "my-image.png", "contentType": "image/png", "fileSize": 1024000}')
    assert r.status_code == 200, r.text
    assert r.json()["uploadUrl"].startswith(studio.settings.resolved_public_url + "/api/files/upload?token=")

    data = png((96, 64))
    started = await initialize(api, key, len(data))
    put = await api.client.put(started["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    assert put.status_code == 200, put.text
    r = await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": started["mediaId"]})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    again = await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": started["mediaId"]})
    assert again.json() == {"success": True}  # idempotent

    view = await api.client.get(f"/api/media/{started['mediaId']}/view", headers=xkey(key))
    assert view.status_code == 200 and view.content == data
    # a gallery media of the caller, under the id initialize promised
    record = (await api.get(f"/api/v2/media/{started['mediaId']}")).json()
    assert record["filename"] == "my-image.png" and record["size_bytes"] == len(data)
    # usable by id in other calls: a thumbnail with it as a reference is accepted
    r = await api.client.post("/api/thumbnail/generate", headers=xkey(key),
                              json={"prompt": "A cozy cabin", "name": "cabin",
                                    "referenceImageMediaIds": [started["mediaId"]]})
    assert r.status_code == 200 and r.json()["result"] == "success", r.text


async def test_refusals_keep_nothing(studio: Studio, api: Api, make_user) -> None:  # type: ignore[no-untyped-def]
    key = await miraflow_key(api)
    data = png()

    # finalize before the bytes arrived
    early = await initialize(api, key, 5000)
    failure(await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": early["mediaId"]}),
            400, "UPLOAD_NOT_RECEIVED")

    # bytes of another type than declared: refused at the PUT, nothing kept
    jpeg = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(jpeg, format="JPEG")
    put = await api.client.put(early["uploadUrl"], headers={"Content-Type": "image/png"}, content=jpeg.getvalue())
    assert put.status_code == 415, put.text
    # the wrong Content-Type header is refused too
    put = await api.client.put(early["uploadUrl"], headers={"Content-Type": "image/jpeg"}, content=data)
    assert put.status_code == 415, put.text
    failure(await api.client.get(f"/api/media/{early['mediaId']}/view", headers=xkey(key)), 404, "MEDIA_NOT_FOUND")

    # fewer bytes than declared: finalize refuses and discards the file
    short = await initialize(api, key, len(data) + 10)
    put = await api.client.put(short["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    assert put.status_code == 200, put.text
    body = failure(await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": short["mediaId"]}),
                   400, "UPLOAD_SIZE_MISMATCH")
    assert body["details"] == {"declared": len(data) + 10, "received": len(data)}
    failure(await api.client.get(f"/api/media/{short['mediaId']}/view", headers=xkey(key)), 404, "MEDIA_NOT_FOUND")

    # another user cannot finalize (or see) someone else's upload
    other = await make_user()
    other_key = await miraflow_key(other)
    mine = await initialize(api, key, len(data))
    await api.client.put(mine["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    failure(await api.client.post("/api/media/finalize", headers=xkey(other_key), json={"mediaId": mine["mediaId"]}),
            404, "UPLOAD_NOT_FOUND")
    failure(await api.client.get(f"/api/media/{mine['mediaId']}/view", headers=xkey(other_key)), 404, "MEDIA_NOT_FOUND")
    # bad bodies answer the seed's failure shape, naming the field
    failure(await api.client.post("/api/media/initialize", headers=xkey(key),
                                  json={"fileName": "x.png", "contentType": "image/png", "fileSize": 0}), 400,
            "INVALID_REQUEST")


async def test_an_upload_never_finalized_expires_with_its_media(studio: Studio, api: Api) -> None:
    key = await miraflow_key(api)
    data = png()
    started = await initialize(api, key, len(data))
    await api.client.put(started["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    finalized = await initialize(api, key, len(data))
    await api.client.put(finalized["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    assert (await api.client.post("/api/media/finalize", headers=xkey(key),
                                  json={"mediaId": finalized["mediaId"]})).status_code == 200

    later = time.time() + 7200 + 3600 + 5  # past the URL's life and the finalize grace
    studio.signed_uploads.clock = lambda: later
    try:
        assert await asyncio.to_thread(studio.signed_uploads.purge_expired) == 1
    finally:
        studio.signed_uploads.clock = time.time
    failure(await api.client.get(f"/api/media/{started['mediaId']}/view", headers=xkey(key)), 404, "MEDIA_NOT_FOUND")
    view = await api.client.get(f"/api/media/{finalized['mediaId']}/view", headers=xkey(key))
    assert view.status_code == 200 and view.content == data


async def test_an_upload_is_in_the_gallery_only_once_finalized(api: Api) -> None:
    key = await miraflow_key(api)
    data = png()
    started = await initialize(api, key, len(data))
    put = await api.client.put(started["uploadUrl"], headers={"Content-Type": "image/png"}, content=data)
    assert put.status_code == 200, put.text

    async def gallery_ids() -> list[str]:
        r = await api.get("/api/v2/media", params={"page_size": 100})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == sum(len(g["items"]) for g in r.json()["groups"])
        return [item["id"] for group in r.json()["groups"] for item in group["items"]]

    assert started["mediaId"] not in await gallery_ids()
    assert (await api.client.post("/api/media/finalize", headers=xkey(key),
                                  json={"mediaId": started["mediaId"]})).status_code == 200
    assert await gallery_ids() == [started["mediaId"]]
