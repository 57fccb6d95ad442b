"""A real studio server in a subprocess, for benchmarks (not tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
#: The studio of this checkout (not whichever one the venv installed): ``python -m miniaistudio.cli``.
CLI = [sys.executable, "-m", "miniaistudio.cli"]
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, data_dir: Path, email: str = "bench@example.com", src: Path = ROOT / "src") -> None:
        """``src``: the source tree to serve (another checkout's, to compare two versions side by side)."""
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.email = email
        self.env = {**os.environ, "MINIAI_SECRET_KEY": "bench-secret-key-0123456789abcdefghij",
                    "MINIAI_LOG_LEVEL": "warning",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))}
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    def create_user(self) -> None:
        subprocess.run([*CLI, "users", "create", "--email", self.email, "--password", PASSWORD,
                        "--data-dir", str(self.data_dir)], check=True, env=self.env, capture_output=True)

    def start(self) -> None:
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120  # a busy shared machine starts slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v2/ping", timeout=0.5).status_code == 200:
                    self.startup_seconds = time.perf_counter() - t0
                    return
            except httpx.HTTPError:
                time.sleep(0.01)
        raise RuntimeError("server did not start")

    def login(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=600)
        token = client.post("/api/v2/auth/login", json={"email": self.email, "password": PASSWORD}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        client.cookies.clear()
        return client

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
