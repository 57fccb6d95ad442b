"""C2PA Content Credentials on what the studio writes, checked with the C2PA library's own Reader:
images and videos verify, tampering is detected, edits name their ingredients, the AI flag follows
provenance, and an organisation's installed certificate signs what comes next."""

from __future__ import annotations

import http.server
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import c2pa
import pytest
from PIL import Image

from conftest import Api, download, edge, make_settings, media_record, node, output
from miniaistudio.config import Settings
from miniaistudio.runtimes.media.content_credentials import new_identity
from miniaistudio.store.tables import Media
from miniaistudio.studio import Studio


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, allow_private_urls=True)  # upload nodes may fetch from the local test server


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(root / "far.png")
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(http.server.SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges or []})
    return await api.run(session["id"])


async def upload(api: Api, path: Path) -> str:
    return str((await api.upload(None, path))["id"])

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/composite"


def library_read(path: Path, mime: str, anchors: bytes) -> dict[str, Any]:
    """The manifest store as the C2PA library reads it, trusting the studio's roots."""
    settings = c2pa.Settings.from_dict({"trust": {"user_anchors": anchors.decode()},
                                        "verify": {"verify_trust": True}})
    with c2pa.Context(settings=settings) as ctx, path.open("rb") as fh, c2pa.Reader(mime, fh, None, ctx) as reader:
        store: dict[str, Any] = json.loads(reader.json())
    return store


def active(store: dict[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = store["manifests"][store["active_manifest"]]
    return manifest


async def credentials(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}/credentials")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def png(tmp_path: Path, name: str = "photo.png") -> Path:
    path = tmp_path / name
    Image.radial_gradient("L").convert("RGB").resize((96, 64)).save(path)
    return path


async def test_a_generated_image_verifies_and_a_tampered_one_does_not(api: Api, studio: Studio,
                                                                       tmp_path: Path) -> None:
    run = await run_graph(api, [node("c", "image.solid_color", width=64, height=48, color="#3366ff")])
    media_id = output(run, "c", "image")["media_id"]
    path = await download(api, media_id, tmp_path)
    anchors = studio.content_signing.anchors()

    store = library_read(path, "image/png", anchors)
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    manifest = active(store)
    assert manifest["claim_generator_info"][0]["name"] == "Mini AI Studio"
    [created] = [a for x in manifest["assertions"] if x["label"].startswith("c2pa.actions")
                 for a in x["data"]["actions"]]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == ALGORITHMIC
    with Image.open(path) as img:  # the file is still an ordinary PNG with its provenance chunks
        assert img.size == (64, 48) and json.loads(img.info["parameters"])["node_type"] == "image.solid_color"

    summary = await credentials(api, media_id)
    assert (summary["present"], summary["verified"], summary["trusted"]) == (True, True, True)
    assert summary["ai_generated"] is False and summary["digital_source_type"] == ALGORITHMIC
    assert summary["engine"] is None or "ai" not in summary["engine"]
    assert summary["claim_generator"].startswith("Mini AI Studio ") and summary["signer"] == "Mini AI Studio signer"
    assert summary["ingredients"] == [] and summary["failures"] == []

    # flip bytes in the image data: the library reports the hash mismatch, and so does the API
    data = bytearray(path.read_bytes())
    at = data.index(b"IDAT") + 12
    data[at:at + 4] = bytes(b ^ 0xFF for b in data[at:at + 4])
    tampered = tmp_path / "tampered.png"
    tampered.write_bytes(bytes(data))
    store = library_read(tampered, "image/png", anchors)
    assert store["validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in {s["code"] for s in store["validation_status"]}
    with studio.store.local_path(storage_key(studio, media_id)) as stored:  # the gallery's own copy
        stored.write_bytes(bytes(data))
    summary = await credentials(api, media_id)
    assert summary["present"] is True and summary["verified"] is False
    assert "assertion.dataHash.mismatch" in summary["failures"]


def storage_key(studio: Studio, media_id: str) -> str:
    with studio.db.session() as s:
        row = s.get(Media, media_id)
        assert row is not None
        return str(row.storage_key)


async def test_a_video_verifies_and_an_edit_names_its_ingredients(api: Api, studio: Studio, test_video: Path,
                                                                   tmp_path: Path) -> None:
    video_id, photo_id = await upload(api, test_video), await upload(api, png(tmp_path))
    nodes = [node("v", "upload.video", media_ids=[video_id]), node("trim", "video.trim", start=0, end=1.0),
             node("p", "upload.image", media_ids=[photo_id]), node("adj", "image.adjust", brightness=1.4),
             node("again", "image.adjust", contrast=1.5)]
    edges = [edge("v", "video", "trim", "video"), edge("p", "image", "adj", "image"),
             edge("adj", "image", "again", "image")]
    run = await run_graph(api, nodes, edges)
    anchors = studio.content_signing.anchors()

    trimmed = output(run, "trim", "video")["media_id"]
    path = await download(api, trimmed, tmp_path)
    store = library_read(path, "video/mp4", anchors)
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    summary = await credentials(api, trimmed)
    assert summary["verified"] and summary["trusted"] and summary["ai_generated"] is False
    assert [a["action"] for a in summary["actions"]] == ["c2pa.opened", "c2pa.edited"]
    assert [(i["media_id"], i["relationship"]) for i in summary["ingredients"]] == [(video_id, "parentOf")]
    assert summary["ingredients"][0]["has_credentials"] is False  # an upload: nobody signed it
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=True)
    assert abs(float(probe.stdout) - 1.0) < 0.3  # still a playable MP4

    edited = output(run, "adj", "image")["media_id"]
    summary = await credentials(api, edited)
    assert summary["verified"] and summary["digital_source_type"] == COMPOSITE
    assert [(i["media_id"], i["relationship"]) for i in summary["ingredients"]] == [(photo_id, "parentOf")]
    assert summary["actions"][-1]["action"] == "c2pa.edited"
    # an edit of an edit: the ingredient brings its own (signed) manifest along
    twice = output(run, "again", "image")["media_id"]
    path = await download(api, twice, tmp_path)
    store = library_read(path, "image/png", anchors)
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    [ingredient] = active(store)["ingredients"]
    assert ingredient["relationship"] == "parentOf" and ingredient["active_manifest"] in store["manifests"]
    assert (await credentials(api, twice))["ingredients"][0] == {
        "title": ingredient["title"], "relationship": "parentOf", "format": "image/png", "media_id": edited,
        "has_credentials": True}
    # an upload has no credentials: answered as such, not as an error
    assert (await credentials(api, photo_id))["present"] is False


async def test_the_ai_flag_follows_provenance(api: Api, tmp_path: Path) -> None:
    """Classical nodes are not AI; what a model made is (the model node is in tests/models)."""
    photo_id = await upload(api, png(tmp_path))
    run = await run_graph(api, [node("p", "upload.image", media_ids=[photo_id]), node("adj", "image.adjust",
                                brightness=0.8), node("c", "image.solid_color", width=32, height=32)],
                          [edge("p", "image", "adj", "image")])
    for nid in ("adj", "c"):
        media_id = output(run, nid, "image")["media_id"]
        record = await media_record(api, media_id)
        summary = await credentials(api, media_id)
        assert summary["ai_generated"] is bool(record["metadata"].get("ai_generated")) is False, nid
        assert summary["node_type"] == record["metadata"]["node_type"]


async def test_media_credentials_follow_media_access(api: Api, make_user: Any) -> None:
    run = await run_graph(api, [node("c", "image.solid_color", width=16, height=16)])
    media_id = output(run, "c", "image")["media_id"]
    stranger = await make_user()
    r = await stranger.get(f"/api/v2/media/{media_id}/credentials")
    assert r.status_code == 404 and r.json()["code"] == "MEDIA_NOT_FOUND"
    r = await api.get("/api/v2/media/not-a-media-id/credentials")
    assert r.status_code == 404 and r.json()["code"] == "MEDIA_NOT_FOUND"


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miniaistudio.cli", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


async def test_an_installed_organisation_certificate_signs_what_comes_next(api: Api, studio: Studio,
                                                                            tmp_path: Path) -> None:
    before = output(await run_graph(api, [node("c", "image.solid_color", width=16, height=16)]), "c", "image")
    org = new_identity("Example Newsroom")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    chain.write_bytes(org.chain_pem)
    key.write_bytes(org.key_pem)
    wrong = tmp_path / "other-key.pem"
    wrong.write_bytes(new_identity().key_pem)

    data_dir = studio.settings.data_dir
    refused = run_cli(data_dir, "credentials", "install", "--cert", str(chain), "--key", str(wrong))
    assert refused.returncode != 0 and "does not belong" in refused.stderr
    done = run_cli(data_dir, "credentials", "install", "--cert", str(chain), "--key", str(key))
    assert done.returncode == 0, done.stderr
    assert "Example Newsroom signer" in done.stdout
    folder = data_dir / "content_credentials"
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in folder.glob("*.pem")} == {
        "signer_chain.pem": "0o600", "signer_key.pem": "0o600", "trust_anchors.pem": "0o600"}

    after = output(await run_graph(api, [node("c", "image.solid_color", width=16, height=16)]), "c", "image")
    summary = await credentials(api, after["media_id"])
    assert summary["signer"] == "Example Newsroom signer" and summary["trusted"] and summary["verified"]
    earlier = await credentials(api, before["media_id"])  # the studio's own root is still trusted
    assert earlier["signer"] == "Mini AI Studio signer" and earlier["trusted"]
    path = await download(api, after["media_id"], tmp_path)
    store = library_read(path, "image/png", org.anchors_pem)
    assert store["validation_state"] == "Trusted"
    assert active(store)["signature_info"]["issuer"] == "Example Newsroom"
    shown = run_cli(data_dir, "credentials", "show")
    assert shown.returncode == 0 and "Example Newsroom signer" in shown.stdout and "organisation" in shown.stdout


def test_the_signing_key_is_made_once_at_first_start(studio: Studio) -> None:
    folder = studio.settings.data_dir / "content_credentials"
    key = (folder / "signer_key.pem").read_bytes()
    assert oct((folder / "signer_key.pem").stat().st_mode & 0o777) == "0o600"
    again = Studio(studio.settings)
    try:
        assert (folder / "signer_key.pem").read_bytes() == key
    finally:
        again.close()


async def test_a_long_chain_of_edits_carries_a_bounded_ancestry(api: Api, studio: Studio, tmp_path: Path) -> None:
    """Each ingredient brings its manifests along; past EMBEDDED_GENERATIONS it is only named, so
    files at the end of long chains stay small and cheap to sign."""
    chain = [node("c", "image.solid_color", width=16, height=16),
             *(node(f"a{i}", "image.adjust", invert=True) for i in range(1, 8))]
    edges = [edge(a["id"], "image", b["id"], "image") for a, b in itertools.pairwise(chain)]
    run = await run_graph(api, chain, edges)
    anchors = studio.content_signing.anchors()
    sizes = {}
    for n in chain:
        media_id = output(run, n["id"], "image")["media_id"]
        store = library_read(await download(api, media_id, tmp_path), "image/png", anchors)
        assert store["validation_state"] == "Trusted", (n["id"], store.get("validation_status"))
        sizes[n["id"]] = len(store["manifests"])
    assert sizes == {"c": 1, "a1": 2, "a2": 3, "a3": 4, "a4": 5, "a5": 6, "a6": 1, "a7": 2}
    named = await credentials(api, output(run, "a6", "image")["media_id"])
    assert named["verified"] and [(i["media_id"], i["has_credentials"]) for i in named["ingredients"]] == [
        (output(run, "a5", "image")["media_id"], False)]


async def test_fetched_media_is_not_signed_but_named_as_an_ingredient(api: Api, file_server: str) -> None:
    """The studio signs only what it made: a file an upload node fetched from a URL keeps no studio claim."""
    run = await run_graph(api, [node("up", "upload.image", source_url=f"{file_server}/far.png"),
                                node("adj", "image.adjust", brightness=1.1)], [edge("up", "image", "adj", "image")])
    fetched = output(run, "up", "image")["media_id"]
    assert (await credentials(api, fetched))["present"] is False
    edited = await credentials(api, output(run, "adj", "image")["media_id"])
    assert edited["verified"] and [(i["media_id"], i["has_credentials"]) for i in edited["ingredients"]] == [
        (fetched, False)]


async def test_an_admin_installs_an_organisation_certificate_over_the_api(api: Api, make_user: Any) -> None:
    admin = await make_user(admin=True)
    org = new_identity("Example Agency")
    body = {"certificate_chain_pem": org.chain_pem.decode(), "private_key_pem": org.key_pem.decode()}
    r = await api.put("/api/v2/content-credentials/signer", json=body)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    r = await admin.put("/api/v2/content-credentials/signer",
                        json={**body, "private_key_pem": new_identity().key_pem.decode()})
    assert r.status_code == 400 and r.json()["code"] == "CREDENTIALS_INVALID"
    assert (await api.get("/api/v2/content-credentials/signer")).json() == {
        "subject": "O=Mini AI Studio,CN=Mini AI Studio signer", "organisation_installed": False}
    r = await admin.put("/api/v2/content-credentials/signer", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"subject": "O=Example Agency,CN=Example Agency signer", "organisation_installed": True}
    run = await run_graph(api, [node("c", "image.solid_color", width=16, height=16)])
    summary = await credentials(api, output(run, "c", "image")["media_id"])
    assert summary["signer"] == "Example Agency signer" and summary["verified"] and summary["trusted"]


async def test_pngs_written_behind_are_signed_with_their_ingredients(api: Api, studio: Studio, tmp_path: Path) -> None:
    """Large PNGs are encoded and written on the write-behind threads: signed there, after their ingredient."""
    run = await run_graph(api, [node("c", "image.solid_color", width=320, height=320),
                                node("a", "image.adjust", invert=True)], [edge("c", "image", "a", "image")])
    made, edited = output(run, "c", "image")["media_id"], output(run, "a", "image")["media_id"]
    store = library_read(await download(api, edited, tmp_path), "image/png", studio.content_signing.anchors())
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    assert len(store["manifests"]) == 2  # its own and the solid colour's, carried by the ingredient
    summary = await credentials(api, edited)
    assert [(i["media_id"], i["has_credentials"]) for i in summary["ingredients"]] == [(made, True)]
    assert (await credentials(api, made))["verified"]
