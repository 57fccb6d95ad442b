"""Media: uploads (multipart and raw), sniffing, limits, hostile names, the gallery, downloads and zips."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from conftest import FIXTURES, Api
from miniaistudio.store.tables import Media
from miniaistudio.studio import Studio

from .conftest import error_of

JPEG = FIXTURES / "grace_hopper.jpg"
PNG = FIXTURES / "chelsea.png"


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def media_rows(studio: Studio) -> int:
    with studio.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Media)) or 0)


async def test_multipart_and_raw_uploads_are_sniffed_from_content(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    sid = session["id"]
    # A JPEG named .mp4 is an image/jpeg.
    r = await api.post("/api/v2/media/upload", session=sid,
                       files={"file": ("holiday.mp4", JPEG.read_bytes(), "video/mp4")})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["media_type"] == "image" and item["mime"] == "image/jpeg"
    assert (item["width"], item["height"]) == (512, 600)
    assert item["session_id"] == sid and item["origin"] == "upload" and item["filename"] == "holiday.mp4"
    assert item["items"] == [{k: v for k, v in item.items() if k != "items"}]
    download = await api.get(item["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content == JPEG.read_bytes()

    # Raw body with X-Filename; the session from the query string.
    r = await api.post("/api/v2/media/upload", params={"session_id": sid, "node_id": "up1"},
                       content=PNG.read_bytes(), headers={"X-Filename": "cat.jpg", "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    assert r.json()["mime"] == "image/png" and r.json()["node_id"] == "up1"

    # Several files in one request.
    r = await api.post("/api/v2/media/upload", files=[("file", ("a.png", PNG.read_bytes())),
                                                      ("file", ("b.jpg", JPEG.read_bytes()))])
    assert r.status_code == 201, r.text
    assert [i["mime"] for i in r.json()["items"]] == ["image/png", "image/jpeg"]
    assert all(i["session_id"] is None for i in r.json()["items"])

    # A kind filter refuses other kinds.
    r = await api.post("/api/v2/media/upload", params={"kind": "video"}, files={"file": ("x.mp4", JPEG.read_bytes())})
    assert r.status_code == 415 and error_of(r)["code"] == "WRONG_MEDIA_KIND"
    assert files_under(studio.settings.scratch_dir) == []
    assert media_rows(studio) == 4


async def test_text_named_png_is_refused_and_leaves_nothing(api: Api, studio: Studio) -> None:
    media_before = files_under(studio.settings.resolved_media_dir)
    for kw in ({"files": {"file": ("photo.png", b"just some text, not a picture\n" * 20, "image/png")}},
               {"content": b"hello world\n" * 50, "headers": {"X-Filename": "photo.png"}},
               {"files": {"file": ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")}},
               {"files": {"file": ("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "image/png")}}):
        r = await api.post("/api/v2/media/upload", **kw)
        assert r.status_code == 415, r.text
        assert error_of(r)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    # One bad file spoils the whole upload: nothing of it is kept.
    r = await api.post("/api/v2/media/upload", files=[("file", ("good.png", PNG.read_bytes())),
                                                      ("file", ("bad.png", b"not an image at all"))])
    assert r.status_code == 415 and error_of(r)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "bad.png" in error_of(r)["message"]
    assert files_under(studio.settings.scratch_dir) == []
    assert files_under(studio.settings.resolved_media_dir) == media_before
    assert media_rows(studio) == 0


async def chunks(data: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_upload_size_limit_leaves_nothing_on_disk(api: Api, studio: Studio) -> None:
    studio.settings.max_upload_bytes = 100_000
    session = await api.new_session()
    big = PNG.read_bytes()  # 240 KB
    assert len(big) > 100_000
    attempts: list[dict[str, Any]] = [
        {"files": {"file": ("big.png", big)}},
        {"files": [("file", ("ok.jpg", JPEG.read_bytes())), ("file", ("big.png", big))]},
        {"content": big, "headers": {"X-Filename": "big.png"}},
        {"content": chunks(big), "headers": {"X-Filename": "big.png"}},  # chunked, no length
    ]
    for kw in attempts:
        r = await api.post("/api/v2/media/upload", session=session["id"], **kw)
        assert r.status_code == 413, r.text
        assert error_of(r)["code"] == "UPLOAD_TOO_LARGE"
        assert files_under(studio.settings.scratch_dir) == []
        assert files_under(studio.settings.resolved_media_dir) == []
        assert media_rows(studio) == 0
    ok = await api.post("/api/v2/media/upload", files={"file": ("small.jpg", JPEG.read_bytes())})
    assert ok.status_code == 201


async def test_bad_upload_requests(api: Api, studio: Studio) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b"", "headers": {"X-Filename": "empty.png"}}, 422, "INVALID_UPLOAD"),
        ({"content": b"abc"}, 422, "INVALID_UPLOAD"),
        ({"content": b"abc", "headers": {"Content-Type": "multipart/form-data"}}, 422, "INVALID_UPLOAD"),
        ({"content": b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--xx--\r\n",
          "headers": {"Content-Type": "multipart/form-data; boundary=xx"}}, 422, "INVALID_UPLOAD"),
        ({"content": b"--xx\r\ngarbage", "headers": {"Content-Type": "multipart/form-data; boundary=xx"}},
         422, "INVALID_UPLOAD"),
    ]
    for kw, status, code in cases:
        r = await api.post("/api/v2/media/upload", **kw)
        assert r.status_code == status, (kw, r.text)
        assert error_of(r)["code"] == code
    r = await api.post("/api/v2/media/upload", params={"kind": "document"}, content=b"x",
                       headers={"X-Filename": "x.png"})
    assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST"
    assert files_under(studio.settings.scratch_dir) == []


async def test_path_traversal_names_are_neutralised(api: Api, studio: Studio, tmp_path: Path) -> None:
    names = ["../../etc/passwd.png", "..\\..\\windows\\evil.png", "/abs/olute.png", "a/../../../x.png",
             "..", "\x00nul.png", "con:<>|?*.png", "   ", "ok name.png"]
    seen = []
    for name in names:
        r = await api.post("/api/v2/media/upload", files={"file": (name, PNG.read_bytes())})
        assert r.status_code == 201, (name, r.text)
        seen.append(r.json()["filename"])
        r = await api.post("/api/v2/media/upload", content=PNG.read_bytes(),
                           headers={"X-Filename": name.encode("utf-8").decode("latin-1")})
        assert r.status_code == 201, (name, r.text)
        seen.append(r.json()["filename"])
    for filename in seen:
        assert filename and "/" not in filename and "\\" not in filename and filename not in (".", "..")
        assert "\x00" not in filename
    assert seen[0] == "passwd.png" and seen[2] == "evil.png"
    # Everything landed inside the media store under generated names.
    media_dir = studio.settings.resolved_media_dir
    stored = files_under(media_dir)
    assert len(stored) == 2 * len(names)
    assert [p for p in files_under(tmp_path) if "passwd" in p.name or "evil" in p.name or "olute" in p.name] == []
    assert not (tmp_path / "etc").exists() and not (studio.settings.data_dir / "etc").exists()
    # The zip uses the cleaned names too.
    ids = [i["id"] for i in (await api.get("/api/v2/media", params={"page_size": 100})).json()["groups"][0]["items"]]
    r = await api.post("/api/v2/media/download-zip", json={"ids": ids})
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        for info in zf.infolist():
            assert ".." not in info.filename.split("/") and not info.filename.startswith("/")
            assert "/" not in info.filename


async def test_gallery_grouped_filtered_paged_and_dated(api: Api, test_audio: Path, test_video: Path) -> None:
    s1 = await api.new_session("Photos")
    s2 = await api.new_session("Sound and film")
    a = await api.upload(s1["id"], JPEG)
    b = await api.upload(s1["id"], PNG)
    c = await api.upload(s2["id"], test_audio)
    d = await api.upload(s2["id"], test_video)
    e = await api.upload(None, PNG)
    assert (c["media_type"], c["mime"]) == ("audio", "audio/x-wav") and c["duration"] > 1.5
    assert d["media_type"] == "video" and (d["width"], d["height"]) == (320, 240)
    assert d["codecs"]["video"] == "h264" and d["codecs"]["audio"] == "aac"

    everything = (await api.get("/api/v2/media")).json()
    assert everything["total"] == 5 and everything["page"] == 1
    groups = {g["session_id"]: g for g in everything["groups"]}
    assert set(groups) == {s1["id"], s2["id"], None}
    assert groups[s1["id"]]["session_name"] == "Photos"
    assert [i["id"] for i in groups[s1["id"]]["items"]] == [b["id"], a["id"]]  # newest first
    assert {i["id"] for i in groups[s2["id"]]["items"]} == {c["id"], d["id"]}
    assert [i["id"] for i in groups[None]["items"]] == [e["id"]]

    images = (await api.get("/api/v2/media", params={"media_type": "image"})).json()
    assert images["total"] == 3
    assert {i["media_type"] for g in images["groups"] for i in g["items"]} == {"image"}
    audio = (await api.get("/api/v2/media", params={"media_type": "audio"})).json()
    assert [i["id"] for g in audio["groups"] for i in g["items"]] == [c["id"]]
    bad = await api.get("/api/v2/media", params={"media_type": "document"})
    assert bad.status_code == 422 and error_of(bad)["code"] == "INVALID_REQUEST"

    pages = []
    for page in (1, 2, 3):
        body = (await api.get("/api/v2/media", params={"page": page, "page_size": 2})).json()
        assert body["total"] == 5
        pages.append([i["id"] for g in body["groups"] for i in g["items"]])
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for p in pages for i in p) == sorted(x["id"] for x in (a, b, c, d, e))
    assert (await api.get("/api/v2/media", params={"page": 4, "page_size": 2})).json()["groups"] == []

    now = datetime.now(UTC)
    for params, expected in (
        ({"date_from": (now - timedelta(minutes=5)).isoformat()}, 5),
        ({"date_from": (now + timedelta(minutes=5)).isoformat()}, 0),
        ({"date_to": (now - timedelta(minutes=5)).isoformat()}, 0),
        ({"date_from": (now - timedelta(minutes=5)).isoformat(),
          "date_to": (now + timedelta(minutes=5)).isoformat()}, 5),
        # The same instants in another time zone, and as a date.
        ({"date_from": (now - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=5))).isoformat()}, 5),
        ({"date_to": (now - timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-7))).isoformat()}, 0),
        ({"date_from": (now + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-7))).isoformat()}, 0),
    ):
        r = await api.get("/api/v2/media", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == expected, params
    r = await api.get("/api/v2/media", params={"date_from": "yesterday-ish"})
    assert r.status_code == 422 and error_of(r)["code"] == "INVALID_REQUEST"

    one = (await api.get(f"/api/v2/media/sessions/{s2['id']}")).json()
    assert one["session_name"] == "Sound and film" and {i["id"] for i in one["items"]} == {c["id"], d["id"]}
    only_video = (await api.get(f"/api/v2/media/sessions/{s2['id']}", params={"media_type": "video"})).json()
    assert [i["id"] for i in only_video["items"]] == [d["id"]]
    for sid in ("not-a-uuid", "6f1c1d7e-1111-4222-8333-944455556666"):
        r = await api.get(f"/api/v2/media/sessions/{sid}")
        assert r.status_code == 404 and error_of(r)["code"] == "SESSION_NOT_FOUND"


async def test_download_ranges_and_zip(api: Api) -> None:
    item = await api.upload(None, JPEG)
    data = JPEG.read_bytes()
    r = await api.get(item["url"], headers={"Range": "bytes=0-9"})
    assert r.status_code == 206, r.text
    assert r.content == data[:10]
    assert r.headers["content-range"] == f"bytes 0-9/{len(data)}"
    r = await api.get(item["url"], headers={"Range": "bytes=-100"})
    assert r.status_code == 206 and r.content == data[-100:]
    r = await api.get(item["url"], headers={"Range": f"bytes={len(data) - 5}-"})
    assert r.status_code == 206 and r.content == data[-5:]
    full = await api.get(item["url"])
    assert full.status_code == 200 and full.headers.get("accept-ranges") == "bytes" and full.content == data
    assert "inline" in full.headers["content-disposition"]
    attach = await api.get(item["url"], params={"inline": "false"})
    assert "attachment" in attach.headers["content-disposition"]
    r = await api.get(item["url"], headers={"Range": f"bytes={len(data) + 10}-{len(data) + 20}"})
    assert r.status_code == 416 and error_of(r)["code"] == "RANGE_NOT_SATISFIABLE"
    assert r.headers["content-range"] == f"bytes */{len(data)}"
    for bad in ("bytes=9-3", "lines=0-1", "bytes", "bytes=x-y"):
        r = await api.get(item["url"], headers={"Range": bad})
        assert r.status_code == 400, (bad, r.text)
        assert error_of(r)["code"] == "INVALID_RANGE"

    record = await api.get(f"/api/v2/media/{item['id']}")
    assert record.status_code == 200 and record.json()["id"] == item["id"] and "storage_key" not in record.json()
    for mid in ("nope", "6f1c1d7e-1111-4222-8333-944455556666", "..%2F..%2Fetc%2Fpasswd"):
        for suffix in ("", "/download"):
            r = await api.get(f"/api/v2/media/{mid}{suffix}")
            assert r.status_code == 404, (mid, suffix, r.text)
            assert error_of(r)["code"] in ("MEDIA_NOT_FOUND", "NOT_FOUND")

    # Zip: duplicate names get distinct entries; unknown and repeated ids are skipped.
    other = await api.upload(None, JPEG)
    png = await api.upload(None, PNG)
    r = await api.post("/api/v2/media/download-zip",
                       json={"ids": [item["id"], other["id"], png["id"], item["id"], "bogus",
                                     "6f1c1d7e-1111-4222-8333-944455556666"]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == ["grace_hopper.jpg", "grace_hopper-2.jpg", "chelsea.png"]
        assert zf.read("grace_hopper.jpg") == data and zf.read("chelsea.png") == PNG.read_bytes()
    r = await api.post("/api/v2/media/download-zip", json={"ids": ["bogus"]})
    assert r.status_code == 404 and error_of(r)["code"] == "NO_ACCESSIBLE_MEDIA"
    for body in ({"ids": []}, {}):
        r = await api.post("/api/v2/media/download-zip", json=body)
        assert r.status_code == 400 and error_of(r)["code"] == "NO_IDS"
    for body in ({"ids": "abc"}, {"ids": [1, 2]}, {"ids": None}):
        r = await api.post("/api/v2/media/download-zip", json=body)
        assert r.status_code in (400, 422), r.text
        assert error_of(r)["code"] in ("INVALID_REQUEST", "NO_IDS")


async def test_missing_blob_is_not_found_not_a_crash(api: Api, studio: Studio) -> None:
    kept = await api.upload(None, PNG)
    lost = await api.upload(None, JPEG)
    for path in files_under(studio.settings.resolved_media_dir):
        if path.name.startswith(lost["id"]):
            path.unlink()
    r = await api.get(lost["url"])
    assert r.status_code == 404 and error_of(r)["code"] == "MEDIA_NOT_FOUND"
    r = await api.post("/api/v2/media/download-zip", json={"ids": [lost["id"], kept["id"]]})
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == ["chelsea.png"]
    r = await api.post("/api/v2/media/download-zip", json={"ids": [lost["id"]]})
    assert r.status_code == 404 and error_of(r)["code"] == "NO_ACCESSIBLE_MEDIA"
    assert files_under(studio.settings.scratch_dir) == []


async def test_delete_removes_the_record_and_the_file_for_its_maker_or_an_editor_only(
        api: Api, make_user: Any, studio: Studio) -> None:
    session = await api.new_session()
    sid = session["id"]
    uploads = []
    for name in ("keep.png", "by-owner.png", "by-editor.png"):
        r = await api.post("/api/v2/media/upload", session=sid, files={"file": (name, PNG.read_bytes(), "image/png")})
        assert r.status_code == 201, r.text
        uploads.append(r.json()["id"])
    keep, by_owner, by_editor = uploads
    files_before = len(files_under(studio.settings.resolved_media_dir))

    viewer, editor, stranger = await make_user(), await make_user(), await make_user()
    for who, role in ((viewer, "viewer"), (editor, "editor")):
        r = await api.post(f"/api/v2/session/{sid}/share", json={"email": who.email, "role": role})
        assert r.status_code in (200, 201), r.text
        assert (await who.post(f"/api/v2/invitations/{r.json()['id']}/accept")).status_code == 200

    # someone who cannot see it learns nothing; a viewer sees it but may not delete it
    r = await stranger.request("DELETE", f"/api/v2/media/{keep}")
    assert (r.status_code, error_of(r)["code"]) == (404, "MEDIA_NOT_FOUND")
    r = await viewer.request("DELETE", f"/api/v2/media/{keep}")
    assert (r.status_code, error_of(r)["code"]) == (403, "FORBIDDEN")
    r = await api.request("DELETE", "/api/v2/media/not-a-uuid")
    assert (r.status_code, error_of(r)["code"]) == (404, "MEDIA_NOT_FOUND")

    r = await api.request("DELETE", f"/api/v2/media/{by_owner}")
    assert r.status_code == 200, r.text
    assert r.json()["removed"]["id"] == by_owner and r.json()["removed"]["filename"] == "by-owner.png"
    r = await editor.request("DELETE", f"/api/v2/media/{by_editor}")
    assert r.status_code == 200, r.text

    assert (await api.get(f"/api/v2/media/{by_owner}")).status_code == 404
    assert (await api.get(f"/api/v2/media/{by_editor}/download")).status_code == 404
    assert (await api.get(f"/api/v2/media/{keep}/download")).status_code == 200
    assert len(files_under(studio.settings.resolved_media_dir)) == files_before - 2
    listed = [m["id"] for g in (await api.get("/api/v2/media")).json()["groups"] for m in g["items"]]
    assert listed == [keep]
    again = await api.request("DELETE", f"/api/v2/media/{by_owner}")
    assert (again.status_code, error_of(again)["code"]) == (404, "MEDIA_NOT_FOUND")
