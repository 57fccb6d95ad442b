"""Costly media: limits on pixels, sides, duration and frames at upload and before a node decodes;
bombs, odd types and corrupt files answer stable codes; media filters never 500; downloads are
named after what the bytes are."""

from __future__ import annotations

import http.server
import io
import struct
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import FIXTURES, Api, error_code, ffmpeg_media, make_settings, node
from miniaistudio.config import Settings
from miniaistudio.store.tables import Media
from miniaistudio.studio import Studio

PNG = FIXTURES / "chelsea.png"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The usual test settings, trusting a loopback HTTP server for the node-side fetch test."""
    return make_settings(tmp_path, allow_private_urls=True)


def png_bytes(width: int, height: int, mode: str = "1") -> bytes:
    """A PNG that is tiny on disk and huge once decoded (1-bit, one colour)."""
    buf = io.BytesIO()
    Image.new(mode, (width, height)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def gif_bytes(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("P", (width, height)).save(buf, "GIF")
    return buf.getvalue()


def long_mkv(tmp_path: Path, seconds: float = 3_000_000.0) -> Path:
    """A one-second Matroska video whose header declares ``seconds`` of duration."""
    src = ffmpeg_media(tmp_path, "short.mkv", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                       "-c:v", "libx264")
    data = bytearray(src.read_bytes())
    at = data.find(b"\x44\x89")  # Segment Info / Duration, in milliseconds
    assert at > 0 and data[at + 2] in (0x84, 0x88)
    struct.pack_into(">d" if data[at + 2] == 0x88 else ">f", data, at + 3, seconds * 1000)
    out = tmp_path / "long.mkv"
    out.write_bytes(bytes(data))
    return out


def stored_files(studio: Studio) -> list[Path]:
    roots = [studio.settings.resolved_media_dir, studio.settings.scratch_dir]
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file())


def media_rows(studio: Studio) -> int:
    with studio.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Media)) or 0)


async def refused(api: Api, studio: Studio, name: str, data: bytes, status: int, code: str) -> dict[str, Any]:
    """Upload ``data``; assert the stable refusal and that nothing was kept on disk or in the DB."""
    before = media_rows(studio)
    r = await api.post("/api/v2/media/upload", files={"file": (name, data)})
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert "/" not in body["message"].replace("image/", "").replace("video/", ""), body  # no server paths
    assert media_rows(studio) == before
    assert stored_files(studio) == []
    return body


# -- at upload ------------------------------------------------------------------------------------
async def test_huge_pictures_are_refused_at_upload(api: Api, studio: Studio) -> None:
    assert studio.settings.max_image_pixels == Image.MAX_IMAGE_PIXELS  # Pillow's guard follows the setting
    big = png_bytes(12000, 12000)
    assert len(big) < 200_000
    body = await refused(api, studio, "big.png", big, 413, "IMAGE_TOO_LARGE")
    assert body["details"]["max_pixels"] == studio.settings.max_image_pixels
    # over the side limit, within Pillow's own guard
    body = await refused(api, studio, "tall.png", png_bytes(100, 17000), 413, "IMAGE_TOO_LARGE")
    assert body["details"]["height"] == 17000 and "max_image_side" in body["message"]
    # under the side limit but over the pixel limit (16k x 5k = 80 MP > 64 MP)
    await refused(api, studio, "wide.png", png_bytes(16000, 5000), 413, "IMAGE_TOO_LARGE")
    # a GIF decompression bomb, and a raw-body upload take the same path
    await refused(api, studio, "bomb.gif", gif_bytes(20000, 20000), 413, "IMAGE_TOO_LARGE")
    r = await api.post("/api/v2/media/upload", content=big, headers={"X-Filename": "raw.png"})
    assert r.status_code == 413 and r.json()["code"] == "IMAGE_TOO_LARGE"
    # an ordinary image still goes in
    r = await api.post("/api/v2/media/upload", files={"file": ("cat.png", PNG.read_bytes())})
    assert r.status_code == 201, r.text


async def test_declared_duration_over_the_limit_is_refused(api: Api, studio: Studio, tmp_path: Path) -> None:
    video = long_mkv(tmp_path)
    body = await refused(api, studio, "long.mkv", video.read_bytes(), 413, "MEDIA_TOO_LONG")
    assert body["details"]["duration"] == pytest.approx(3_000_000, rel=1e-3)


async def test_svg_truncated_and_junk_files_answer_415(api: Api, studio: Studio, test_video: Path) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    await refused(api, studio, "logo.svg", svg, 415, "UNSUPPORTED_MEDIA_TYPE")
    await refused(api, studio, "cut.png", PNG.read_bytes()[:5000], 415, "UNSUPPORTED_MEDIA_TYPE")
    await refused(api, studio, "cut.mp4", test_video.read_bytes()[:3000], 415, "UNSUPPORTED_MEDIA_TYPE")
    await refused(api, studio, "junk.mp4", bytes(range(256)) * 40, 415, "UNSUPPORTED_MEDIA_TYPE")


# -- before a node decodes ------------------------------------------------------------------------
@pytest.fixture
def web_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


async def test_upload_nodes_refuse_costly_media_fetched_by_url(api: Api, studio: Studio, tmp_path: Path,
                                                               web_root: tuple[Path, str]) -> None:
    root, base = web_root
    (root / "big.png").write_bytes(png_bytes(12000, 12000))
    long_mkv(tmp_path).rename(root / "long.mkv")
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [
        node("img", "upload.image", source_url=f"{base}/big.png"),
        node("vid", "upload.video", source_url=f"{base}/long.mkv", x=300),
    ], "edges": []})
    run = await api.run(session["id"])
    assert error_code(run, "img") == "IMAGE_TOO_LARGE"
    assert error_code(run, "vid") == "MEDIA_TOO_LONG"
    assert media_rows(studio) == 0


def _add_media(studio: Studio, api_user_id: str, data: bytes, ext: str, width: int, height: int) -> str:
    """A gallery row as an older studio (or looser limits) would have left it."""
    media_id = f"00000000-0000-4000-8000-{len(data) % 10**12:012d}"
    key = f"2020/01/{media_id}.{ext}"
    studio.store.put_bytes(key, data)
    with studio.db.session() as s:
        s.add(Media(id=media_id, owner_id=api_user_id, session_id=None, node_id=None, run_id=None,
                    origin="upload", kind="image", mime=f"image/{ext}", filename=f"old.{ext}", storage_key=key,
                    size_bytes=len(data), width=width, height=height, duration=None, codecs={}, meta={},
                    created_at=datetime.now(UTC)))
    return media_id


async def test_nodes_check_the_file_header_before_decoding(api: Api, studio: Studio) -> None:
    user_id = (await api.get("/api/v2/auth/me")).json()["id"]
    # recorded as small, but the header declares 12000x12000: the header decides
    lying = _add_media(studio, user_id, png_bytes(12000, 12000), "png", 64, 64)
    corrupt = _add_media(studio, user_id, PNG.read_bytes()[:3000] + b"\0" * 7, "png", 64, 64)
    nodes = [node("a", "upload.image", media_ids=[lying]), node("b", "image.adjust", x=200),
             node("c", "upload.image", media_ids=[corrupt]), node("d", "image.adjust", x=200)]
    edges = [{"id": "ab", "source": "a", "source_handle": "image", "target": "b", "target_handle": "image"},
             {"id": "cd", "source": "c", "source_handle": "image", "target": "d", "target_handle": "image"}]
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges})
    run = await api.run(session["id"])
    assert error_code(run, "b") == "IMAGE_TOO_LARGE"
    assert error_code(run, "d") == "INPUT_INVALID"


# -- media filters --------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    {"date_from": "0001-01-01T00:00:00+14:00"},
    {"date_to": "9999-12-31T23:59:59-14:00"},
    {"date_from": "0001-01-01T00:00:00+23:59"},
    {"date_from": "10000-01-01T00:00:00"},
    {"date_from": "2024-02-30"},
    {"date_to": "not a date"},
    {"date_from": "9" * 400},
    {"page": str(2**64)},
    {"page": "-1"},
    {"page_size": "1e309"},
    {"page": "100000", "page_size": "500"},
    {"media_type": "document"},
    {"include_shared": "maybe"},
])
async def test_media_filters_answer_4xx_never_500(api: Api, params: dict[str, str]) -> None:
    r = await api.get("/api/v2/media", params=params)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["code"] in ("DATE_OUT_OF_RANGE", "INVALID_REQUEST"), r.text
    if "+14:00" in str(params):
        assert r.json()["code"] == "DATE_OUT_OF_RANGE"


async def test_media_routes_answer_4xx_for_odd_ids_and_flags(api: Api) -> None:
    for url in ("/api/v2/media/" + "9" * 5000, "/api/v2/media/%00/download",
                "/api/v2/media/sessions/" + "x" * 3000, "/api/v2/media/sessions/x?media_type=zip"):
        r = await api.get(url)
        assert 400 <= r.status_code < 500, (url, r.text)
    r = await api.post("/api/v2/media/download-zip", json={"ids": ["x" * 10_000]})
    assert r.status_code == 404 and r.json()["code"] == "NO_ACCESSIBLE_MEDIA"


# -- downloads ------------------------------------------------------------------------------------
async def test_downloads_are_named_after_the_sniffed_type(api: Api) -> None:
    r = await api.post("/api/v2/media/upload", files=[("file", ("polyglot.html", PNG.read_bytes(), "text/html")),
                                                      ("file", ("photo.JPEG", (FIXTURES / "grace_hopper.jpg")
                                                                .read_bytes())),
                                                      ("file", ("noext", PNG.read_bytes()))])
    assert r.status_code == 201, r.text
    polyglot, jpeg, bare = r.json()["items"]
    assert polyglot["filename"] == "polyglot.html"  # the gallery keeps what the user called it
    for item, name, mime in ((polyglot, "polyglot.png", "image/png"), (jpeg, "photo.JPEG", "image/jpeg"),
                             (bare, "noext.png", "image/png")):
        for inline in ("true", "false"):
            d = await api.get(item["url"], params={"inline": inline})
            assert d.status_code == 200
            assert d.headers["content-type"] == mime
            assert d.headers["x-content-type-options"] == "nosniff"
            assert f'filename="{name}"' in d.headers["content-disposition"], d.headers["content-disposition"]
    z = await api.post("/api/v2/media/download-zip", json={"ids": [polyglot["id"], jpeg["id"], bare["id"]]})
    assert z.status_code == 200 and z.headers["x-content-type-options"] == "nosniff"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert sorted(names) == ["noext.png", "photo.JPEG", "polyglot.png"]
