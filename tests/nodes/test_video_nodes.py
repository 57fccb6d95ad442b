from __future__ import annotations

import json
from pathlib import Path

from node_helpers import duration, run_graph, streams, upload
from PIL import Image, ImageChops

from conftest import Api, download, edge, error_code, ffmpeg_media, ffprobe, media_record, node, output
from miniaistudio.studio import Studio


async def test_frame_extract_by_time_frame_first_and_last(api: Api, test_video: Path, tmp_path: Path) -> None:
    video_id = await upload(api, test_video)
    nodes = [node("v", "upload.video", media_ids=[video_id]),
             node("first", "video.frame_extract", at="first"),
             node("t", "video.frame_extract", at="time", time=1.0),
             node("f", "video.frame_extract", at="frame", frame=25),
             node("last", "video.frame_extract", at="last"),
             node("f74", "video.frame_extract", at="frame", frame=74),
             node("late", "video.frame_extract", at="time", time=5.0),
             node("clamped", "video.frame_extract", at="time", time=5.0, out_of_range="clamp")]
    run = await run_graph(api, nodes, [edge("v", "video", n["id"], "video") for n in nodes[1:]])
    frames = {}
    for nid in ("first", "t", "f", "last", "f74", "clamped"):
        image = output(run, nid, "image")
        assert (image["kind"], image["width"], image["height"]) == ("image", 320, 240)
        with Image.open(await download(api, image["media_id"], tmp_path)) as img:
            frames[nid] = img.convert("RGB")

    def same(a: str, b: str) -> bool:
        return ImageChops.difference(frames[a], frames[b]).getbbox() is None

    assert same("t", "f")  # 1.0 s at 25 fps is frame 25
    assert same("last", "f74") and same("last", "clamped")  # 3 s at 25 fps: frames 0..74
    assert not same("first", "t") and not same("t", "last")
    assert error_code(run, "late") == "FRAME_OUT_OF_RANGE"
    record = await media_record(api, output(run, "t", "image")["media_id"])
    assert record["metadata"]["engine"] == "ffmpeg"


async def test_trim_copies_on_a_keyframe_and_reencodes_otherwise(api: Api, test_video: Path, tmp_path: Path) -> None:
    every_second = ffmpeg_media(tmp_path, "gop25.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
                                "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libx264", "-g", "25",
                                "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
    plain_id, gop_id = await upload(api, test_video), await upload(api, every_second)
    nodes = [node("plain", "upload.video", media_ids=[plain_id]), node("gop", "upload.video", media_ids=[gop_id]),
             node("head", "video.trim", start=0, end=1.5),
             node("mid", "video.trim", start=1.0, duration=1.0),
             node("on_key", "video.trim", start=1.0, end=2.5),
             node("forced", "video.trim", start=1.0, end=2.0, mode="copy")]
    edges = [edge("plain", "video", "head", "video"), edge("plain", "video", "mid", "video"),
             edge("gop", "video", "on_key", "video"), edge("plain", "video", "forced", "video")]
    run = await run_graph(api, nodes, edges)
    expected = {"head": ("copy", 1.5), "mid": ("reencode", 1.0), "on_key": ("copy", 1.5),
                "forced": ("copy", 2.0)}  # forced copy starts at the keyframe before 1.0 s: 0 s
    for nid, (method, length) in expected.items():
        video = output(run, nid, "video")
        record = await media_record(api, video["media_id"])
        assert record["metadata"]["method"] == method, nid
        path = await download(api, video["media_id"], tmp_path)
        tolerance = 0.25 if method == "copy" else 0.1  # a copy ends on a packet boundary
        assert abs(duration(path) - length) < tolerance, (nid, duration(path))
        assert abs(video["duration"] - length) < tolerance
        assert [s["codec_name"] for s in streams(path, "video")] == ["h264"]
        assert [s["codec_name"] for s in streams(path, "audio")] == ["aac"]
        assert (video["width"], video["height"]) == (320, 240)
        comment = json.loads(ffprobe(path)["format"]["tags"]["comment"])
        assert comment["engine"] == "ffmpeg" and comment["method"] == method
    assert (await media_record(api, output(run, "forced", "video")["media_id"]))["metadata"]["start"] == 0.0


async def test_trim_errors_and_audio_trim(api: Api, test_video: Path, test_audio: Path, tmp_path: Path) -> None:
    video_id, audio_id = await upload(api, test_video), await upload(api, test_audio)
    nodes = [node("v", "upload.video", media_ids=[video_id]), node("a", "upload.audio", media_ids=[audio_id]),
             node("past", "video.trim", start=4.0),
             node("both", "video.trim", start=0.5, end=1.0, duration=1.0),
             node("wav", "audio.trim", start=0.5, end=1.25),
             node("aac", "audio.trim", start=0.5, end=1.25, mode="reencode")]
    edges = [edge("v", "video", "past", "video"), edge("v", "video", "both", "video"),
             edge("a", "audio", "wav", "audio"), edge("a", "audio", "aac", "audio")]
    run = await run_graph(api, nodes, edges)
    assert error_code(run, "past") == "INVALID_RANGE"
    assert error_code(run, "both") == "INVALID_RANGE"
    for nid, codec, method in (("wav", "pcm_s16le", "copy"), ("aac", "aac", "reencode")):
        audio = output(run, nid, "audio")
        assert audio["kind"] == "audio"
        path = await download(api, audio["media_id"], tmp_path)
        assert [s["codec_name"] for s in streams(path, "audio")] == [codec]
        assert not streams(path, "video")
        assert abs(duration(path) - 0.75) < 0.06, (nid, duration(path))
        assert (await media_record(api, audio["media_id"]))["metadata"]["method"] == method


async def test_split_and_mux(api: Api, test_video: Path, test_audio: Path, tmp_path: Path) -> None:
    silent = ffmpeg_media(tmp_path, "silent.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=1",
                          "-c:v", "libx264", "-pix_fmt", "yuv420p")
    video_id, audio_id, silent_id = (await upload(api, test_video), await upload(api, test_audio),
                                     await upload(api, silent))
    nodes = [node("v", "upload.video", media_ids=[video_id]), node("a", "upload.audio", media_ids=[audio_id]),
             node("s", "upload.video", media_ids=[silent_id]),
             node("split", "video.split"), node("nosound", "video.split"),
             node("short", "video.mux"), node("long", "video.mux", shortest=False, audio_offset=0.5, volume=0.5),
             node("back", "video.mux", audio_offset=-0.5)]
    edges = [edge("v", "video", "split", "video"), edge("s", "video", "nosound", "video"),
             edge("split", "video", "short", "video"), edge("a", "audio", "short", "audio"),
             edge("split", "video", "long", "video"), edge("a", "audio", "long", "audio"),
             edge("split", "video", "back", "video"), edge("split", "audio", "back", "audio")]
    run = await run_graph(api, nodes, edges)
    assert error_code(run, "nosound") == "NO_AUDIO_TRACK"

    picture = await download(api, output(run, "split", "video")["media_id"], tmp_path)
    sound = await download(api, output(run, "split", "audio")["media_id"], tmp_path)
    assert [s["codec_name"] for s in streams(picture, "video")] == ["h264"] and not streams(picture, "audio")
    assert [s["codec_name"] for s in streams(sound, "audio")] == ["aac"] and not streams(sound, "video")
    assert abs(duration(picture) - 3.0) < 0.1 and abs(duration(sound) - 3.0) < 0.1
    assert output(run, "split", "audio")["kind"] == "audio"

    # (output length, audio track length): the sound is encoded exactly; the copied picture ends on a packet
    for nid, length, sound_length in (("short", 2.0, 2.0), ("long", 3.0, 2.5), ("back", 2.5, 2.5)):
        path = await download(api, output(run, nid, "video")["media_id"], tmp_path)
        assert [s["codec_name"] for s in streams(path, "video")] == ["h264"]
        (audio,) = streams(path, "audio")
        assert audio["codec_name"] == "aac"
        assert abs(float(audio["duration"]) - sound_length) < 0.06, (nid, audio["duration"])
        assert abs(duration(path) - length) < 0.25, (nid, duration(path))


async def test_ffmpeg_failure_has_a_stable_code(api: Api, studio: Studio, test_video: Path,
                                                test_audio: Path) -> None:
    video_id, audio_id = await upload(api, test_video), await upload(api, test_audio)
    (stored,) = studio.settings.resolved_media_dir.rglob(f"{audio_id}.*")
    stored.write_bytes(b"RIFF" + b"\x00garbage" * 500)  # the file breaks after it was accepted
    run = await run_graph(api, [node("v", "upload.video", media_ids=[video_id]),
                                node("a", "upload.audio", media_ids=[audio_id]), node("mux", "video.mux")],
                          [edge("v", "video", "mux", "video"), edge("a", "audio", "mux", "audio")])
    assert error_code(run, "mux") == "FFMPEG_FAILED"
    error = run["nodes"]["mux"]["error"]
    assert error["message"].startswith("ffmpeg failed:")
    assert error["details"]["stderr"], error
