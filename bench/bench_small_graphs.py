"""Small-graph benchmark (issue 17): the everyday case, against a real server process.

    .venv/bin/python bench/bench_small_graphs.py [--repeats 20]

For chains of N = 1, 3, 10, 30 cheap image nodes at 64 px and 512 px it measures, as a
client sees it (wall time of save + execute, waiting for the end):

- cold: a fresh session, nothing cached;
- unchanged: the same graph resubmitted (everything cached);
- last node changed: only the tail node's parameters differ.

It prints medians and p95 over ``--repeats`` fresh sessions per case, the server's RSS
before and after, and the reference engine's figures measured on these machines on
2026-12-03 (ComfyUI v0.3.64, same chains; issue 17) with the ratio ours / theirs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _server import Server, rss_kib

# (nodes, size px, case) -> ms; the most used open-source node engine, measured side by side
# on these 2-core machines on 2026-12-03 (client wall time medians, issue 17's table).
REFERENCE: dict[tuple[int, int, str], float] = {
    (1, 64, "cold"): 3.4, (10, 64, "cold"): 6.9,
    (1, 64, "unchanged"): 1.9, (10, 64, "unchanged"): 3.4,
    (10, 512, "cold"): 25.4, (10, 512, "unchanged"): 3.4, (10, 512, "last changed"): 12.4,
}
GOAL_RATIO = 0.8
CASES = ("cold", "unchanged", "last changed")


def chain(n: int, size: int, tail_width: int) -> dict[str, Any]:
    """solid colour → (n-2) adjust nodes → resize; n=1 is the solid colour alone."""
    nodes: list[dict[str, Any]] = [{"id": "n0", "type": "image.solid_color",
                                    "params": {"width": size, "height": size, "color": "#336699"}}]
    for i in range(1, n - 1):
        nodes.append({"id": f"n{i}", "type": "image.adjust", "params": {"invert": True}})
    if n > 1:
        nodes.append({"id": f"n{n - 1}", "type": "image.resize",
                      "params": {"width": tail_width, "height": tail_width, "mode": "stretch"}})
    elif tail_width != size:  # a one-node chain changes its only node
        nodes[0]["params"]["color"] = "#993366"
    edges = [{"id": f"e{i}", "source": f"n{i - 1}", "source_handle": "image", "target": f"n{i}",
              "target_handle": "image"} for i in range(1, n)]
    return {"nodes": nodes, "edges": edges}


def save_and_run(client: httpx.Client, session: dict[str, Any], graph: dict[str, Any]) -> float:
    """Client wall time (ms) to save the graph and run it to the end."""
    t0 = time.perf_counter()
    r = client.put(f"/api/v2/sessions/{session['id']}/flow", json={"graph": graph, "version": session["version"]})
    r.raise_for_status()
    session["version"] = r.json()["version"]
    r = client.post("/api/v2/session/execute", json={"mode": "full"},
                    headers={"X-Session-ID": session["id"], "Prefer": "wait=300"})
    r.raise_for_status()
    elapsed = (time.perf_counter() - t0) * 1000
    assert r.json()["status"] == "succeeded", r.json()
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(client: httpx.Client, n: int, size: int, repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {case: [] for case in CASES}
    base, changed = chain(n, size, size // 2), chain(n, size, size // 2 + 8)
    if n == 1:
        base, changed = chain(1, size, size), chain(1, size, size + 1)
    for rep in range(repeats):
        session = client.post("/api/v2/sessions", json={"name": f"small {n}x{size} #{rep}"}).json()
        samples["cold"].append(save_and_run(client, session, base))
        samples["unchanged"].append(save_and_run(client, session, base))
        samples["last changed"].append(save_and_run(client, session, changed))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data")
        server.create_user()
        server.start()
        try:
            client = server.login()
            client.get("/api/v2/ping")  # warm the connection
            warm = chain(3, 64, 32)
            session = client.post("/api/v2/sessions", json={"name": "warm-up"}).json()
            save_and_run(client, session, warm)
            assert server.proc is not None
            rss_before = rss_kib(server.proc.pid) / 1024
            rows = []
            for size in (64, 512):
                for n in (1, 3, 10, 30):
                    samples = measure(client, n, size, args.repeats)
                    for case in CASES:
                        rows.append((n, size, case, statistics.median(samples[case]), p95(samples[case])))
            rss_after = rss_kib(server.proc.pid) / 1024
        finally:
            server.stop()
    print(f"\nSmall graphs: client wall time of save + execute, {args.repeats} fresh sessions per case")
    print(f"{'nodes':>5} {'px':>4} {'case':<13} {'median ms':>9} {'p95 ms':>8} {'reference':>9} {'ratio':>6}")
    for n, size, case, median, tail in rows:
        ref = REFERENCE.get((n, size, case))
        ref_s = f"{ref:9.1f}" if ref else f"{'':>9}"
        ratio = f"{median / ref:6.2f}" if ref else f"{'':>6}"
        print(f"{n:>5} {size:>4} {case:<13} {median:9.1f} {tail:8.1f} {ref_s} {ratio}")
    print(f"\nreference: ComfyUI v0.3.64 on these machines, 2026-12-03 (issue 17); goal ratio ≤ {GOAL_RATIO}")
    print(f"server RSS: {rss_before:.0f} MiB after warm-up, {rss_after:.0f} MiB after the benchmark")


if __name__ == "__main__":
    main()
