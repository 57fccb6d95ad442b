"""The examples of docs/sdk.md and the README's API section, run against a live studio so they
cannot rot: Python blocks as scripts, the README's curl block with bash, and every Go block must be
part of an example program (which test_go_sdk.py runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ffmpeg_media

from .conftest import LiveStudio, log_of

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "sdk.md"
README = REPO / "README.md"
EXAMPLES = sorted((REPO / "sdk" / "go" / "examples").glob("*/main.go"))


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", path.read_text(), re.MULTILINE | re.DOTALL)


def stripped(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines()]


PYTHON = [pytest.param(path, code, id=f"{path.name}-{n}") for path in (DOCS, README)
          for n, code in enumerate(blocks(path, "python"))]


def test_every_go_block_is_part_of_an_example_program() -> None:
    programs = [stripped(p.read_text()) for p in EXAMPLES]
    go_blocks = blocks(DOCS, "go")
    assert len(go_blocks) == 2 and len(EXAMPLES) == 2
    for block in go_blocks:
        lines = stripped(block)
        assert any(any(program[i:i + len(lines)] == lines for i in range(len(program))) for program in programs), block


@pytest.mark.parametrize(("source", "code"), PYTHON)
def test_python_examples_run(live_studio: LiveStudio, tmp_path: Path, source: Path, code: str) -> None:
    ffmpeg_media(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                 "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                 "-shortest")
    env = {**os.environ, "MINIAI_URL": live_studio.url, "MINIAI_API_KEY": live_studio.api_key}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{log_of(live_studio)}"
    out = done.stdout
    if "SCHEMA_VALIDATION" in code:
        assert "SCHEMA_VALIDATION 422 prompt" in out
    elif "events(" in code:
        lines = out.splitlines()  # the run may have ended before the stream began: then a snapshot says so
        assert lines[0].startswith("snapshot ") and lines[-1].endswith(" succeeded"), out
    else:
        saved = [Path(tmp_path, line.split(" ", 1)[1]) for line in out.splitlines()
                 if line.startswith(("image ", "video ", "audio "))]
        assert saved and all(path.stat().st_size > 0 for path in saved), out


def test_readme_curl_example_runs(live_studio: LiveStudio) -> None:
    script = next(b for b in blocks(README, "sh") if "prompt_to_avatar/run" in b)
    script = "\n".join(line for line in script.splitlines() if not line.startswith("export MINIAI_"))
    env = {**os.environ, "MINIAI_URL": live_studio.url, "MINIAI_API_KEY": live_studio.api_key}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{log_of(live_studio)}"
    assert re.fullmatch(r"image /api/v2/media/[0-9a-f-]+/download", done.stdout.strip()), done.stdout
