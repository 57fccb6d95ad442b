"""``make cluster`` (scripts/cluster.py): throwaway PostgreSQL, Redis and S3 servers and two API processes
come up; media uploaded through one API process download from the other (one database, one bucket); Ctrl-C
stops every process and leaves no server behind."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from PIL import Image

from servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _two_free_ports() -> int:
    while True:
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


def _closed(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


def test_cluster_starts_serves_from_both_api_processes_and_stops_on_ctrl_c() -> None:
    port = _two_free_ports()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "cluster.py"), "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ready."):
                break
        out = "".join(lines)
        assert "Ready." in out, out[-3000:]
        assert "executor: celery" in out  # nodes run on a worker, outputs reach the API processes through S3
        api1, api2 = re.findall(r"API \d: (http://\S+)", out)
        password = re.search(r"sign in: \S+ / (\S+)", out).group(1)  # type: ignore[union-attr]
        s3_url = re.search(r"s3: (http://\S+)", out).group(1)  # type: ignore[union-attr]

        login = httpx.post(f"{api1}/api/v2/auth/login", json={"email": "admin@example.com", "password": password})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        buffer = io.BytesIO()
        Image.new("RGB", (24, 16), (20, 90, 200)).save(buffer, format="PNG")
        up = httpx.post(f"{api1}/api/v2/media/upload", headers=auth, files={"file": ("a.png", buffer.getvalue())})
        assert up.status_code == 201, up.text
        got = httpx.get(f"{api2}/api/v2/media/{up.json()['id']}/download", headers=auth)
        assert got.status_code == 200 and got.content == buffer.getvalue()

        # A run started on one API process (its nodes on a worker when there is one) leaves outputs the other reads.
        session = httpx.post(f"{api1}/api/v2/sessions", headers=auth, json={"name": "cluster"}).json()
        flow = {"nodes": [{"id": "c", "type": "image.solid_color", "position": {"x": 0, "y": 0},
                           "params": {"width": 32, "height": 16, "color": "#118844"}}], "edges": []}
        saved = httpx.put(f"{api1}/api/v2/sessions/{session['id']}/flow", headers=auth,
                          json={"graph": flow, "version": session["version"]})
        assert saved.status_code == 200, saved.text
        run = httpx.post(f"{api1}/api/v2/session/execute", json={"mode": "full"}, timeout=150,
                         headers={**auth, "X-Session-ID": session["id"], "Prefer": "wait=120"}).json()
        assert run["status"] == "succeeded", run
        output = run["nodes"]["c"]["outputs"]["image"]["media_id"]
        made = httpx.get(f"{api2}/api/v2/media/{output}/download", headers=auth)
        assert made.status_code == 200 and made.content.startswith(b"\x89PNG")

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=120)
        assert process.returncode == 0, rest[-3000:]
        assert "Stopped." in rest
        deadline = time.monotonic() + 10
        while not all(_closed(u) for u in (api1, api2, s3_url)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_closed(u) for u in (api1, api2, s3_url))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
