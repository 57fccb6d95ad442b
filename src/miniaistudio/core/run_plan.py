"""What a run will do before it starts: which nodes execute, which come from the cache, and
what that costs. :meth:`Engine.plan` makes one, :meth:`Engine.start` runs it, and in between
a door may check or hold credits for its :attr:`RunPlan.cost`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .graph import Graph
from .planner import Plan
from .run import RunState
from .validation import CheckedGraph


@dataclass(frozen=True)
class Cost:
    """Credits a run is expected to spend: in total and per executing node (integer credits:
    money is exact)."""

    total: int = 0
    per_node: dict[str, int] = field(default_factory=dict)


@dataclass
class RunPlan:
    run: RunState  # the run as it will start: every touched node queued or cached
    checked: CheckedGraph
    plan: Plan
    graph: Graph  # as submitted, before loops were expanded
    graph_version: Any = None
    cost: Cost = Cost()
    started: bool = False

    @property
    def execute(self) -> list[str]:
        """Nodes that will run, in topological order."""
        return self.plan.execute

    @property
    def cached(self) -> list[str]:
        """Nodes whose outputs come from the cache."""
        return list(self.plan.cached)
