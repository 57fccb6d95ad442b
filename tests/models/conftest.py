"""Fixtures for generative-model tests: tiny models built once per test session, a per-test
models directory, HF_HUB_OFFLINE=1, and an admin client that installs models over the API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, make_settings
from miniaistudio.config import Settings

from . import tiny

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "miniaistudio"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Like the root fixture, but with this test's own models dir (imports must not leak)."""
    return make_settings(tmp_path, models_dir=tmp_path / "models",
                         model_import_dirs=[tmp_path.parent])  # pytest's base temp: where tiny models are built


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(2)
    return tmp_path_factory.mktemp("tiny-models")


def _built(folder: Path, build: Callable[[Path], Path]) -> Path:
    return folder if folder.exists() else build(folder)


@pytest.fixture(scope="session")
def tiny_sd(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-sd", tiny.build_sd)


@pytest.fixture(scope="session")
def tiny_pix2pix(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-pix2pix", tiny.build_pix2pix)


@pytest.fixture(scope="session")
def tiny_lora(tiny_dir: Path) -> Path:
    path = tiny_dir / "loras" / "camera-angles.safetensors"
    return path if path.exists() else tiny.build_lora(path.parent)


@pytest.fixture(scope="session")
def tiny_dpt(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-dpt", tiny.build_dpt)


@pytest.fixture(scope="session")
def tiny_swin2sr(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-swin2sr", tiny.build_swin2sr)


@pytest.fixture(scope="session")
def tiny_svd(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-svd", tiny.build_svd)


@pytest.fixture(scope="session")
def tiny_t2v(tiny_dir: Path) -> Path:
    return _built(tiny_dir / "tiny-t2v", tiny.build_t2v)


@pytest.fixture
async def admin(make_user: Callable[..., Any]) -> Api:
    return await make_user("admin@example.com", admin=True)  # type: ignore[no-any-return]


async def install(api: Api, path: Path, **body: Any) -> dict[str, Any]:
    """Import a model folder or file through the API (admin)."""
    r = await api.post("/api/v2/models/import", json={"path": str(path), **body})
    assert r.status_code == 201, r.text
    model: dict[str, Any] = r.json()
    return model


def cli(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real ``miniaistudio`` command against this test's data and models dirs."""
    env = {**os.environ, "MINIAI_MODELS_DIR": str(settings.resolved_models_dir), "HF_HUB_OFFLINE": "1"}
    exe = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "miniaistudio.cli"]
    return subprocess.run([*exe, *args, "--data-dir", str(settings.data_dir)], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


async def run_nodes(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None,
                    session: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    session = session or await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges or []})
    return await api.run(session["id"]), session


def succeeded(run: dict[str, Any], node_id: str, socket: str = "image") -> dict[str, Any]:
    state = run["nodes"][node_id]
    assert state["status"] == "succeeded", state
    value: dict[str, Any] = state["outputs"][socket]
    return value


def failed(run: dict[str, Any], node_id: str) -> dict[str, Any]:
    state = run["nodes"][node_id]
    assert state["status"] == "failed", state
    error: dict[str, Any] = state["error"]
    return error


async def download(api: Api, media_id: str, dest: Path) -> Path:
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200, r.text
    dest.write_bytes(r.content)
    return dest


def png_parameters(path: Path) -> dict[str, Any]:
    """The provenance JSON in a PNG's ``parameters`` text chunk, plus the other chunks."""
    import json

    from PIL import Image

    with Image.open(path) as img:
        img.load()
        text = dict(img.text)  # type: ignore[attr-defined]
    params: dict[str, Any] = json.loads(text["parameters"])
    params["_chunks"] = text
    return params


async def runtime_stats(api: Api) -> dict[str, Any]:
    r = await api.get("/api/v2/models/runtime")
    assert r.status_code == 200, r.text
    stats: dict[str, Any] = r.json()
    return stats


async def current_run(api: Api, session: dict[str, Any]) -> dict[str, Any]:
    r = await api.get("/api/v2/session/execution", session=session["id"])
    assert r.status_code == 200, r.text
    run: dict[str, Any] = r.json()["run"]
    return run


async def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")


@pytest.fixture
def fixed_image(tmp_path: Path) -> Iterator[Path]:
    """A small colorful PNG to upload as an input image."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (30, 90, 200))
    draw = ImageDraw.Draw(img)
    draw.ellipse((16, 8, 48, 40), fill=(240, 200, 40))
    path = tmp_path / "input.png"
    img.save(path)
    yield path
