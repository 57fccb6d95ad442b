"""Browser tests: a live `miniaistudio serve` on a free port, driven by Debian's chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "src" / "miniaistudio" / "web_dist" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("MINIAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
EMAIL = "designer@example.com"
PASSWORD = "browser-test-password-1"


@dataclass(frozen=True)
class LiveStudio:
    url: str
    email: str
    password: str
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli() -> str:
    found = Path(sys.executable).parent / "miniaistudio"
    if found.exists():
        return str(found)
    return os.environ.get("MINIAI_BIN") or shutil.which("miniaistudio") or "miniaistudio"


@contextmanager
def serving(data_dir: Path, settings_env: dict[str, str] | None = None) -> Iterator[LiveStudio]:
    """A migrated studio with the test user, served by ``miniaistudio serve`` on a free port;
    ``settings_env`` adds settings (``MINIAI_*`` variables) for a module's own server."""
    if not WEB_DIST.is_file():
        pytest.fail("the web canvas is not built: run `make web` (make test does it)")
    env = {**os.environ, "MINIAI_SECRET_KEY": "browser-test-secret-key-0123456789abcdef", **(settings_env or {})}
    cli = _cli()
    subprocess.run([cli, "migrate", "--data-dir", str(data_dir)], env=env, check=True, capture_output=True)
    subprocess.run([cli, "users", "create", "--email", EMAIL, "--password", PASSWORD, "--data-dir", str(data_dir)],
                   env=env, check=True, capture_output=True)
    port = _free_port()
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen([cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the studio did not start:\n" + (data_dir / "server.log").read_text()[-4000:])
            time.sleep(0.2)
        yield LiveStudio(url, EMAIL, PASSWORD, data_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def live_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    with serving(tmp_path_factory.mktemp("browser-studio")) as studio:
        yield studio


# Module scope: Playwright's sync API runs an event loop that must be closed before the
# asyncio tests of later modules start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Never skip: a missing browser must fail the suite loudly, not pass it silently.
    try:
        from playwright import sync_api
    except ImportError as exc:
        pytest.fail(f"playwright is not installed ({exc}): pip install -e '.[test]' (make test installs it)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install chromium (make test installs it)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Shots:
    """Numbered screenshots of each step under test-artifacts/browser/<test>/."""

    def __init__(self, page: object, name: str) -> None:
        self.page = page
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, step: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        self.page.screenshot(path=str(path))  # type: ignore[attr-defined]
        return path


@pytest.fixture
def page(browser: object, live_studio: LiveStudio, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 800}, base_url=live_studio.url, accept_downloads=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shots(page: object, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name)
