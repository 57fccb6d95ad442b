"""Fixtures: a real studio (SQLite file, media on disk, in-process executor) per test,
reached over HTTP through the ASGI app, plus helpers to sign in and build graphs."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import servers
from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.studio import Studio

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "images"
if not FIXTURES.is_dir():  # a clone sits beside shared/: <root>/main and <root>/shared
    FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "images"

PASSWORD = "correct-horse-battery"
# Heavy model files placed by the set-up are shared by all tests instead of copied per test.
SHARED_MODELS_DIR = Path(__file__).resolve().parents[1] / ".cache" / "test-models"


TEST_HOST = "studio.test"  # the ASGI test client's host name, which test studios must answer to


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=("sqlite", "postgres"), default="sqlite",
                     help="what test studios run on: SQLite + memory counters (default), or throwaway "
                          "PostgreSQL 15 + Redis servers (tests/servers.py)")


def pytest_configure(config: pytest.Config) -> None:
    servers.BACKEND = servers.Backend(config.getoption("--backend"))


def pytest_unconfigure(config: pytest.Config) -> None:
    servers.BACKEND.servers.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"backend: {servers.BACKEND.name}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    postgres = servers.BACKEND.servers.postgres
    if postgres is not None:
        terminalreporter.write_line(
            f"PostgreSQL 15 + Redis started in {servers.BACKEND.servers.start_seconds:.2f} s "
            f"(migrations 0001 → head on the template database: {postgres.migration_seconds:.2f} s)")


@pytest.fixture(autouse=True)
def _backend_per_test() -> Iterator[servers.Backend]:
    """Each test's databases are its own (dropped at its end) and Redis starts empty for it."""
    yield servers.BACKEND
    servers.BACKEND.end_test()


@pytest.fixture
def redis_url() -> str:
    """A Redis server's URL in either pass (emptied after each test), for tests of what Redis shares."""
    return servers.BACKEND.servers.ensure_redis().url


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a test studio: every fixture that builds one starts here, so none forgets a rule
    (e.g. the Host allowlist) that the whole suite relies on. With ``--backend=postgres`` the studio
    of each data dir gets its own PostgreSQL database and counts in Redis."""
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "secret_key": "test-secret-key-0123456789abcdef0123",
                              "max_upload_bytes": 64 * 1024 * 1024, "models_dir": SHARED_MODELS_DIR,
                              "allowed_hosts": [TEST_HOST]}
    values.update(servers.BACKEND.settings_for(Path(overrides.get("data_dir", values["data_dir"]))))
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


class Api:
    """An HTTP client signed in as one user, with helpers for common steps."""

    def __init__(self, client: httpx.AsyncClient, token: str, email: str) -> None:
        self.client = client
        self.token = token
        self.email = email
        self.headers = {"Authorization": f"Bearer {token}"}

    async def request(self, method: str, url: str, *, session: str | None = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        if session:
            headers["X-Session-ID"] = session
        return await self.client.request(method, url, headers=headers, **kw)

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PUT", url, **kw)

    async def new_session(self, name: str = "Test session") -> dict[str, Any]:
        r = await self.post("/api/v2/sessions", json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def save_graph(self, session: dict[str, Any], graph: dict[str, Any]) -> dict[str, Any]:
        r = await self.put(f"/api/v2/sessions/{session['id']}/flow",
                           json={"graph": graph, "version": session["version"]})
        assert r.status_code == 200, r.text
        session.update(r.json())
        return session

    async def run(self, session_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.post("/api/v2/session/execute", session=session_id, json=body or {"mode": "full"},
                            headers={"Prefer": "wait=120"})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def rerun(self, session_id: str, node_id: str, isolated: bool = True) -> dict[str, Any]:
        r = await self.post(f"/api/v2/session/nodes/{node_id}/rerun?isolated={str(isolated).lower()}",
                            session=session_id, headers={"Prefer": "wait=120"})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def upload(self, session_id: str | None, path: Path, **params: Any) -> dict[str, Any]:
        with path.open("rb") as fh:
            r = await self.post("/api/v2/media/upload", session=session_id, params=params,
                                files={"file": (path.name, fh)})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture
async def studio(settings: Settings) -> AsyncIterator[Studio]:
    s = Studio(settings)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
async def client(studio: Studio) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(studio.settings, studio)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{TEST_HOST}") as c:
        yield c


@pytest.fixture
def make_user(studio: Studio, client: httpx.AsyncClient) -> Callable[..., Any]:
    counter = {"n": 0}

    async def make(email: str | None = None, admin: bool = False) -> Api:
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.com"
        studio.accounts.create_user(email, PASSWORD, admin=admin)
        r = await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        return Api(client, r.json()["token"], email)

    return make


@pytest.fixture
async def api(make_user: Callable[..., Any]) -> Api:
    return await make_user()  # type: ignore[no-any-return]


def node(node_id: str, node_type: str, x: float = 0, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def edge(source: str, source_handle: str, target: str, target_handle: str) -> dict[str, Any]:
    return {"id": f"{source}.{source_handle}-{target}.{target_handle}", "source": source,
            "source_handle": source_handle, "target": target, "target_handle": target_handle}


def ffmpeg_media(tmp_path: Path, name: str, *args: str) -> Path:
    """Make test media with ffmpeg's lavfi sources."""
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args, str(out)], check=True,
                   env={**os.environ})
    return out


@pytest.fixture
def test_video(tmp_path: Path) -> Path:
    """3 s, 320x240 at 25 fps, with a 440 Hz tone."""
    return ffmpeg_media(tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
                        "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """180 s of 640x480: re-encoding it with preset 'slower' takes far longer than any test waits (60 s with
    preset 'slow' took only ~10 s on our machines, less than a test with several CLI calls spends mid-run)."""
    return ffmpeg_media(tmp_path_factory.mktemp("long"), "long.mp4", "-f", "lavfi",
                        "-i", "testsrc=size=640x480:rate=25:duration=180", "-f", "lavfi",
                        "-i", "sine=frequency=440:duration=180", "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")


@pytest.fixture
def test_audio(tmp_path: Path) -> Path:
    return ffmpeg_media(tmp_path, "tone.wav", "-f", "lavfi", "-i", "sine=frequency=330:duration=2")


# -- helpers shared by the node test folders -------------------------------------------------
def output(run: dict[str, Any], node_id: str, socket: str) -> Any:
    """A succeeded node's output value (public form)."""
    state = run["nodes"][node_id]
    assert state["status"] == "succeeded", state
    return state["outputs"][socket]


def error_code(run: dict[str, Any], node_id: str) -> str:
    state = run["nodes"][node_id]
    assert state["status"] == "failed", state
    return str(state["error"]["code"])


async def media_record(api: Api, media_id: str) -> dict[str, Any]:
    r = await api.get(f"/api/v2/media/{media_id}")
    assert r.status_code == 200, r.text
    record: dict[str, Any] = r.json()
    return record


async def download(api: Api, media_id: str, dest_dir: Path) -> Path:
    """Download a media file through the API, keeping its extension."""
    record = await media_record(api, media_id)
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    dest = dest_dir / f"{media_id}.{record['filename'].rsplit('.', 1)[-1]}"
    dest.write_bytes(r.content)
    return dest


def ffprobe(path: Path) -> dict[str, Any]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    info: dict[str, Any] = json.loads(proc.stdout)
    return info


async def wait_for_run(api: Api, session_id: str, timeout: float = 240) -> dict[str, Any]:
    """Poll the session's execution until its run ends (for runs started without waiting)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        r = await api.get("/api/v2/session/execution", session=session_id)
        run = r.json()["run"]
        if run is not None and run["status"] not in ("queued", "running"):
            return run  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)
    raise AssertionError(f"the run of session {session_id} did not finish in {timeout} s")
