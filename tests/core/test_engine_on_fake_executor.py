"""The engine on the fake executor: modes, cache, cancel, stop, loops, progress, retries, lost workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from miniaistudio.core.events import (
    NodeProgress,
    NodesCanceled,
    NodeStatusChanged,
    RunFinished,
    RunStarted,
    event_to_dict,
)
from miniaistudio.core.graph import Graph
from miniaistudio.core.ports import RetryPolicy
from miniaistudio.core.run import NodeStatus, RunMode, RunState, RunStatus
from miniaistudio.executors.fake import Behaviour, FakeTask, WorkerLost, fail, hang, lose, report_progress, succeed

from .conftest import SESSION, Harness, chain, edge, node


def statuses(run: RunState) -> dict[str, str]:
    return {nid: s.status.value for nid, s in run.nodes.items()}


async def test_full_run_executes_every_node_in_dependency_order(harness: Harness) -> None:
    run = await harness.run(chain())
    assert run.status == RunStatus.SUCCEEDED
    assert statuses(run) == dict.fromkeys(["color", "a1", "a2", "b"], "succeeded")
    order = harness.executor.launched_nodes()
    assert sorted(order) == ["a1", "a2", "b", "color"]
    assert order.index("color") < order.index("a1") < order.index("a2")
    assert run.nodes["a2"].outputs == {"image": "a2.image"}
    assert harness.executor.launched[1].inputs == {"image": "color.image"}  # upstream outputs flow in
    assert harness.recorder.runs[run.id].status == RunStatus.SUCCEEDED  # the end is recorded
    assert isinstance(harness.events[0], RunStarted)
    finished = harness.events[-1]
    assert isinstance(finished, RunFinished) and finished.counts == {"succeeded": 4}
    assert event_to_dict(finished)["type"] == "run.finished"


async def test_an_unchanged_resubmit_comes_from_the_cache(harness: Harness) -> None:
    await harness.run(chain(), version=1)
    launched = len(harness.executor.launched)
    again = await harness.run(chain(), version=1)
    assert again.status == RunStatus.SUCCEEDED
    assert set(statuses(again).values()) == {"cached"}
    assert len(harness.executor.launched) == launched, "nothing runs again"

    changed = chain()
    changed["nodes"][2]["params"]["brightness"] = 1.8  # a2 only
    third = await harness.run(changed, version=2)
    assert harness.executor.launched_nodes()[launched:] == ["a2"]
    assert third.nodes["a1"].status == NodeStatus.CACHED


async def test_from_node_forces_the_target_and_its_descendants(harness: Harness) -> None:
    await harness.run(chain())
    before = len(harness.executor.launched)
    run = await harness.run(chain(), RunMode.FROM_NODE, "a1")
    assert sorted(harness.executor.launched_nodes()[before:]) == ["a1", "a2"]
    assert run.nodes["color"].status == NodeStatus.CACHED
    assert "b" not in run.nodes  # not downstream of the target


async def test_node_mode_reruns_only_the_target(harness: Harness) -> None:
    await harness.run(chain())
    before = len(harness.executor.launched)
    run = await harness.run(chain(), RunMode.NODE, "a1")
    assert harness.executor.launched_nodes()[before:] == ["a1"]
    assert statuses(run) == {"color": "cached", "a1": "succeeded"}


async def test_node_mode_runs_ancestors_that_never_ran(harness: Harness) -> None:
    run = await harness.run(chain(), RunMode.NODE, "a2")
    assert harness.executor.launched_nodes() == ["color", "a1", "a2"]
    assert run.status == RunStatus.SUCCEEDED


async def test_canceling_one_node_skips_its_descendants_only(harness: Harness) -> None:
    harness.executor.on("image.adjust", hang())
    harness.executor.on("image.solid_color", succeed({"image": "img"}))
    graph = chain()
    run = await harness.start(graph)
    await _until(lambda: _status(harness, "a1") == "running" and _status(harness, "b") == "running")
    assert harness.engine.cancel_node(SESSION, "a1")
    await _until(lambda: _status(harness, "a1") == "canceled")
    assert _status(harness, "a2") == "skipped"
    assert _status(harness, "b") == "running", "the other branch keeps going"
    harness.engine.cancel_node(SESSION, "b")
    done = await harness.finish(run)
    assert done.status == RunStatus.CANCELED
    assert done.nodes["a1"].error == {"code": "CANCELED", "message": "canceled by user"}
    assert done.nodes["a2"].error is not None and done.nodes["a2"].error["code"] == "UPSTREAM_FAILED"


async def test_stop_cancels_waiting_nodes_in_one_event_and_terminates_running_ones() -> None:
    h = Harness(max_concurrent=1)
    await h.listen()
    try:
        h.executor.on("image.adjust", hang())
        graph = {"nodes": [node("color", "image.solid_color"), *[node(f"a{i}", "image.adjust") for i in range(5)]],
                 "edges": [edge("color", "image", f"a{i}", "image") for i in range(5)]}
        run = await h.start(graph)
        await _until(lambda: any(s == "running" for n, s in _statuses(h).items() if n != "color"))
        stopped = h.engine.stop(SESSION)
        assert stopped is not None
        done = await h.finish(run)
        assert done.status == RunStatus.CANCELED
        assert set(statuses(done).values()) == {"succeeded", "canceled"}
        canceled_events = h.events_of(NodesCanceled)
        assert len(canceled_events) == 1 and len(canceled_events[0].node_ids) == 4
        assert len(h.executor.terminated) == 5  # the running one and the four waiting for the slot
        last = h.events[-1]
        assert isinstance(last, RunFinished) and last.status == "canceled"
    finally:
        await h.close()


async def test_loops_run_every_enabled_iteration_and_cache_them(harness: Harness) -> None:
    iterations = [{"id": "red", "label": "Red", "overrides": {"c": {"color": "#ff0000"}}},
                  {"id": "off", "label": "Off", "enabled": False, "overrides": {}}]
    graph = {"nodes": [node("g", "group", label="Variants"), node("c", "image.solid_color", parent="g"),
                       node("a", "image.adjust", parent="g"), node("L", "loop", group_id="g", iterations=iterations)],
             "edges": [edge("c", "image", "a", "image")]}
    run = await harness.run(graph)
    assert run.status == RunStatus.SUCCEEDED
    assert sorted(harness.executor.launched_nodes()) == ["a", "a::red", "c", "c::red"]
    red = next(t for t in harness.executor.launched if t.node_id == "c::red")
    assert red.params["color"] == "#ff0000"
    assert list(run.loops) == ["L"]

    before = len(harness.executor.launched)
    rerun = await harness.run(graph, RunMode.FROM_NODE, "L")
    assert harness.executor.launched[before:] == [], "every iteration comes from the cache"
    assert {s.status for s in rerun.nodes.values()} == {NodeStatus.CACHED}


async def test_progress_is_reported_as_events(harness: Harness) -> None:
    harness.engine._progress_interval = 0.0
    harness.executor.on("image.solid_color", report_progress([0.25, 0.5], then=succeed({"image": "img"})))
    run = await harness.run({"nodes": [node("color", "image.solid_color")], "edges": []})
    assert run.status == RunStatus.SUCCEEDED
    progress = [e.progress for e in harness.events_of(NodeProgress)]
    assert progress == [0.25, 0.5]
    assert [e.status for e in harness.events_of(NodeStatusChanged)] == ["running", "succeeded"]


async def test_a_failure_skips_descendants_with_its_code(harness: Harness) -> None:
    harness.executor.on("image.adjust", fail("BOOM", "no luck"))
    run = await harness.run(chain())
    assert run.status == RunStatus.FAILED
    assert run.error == {"code": "BOOM", "message": "no luck"}
    assert run.nodes["a2"].status == NodeStatus.SKIPPED
    assert len(harness.executor.launched) == 3, "one attempt each by default"


async def test_a_lost_worker_fails_its_node_instead_of_hanging_the_run(harness: Harness) -> None:
    harness.executor.on("image.adjust", lose())
    run = await harness.run(chain())
    assert run.status == RunStatus.FAILED
    assert run.nodes["a1"].error is not None and run.nodes["a1"].error["code"] == "WORKER_LOST"
    assert run.nodes["a2"].status == NodeStatus.SKIPPED


async def test_the_retry_policy_launches_a_failed_task_again() -> None:
    h = Harness(retry=RetryPolicy(max_attempts=3))
    try:
        h.executor.on("image.solid_color", lose())
        h.executor.on("image.adjust", fail("BOOM"))
        run = await h.run(chain())
        assert [t.attempt for t in h.executor.launched if t.node_id == "color"] == [1, 2, 3]
        assert run.nodes["color"].error is not None and run.nodes["color"].error["code"] == "WORKER_LOST"

        h.executor.on("image.solid_color", _lost_once())
        run = await h.run(chain())
        assert run.nodes["color"].status == NodeStatus.SUCCEEDED
        assert [t.attempt for t in h.executor.launched if t.node_id == "a1"][-3:] == [1, 2, 3]
        assert run.nodes["a1"].error == {"code": "BOOM", "message": "failed on purpose"}
    finally:
        await h.close()


async def test_a_stopped_run_is_not_retried() -> None:
    h = Harness(retry=RetryPolicy(max_attempts=3))
    try:
        h.executor.on("image.solid_color", hang())
        run = await h.start({"nodes": [node("color", "image.solid_color")], "edges": []})
        await _until(lambda: _status(h, "color") == "running")
        h.engine.stop(SESSION)
        done = await h.finish(run)
        assert done.status == RunStatus.CANCELED
        assert len(h.executor.launched) == 1
    finally:
        await h.close()


def _lost_once() -> Behaviour:
    async def behaviour(t: FakeTask) -> dict[str, Any]:
        if t.task.attempt == 1:
            raise WorkerLost(t.task.task_id)
        return {"image": "ok"}
    return behaviour


def _statuses(h: Harness) -> dict[str, str]:
    run = h.engine.active_run(SESSION)
    return statuses(run) if run is not None else {}


def _status(h: Harness, nid: str) -> str | None:
    return _statuses(h).get(nid)


async def _until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.001)
    await asyncio.wait_for(wait(), timeout)


async def test_the_finish_event_carries_loops_and_the_stored_outputs(harness: Harness) -> None:
    iterations = [{"id": "red", "label": "Red", "overrides": {"c": {"color": "#ff0000"}}}]
    graph = {"nodes": [node("g", "group", label="Variants"), node("c", "image.solid_color", parent="g"),
                       node("a", "image.adjust", parent="g"), node("L", "loop", group_id="g", iterations=iterations)],
             "edges": [edge("c", "image", "a", "image")]}
    run = await harness.run(graph, version=7)
    finished = harness.events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.loops is not None
    [red] = finished.loops["L"]
    assert red["iteration_id"] == "red" and red["label"] == "Red"
    assert red["nodes"]["a"]["status"] == "succeeded"
    assert red["nodes"]["a"]["outputs"] == run.nodes["a::red"].outputs

    saved, _ = await harness.engine.saved_outputs(SESSION, Graph.model_validate(graph))
    assert finished.saved == {nid: {"outputs": outs, "source": "cache"} for nid, outs in saved.items()}
    assert set(saved) == {"c", "a"}  # the graph's own nodes; copies are reported under loops


async def test_stop_right_after_launch_ends_tasks_that_never_started(harness: Harness) -> None:
    harness.executor.on("image.solid_color", hang())
    graph = {"nodes": [node(f"c{i}", "image.solid_color") for i in range(3)], "edges": []}
    run = await harness.start(graph)
    await asyncio.sleep(0)  # the driver launched the tasks; their runners have not taken a step yet
    assert len(harness.executor.launched) == 3
    harness.engine.stop(SESSION)
    done = await harness.finish(run)
    assert done.status == RunStatus.CANCELED
    assert set(statuses(done).values()) == {"canceled"}


async def test_a_run_answers_finished_only_once_its_end_is_recorded() -> None:
    """Between deciding a run's end and recording it (outputs, media rows), a poll of the session still
    sees it running: whoever sees it finished can fetch everything it made (the class of a poll that
    saw `succeeded` and then got MEDIA_NOT_FOUND for the run's output)."""
    from .conftest import MemoryRecorder

    release = asyncio.Event()
    final_write_started = asyncio.Event()

    class SlowFinalWrite(MemoryRecorder):
        async def save_run(self, run: RunState, *args: Any, **kwargs: Any) -> None:
            if run.status.finished:
                final_write_started.set()
                await release.wait()
            await super().save_run(run, *args, **kwargs)

    h = Harness()
    h.engine.recorder = SlowFinalWrite()
    try:
        run = await h.start(chain())
        await asyncio.wait_for(final_write_started.wait(), 5)
        seen = h.engine.active_run(SESSION)
        assert seen is not None and seen.status == RunStatus.RUNNING and seen.finished_at is None
        release.set()
        finished = await h.finish(run)
        assert finished.status == RunStatus.SUCCEEDED
    finally:
        release.set()
        await h.close()
