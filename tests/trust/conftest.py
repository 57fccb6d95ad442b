"""The trust suite's shared fixtures and its figures table (see figures.py): printed after the run
by ``pytest_terminal_summary`` and written to ``test-artifacts/trust-figures.json``."""

from __future__ import annotations

from pathlib import Path

import pytest

from .figures import FIGURES, Figures

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "trust-figures.json"


@pytest.fixture(scope="session")
def figures() -> Figures:
    """The session's figures collector: tests add the counts they produce."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES.values:
        return  # no trust test ran
    terminalreporter.section("trust figures")
    rows = FIGURES.table()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        terminalreporter.write_line(f"{label:<{width}}  {value:>10}")
    for note in FIGURES.notes:
        terminalreporter.write_line(f"- {note}")
    FIGURES.write(ARTIFACT)
    terminalreporter.write_line(f"written to {ARTIFACT}")
