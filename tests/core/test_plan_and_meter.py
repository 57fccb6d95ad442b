"""Planning a run without starting it, and the meter's calls around a run."""

from __future__ import annotations

from typing import Any

import pytest

from miniaistudio.core.errors import SessionBusy, StudioError
from miniaistudio.core.run import RunState, RunStatus
from miniaistudio.core.run_plan import Cost, RunPlan
from miniaistudio.executors.fake import fail

from .conftest import SESSION, Harness, chain


class RecordingMeter:
    """Two credits per executing node; refuses runs above ``limit``."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self.calls: list[tuple[Any, ...]] = []

    async def estimate(self, plan: RunPlan) -> Cost:
        per_node = dict.fromkeys(plan.execute, 2)
        return Cost(total=sum(per_node.values()), per_node=per_node)

    async def hold(self, run: RunState, amount: int) -> None:
        if amount > self.limit:
            raise StudioError("not enough credits", code="INSUFFICIENT_CREDITS", status=402)
        self.calls.append(("hold", amount))

    async def node_finished(self, run: RunState, node_id: str, actual: int) -> None:
        self.calls.append(("node", node_id, actual))

    async def release(self, run: RunState) -> None:
        self.calls.append(("release",))


async def test_a_plan_says_what_runs_and_what_is_cached_before_anything_starts(harness: Harness) -> None:
    await harness.run(chain())
    changed = chain()
    changed["nodes"][3]["params"]["contrast"] = 3.0  # b only
    before = len(harness.executor.launched)
    plan = await harness.plan(changed)
    assert plan.execute == ["b"]
    assert sorted(plan.cached) == ["a1", "a2", "color"]
    assert plan.cost == Cost()  # the null meter: nothing costs anything
    assert harness.engine.active_run(SESSION) is None and len(harness.executor.launched) == before

    run = await harness.finish(await harness.engine.start(plan))
    assert run.status == RunStatus.SUCCEEDED
    assert harness.executor.launched_nodes()[before:] == ["b"]
    with pytest.raises(ValueError):
        await harness.engine.start(plan)


async def test_the_meter_holds_the_estimate_settles_each_node_and_releases() -> None:
    meter = RecordingMeter()
    h = Harness(meter=meter)
    try:
        h.executor.on("image.adjust", fail("BOOM"))
        plan = await h.plan(chain())
        assert plan.cost.total == 8
        run = await h.finish(await h.engine.start(plan))
        assert run.status == RunStatus.FAILED
        assert meter.calls[0] == ("hold", 8)
        assert meter.calls[-1] == ("release",)
        settled = {c[1]: c[2] for c in meter.calls if c[0] == "node"}
        assert settled == {"color": 2, "a1": 0, "b": 0}  # a2 never ran (skipped)
    finally:
        await h.close()


async def test_a_meter_that_refuses_keeps_the_run_from_starting() -> None:
    h = Harness(meter=RecordingMeter(limit=5))
    try:
        plan = await h.plan(chain())
        with pytest.raises(StudioError) as refused:
            await h.engine.start(plan)
        assert refused.value.code == "INSUFFICIENT_CREDITS"
        assert h.engine.active_run(SESSION) is None
        assert h.executor.launched == []
    finally:
        await h.close()


async def test_a_plan_cannot_start_while_the_session_runs(harness: Harness) -> None:
    first = await harness.plan(chain())
    second = await harness.plan(chain())
    run = await harness.engine.start(first)
    with pytest.raises(SessionBusy):
        await harness.engine.start(second)
    await harness.finish(run)
