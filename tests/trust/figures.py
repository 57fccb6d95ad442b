"""The trust suite's figures: counts that tests add to while they run, printed as a table at the
end of the run and written to ``test-artifacts/trust-figures.json`` (docs/security.md quotes them)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

#: The figures in the order they are printed, with their labels.
LABELS: dict[str, str] = {
    "routes": "routes in the OpenAPI document",
    "route_identity_cells": "routes x identities tried",
    "leaks": "leaks found",
    "hostile_inputs": "hostile inputs tried",
    "server_errors": "5xx seen",
    "ping_samples": "event-loop pings measured",
    "ping_p99_ms": "ping p99 under attack (ms)",
    "ping_max_ms": "ping max under attack (ms)",
    "faults": "faults injected",
    "data_lost": "data lost (missing media files, runs left running, orphans, leftovers)",
}

#: Figures that are a worst value seen rather than a sum.
MAXIMA = {"ping_p99_ms", "ping_max_ms"}


class Figures:
    """Thread-safe counters shared by the whole pytest session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, float] = {}
        self.notes: list[str] = []

    def add(self, name: str, amount: float = 1) -> None:
        assert name in LABELS, f"unknown figure {name!r}"
        with self._lock:
            self.values[name] = self.values.get(name, 0) + amount

    def worst(self, name: str, value: float) -> None:
        """Keep the largest value seen (latencies)."""
        assert name in MAXIMA, f"{name!r} is not a maximum"
        with self._lock:
            self.values[name] = max(self.values.get(name, 0), round(value, 1))

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def table(self) -> list[tuple[str, str]]:
        rows = []
        for name, label in LABELS.items():
            if name in self.values:
                value = self.values[name]
                rows.append((label, f"{value:g}" if isinstance(value, float) else str(value)))
        return rows

    def as_json(self) -> dict[str, Any]:
        return {"figures": {name: self.values[name] for name in LABELS if name in self.values},
                "labels": LABELS, "notes": self.notes}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n")


#: The one collector of the session (a module global so the terminal-summary hook can read it).
FIGURES = Figures()
