"""A studio with ``media_store=s3`` through its API: runs write outputs to the bucket and read them back,
signed download links redirect to presigned GETs, and Studii's and Miraflow's uploads go straight to the
bucket by presigned PUT, checked (size, sniffed type) when first used or finalized."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Api, edge, node
from miniaistudio.api.files.urls import SignedMediaUrls
from miniaistudio.core.errors import UploadNotFound, UploadTypeMismatch
from miniaistudio.core.policy import Principal
from miniaistudio.studio import Studio
from miraflow.conftest import miraflow_key, png, xkey
from studii.conftest import jpeg_bytes, studii_key

from .conftest import bucket_keys


def _s3(studio: Studio) -> Any:
    return studio.store


async def test_a_run_writes_outputs_to_the_bucket_and_reads_them_back(studio: Studio, api: Api,
                                                                       tmp_path: Path) -> None:
    session = await api.new_session()
    await api.save_graph(session, {
        "nodes": [node("c", "image.solid_color", width=48, height=32, color="#336699"),
                  node("a", "image.adjust", invert=True)],
        "edges": [edge("c", "image", "a", "image")]})
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    media_id = run["nodes"]["a"]["outputs"]["image"]["media_id"]
    record = (await api.get(f"/api/v2/media/{media_id}")).json()
    keys = bucket_keys(_s3(studio))
    assert len(keys) == 2 and all(k.endswith(".png") for k in keys)
    assert not any(studio.settings.resolved_media_dir.rglob("*.png"))  # nothing on the local media dir

    first = await api.get(f"/api/v2/media/{media_id}/download")
    assert first.status_code == 200 and len(first.content) == record["size_bytes"]
    # Another API process (an empty cache) serves the same bytes from the bucket.
    _s3(studio).cache.clear()
    assert not any(p.is_file() for p in studio.settings.media_cache_dir.rglob("*.png"))
    again = await api.get(f"/api/v2/media/{media_id}/download")
    assert again.status_code == 200 and again.content == first.content

    # A zip of outputs reads them through the store too.
    source = run["nodes"]["c"]["outputs"]["image"]["media_id"]
    zipped = await api.post("/api/v2/media/download-zip", json={"ids": [source, media_id]})
    assert zipped.status_code == 200, zipped.text
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert len(archive.namelist()) == 2

    # A signed link answers with a presigned GET at the bucket, which serves the bytes and Range.
    link = SignedMediaUrls(studio.signed_urls, "http://studio.test").media_download(media_id)
    r = await api.client.get(link)
    assert r.status_code == 307 and r.headers["cache-control"] == "no-store"
    presigned = r.headers["location"]
    assert presigned.startswith(studio.settings.s3_endpoint_url or "")
    async with httpx.AsyncClient() as outside:
        got = await outside.get(presigned)
        assert got.status_code == 200 and got.content == first.content
        assert got.headers["content-type"] == "image/png"
        assert "filename" in got.headers["content-disposition"]
        part = await outside.get(presigned, headers={"Range": "bytes=0-7"})
        assert part.status_code == 206 and part.content == first.content[:8]
    tampered = link.replace("signature=", "signature=x")
    assert (await api.client.get(tampered)).json()["code"] == "SIGNED_URL_INVALID"


async def test_studii_uploads_go_straight_to_the_bucket(studio: Studio, api: Api) -> None:
    key = await studii_key(api)
    owner = Principal(studio.accounts.user_id_by_email(api.email), api.email)
    r = await api.client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {key}"},
                              json={"filename": "kitchen.jpg", "content_type": "image/jpeg"})
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["signed_url"].startswith(f"{studio.settings.s3_endpoint_url}/{studio.settings.s3_bucket}/uploads/")
    data = jpeg_bytes()
    async with httpx.AsyncClient() as outside:
        wrong = await outside.put(created["signed_url"], content=data, headers={"Content-Type": "image/png"})
        assert wrong.status_code == 403  # the type is part of the signature
        put = await outside.put(created["signed_url"], content=data, headers={"Content-Type": "image/jpeg"})
        assert put.status_code == 200, put.text

    # First use: read back, sniffed, kept as the owner's media; the staged object goes.
    media_id = await asyncio.to_thread(studio.signed_uploads.resolve, owner, created["object_key"])
    record = (await api.get(f"/api/v2/media/{media_id}")).json()
    assert record["mime"] == "image/jpeg" and record["size_bytes"] == len(data)
    assert (await api.get(f"/api/v2/media/{media_id}/download")).content == data
    assert not [k for k in bucket_keys(_s3(studio)) if k.startswith("uploads/")]
    assert await asyncio.to_thread(studio.signed_uploads.resolve, owner, created["object_key"]) == media_id

    # Bytes of another type than declared are refused at first use, and nothing is kept.
    r = await api.client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {key}"},
                              json={"filename": "fake.jpg", "content_type": "image/jpeg"})
    fake = r.json()
    async with httpx.AsyncClient() as outside:
        await outside.put(fake["signed_url"], content=png(), headers={"Content-Type": "image/jpeg"})
    with pytest.raises(UploadTypeMismatch):  # what POST /api/v1/jobs answers with source_object_key=fake
        await asyncio.to_thread(studio.signed_uploads.resolve, owner, fake["object_key"])
    with pytest.raises(UploadNotFound):  # the upload is spent
        await asyncio.to_thread(studio.signed_uploads.resolve, owner, fake["object_key"])

    # Bytes PUT for an upload that is never used go when it expires.
    r = await api.client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {key}"},
                              json={"filename": "later.jpg", "content_type": "image/jpeg"})
    async with httpx.AsyncClient() as outside:
        await outside.put(r.json()["signed_url"], content=data, headers={"Content-Type": "image/jpeg"})
    assert [k for k in bucket_keys(_s3(studio)) if k.startswith("uploads/")]
    studio.signed_uploads.clock = lambda: time.time() + 7200 + 60  # the URL's two hours have passed
    assert await asyncio.to_thread(studio.signed_uploads.purge_expired) == 1
    assert not [k for k in bucket_keys(_s3(studio)) if k.startswith("uploads/")]
    assert not [k for k in bucket_keys(_s3(studio)) if k.startswith("uploads/")]


async def test_miraflow_uploads_go_straight_to_the_bucket(studio: Studio, api: Api) -> None:
    key = await miraflow_key(api)
    data = png((96, 64))

    async def initialize(size: int) -> dict[str, Any]:
        r = await api.client.post("/api/media/initialize", headers=xkey(key),
                                  json={"fileName": "my-image.png", "contentType": "image/png", "fileSize": size})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    started = await initialize(len(data))
    assert started["uploadUrl"].startswith(f"{studio.settings.s3_endpoint_url}/")
    early = await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": started["mediaId"]})
    assert early.json()["code"] == "UPLOAD_NOT_RECEIVED", early.text
    async with httpx.AsyncClient() as outside:
        put = await outside.put(started["uploadUrl"], content=data, headers={"Content-Type": "image/png"})
        assert put.status_code == 200, put.text
    done = await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": started["mediaId"]})
    assert done.status_code == 200 and done.json() == {"success": True}, done.text
    view = await api.client.get(f"/api/media/{started['mediaId']}/view", headers=xkey(key))
    assert view.status_code == 200 and view.content == data

    # More bytes than declared: refused at finalize, the upload is spent and nothing is kept.
    short = await initialize(len(data) - 1)
    async with httpx.AsyncClient() as outside:
        await outside.put(short["uploadUrl"], content=data, headers={"Content-Type": "image/png"})
    r = await api.client.post("/api/media/finalize", headers=xkey(key), json={"mediaId": short["mediaId"]})
    assert r.json()["code"] == "UPLOAD_SIZE_MISMATCH", r.text
    assert (await api.get(f"/api/v2/media/{short['mediaId']}")).status_code == 404
    assert not [k for k in bucket_keys(_s3(studio)) if k.startswith("uploads/")]
