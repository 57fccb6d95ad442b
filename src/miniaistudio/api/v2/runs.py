"""The v2 wire shape of a run (``GetSessionExecution``, run answers, history items, saved outputs)."""

from __future__ import annotations

from typing import Any

from ...core.loops import loop_summary
from ...core.run import RunState
from ...core.urls import Urls
from ...core.values import public_outputs
from ...services.execution import SavedOutput
from .urls import V2_URLS


def run_public(run: RunState, urls: Urls = V2_URLS) -> dict[str, Any]:
    """The run as v2 clients see it: node states with public outputs, loop summaries."""
    nodes = {nid: {**s.to_dict(), "outputs": public_outputs(s.outputs, urls)} for nid, s in run.nodes.items()}
    return {**_run_fields(run, run.counts(), nodes), "nodes": nodes}


def run_summary(run: RunState, counts: dict[str, int]) -> dict[str, Any]:
    """A history item: the run without its node states (loop iterations name their members only)."""
    return _run_fields(run, counts, {})


def _run_fields(run: RunState, counts: dict[str, int], nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "session_id": run.session_id,
        "mode": run.mode.value,
        "target_node_id": run.target_node_id,
        "status": run.status.value,
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": counts,
        "loops": {loop_id: loop_summary(lp, nodes) for loop_id, lp in run.loops.items()},
    }


def saved_outputs_public(saved: dict[str, SavedOutput], urls: Urls = V2_URLS) -> dict[str, Any]:
    return {"nodes": {nid: {"outputs": public_outputs(item.outputs, urls), "source": item.source}
                      for nid, item in saved.items()}}
