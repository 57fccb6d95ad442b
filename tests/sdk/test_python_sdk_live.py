"""The Python SDK's sync Client against a live studio over real HTTP: an upload with progress, a
recipe run followed through the Server-Sent Events stream, outputs downloaded and checked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import ffmpeg_media
from miniaistudio.sdk import Client, parse_execution_outputs

from .conftest import LiveStudio


def probe(path: Path) -> dict[str, str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return {stream["codec_type"]: stream["codec_name"] for stream in json.loads(out)["streams"]}


def test_upload_run_a_recipe_follow_its_events_and_download(live_studio: LiveStudio, tmp_path: Path) -> None:
    clip = ffmpeg_media(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                        "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest")
    with Client(live_studio.url, api_key=live_studio.api_key) as studio:
        sent: list[int] = []
        upload = studio.upload_studio_file(clip, progress=lambda done, total: sent.append(done))
        assert upload.media_type == "video" and sent[-1] == clip.stat().st_size

        created = studio.run_recipe("media_split", {"source_video_url": upload.items[0].id},
                                    session_name="Split over the SDK")
        events = list(studio.events(created.session_id))
        types = [event.type for event in events]
        assert types[0] == "snapshot" and types[-1] in ("run.finished", "snapshot"), types
        finished = events[-1].data if types[-1] == "run.finished" else events[-1].data["run"]
        assert finished["status"] == "succeeded", events[-1]

        outputs = parse_execution_outputs(studio.get_session_execution(created.session_id))
        videos = [m for m in outputs.flatten_videos() if m.node_id == "split"]  # the upload node has one too
        audios = outputs.flatten_audios()
        assert outputs.status == "succeeded" and len(videos) == 1 and len(audios) == 1
        received: list[tuple[int, int | None]] = []
        video = studio.download(videos[0], tmp_path / "video.mp4", progress=lambda d, t: received.append((d, t)))
        audio = studio.download(audios[0], tmp_path / "audio.m4a")
        assert video is not None and audio is not None
        assert received[-1] == (video.stat().st_size, video.stat().st_size)
        assert probe(video) == {"video": "h264"} and probe(audio) == {"audio": "aac"}
        session = studio.get_session(created.session_id)
        assert session.name == "Split over the SDK" and session.role == "owner"
