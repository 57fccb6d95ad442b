"""Jobs: one request made through a dialect door (AI Visual Studio, later Studii, Magnific, Miraflow).

A door maps its request onto a :class:`JobRequest` (a graph and the node whose output is the
answer); the job runs that graph in a hidden session of the user's on the same engine, cache,
executor, credits ledger (the run's Meter hold) and provenance as the canvas. The core never
imports a dialect: a door registers a :data:`JobFinisher` per dialect, called with the job's final
state inside the transaction that writes it, so the door's webhook event
(``Webhooks.enqueue(s, ...)``) exists exactly when the final state does. Nothing is finished from
the request path: a follower task waits for the run's end.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..core.engine import Engine
from ..core.errors import NotFound
from ..core.graph import Graph
from ..core.policy import Principal
from ..core.run import RunMode, RunState, RunStatus
from ..store.db import Database
from ..store.tables import CreditHold, Job, StudioSession
from .api_keys import ApiKeys
from .sessions import Sessions

log = logging.getLogger(__name__)

QUEUED, RUNNING, COMPLETED, FAILED, CANCELED = "queued", "running", "completed", "failed", "canceled"
ACTIVE = (QUEUED, RUNNING)
#: The error of a job whose run a crash or shutdown interrupted (written at the next start-up).
INTERRUPTED = {"code": "JOB_INTERRUPTED", "message": "the server stopped while this job ran; it was not charged"}


#: How often a running job's progress is written (seconds).
PROGRESS_INTERVAL = 1.0


def run_progress(run: RunState) -> int:
    """0-99 while running: the mean of the nodes' progress, a finished node counting whole."""
    if not run.nodes:
        return 0
    done = sum(1.0 if state.status.finished else max(0.0, min(1.0, state.progress)) for state in run.nodes.values())
    return min(99, int(100 * done / len(run.nodes)))


class JobNotFound(NotFound):
    code = "JOB_NOT_FOUND"


@dataclass(frozen=True)
class JobView:
    id: str
    user_id: str
    key_id: str | None
    dialect: str
    operation: str
    inputs: dict[str, Any]
    session_id: str | None
    run_id: str | None
    status: str
    progress: int
    outputs: list[str]
    credits_charged: int
    error: dict[str, Any] | None
    webhook_url: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


def job_view(row: Job) -> JobView:
    return JobView(id=row.id, user_id=row.user_id, key_id=row.key_id, dialect=row.dialect,
                   operation=row.operation, inputs=dict(row.inputs or {}), session_id=row.session_id,
                   run_id=row.run_id, status=row.status, progress=row.progress, outputs=list(row.outputs or []),
                   credits_charged=row.credits_charged, error=row.error, webhook_url=row.webhook_url,
                   created_at=row.created_at, started_at=row.started_at, completed_at=row.completed_at)


#: Turns the run's answer (the output node's encoded outputs) into the job's media ids, on a
#: worker thread; a door uses it for format conversion. Raising fails the job with that error.
OutputMapper = Callable[[JobView, dict[str, Any]], list[str]]


def media_ids(job: JobView, outputs: dict[str, Any]) -> list[str]:
    """Every media id among the output node's sockets (the default mapper)."""
    found: list[str] = []
    for value in outputs.values():
        items = value if isinstance(value, list) else [value]
        found.extend(str(item["media_id"]) for item in items if isinstance(item, dict) and item.get("media_id"))
    return found


@dataclass(frozen=True)
class JobRequest:
    dialect: str
    operation: str
    id_prefix: str  # the dialect's id form: "gen" gives gen_<hex>
    inputs: dict[str, Any]
    graph: Graph
    output_node: str
    webhook_url: str | None = None
    map_outputs: OutputMapper = media_ids


def job_session_name(request: JobRequest, job_id: str) -> str:
    """The job's hidden session, as the gallery groups it: what the client called the job (its ``name``),
    else its prompt, else the operation, after the dialect: ``miraflow · Gaming Video Thumbnail``."""
    said = next((str(request.inputs[k]) for k in ("name", "prompt", "instruction", "text")
                 if isinstance(request.inputs.get(k), str) and str(request.inputs[k]).strip()), "")
    label = " ".join(said.split())[:80] or f"{request.operation} {job_id}"
    return f"{request.dialect} · {label}"


#: A door's reaction to a job's final state, called inside the transaction that writes it.
JobFinisher = Callable[[Session, JobView], None]


def _utc(moment: float | None) -> datetime:
    return datetime.fromtimestamp(moment, UTC) if moment is not None else datetime.now(UTC)


class Jobs:
    def __init__(self, db: Database, sessions: Sessions, api_keys: ApiKeys) -> None:
        self.db = db
        self.sessions = sessions
        self.api_keys = api_keys
        self.engine: Engine | None = None  # set by Studio.start
        self.finishers: dict[str, JobFinisher] = {}
        self._followers: set[asyncio.Task[None]] = set()
        self._answers: dict[str, tuple[str, OutputMapper]] = {}  # job id -> (output node, mapper), while running

    # -- submitting ------------------------------------------------------------------------------
    async def submit(self, principal: Principal, request: JobRequest) -> JobView:
        """Plan the job's run, refuse it before any work if the credits or the key's spend cap do not
        cover it, then start it; answers at once (the job is ``running``)."""
        engine = self.engine
        if engine is None:
            raise RuntimeError("the studio is not started")
        job_id = f"{request.id_prefix}_{uuid.uuid4().hex[:24]}"
        name = job_session_name(request, job_id)
        document = await asyncio.to_thread(self.sessions.create, principal, name, request.graph, hidden=True)
        session_id = document.id
        try:
            graph, version = await asyncio.to_thread(self.sessions.graph_for_run, principal, session_id)
            plan = await engine.plan(session_id=session_id, user_id=principal.user_id, graph=graph,
                                     mode=RunMode.FULL, graph_version=version,
                                     checked=self.sessions.checked_graph(session_id, version, graph))
            if principal.key_id is not None and plan.cost.total:
                await asyncio.to_thread(self.api_keys.check_spend_cap, principal.key_id, plan.cost.total)
            await asyncio.to_thread(self._insert, principal, request, job_id, session_id, plan.run.id,
                                    plan.cost.total)
            try:
                await engine.start(plan)
            except BaseException:
                await asyncio.to_thread(self._forget, job_id)
                raise
        except BaseException:
            await asyncio.to_thread(self._drop_session, session_id)
            raise
        # Followed from the moment it runs, even if this request is canceled from here on.
        self._answers[job_id] = (request.output_node, request.map_outputs)
        follower = asyncio.create_task(self._follow(job_id, session_id, plan.run.id), name=f"job-{job_id}")
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)
        return await asyncio.to_thread(self._mark_running, job_id)

    def record_failed(self, principal: Principal, *, dialect: str, operation: str, id_prefix: str,
                      inputs: dict[str, Any], error: dict[str, Any]) -> JobView:
        """A job that cannot run at all on this studio (e.g. its recipe is not installed): written
        ``failed`` at once, charged nothing, told to the door like any failed job; no session, no run."""
        job_id = f"{id_prefix}_{uuid.uuid4().hex[:24]}"
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = Job(id=job_id, user_id=principal.user_id, key_id=principal.key_id, dialect=dialect,
                      operation=operation, inputs=inputs, session_id=None, run_id=None, status=FAILED, progress=0,
                      outputs=[], credits_charged=0, error=error, webhook_url=None, created_at=now,
                      completed_at=now)
            s.add(row)
            s.flush()
            finisher = self.finishers.get(dialect)
            if finisher is not None:
                finisher(s, job_view(row))
            return job_view(row)

    def _insert(self, principal: Principal, request: JobRequest, job_id: str, session_id: str, run_id: str,
                estimate: int) -> None:
        with self.db.session() as s:
            s.add(Job(id=job_id, user_id=principal.user_id, key_id=principal.key_id, dialect=request.dialect,
                      operation=request.operation, inputs=request.inputs, session_id=session_id, run_id=run_id,
                      status=QUEUED, progress=0, outputs=[], credits_charged=estimate, error=None,
                      webhook_url=request.webhook_url, created_at=datetime.now(UTC)))

    def _forget(self, job_id: str) -> None:
        with self.db.session() as s:
            s.execute(delete(Job).where(Job.id == job_id))

    def _drop_session(self, session_id: str) -> None:
        with self.db.session() as s:
            s.execute(delete(StudioSession).where(StudioSession.id == session_id))

    def _mark_running(self, job_id: str) -> JobView:
        """queued -> running with one conditional UPDATE: a follower that already wrote the end wins."""
        with self.db.session() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == QUEUED)
                      .values(status=RUNNING, started_at=datetime.now(UTC)))
            row = s.get(Job, job_id)
            if row is None:
                raise JobNotFound("job not found")
            return job_view(row)

    # -- following the run -------------------------------------------------------------------------
    async def _follow(self, job_id: str, session_id: str, run_id: str) -> None:
        engine = self.engine
        if engine is None:
            return
        try:
            while (active := engine.active_run(session_id)) is not None and active.id == run_id:
                await engine.wait(session_id, run_id, PROGRESS_INTERVAL)
                active = engine.active_run(session_id)
                if active is not None and active.id == run_id:
                    await asyncio.to_thread(self._write_progress, job_id, run_progress(active))
            run = engine.recent_run(run_id)
            if run is None:
                log.error("job %s: its run %s ended out of sight", job_id, run_id)
                return
            await asyncio.to_thread(self._finish, job_id, run)
        except Exception:
            log.exception("job %s could not be finished", job_id)
        finally:
            self._answers.pop(job_id, None)

    def _write_progress(self, job_id: str, progress: int) -> None:
        with self.db.session() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE), Job.progress != progress)
                      .values(progress=progress))

    def _finish(self, job_id: str, run: RunState) -> None:
        """The job's final state from its run, and the door's reaction, in one transaction."""
        with self.db.session() as s:
            row = s.get(Job, job_id)
            if row is None or row.status not in ACTIVE:
                return
            view = job_view(row)
            status, error, outputs = self._outcome(view, run)
            captured = s.scalar(select(func.coalesce(func.sum(CreditHold.captured), 0))
                                .where(CreditHold.run_id == run.id))
            held = s.scalar(select(func.count()).select_from(CreditHold).where(CreditHold.run_id == run.id))
            row.status, row.error, row.outputs = status, error, outputs
            row.progress = 100 if status == COMPLETED else row.progress
            row.credits_charged = int(captured or 0) if held else (row.credits_charged if status == COMPLETED else 0)
            row.completed_at = _utc(run.finished_at)
            s.flush()
            finisher = self.finishers.get(row.dialect)
            if finisher is not None:
                finisher(s, job_view(row))
            charged, key_id = row.credits_charged, row.key_id
        if key_id is not None and charged:
            try:
                self.api_keys.add_spend(key_id, charged)
            except Exception:  # the cap was checked before the run; a race past it is logged, not lost
                log.warning("job %s: the key's spend could not be counted in full", job_id)

    def _outcome(self, job: JobView, run: RunState) -> tuple[str, dict[str, Any] | None, list[str]]:
        if run.status == RunStatus.SUCCEEDED:
            output_node, mapper = self._answers.get(job.id, ("", media_ids))
            state = run.nodes.get(output_node)
            raw = state.outputs if state is not None and state.outputs else {}
            try:
                outputs = mapper(job, raw)
            except Exception as exc:
                log.exception("job %s: its outputs could not be prepared", job.id)
                return FAILED, {"code": "JOB_OUTPUT_FAILED", "message": str(exc)[:300]}, []
            if outputs:
                return COMPLETED, None, outputs
            return FAILED, {"code": "JOB_NO_OUTPUT", "message": "the run made no output"}, []
        if run.status == RunStatus.CANCELED:
            return CANCELED, {"code": "CANCELED", "message": "the job was canceled"}, []
        error = run.error or next((n.error for n in run.nodes.values() if n.error), None)
        error = error or {"code": "RUN_FAILED", "message": "the run failed"}
        return FAILED, {"code": str(error.get("code", "RUN_FAILED")),
                        "message": str(error.get("message", ""))[:500]}, []

    # -- reading -----------------------------------------------------------------------------------
    def get(self, principal: Principal, dialect: str, job_id: str) -> JobView:
        """The caller's own job in that dialect (another user's id is not found)."""
        with self.db.session() as s:
            row = s.get(Job, job_id)
            if row is None or row.user_id != principal.user_id or row.dialect != dialect:
                raise JobNotFound("generation not found")
            return job_view(row)

    def list(self, principal: Principal, dialect: str, *, operations: Sequence[str] | None = None,
             statuses: Sequence[str] | None = None, limit: int = 20, offset: int = 0) -> tuple[list[JobView], int]:
        """The caller's jobs in a dialect, newest first, and how many match."""
        cond = [Job.user_id == principal.user_id, Job.dialect == dialect]
        if operations is not None:
            cond.append(Job.operation.in_(list(operations)))
        if statuses is not None:
            cond.append(Job.status.in_(list(statuses)))
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Job).where(*cond)) or 0
            rows = s.scalars(select(Job).where(*cond).order_by(Job.created_at.desc(), Job.id.desc())
                             .limit(limit).offset(offset)).all()
            return [job_view(row) for row in rows], int(total)

    # -- recovery ----------------------------------------------------------------------------------
    def fail_interrupted(self, *, keep_runs: set[str] | frozenset[str] = frozenset(),
                         only_runs: set[str] | None = None) -> int:
        """Jobs a crash left queued or running end ``failed`` (their holds are released with the
        other interrupted runs'); the door is told, as for any failed job. Call before runs start.
        Several API processes: jobs whose run another live process holds (``keep_runs``) go on;
        ``only_runs`` fails just the jobs of those runs (a dead process's, taken back)."""
        now = datetime.now(UTC)
        with self.db.session() as s:
            query = select(Job).where(Job.status.in_(ACTIVE))
            if only_runs is not None:
                query = query.where(Job.run_id.in_(list(only_runs)))
            rows = [row for row in s.scalars(query).all() if row.run_id not in keep_runs]
            for row in rows:
                row.status, row.error, row.credits_charged, row.completed_at = FAILED, dict(INTERRUPTED), 0, now
                s.flush()
                finisher = self.finishers.get(row.dialect)
                if finisher is not None:
                    finisher(s, job_view(row))
            return len(rows)

    async def shutdown(self) -> None:
        if self._followers:
            await asyncio.wait(set(self._followers), timeout=10)
