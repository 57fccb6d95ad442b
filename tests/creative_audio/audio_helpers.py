"""Shared steps for the creative audio tests: run graphs over HTTP, fetch outputs, measure audio."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from conftest import Api


async def run_graph(api: Api, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": nodes, "edges": edges or []})
    return await api.run(session["id"])


def output(run: dict[str, Any], node_id: str, socket: str) -> Any:
    state = run["nodes"][node_id]
    assert state["status"] == "succeeded", state
    return state["outputs"][socket]


def error_of(run: dict[str, Any], node_id: str) -> dict[str, Any]:
    state = run["nodes"][node_id]
    assert state["status"] == "failed", state
    error: dict[str, Any] = state["error"]
    return error


def rms_db(path: Path, start: float | None = None, length: float | None = None) -> float:
    """Overall RMS level in dBFS measured by ffmpeg's astats (optionally of a window)."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "info"]
    if start is not None:
        args += ["-ss", str(start)]
    if length is not None:
        args += ["-t", str(length)]
    args += ["-i", str(path), "-af", "astats=measure_perchannel=none", "-f", "null", "-"]
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    match = re.findall(r"RMS level dB:\s*(-?[\d.]+|-inf)", proc.stderr)
    assert match, proc.stderr[-2000:]
    return float(match[-1]) if match[-1] != "-inf" else -200.0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words, divided by the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
            prev, row[j] = row[j], cur
    return row[len(hyp)] / max(1, len(ref))


def silences(path: Path, *, noise_db: float = -45.0, min_seconds: float = 0.5) -> list[tuple[float, float]]:
    """Stretches quieter than ``noise_db`` for at least ``min_seconds``, found by ffmpeg's silencedetect."""
    import re
    import subprocess

    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "info", "-i", str(path), "-af",
                           f"silencedetect=noise={noise_db}dB:d={min_seconds}", "-f", "null", "-"],
                          capture_output=True, text=True, timeout=120, check=True)
    starts = [float(m) for m in re.findall(r"silence_start: (-?[\d.]+)", proc.stderr)]
    ends = [float(m) for m in re.findall(r"silence_end: (-?[\d.]+)", proc.stderr)]
    return [(s, ends[i] if i < len(ends) else float("inf")) for i, s in enumerate(starts)]
