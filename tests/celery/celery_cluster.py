"""Real ``miniaistudio worker`` processes on a throwaway Redis, over one data dir shared with the test studio.

Each worker runs in its own process group, so :meth:`Workers.kill9` takes the whole worker (its
main process and pool processes) down at once, as a machine failure would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from miniaistudio.config import Settings
from miniaistudio.executors.celery_app import make_celery

CLI = Path(sys.executable).with_name("miniaistudio")
HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"

#: Short enough for redelivery within seconds, and the task time limit stays below it.
CELERY_SETTINGS: dict[str, Any] = {
    "executor": "celery",
    "extra_node_modules": ["celery_test_nodes"],
    "celery_visibility_timeout_seconds": 10.0,
    "celery_task_time_limit_seconds": 9.0,
    "celery_restore_seconds": 1.0,
    "celery_max_deliveries": 3,
    "cancel_grace_seconds": 1.0,
    "node_queues": {"image.resize": "gpu"},
}


def environment(settings: Settings, data_dir: Path | None = None) -> dict[str, str]:
    """``MINIAI_*`` variables giving a worker the same studio as ``settings`` (on a data dir of its own when
    ``data_dir`` is given, as on another machine)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE), os.environ.get("PYTHONPATH", "")])}
    for name in ("data_dir", "database_url", "redis_url", "secret_key", "models_dir", "executor",
                 "celery_visibility_timeout_seconds", "celery_task_time_limit_seconds", "celery_restore_seconds",
                 "celery_max_deliveries", "cancel_grace_seconds", "media_store", "s3_endpoint_url", "s3_bucket",
                 "s3_region", "s3_access_key_id", "s3_secret_access_key"):
        value = getattr(settings, name)
        if value is not None:
            env[f"MINIAI_{name.upper()}"] = str(value)
    env["MINIAI_EXTRA_NODE_MODULES"] = json.dumps(settings.extra_node_modules)
    env["MINIAI_NODE_QUEUES"] = json.dumps(settings.node_queues)
    env["MINIAI_LOG_LEVEL"] = "info"
    if data_dir is not None:
        env["MINIAI_DATA_DIR"] = str(data_dir)
    return env


@dataclass
class Worker:
    name: str
    queues: str
    concurrency: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def node_name(self) -> str:
        """Celery's name for it (what ``task_attempts.worker`` records)."""
        return f"{self.name}@test"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Workers:
    settings: Settings
    log_dir: Path
    workers: dict[str, Worker] = field(default_factory=dict)
    data_dir: Path | None = None  # the workers' own, instead of the studio's

    def add(self, name: str, queues: str, concurrency: int = 1) -> Worker:
        worker = self.workers[name] = Worker(name, queues, concurrency)
        return worker

    def start(self, worker: Worker) -> None:
        log = (self.log_dir / f"{worker.name}.log").open("ab")
        worker.process = subprocess.Popen(
            [str(CLI), "worker", "--queues", worker.queues, "--concurrency", str(worker.concurrency),
             "--name", worker.node_name],
            env=environment(self.settings, self.data_dir), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ensure_all(self, timeout: float = 60) -> None:
        """Start the workers that are not running, and wait until every one answers a ping."""
        for worker in self.workers.values():
            if not worker.alive:
                self.start(worker)
        app = make_celery(self.settings)
        deadline = time.monotonic() + timeout
        waiting = {w.node_name: w for w in self.workers.values()}
        try:
            while waiting and time.monotonic() < deadline:
                for reply in app.control.ping(destination=sorted(waiting), timeout=0.5) or []:
                    for name in reply:
                        waiting.pop(name, None)
                for worker in waiting.values():
                    if not worker.alive:
                        raise AssertionError(f"worker {worker.name} exited:\n{self.log(worker.name)[-3000:]}")
        finally:
            app.close()
        if waiting:
            raise AssertionError(f"workers {sorted(waiting)} did not answer in {timeout} s")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    def kill9(self, node_name: str) -> None:
        """SIGKILL to the worker's whole process group: main process and pool processes die at once."""
        worker = next(w for w in self.workers.values() if w.node_name == node_name)
        assert worker.process is not None
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.workers.values():
            if worker.alive:
                assert worker.process is not None
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers.values():
            if worker.process is not None:
                try:
                    worker.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(worker.process.pid, signal.SIGKILL)
                    worker.process.wait(timeout=10)


def attempts_of(settings: Settings, run_id: str) -> dict[str, dict[str, Any]]:
    """The ``task_attempts`` rows of a run, by node id, read as an admin would."""
    engine = create_engine(settings.resolved_database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT task_id, node_id, queue, deliveries, status, worker, error "
                                     "FROM task_attempts WHERE run_id = :run"), {"run": run_id}).mappings().all()
    finally:
        engine.dispose()
    return {row["node_id"]: dict(row) for row in rows}


def media_rows(settings: Settings, run_id: str) -> list[dict[str, Any]]:
    engine = create_engine(settings.resolved_database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, node_id FROM media WHERE run_id = :run"),
                                {"run": run_id}).mappings().all()
    finally:
        engine.dispose()
    return [dict(row) for row in rows]


async def fresh_user(studio: Any, client: Any) -> Any:
    """An :class:`conftest.Api` for a new user (the data dir outlives each test: one user per test)."""
    import uuid

    from conftest import PASSWORD, Api

    email = f"{uuid.uuid4().hex[:10]}@example.com"
    studio.accounts.create_user(email, PASSWORD)
    r = await client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return Api(client, r.json()["token"], email)
