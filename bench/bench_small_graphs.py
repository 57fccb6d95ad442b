"""Small-graph benchmark (issue 17): the everyday case, against a real server process.

    .venv/bin/python bench/bench_small_graphs.py [--repeats 20] [--two-requests] [--before OTHER/src]

For chains of N = 1, 3, 10, 30 cheap image nodes at 64 px and 512 px it measures, as a
client sees it (wall time of save + execute, waiting for the end; one request, execute carrying the
graph, unless ``--two-requests``):

- cold: a fresh session, nothing cached;
- unchanged: the same graph resubmitted (everything cached);
- last node changed: only the tail node's parameters differ.

``--before`` serves another checkout too (say main's ``src``) and alternates the two, so both
columns meet the same machine noise. It prints medians and p95 over ``--repeats`` fresh sessions
per case, the server's RSS before and after, and the reference engine's figures measured on these machines on
2026-12-03 (ComfyUI v0.3.64, same chains; issue 17) with the ratio ours / theirs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
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


def save_and_run(client: httpx.Client, session: dict[str, Any], graph: dict[str, Any], one_request: bool) -> float:
    """Client wall time (ms) to save the graph and run it to the end: in one request (execute carries
    the graph), or as two (PUT /flow, then execute) for a server that predates that."""
    headers = {"X-Session-ID": session["id"], "Prefer": "wait=300"}
    t0 = time.perf_counter()
    if one_request:
        r = client.post("/api/v2/session/execute", headers=headers,
                        json={"mode": "full", "graph": graph, "version": session["version"]})
        r.raise_for_status()
        session["version"] = int(r.headers["X-Graph-Version"])
    else:
        r = client.put(f"/api/v2/sessions/{session['id']}/flow",
                       json={"graph": graph, "version": session["version"]})
        r.raise_for_status()
        session["version"] = r.json()["version"]
        r = client.post("/api/v2/session/execute", json={"mode": "full"}, headers=headers)
        r.raise_for_status()
    elapsed = (time.perf_counter() - t0) * 1000
    assert r.json()["status"] == "succeeded", r.json()
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Contender:
    """One server under test: ours, or the tree before (``--before``), measured alternately."""

    label: str
    server: Server
    one_request: bool
    client: httpx.Client | None = None
    samples: dict[tuple[int, int, str], list[float]] = field(default_factory=dict)
    rss: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.server.create_user()
        self.server.start()
        self.client = self.server.login()
        self.client.get("/api/v2/ping")  # warm the connection
        session = self.client.post("/api/v2/sessions", json={"name": "warm-up"}).json()
        save_and_run(self.client, session, chain(3, 64, 32), self.one_request)
        self.rss.append(self.rss_mib())

    def rss_mib(self) -> float:
        assert self.server.proc is not None
        return rss_kib(self.server.proc.pid) / 1024

    def measure_once(self, n: int, size: int, rep: int) -> None:
        """A fresh session: cold, then unchanged, then last node changed."""
        assert self.client is not None
        base, changed = chain(n, size, size // 2), chain(n, size, size // 2 + 8)
        if n == 1:
            base, changed = chain(1, size, size), chain(1, size, size + 1)
        session = self.client.post("/api/v2/sessions", json={"name": f"small {n}x{size} #{rep}"}).json()
        for case, graph in zip(CASES, (base, base, changed), strict=True):
            self.samples.setdefault((n, size, case), []).append(
                save_and_run(self.client, session, graph, self.one_request))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--two-requests", action="store_true",
                        help="save (PUT /flow) then execute, instead of execute carrying the graph")
    parser.add_argument("--before", type=Path, metavar="SRC",
                        help="another checkout's src/ (e.g. main's) measured alternately beside this one, "
                             "with two requests per run (as clients did before execute carried the graph)")
    parser.add_argument("--before-one-request", action="store_true",
                        help="the --before tree takes the graph in execute too (to measure one change alone)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        contenders = [Contender("ours", Server(Path(tmp) / "ours"), one_request=not args.two_requests)]
        if args.before:
            contenders.append(Contender("before", Server(Path(tmp) / "before", src=args.before.resolve()),
                                        one_request=args.before_one_request))
        try:
            for c in contenders:
                c.start()
            for size in (64, 512):
                for n in (1, 3, 10, 30):
                    for rep in range(args.repeats):
                        for c in contenders if rep % 2 == 0 else reversed(contenders):
                            c.measure_once(n, size, rep)
            for c in contenders:
                c.rss.append(c.rss_mib())
        finally:
            for c in contenders:
                c.server.stop()
    ours = contenders[0]
    before = contenders[1] if len(contenders) > 1 else None
    how = "one request (execute carries the graph)" if ours.one_request else "two requests (save, then execute)"
    print(f"\nSmall graphs: client wall time of save + run ({how}), {args.repeats} fresh sessions per case")
    head = f"{'nodes':>5} {'px':>4} {'case':<13} {'median ms':>9} {'p95 ms':>8}"
    if before:
        head += f" {'before':>8} {'p95':>7} {'÷before':>7}"
    print(head + f" {'reference':>9} {'ratio':>6}")
    for key, values in ours.samples.items():
        n, size, case = key
        median = statistics.median(values)
        line = f"{n:>5} {size:>4} {case:<13} {median:9.1f} {p95(values):8.1f}"
        if before:
            old = before.samples[key]
            line += f" {statistics.median(old):8.1f} {p95(old):7.1f} {median / statistics.median(old):7.2f}"
        ref = REFERENCE.get(key)
        line += f" {ref:9.1f} {median / ref:6.2f}" if ref else f" {'':>9} {'':>6}"
        print(line)
    print(f"\nreference: ComfyUI v0.3.64 on these machines, 2026-12-03 (issue 17); goal ratio ≤ {GOAL_RATIO}")
    for c in contenders:
        print(f"server RSS ({c.label}): {c.rss[0]:.0f} MiB after warm-up, {c.rss[-1]:.0f} MiB after the benchmark")


if __name__ == "__main__":
    main()
