"""Settings and the worker command refuse a Celery set-up that could not work, before anything starts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from celery_cluster import CLI, SRC
from pydantic import ValidationError

from miniaistudio.config import Settings
from miniaistudio.core.registry import default_registry
from miniaistudio.executors.celery_app import queue_for


def test_celery_needs_redis_and_a_time_limit_below_the_visibility_timeout(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="redis_url"):
        Settings(data_dir=tmp_path, executor="celery")
    with pytest.raises(ValidationError, match="below celery_visibility_timeout_seconds"):
        Settings(data_dir=tmp_path, executor="celery", redis_url="redis://127.0.0.1:1/0",
                 celery_visibility_timeout_seconds=60, celery_task_time_limit_seconds=60)
    with pytest.raises(ValidationError, match="executor"):
        Settings(data_dir=tmp_path, executor="threads")


def test_queues_follow_the_gpu_flag_unless_overridden() -> None:
    gpu_type = next(spec.type for spec in default_registry.all() if spec.gpu)
    assert queue_for(default_registry, gpu_type, {}) == "gpu"
    assert queue_for(default_registry, "image.resize", {}) == "cpu"
    assert queue_for(default_registry, "image.resize", {"image.resize": "gpu"}) == "gpu"
    assert queue_for(default_registry, gpu_type, {gpu_type: "cpu"}) == "cpu"


def test_the_worker_command_refuses_unknown_queues_and_a_missing_broker(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC)}  # this tree's package, as the workers get
    env = {**base, "MINIAI_REDIS_URL": "redis://127.0.0.1:1/0"}
    bad = subprocess.run([str(CLI), "worker", "--queues", "gpu,tpu", "--data-dir", str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--queues" in bad.stderr
    no_broker = subprocess.run([str(CLI), "worker", "--data-dir", str(tmp_path)], env=base,
                               capture_output=True, text=True, timeout=60)
    assert no_broker.returncode == 2 and "MINIAI_REDIS_URL" in no_broker.stderr
