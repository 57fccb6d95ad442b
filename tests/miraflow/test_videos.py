"""Talking-avatar videos on the Miraflow door: the seed's example bodies, statuses, list, one video with a
signed downloadUrl, the uploaded-audio variant and the refusals. The tests' models folder has no Rhubarb,
so these runs also cover the loudness aligner (the node's own tests cover Rhubarb)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conftest import Api
from miraflow.conftest import FIXTURES, failure, miraflow_key, poll, upload, xkey

GRACE = FIXTURES / "grace_hopper.jpg"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
VOICE = "espeak-ng:en-us"  # a voice GET /api/v2/voices lists (the tests' models folder has no Piper voice)
STOCK_AVATAR = "stock-grace-hopper"  # a stock avatar (437x512 portrait) of the door's
# The seed's example body; its avatarId and voiceId name the seed's account, so a test swaps in its own.
SEED_CREATE = {"avatarId": "cm2yaz9j10008l0qg9npyjgs3", "name": "My new video", "voiceId": "cm1lgilny0005m2lnvv3vgtgv",
               "text": "This is the text of the script to be generated in the specified voice.", "im2vid_full": True}
STATUSES = {"inference_started", "inference_working", "inference_complete", "inference_failed", "inference_error"}


def local(url: str) -> str:
    """An absolute link (on the configured public URL) as a path and query for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def photo(api: Api, path: Path = GRACE) -> str:
    return await upload(api, path.read_bytes(), path.name, "image/jpeg" if path.suffix == ".jpg" else "image/png")


async def own_avatar(api: Api, key: str) -> str:
    """An avatar of the caller's from their photo (the door's POST /api/avatar/create)."""
    r = await api.client.post("/api/avatar/create", json={"name": "Me", "mediaId": await photo(api)}, headers=xkey(key))
    assert r.status_code == 200, r.text
    avatar_id: str = r.json()["avatar"]["id"]
    return avatar_id


def ffprobe(data: bytes, tmp_path: Path) -> dict[str, Any]:
    import json

    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


async def until_done(api: Api, key: str, job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def done(body: dict[str, Any]) -> bool:
        seen.append(body)
        return body["status"] not in ("inference_started", "inference_working")

    return await poll(api, key, f"/api/video/{job_id}/status", done, timeout=300), seen


async def test_seed_example_body_makes_a_talking_video_listed_and_downloadable(api: Api, tmp_path: Path) -> None:
    key = await miraflow_key(api)
    avatar = STOCK_AVATAR
    r = await api.client.post("/api/video/create", json={**SEED_CREATE, "avatarId": avatar, "voiceId": VOICE},
                              headers=xkey(key))
    assert r.status_code == 200, r.text
    created = r.json()
    assert set(created) == {"result", "jobId"} and created["result"] == "success"
    job_id = created["jobId"]

    final, seen = await until_done(api, key, job_id)
    assert {b["status"] for b in seen} <= STATUSES
    for body in seen:
        if body["status"] == "inference_working":
            assert re.fullmatch(r"\d{1,2}%", body["progress"]), body  # the seed's "45%"
    assert final == {"result": "success", "status": "inference_complete", "videoId": job_id}

    listed = (await api.client.get("/api/videos", headers=xkey(key))).json()
    assert listed == {"videos": [{"id": job_id, "name": "My new video", "sourceAvatarId": avatar,
                                  "createdAt": listed["videos"][0]["createdAt"]}]}
    assert ISO_MS.match(listed["videos"][0]["createdAt"])

    video = (await api.client.get(f"/api/video/{job_id}", headers=xkey(key))).json()
    assert set(video) == {"id", "name", "sourceAvatarId", "createdAt", "downloadUrl"}
    assert video["downloadUrl"].startswith("http") and "signature=" in video["downloadUrl"]
    r = await api.client.get(local(video["downloadUrl"]))  # signed: no key needed
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    info = ffprobe(r.content, tmp_path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert (int(streams["video"]["width"]), int(streams["video"]["height"])) == (436, 512)  # the whole photo (even)
    assert abs(float(streams["video"]["duration"]) - float(streams["audio"]["duration"])) <= 0.1
    assert float(info["format"]["duration"]) > 2.0
    download = await api.client.get(f"/api/video/{job_id}/download", headers=xkey(key))
    assert download.status_code == 200 and download.content == r.content

    # the gallery holds it with the engine's provenance; the speech came from the voice
    media_id = video["downloadUrl"].split("/media/")[1].split("/")[0]
    meta = (await api.get(f"/api/v2/media/{media_id}")).json()["metadata"]
    assert meta["engine"] == "classical-talking-head" and meta["ai_generated"] is False
    assert meta["aligner"] == "loudness-aligner (Rhubarb not installed)"


async def test_uploaded_audio_instead_of_text_gives_a_cropped_head(api: Api, tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "Good evening. This track was recorded before."], check=True)
    audio = await upload(api, wav.read_bytes(), "speech.wav", "audio/wav")
    key = await miraflow_key(api)
    body = {"avatarId": await own_avatar(api, key), "name": "From audio", "audioMediaId": audio, "im2vid_full": False}
    r = await api.client.post("/api/video/create", json=body, headers=xkey(key))
    assert r.status_code == 200, r.text
    final, _seen = await until_done(api, key, r.json()["jobId"])
    assert final["status"] == "inference_complete", final
    video = (await api.client.get(f"/api/video/{final['videoId']}", headers=xkey(key))).json()
    info = ffprobe((await api.client.get(local(video["downloadUrl"]))).content, tmp_path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert (int(streams["video"]["width"]), int(streams["video"]["height"])) == (512, 512)  # the head crop
    assert "audio" in streams


async def test_refusals_have_stable_codes_and_a_failed_job_says_why(  # type: ignore[no-untyped-def]
        api: Api, make_user, tmp_path: Path) -> None:
    key = await miraflow_key(api)
    post = lambda body: api.client.post("/api/video/create", json=body, headers=xkey(key))  # noqa: E731
    base = {"avatarId": STOCK_AVATAR, "name": "x", "voiceId": VOICE}
    picture = await photo(api)
    failure(await post({**base, "text": "hi", "audioMediaId": picture}), 400, "SPEECH_SOURCE_REQUIRED")
    failure(await post(base), 400, "SPEECH_SOURCE_REQUIRED")
    failure(await post({**SEED_CREATE}), 404, "AVATAR_NOT_FOUND")  # the seed's account's avatar is not ours
    failure(await post({**base, "text": "hi", "voiceId": "cm1lgilny0005m2lnvv3vgtgv"}), 400, "VOICE_NOT_FOUND")
    failure(await post({**base, "audioMediaId": picture}), 400, "MEDIA_KIND_MISMATCH")
    failure(await post({**base, "audioMediaId": "no-such-media"}), 404, "MEDIA_NOT_FOUND")
    failure(await post({**base, "text": ""}), 400, "INVALID_REQUEST")
    reader = await miraflow_key(api, ["read"])
    failure(await api.client.post("/api/video/create", json={**base, "text": "hi"}, headers=xkey(reader)), 403,
            "INSUFFICIENT_SCOPE")
    mine = await own_avatar(api, key)
    other_key = await miraflow_key(await make_user())
    failure(await api.client.post("/api/video/create", json={**base, "avatarId": mine, "text": "hi"},
                                  headers=xkey(other_key)), 404, "AVATAR_NOT_FOUND")

    blip = tmp_path / "blip.wav"  # 20 ms: no speech to animate
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=300:duration=0.02", str(blip)], check=True)
    r = await post({**base, "audioMediaId": await upload(api, blip.read_bytes(), "blip.wav", "audio/wav")})
    assert r.status_code == 200, r.text
    job_id = r.json()["jobId"]
    final, _seen = await until_done(api, key, job_id)
    assert final["status"] == "inference_failed" and "empty" in final["reason"], final
    failure(await api.client.get(f"/api/video/{job_id}", headers=xkey(key)), 404, "VIDEO_NOT_FOUND")
    assert (await api.client.get("/api/videos", headers=xkey(key))).json() == {"videos": []}

    failure(await api.client.get("/api/video/mf_000000000000000000000000/status", headers=xkey(key)), 404,
            "JOB_NOT_FOUND")
    failure(await api.client.get(f"/api/video/{job_id}/status", headers=xkey(other_key)), 404, "JOB_NOT_FOUND")
    failure(await api.client.get(f"/api/video/{job_id}", headers=xkey(other_key)), 404, "VIDEO_NOT_FOUND")
