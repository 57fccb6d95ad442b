"""``make cluster``: the distributed studio on one machine, thrown away on Ctrl-C.

Starts throwaway PostgreSQL 15, Redis and an S3-compatible server (SeaweedFS ``weed mini``) on loopback,
with the same launchers as the test suite (``tests/servers.py``), then two API processes
(``miniaistudio serve``) that share state only through them: one database, one Redis, media in one
bucket. Nodes run on Celery workers (``miniaistudio worker``): one taking both queues, or a GPU worker and
a CPU worker when ``nvidia-smi`` finds a GPU. Each process has a data dir of its own (scratch, its S3
read-through cache), as on separate machines. It prints the URLs and an admin sign-in, and on Ctrl-C (or
SIGTERM) stops everything and deletes every file it made.

Usage: ``python scripts/cluster.py [--port 8790] [--api-processes 2]`` (API n listens on port + n - 1).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import servers  # the test harness's throwaway servers

ADMIN = "admin@example.com"
BUCKET = "studio-media"


def _cli() -> list[str]:
    beside = Path(sys.executable).parent / "miniaistudio"
    return [str(beside)] if beside.is_file() else [sys.executable, "-c",
                                                   "import sys; from miniaistudio.cli import main; sys.exit(main())"]


def _has_gpu() -> bool:
    nvidia_smi = shutil.which("nvidia-smi")
    return bool(nvidia_smi) and subprocess.run([nvidia_smi or "", "-L"], capture_output=True,
                                               check=False).returncode == 0


def _wait_for_http(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # 401 without a token: the API answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in time")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790, help="API process n listens on port + n - 1")
    parser.add_argument("--api-processes", type=int, default=2)
    args = parser.parse_args()

    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    cluster = servers.Servers()
    root = Path(tempfile.mkdtemp(prefix="miniai-cluster-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        postgres, redis = cluster.ensure_started()
        s3 = cluster.ensure_s3()
        password = secrets.token_urlsafe(12)
        shared = {
            **os.environ,
            "MINIAI_DATABASE_URL": postgres.url(postgres.create_database()),
            "MINIAI_REDIS_URL": redis.url,
            "MINIAI_SECRET_KEY": secrets.token_urlsafe(48),  # one key: a token from one process works on all
            **{f"MINIAI_{field.upper()}": value for field, value in s3.settings(BUCKET).items()},
        }
        first = {**shared, "MINIAI_DATA_DIR": str(root / "api-1")}
        subprocess.run([*_cli(), "users", "create", "--email", ADMIN, "--password", password, "--admin"],
                       env=first, check=True, capture_output=True)
        # The Celery executor: nodes run on workers, API processes only coordinate. Without a GPU one worker
        # takes both queues, so GPU node types still run (on the CPU).
        shared["MINIAI_EXECUTOR"] = "celery"
        workers = ["gpu", "cpu"] if _has_gpu() else ["gpu,cpu"]
        for queues in workers:
            worker_env = {**shared, "MINIAI_DATA_DIR": str(root / f"worker-{queues.replace(',', '-')}")}
            processes.append(subprocess.Popen([*_cli(), "worker", "--queues", queues], env=worker_env,
                                              start_new_session=True))
        urls = []
        for n in range(1, args.api_processes + 1):
            port = args.port + n - 1
            env = {**shared, "MINIAI_DATA_DIR": str(root / f"api-{n}"), "MINIAI_PORT": str(port),
                   "MINIAI_HOST": "127.0.0.1"}
            processes.append(subprocess.Popen([*_cli(), "serve"], env=env, start_new_session=True,
                                              stdout=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 180
        for url, process in zip(urls, processes[-len(urls):], strict=True):
            _wait_for_http(f"{url}/api/v2/auth/me", process, deadline)
        print("Mini AI Studio cluster (PostgreSQL + Redis + S3 on loopback):")
        for n, url in enumerate(urls, 1):
            print(f"  API {n}: {url}")
        print(f"  sign in: {ADMIN} / {password}")
        print(f"  database: {shared['MINIAI_DATABASE_URL']}")
        print(f"  redis: {redis.url}")
        print(f"  s3: {s3.endpoint_url} bucket {BUCKET}")
        print(f"  executor: celery, workers on queues {' and '.join(workers)}")
        print("Ready. Ctrl-C stops everything.", flush=True)
        return_code = 0
        while not stopping:
            if any(p.poll() is not None for p in processes):
                print("a cluster process exited; stopping everything", flush=True)
                return_code = 1
                break
            time.sleep(0.2)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        _stop(processes)
        cluster.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(root)
    print("Stopped.", flush=True)
    return return_code


if __name__ == "__main__":
    sys.exit(main())
