"""Trust: recording a run writes in proportion to what changed, not to the size of the run.

Node states are rows of ``run_nodes``: a flush upserts the changed nodes only, history counts
nodes in the database, start-up recovery rewrites only the nodes that were active, and runs
recorded before migration 0006 stay readable. Through the real app and a real SQLite file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update

from conftest import Api, node
from miniaistudio.core.run import NodeStatus, RunStatus
from miniaistudio.core.run_writer import RunWriter
from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from miniaistudio.store.run_recorder import load_run, node_counts
from miniaistudio.store.tables import Run, RunNode
from miniaistudio.studio import Studio
from old_databases import add_session, add_user, at_revision, old_database

MEMBERS, ITERATIONS = 40, 75  # 3,000 loop copies


def text_loop(members: int, iterations: int) -> dict[str, Any]:
    """A group of ``members`` Text nodes repeated ``iterations`` times by a loop (cheap nodes)."""
    nodes = [node("g", "group")]
    nodes += [{**node(f"t{i}", "text", text=f"member {i}"), "parent_id": "g"} for i in range(members)]
    nodes.append(node("L", "loop", group_id="g", iterations=[{"id": f"i{k}"} for k in range(iterations)]))
    return {"nodes": nodes, "edges": []}


async def test_each_flush_writes_only_the_changed_nodes(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    await api.save_graph(session, text_loop(MEMBERS, ITERATIONS))
    done = await api.run(session["id"])
    assert done["status"] == "succeeded", done
    total = len(done["nodes"])
    assert total >= MEMBERS * ITERATIONS
    with studio.db.session() as s:
        row = s.get(Run, done["run_id"])
        assert row is not None and row.nodes == {}  # the run row no longer carries node states
        assert s.scalar(select(func.count()).select_from(RunNode).where(RunNode.run_id == row.id)) == total
        run = load_run(s, row)
    whole = len(json.dumps({nid: st.to_dict() for nid, st in run.nodes.items()}, separators=(",", ":")))

    # Flushes of the recorded run through the engine's writer and the app's recorder.
    recorder = studio.recorder
    run.status = RunStatus.RUNNING  # as while it ran
    writer = RunWriter(recorder, run, interval=60)
    await writer.flush()  # the recorder's first save of this run: every node once
    assert recorder.last_write_rows == total
    one = next(iter(run.nodes))
    run.nodes[one].message = "changed"
    writer.node_changed(one)
    await writer.flush()
    assert recorder.last_write_rows == 1
    assert recorder.last_write_bytes * 1000 < whole  # before 0006 each flush rewrote `whole`
    some = list(run.nodes)[100:125]
    for nid in some:
        run.nodes[nid].progress = 0.5
    writer.nodes_changed(some)
    await writer.flush()
    assert recorder.last_write_rows == 25 and recorder.last_write_bytes * 50 < whole
    writer.touch()  # only the run's own fields changed
    await writer.flush()
    assert recorder.last_write_rows == 0 and recorder.last_write_bytes == 0
    run.status = RunStatus.SUCCEEDED
    writer.touch()
    await writer.flush()
    with studio.db.session() as s:
        again = load_run(s, s.get(Run, run.id))  # type: ignore[arg-type]
    assert again.nodes[one].message == "changed" and len(again.nodes) == total
    assert {again.nodes[nid].progress for nid in some} == {0.5}

    # History counts in the database; the run answer still carries every node.
    history = (await api.get("/api/v2/session/executions", session=session["id"])).json()["items"]
    assert history[0]["run_id"] == run.id and history[0]["counts"] == {"succeeded": total}
    assert all(m is None for it in history[0]["loops"]["L"] for m in it["nodes"].values())
    one_run = (await api.get(f"/api/v2/session/runs/{run.id}", session=session["id"])).json()
    assert len(one_run["nodes"]) == total


async def test_start_up_marks_only_the_active_nodes_interrupted(api: Api, studio: Studio) -> None:
    session = await api.new_session()
    await api.save_graph(session, text_loop(3, 2))
    done = await api.run(session["id"])
    run_id, victim = done["run_id"], sorted(done["nodes"])[0]
    with studio.db.session() as s:  # as a crash would leave it
        s.execute(update(Run).where(Run.id == run_id).values(status=RunStatus.RUNNING.value))
        state = s.scalar(select(RunNode.state).where(RunNode.run_id == run_id, RunNode.node_id == victim))
        s.execute(update(RunNode).where(RunNode.run_id == run_id, RunNode.node_id == victim).values(
            status=NodeStatus.RUNNING.value, state={**(state or {}), "status": NodeStatus.RUNNING.value}))
    assert studio.recorder.mark_interrupted() == 1
    with studio.db.session() as s:  # what a restarted server reads back (this one still remembers the run)
        got = load_run(s, s.get(Run, run_id))  # type: ignore[arg-type]
        assert node_counts(s, [run_id]) == {run_id: {"interrupted": 1, "succeeded": len(got.nodes) - 1}}
    assert got.status is RunStatus.INTERRUPTED
    assert got.nodes[victim].status is NodeStatus.INTERRUPTED and got.nodes[victim].error is not None
    assert got.nodes[victim].error["code"] == "INTERRUPTED"
    assert {st.status for nid, st in got.nodes.items() if nid != victim} == {NodeStatus.SUCCEEDED}


def test_migration_moves_recorded_runs_to_run_nodes(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    state: dict[str, Any] = {"node_type": "text", "status": "succeeded", "signature": "s",
                             "outputs": {"text": "hi"}}
    nodes = {"a": state, "b": {**state, "status": "failed", "error": {"code": "X", "message": "m"}}}
    with at_revision(db, "0005") as conn:
        add_user(conn)
        add_session(conn)
        conn.execute(text("INSERT INTO runs (id, session_id, user_id, mode, status, nodes, created_at) "
                          "VALUES ('r1', 's1', 'u1', 'full', 'failed', :nodes, 1.0)"), {"nodes": json.dumps(nodes)})
    assert upgrade(db)
    assert current_revision(db) == HEAD
    with db.session() as s:
        row = s.get(Run, "r1")
        assert row is not None and row.nodes == {}
        run = load_run(s, row)
        assert {nid: st.to_dict()["status"] for nid, st in run.nodes.items()} == {"a": "succeeded", "b": "failed"}
        assert run.nodes["a"].outputs == {"text": "hi"} and run.nodes["b"].error == {"code": "X", "message": "m"}
        assert node_counts(s, ["r1"]) == {"r1": {"succeeded": 1, "failed": 1}}
    db.dispose()
