"""``MINIAI_EXECUTOR=celery``: node tasks run on real ``miniaistudio worker`` processes through a real Redis.

Two workers serve one data dir with the test studio: ``cpu-a`` takes the ``cpu`` queue, ``both-b``
the ``gpu`` and ``cpu`` queues. The studio is reached over HTTP (the ASGI app), as in every API test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery_cluster import CELERY_SETTINGS, Workers, attempts_of, fresh_user, media_rows
from PIL import Image

import servers
from conftest import Api, edge, make_settings, node, wait_for_run
from live_process import processes_mentioning, wait_for
from miniaistudio.config import Settings
from miniaistudio.store.db import Database
from miniaistudio.store.migrate import upgrade
from miniaistudio.studio import Studio

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Workers, servers.RedisServer]]:
    root = tmp_path_factory.mktemp("celery")
    redis = servers.RedisServer(root / "redis")  # its own: the suite empties the shared one after each test
    redis.start()
    # One database for the module (the workers outlive each test): a SQLite file, or in the PostgreSQL pass a
    # database of the suite's server that the per-test cleanup does not know of, dropped at the module's end.
    postgres = servers.BACKEND.servers.ensure_started()[0] if servers.BACKEND.is_postgres else None
    database = postgres.create_database(migrated=False) if postgres else None
    database_url = postgres.url(database) if postgres and database else f"sqlite:///{root / 'data' / 'studio.db'}"
    settings = make_settings(root, database_url=database_url, redis_url=redis.url, **CELERY_SETTINGS)
    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    upgrade(db)  # before the workers start (two workers would both create the tables of a fresh SQLite file)
    db.dispose()
    workers = Workers(settings, root)
    workers.add("cpu-a", "cpu")
    workers.add("both-b", "gpu,cpu")
    try:
        workers.ensure_all()
        yield settings, workers, redis
    finally:
        workers.stop_all()
        redis.stop()
        if postgres and database:
            postgres.drop_database(database)


@pytest.fixture
def settings(cluster: tuple[Settings, Workers, servers.RedisServer]) -> Settings:
    """The conftest's ``studio`` fixture builds its studio on these (the workers' data dir)."""
    cluster[1].ensure_all()  # a worker an earlier test killed is back
    return cluster[0]


@pytest.fixture
def workers(cluster: tuple[Settings, Workers, servers.RedisServer]) -> Workers:
    return cluster[1]


@pytest.fixture
async def api(studio: Studio, client: Any) -> AsyncIterator[Api]:
    yield await fresh_user(studio, client)


async def start(api: Api, graph: dict[str, Any]) -> tuple[str, str]:
    """Save ``graph`` in a new session and start its run without waiting; (session id, run id)."""
    session = await api.new_session()
    await api.save_graph(session, graph)
    r = await api.post("/api/v2/session/execute", session=session["id"], json={"mode": "full"})
    assert r.status_code == 202, r.text
    return session["id"], r.json()["run_id"]


async def test_a_chain_of_nodes_runs_on_the_workers(api: Api, settings: Settings, tmp_path: Path) -> None:
    session = await api.new_session()
    await api.save_graph(session, {
        "nodes": [node("solid", "image.solid_color", width=40, height=30, color="#ff0000"),
                  node("adjust", "image.adjust", brightness=0.5),
                  node("rotate", "image.rotate", angle=90)],
        "edges": [edge("solid", "image", "adjust", "image"), edge("adjust", "image", "rotate", "image")]})
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    media_id = run["nodes"]["rotate"]["outputs"]["image"]["media_id"]
    r = await api.get(f"/api/v2/media/{media_id}/download")
    assert r.status_code == 200
    (tmp_path / "out.png").write_bytes(r.content)
    with Image.open(tmp_path / "out.png") as img:  # made by a worker, read back through the API's store
        assert img.size == (30, 40)
        red, green, blue = img.convert("RGB").getpixel((0, 0))  # type: ignore[misc]
        assert 100 < red < 160 and green == blue == 0
    credentials = (await api.get(f"/api/v2/media/{media_id}/credentials")).json()  # signed on the worker
    assert credentials["verified"] and credentials["trusted"], credentials  # with the key the API trusts
    assert credentials["ingredients"][0]["has_credentials"] is True  # the upstream output, signed too
    attempts = attempts_of(settings, run["run_id"])
    assert set(attempts) == {"solid", "adjust", "rotate"}
    assert all(a["status"] == "succeeded" and a["deliveries"] == 1 and a["queue"] == "cpu"
               for a in attempts.values()), attempts


async def test_gpu_node_types_go_to_the_gpu_queue(api: Api, settings: Settings) -> None:
    session = await api.new_session()
    await api.save_graph(session, {
        "nodes": [node("solid", "image.solid_color", width=8, height=8),
                  node("tint", "test.gpu_tint"),  # declared gpu=True
                  node("resize", "image.resize", width=4, height=4)],  # sent to gpu by the node_queues setting
        "edges": [edge("solid", "image", "tint", "image"), edge("tint", "image", "resize", "image")]})
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    attempts = attempts_of(settings, run["run_id"])
    assert {n: a["queue"] for n, a in attempts.items()} == {"solid": "cpu", "tint": "gpu", "resize": "gpu"}
    assert attempts["tint"]["worker"] == attempts["resize"]["worker"] == "both-b@test"  # the only gpu worker


async def test_a_killed_worker_s_task_is_redelivered_and_outputs_are_made_once(
        api: Api, settings: Settings, workers: Workers) -> None:
    session_id, run_id = await start(api, {"nodes": [node("slow", "test.slow_color", seconds=2.0)], "edges": []})

    async def running_on() -> str | None:
        attempt = attempts_of(settings, run_id).get("slow")
        return attempt["worker"] if attempt and attempt["status"] == "running" else None

    victim = await wait_for(running_on, 30, "the slow node to run on a worker")
    await asyncio.sleep(0.5)  # mid-task
    workers.kill9(victim)
    run = await wait_for_run(api, session_id, timeout=60)
    assert run["status"] == "succeeded", run
    attempt = attempts_of(settings, run_id)["slow"]
    assert attempt["deliveries"] == 2 and attempt["status"] == "succeeded"
    assert attempt["worker"] != victim
    rows = media_rows(settings, run_id)
    assert [row["node_id"] for row in rows] == ["slow"]  # one set of outputs, though it ran twice
    assert run["nodes"]["slow"]["outputs"]["image"]["media_id"] == rows[0]["id"]


async def test_a_task_that_kills_its_worker_every_time_fails_after_n_deliveries(
        api: Api, settings: Settings, workers: Workers) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("boom", "test.kill_worker")], "edges": []})
    run = await api.run(session["id"])
    assert run["status"] == "failed", run
    assert run["nodes"]["boom"]["error"]["code"] == "WORKER_LOST_REPEATEDLY"
    attempt = attempts_of(settings, run["run_id"])["boom"]
    assert attempt["deliveries"] == settings.celery_max_deliveries and attempt["status"] == "failed"
    assert all(w.alive for w in workers.workers.values())  # only pool processes died


async def test_cancel_reaches_a_task_in_a_worker_and_its_child_process_dies(api: Api, settings: Settings) -> None:
    marker = "37.125"  # `sleep 37.125`: the child process to look for
    session_id, run_id = await start(api, {"nodes": [node("wait", "test.child_sleep", seconds=float(marker))],
                                           "edges": []})

    async def child_running() -> bool:
        return bool(processes_mentioning(f"sleep {marker}"))

    await wait_for(child_running, 30, "the node's child process to start")
    r = await api.post("/api/v2/session/stop", session=session_id)
    assert r.status_code == 200 and r.json()["stopped"] is True, r.text
    run = await wait_for_run(api, session_id, timeout=30)
    assert run["status"] == "canceled" and run["nodes"]["wait"]["status"] == "canceled", run

    async def child_gone() -> bool:
        return not processes_mentioning(f"sleep {marker}")

    await wait_for(child_gone, 10, "the child process to die")
    assert attempts_of(settings, run_id)["wait"]["status"] == "canceled"


async def test_a_task_that_ignores_its_cancel_flag_is_terminated(api: Api, settings: Settings) -> None:
    session_id, run_id = await start(api, {"nodes": [node("stubborn", "test.stubborn", seconds=8.0)], "edges": []})

    async def running() -> bool:
        attempt = attempts_of(settings, run_id).get("stubborn")
        return bool(attempt and attempt["status"] == "running")

    await wait_for(running, 30, "the stubborn node to run")
    r = await api.post("/api/v2/session/nodes/stubborn/cancel", session=session_id)
    assert r.status_code == 200 and r.json()["canceled"] is True, r.text
    run = await wait_for_run(api, session_id, timeout=30)
    assert run["nodes"]["stubborn"]["status"] == "canceled", run
    assert media_rows(settings, run_id) == []
    session = await api.new_session()  # the terminated pool process was replaced: the next task runs
    await api.save_graph(session, {"nodes": [node("solid", "image.solid_color", width=4, height=4)], "edges": []})
    assert (await api.run(session["id"]))["status"] == "succeeded"


async def test_a_task_delivered_again_after_it_ended_replays_its_end(api: Api, settings: Settings) -> None:
    """As when a worker dies between storing a task's end and acknowledging it: the redelivery runs nothing."""
    import redis

    from miniaistudio.core.ports import NodeTask
    from miniaistudio.executors.celery_app import TASK_NAME, make_celery
    from miniaistudio.executors.task_wire import event_from_json, task_to_json

    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("solid", "image.solid_color", width=8, height=8)], "edges": []})
    run = await api.run(session["id"])
    media_id = run["nodes"]["solid"]["outputs"]["image"]["media_id"]
    task_id = attempts_of(settings, run["run_id"])["solid"]["task_id"]
    task = NodeTask(task_id=task_id, run_id=run["run_id"], session_id=session["id"], user_id="x", node_id="solid",
                    node_type="image.solid_color", params={"width": 8, "height": 8}, inputs={})
    app = make_celery(settings)
    stream = f"test-replay-{uuid.uuid4().hex}"
    await asyncio.to_thread(app.send_task, TASK_NAME, args=[{"task": task_to_json(task), "reply_to": stream}],
                            queue="cpu")
    app.close()
    client = redis.Redis.from_url(settings.redis_url or "")
    try:
        answer = await asyncio.to_thread(client.xread, {stream: "0-0"}, count=10, block=20_000)
    finally:
        client.close()
    events = [event_from_json(fields[b"e"]) for _, entries in answer for _, fields in entries]
    assert [type(e).__name__ for e in events] == ["TaskSucceeded"]  # no TaskStarted: it did not run again
    assert events[0].result.outputs["image"]["media_id"] == media_id  # type: ignore[union-attr]
    assert attempts_of(settings, run["run_id"])["solid"]["deliveries"] == 1
    assert len(media_rows(settings, run["run_id"])) == 1



async def test_workers_and_the_api_carry_on_after_a_redis_restart(
        api: Api, cluster: tuple[Settings, Workers, servers.RedisServer]) -> None:
    settings, _, redis = cluster
    graph = {"nodes": [node("solid", "image.solid_color", width=4, height=4)], "edges": []}
    session = await api.new_session()
    await api.save_graph(session, graph)
    assert (await api.run(session["id"]))["status"] == "succeeded"
    await asyncio.to_thread(redis.stop)  # nothing persisted: queues, bindings and streams are gone
    redis.root = redis.root.with_name(f"redis-restarted-{uuid.uuid4().hex[:6]}")
    await asyncio.to_thread(redis.start)  # the same port
    session = await api.new_session()
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    assert attempts_of(settings, run["run_id"])["solid"]["status"] == "succeeded"
