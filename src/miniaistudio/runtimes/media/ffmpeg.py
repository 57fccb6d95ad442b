"""Running ffmpeg and ffprobe for nodes: cancelable, with progress, provenance and stable errors.

Every call goes through ``ctx.run_process`` so a cancel or stop kills the child process.
Progress comes from ``-progress pipe:2`` (``out_time_us=`` lines) measured against the
duration the caller expects to write.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from ...core.context import NodeContext, Provenance
from ...core.errors import NodeFailed
from ..tools import require_tool
from .provenance import ffmpeg_metadata_args

# ``key=value`` lines written by ``-progress``; anything else on stderr is a log message.
_PROGRESS_LINE = re.compile(r"^[a-z_0-9]+=\S*$")
STDERR_TAIL = 12

# Codecs an MP4 container takes, so stream copies can stay in MP4.
MP4_VIDEO_CODECS = {"h264", "hevc", "av1", "vp9", "mpeg4"}
MP4_AUDIO_CODECS = {"aac", "mp3", "opus", "flac", "alac", "ac3", "eac3"}
# Audio-only containers for a copied audio track, by codec.
AUDIO_CONTAINERS = {"aac": "m4a", "alac": "m4a", "mp3": "mp3", "opus": "ogg", "vorbis": "ogg", "flac": "flac"}

# libx264 with 4:2:0 chroma needs even dimensions; dropping one edge line is lossless otherwise.
EVEN_DIMENSIONS = "crop=trunc(iw/2)*2:trunc(ih/2)*2"
H264_ARGS = ("-c:v", "libx264", "-pix_fmt", "yuv420p")
AAC_ARGS = ("-c:a", "aac", "-b:a", "192k")
X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"]


class _ProgressReader:
    """Turns ffmpeg's stderr into progress reports and keeps the last log lines for errors."""

    def __init__(self, ctx: NodeContext, duration: float | None) -> None:
        self._ctx = ctx
        self._duration = duration if duration and duration > 0 else None
        self.tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)

    def __call__(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if not _PROGRESS_LINE.match(line):
            self.tail.append(line)
            return
        key, _, value = line.partition("=")
        if key == "out_time_us" and self._duration is not None and value.lstrip("-").isdigit():
            seconds = int(value) / 1_000_000
            self._ctx.progress(max(0.0, min(0.99, seconds / self._duration)))


def run_ffmpeg(
    ctx: NodeContext,
    args: Sequence[str],
    output: Path,
    *,
    duration: float | None,
    provenance: Provenance | None = None,
    require_output: bool = True,
) -> None:
    """Run ``ffmpeg <args> [provenance metadata] <output>``.

    ``args`` holds inputs and output options; ``duration`` is the length of media being
    written (for progress). A failed run raises ``NodeFailed(code="FFMPEG_FAILED")`` carrying
    ffmpeg's last log lines.
    """
    argv = [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-progress", "pipe:2", "-nostats", *args]
    if provenance is not None:
        argv += ffmpeg_metadata_args({**provenance, "node_id": ctx.node_id, "run_id": ctx.run_id})
    argv.append(str(output))
    reader = _ProgressReader(ctx, duration)
    proc = ctx.run_process(argv, on_stderr_line=reader)
    if proc.returncode != 0:
        raise _failure("ffmpeg", proc.returncode, list(reader.tail))
    if require_output and (not output.exists() or output.stat().st_size == 0):
        raise NodeFailed("ffmpeg finished without writing an output file", code="FFMPEG_FAILED",
                         details={"stderr": list(reader.tail)})
    ctx.progress(1.0)


def keyframe_times(ctx: NodeContext, path: Path, *, until: float) -> list[float]:
    """Presentation times of the first video stream's keyframes up to ``until`` seconds.

    Reads packet flags only (no decoding), so it is cheap even for long files.
    """
    argv = [require_tool("ffprobe"), "-v", "error", "-select_streams", "v:0",
            "-read_intervals", f"%+{until + 1:.3f}", "-show_entries", "packet=pts_time,flags",
            "-of", "csv=p=0", str(path)]
    proc = ctx.run_process(argv)
    if proc.returncode != 0:
        raise _failure("ffprobe", proc.returncode, proc.stderr.splitlines()[-STDERR_TAIL:])
    times: list[float] = []
    for line in proc.stdout.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags and pts not in ("", "N/A"):
            times.append(float(pts))
    return sorted(t for t in times if t <= until + 1)


def copy_container(video_codec: str | None, audio_codec: str | None) -> str:
    """File extension for a stream copy of these codecs: MP4 when it can hold them, else Matroska."""
    video_ok = video_codec is None or video_codec in MP4_VIDEO_CODECS
    audio_ok = audio_codec is None or audio_codec in MP4_AUDIO_CODECS
    return "mp4" if video_ok and audio_ok else "mkv"


def audio_copy_container(audio_codec: str | None) -> str | None:
    """File extension that holds this audio codec on its own, or None when it must be re-encoded."""
    if audio_codec is None:
        return None
    if audio_codec.startswith("pcm_"):
        return "wav"
    return AUDIO_CONTAINERS.get(audio_codec)


def filter_escape(value: str) -> str:
    """Escape a value (e.g. a file path) for a filter option inside a ``-vf`` filtergraph.

    Two levels, as ffmpeg parses them: the option value, then the filtergraph.
    """
    option_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)


def _failure(tool: str, returncode: int, tail: list[str]) -> NodeFailed:
    last = tail[-1] if tail else f"exit code {returncode}"
    return NodeFailed(f"{tool} failed: {last}", code="FFMPEG_FAILED",
                      details={"exit_code": returncode, "stderr": tail})
