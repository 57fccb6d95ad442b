"""Sessions: the saved workspace (graph, viewport, tabs) with versioned, race-safe writes."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..core.errors import GraphVersionConflict, InvalidRequest, StudioError
from ..core.graph import Graph, Viewport, finite_json
from ..core.json_limits import DEFAULT_LIMITS, JsonLimits, check_document
from ..core.loops import check_expansion
from ..core.policy import Action, Principal, Role, SessionFacts, require
from ..core.registry import NodeRegistry
from ..core.validation import CheckedGraph, check_structure
from ..store.db import Database
from ..store.tables import SessionShare, StudioSession, User

_GRAPH_MEMO = 64


#: A graph's version is a 32-bit column (INTEGER on PostgreSQL); a write based on a larger one is refused
#: as invalid (422) rather than reaching the database.
MAX_VERSION = 2**31 - 1


class FlowUpdate(BaseModel):
    """``PutStudioFlow``: the whole graph document, with the version it was based on."""

    graph: Graph
    version: int = Field(ge=1, le=MAX_VERSION, description="The version this write was based on")
    viewport: Viewport | None = None
    tabs: list[Any] | None = Field(default=None, max_length=100)

    _finite = field_validator("tabs")(finite_json)


#: ``SessionShare.status`` of a share that gives its role (pending and declined ones give none).
ACCEPTED = "accepted"


def session_facts(s: Session, row: StudioSession, principal: Principal) -> SessionFacts:
    """What the policy needs to decide on ``row`` for ``principal``."""
    return facts_of(s, row.id, row.owner_id, principal)


def facts_of(s: Session, session_id: str, owner_id: str, principal: Principal) -> SessionFacts:
    """The owner needs no query; anyone else one indexed lookup of their accepted share."""
    if owner_id == principal.user_id or not owner_id:
        return SessionFacts(session_id, owner_id, None)
    role = s.scalar(select(SessionShare.role).where(
        SessionShare.session_id == session_id, SessionShare.user_id == principal.user_id,
        SessionShare.status == ACCEPTED))
    return SessionFacts(session_id, owner_id, Role[role.upper()] if role else None)


@dataclass(frozen=True)
class SessionSummary:
    id: str
    name: str
    version: int
    role: str
    node_count: int
    created_at: datetime
    updated_at: datetime
    owner_email: str | None = field(default=None, kw_only=True)  # answered by the sessions list


@dataclass(frozen=True)
class SessionDocument(SessionSummary):
    """A session with its free-form documents (graph, viewport, tabs) as stored."""

    graph: Any
    viewport: Any
    tabs: Any
    unreadable: list[dict[str, str]] | None = None  # parts withheld on read (see session_document)


@dataclass(frozen=True)
class SessionList:
    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


def session_summary(row: StudioSession, role: Role, owner_email: str | None = None) -> SessionSummary:
    return SessionSummary(id=row.id, name=row.name, version=row.version, role=role.name.lower(),
                          node_count=len(row.graph.get("nodes", [])), created_at=row.created_at,
                          updated_at=row.updated_at, owner_email=owner_email)


def session_document(row: StudioSession, role: Role, limits: JsonLimits = DEFAULT_LIMITS) -> SessionDocument:
    """The session as clients see it. Free-form documents stored before their bounds were enforced,
    which could not be served back, are withheld and named in ``unreadable`` (the next save replaces
    them), so a session is always readable."""
    unreadable: list[dict[str, str]] = []
    graph = _readable_graph(row.graph, limits, unreadable)
    viewport = (row.viewport if _readable(row.viewport, limits)
                else _withheld(unreadable, "viewport", Viewport().model_dump()))
    tabs = row.tabs if _readable(row.tabs, limits) else _withheld(unreadable, "tabs", [])
    summary = session_summary(row, role)
    return SessionDocument(**vars(summary), graph=graph, viewport=viewport, tabs=tabs, unreadable=unreadable or None)


def _readable(value: Any, limits: JsonLimits) -> bool:
    try:  # size is no hazard on read, only what cannot be encoded
        check_document(value, JsonLimits(max_depth=limits.max_depth, max_bytes=2**62))
    except StudioError:
        return False
    return True


def _withheld(unreadable: list[dict[str, str]], part: str, empty: Any, node_id: str | None = None) -> Any:
    unreadable.append({"part": part, **({"node_id": node_id} if node_id is not None else {})})
    return empty


def _readable_graph(graph: Any, limits: JsonLimits, unreadable: list[dict[str, str]]) -> Any:
    if not isinstance(graph, dict) or _readable(graph, limits):
        return graph
    nodes = []
    for n in graph.get("nodes", []):
        if isinstance(n, dict) and not _readable(n, limits):
            n = dict(n)
            for part in ("params", "ui"):
                if not _readable(n.get(part), limits):
                    n[part] = _withheld(unreadable, part, {}, str(n.get("id"))[:100])
            if not _readable(n, limits):
                _withheld(unreadable, "node", None, str(n.get("id"))[:100])
                continue
        nodes.append(n)
    graph = {**graph, "nodes": nodes}
    return graph if _readable(graph, limits) else _withheld(unreadable, "graph", {"nodes": [], "edges": []})


def check_documents(graph: Graph | None, tabs: list[Any] | None, limits: JsonLimits) -> None:
    """Bounds on every free-form JSON document of a save (JSON_TOO_DEEP, JSON_TOO_LARGE, JSON_VALUE_INVALID),
    checked before anything is encoded or stored."""
    for n in graph.nodes if graph is not None else ():
        check_document(n.params, limits, what=f"the params of node {n.id!r}")
        check_document(n.ui, limits, what=f"the ui of node {n.id!r}")
    if tabs is not None:
        check_document(tabs, limits, what="tabs")


class Sessions:
    def __init__(self, db: Database, registry: NodeRegistry, *, json_limits: JsonLimits = DEFAULT_LIMITS,
                 max_expanded_nodes: int | None = None) -> None:
        self.db = db
        self.registry = registry
        self.json_limits = json_limits
        self.max_expanded_nodes = max_expanded_nodes
        # Validated graphs by (session id, version): a run right after a save skips re-parsing.
        self._graphs: OrderedDict[tuple[str, int], Graph] = OrderedDict()
        self._checked: dict[tuple[str, int], CheckedGraph] = {}
        self._graphs_lock = threading.Lock()

    def _remember(self, session_id: str, version: int, graph: Graph, checked: CheckedGraph | None = None) -> None:
        with self._graphs_lock:
            self._graphs[(session_id, version)] = graph
            if checked is not None:
                self._checked[(session_id, version)] = checked
            while len(self._graphs) > _GRAPH_MEMO:
                old, _ = self._graphs.popitem(last=False)
                self._checked.pop(old, None)

    def checked_graph(self, session_id: str, version: int, graph: Graph) -> CheckedGraph | None:
        """The save's own check of ``graph`` (this very object), so a run does not check it again."""
        with self._graphs_lock:
            checked = self._checked.get((session_id, version))
        return checked if checked is not None and checked.graph is graph else None

    def load(self, principal: Principal, session_id: str, action: Action) -> tuple[StudioSession, Role]:
        """The session row if ``principal`` may perform ``action``; else SESSION_NOT_FOUND/FORBIDDEN."""
        with self.db.session() as s:
            row = s.get(StudioSession, session_id) if is_uuid(session_id) else None
            facts = session_facts(s, row, principal) if row is not None else SessionFacts(session_id, "")
            role = require(principal, facts, action)
            assert row is not None
            return row, role

    def create(self, principal: Principal, name: str, graph: Graph | None = None, *,
               hidden: bool = False) -> SessionDocument:
        """``hidden``: a job's session (made through an API door), left out of :meth:`list`."""
        name = _clean_name(name)
        graph = graph or Graph()
        self.check_graph(graph)
        now = datetime.now(UTC)
        row = StudioSession(
            id=str(uuid.uuid4()), owner_id=principal.user_id, name=name,
            graph=graph.model_dump(mode="json"), version=1,
            viewport=Viewport().model_dump(), tabs=[], created_at=now, updated_at=now, hidden=hidden,
        )
        with self.db.session() as s:
            s.add(row)
        return session_document(row, Role.OWNER, self.json_limits)

    def list(self, principal: Principal, *, q: str | None, limit: int, offset: int) -> SessionList:
        """The caller's sessions and those shared with them (accepted shares), each with the caller's
        role and the owner's e-mail."""
        me = principal.user_id
        with self.db.session() as s:
            shared = select(SessionShare.session_id).where(SessionShare.user_id == me,
                                                           SessionShare.status == ACCEPTED)
            cond = [or_(StudioSession.owner_id == me, StudioSession.id.in_(shared)),
                    StudioSession.hidden.is_(False)]
            if q:
                literal = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                cond.append(or_(func.lower(StudioSession.name).like(f"%{literal}%", escape="\\")))
            total = s.scalar(select(func.count()).select_from(StudioSession).where(*cond)) or 0
            found = s.execute(
                select(StudioSession, User.email).join(User, User.id == StudioSession.owner_id).where(*cond)
                .order_by(StudioSession.updated_at.desc(), StudioSession.id).limit(limit).offset(offset)
            ).all()
            others = [row.id for row, _ in found if row.owner_id != me]
            roles = {sid: role for sid, role in s.execute(select(SessionShare.session_id, SessionShare.role).where(
                SessionShare.user_id == me, SessionShare.status == ACCEPTED,
                SessionShare.session_id.in_(others)))} if others else {}
            items = [session_summary(row, Role.OWNER if row.owner_id == me else Role[roles[row.id].upper()], email)
                     for row, email in found if row.owner_id == me or row.id in roles]
        return SessionList(items, total, limit, offset)

    def get(self, principal: Principal, session_id: str) -> SessionDocument:
        row, role = self.load(principal, session_id, Action.VIEW)
        return session_document(row, role, self.json_limits)

    def rename(self, principal: Principal, session_id: str, name: str) -> SessionDocument:
        self.load(principal, session_id, Action.OWN)
        with self.db.session() as s:
            row = s.get(StudioSession, session_id)
            assert row is not None
            row.name = _clean_name(name)
            row.updated_at = datetime.now(UTC)
            return session_document(row, Role.OWNER, self.json_limits)

    def delete(self, principal: Principal, session_id: str) -> None:
        self.load(principal, session_id, Action.OWN)
        with self.db.session() as s:
            row = s.get(StudioSession, session_id)
            if row is not None:
                s.delete(row)

    def put_flow(self, principal: Principal, session_id: str, update_: FlowUpdate) -> SessionSummary:
        """Save the graph if nobody saved since ``version``; otherwise GRAPH_VERSION_CONFLICT.

        Answers the session's summary (not the whole graph): the caller has it already.
        Blocking and CPU-bound (validation grows with the graph): call it from a worker thread.
        """
        with self.db.session() as s:
            found = s.execute(
                select(StudioSession.owner_id, StudioSession.name, StudioSession.created_at)
                .where(StudioSession.id == session_id)
            ).first() if is_uuid(session_id) else None
            owner_id = found.owner_id if found is not None else ""
            role = require(principal, facts_of(s, session_id, owner_id, principal), Action.EDIT)
            assert found is not None
            check_documents(None, update_.tabs, self.json_limits)
            checked = self.check_graph(update_.graph)
            now = datetime.now(UTC)
            values: dict[str, Any] = {
                "graph": update_.graph.model_dump(mode="json"),
                "version": update_.version + 1,
                "updated_at": now,
            }
            if update_.viewport is not None:
                values["viewport"] = update_.viewport.model_dump()
            if update_.tabs is not None:
                values["tabs"] = update_.tabs
            result = s.execute(
                update(StudioSession)
                .where(StudioSession.id == session_id, StudioSession.version == update_.version)
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                current = s.scalar(select(StudioSession.version).where(StudioSession.id == session_id))
                raise GraphVersionConflict(
                    f"the session was saved by someone else (version {current}); reload and reapply",
                    details={"current_version": current, "your_version": update_.version},
                )
        self._remember(session_id, update_.version + 1, update_.graph, checked)
        return SessionSummary(id=session_id, name=found.name, version=update_.version + 1, role=role.name.lower(),
                              node_count=len(update_.graph.nodes), created_at=found.created_at, updated_at=now)

    def graph_of(self, principal: Principal, session_id: str, action: Action) -> Graph:
        row, _ = self.load(principal, session_id, action)
        return Graph.model_validate(row.graph)

    def check_graph(self, graph: Graph) -> CheckedGraph:
        """What every save checks: stored documents' bounds, structure (types, links, cycles, parents)
        and the size a full run would have with its loops expanded (GRAPH_TOO_LARGE)."""
        check_documents(graph, None, self.json_limits)
        checked = check_structure(graph, self.registry)
        if self.max_expanded_nodes is not None:
            check_expansion(graph, self.registry, self.max_expanded_nodes)
        return checked

    def save_for_run(self, principal: Principal, session_id: str, flow: FlowUpdate) -> tuple[Graph, int]:
        """Save-then-run in one request (``execute`` carrying the graph): the graph and its new version.

        A graph equal to the one already saved at ``flow.version`` (the current version) is not written
        again: the run uses it as saved (RUN suffices, as for a plain execute). Anything else is saved as
        :meth:`put_flow` saves it (EDIT; GRAPH_VERSION_CONFLICT when someone saved since)."""
        if flow.viewport is None and flow.tabs is None:
            with self._graphs_lock:
                known = self._graphs.get((session_id, flow.version))
            if known is not None and known == flow.graph:
                graph, version = self.graph_for_run(principal, session_id)
                if version == flow.version:
                    return graph, version
        summary = self.put_flow(principal, session_id, flow)
        return flow.graph, summary.version

    def graph_for_run(self, principal: Principal, session_id: str) -> tuple[Graph, int]:
        """The saved graph and its version, if ``principal`` may run the session."""
        with self.db.session() as s:
            found = s.execute(
                select(StudioSession.owner_id, StudioSession.version).where(StudioSession.id == session_id)
            ).first() if is_uuid(session_id) else None
            owner_id, version = found if found is not None else ("", 0)
            require(principal, facts_of(s, session_id, owner_id, principal), Action.RUN)
            with self._graphs_lock:
                graph = self._graphs.get((session_id, version))
            if graph is None:
                raw = s.scalar(select(StudioSession.graph).where(StudioSession.id == session_id))
                graph = Graph.model_validate(raw)
                self._remember(session_id, version, graph)
            return graph, version


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("a session needs a name", code="INVALID_NAME")
    if len(name) > 200:
        raise InvalidRequest("session names are at most 200 characters", code="INVALID_NAME")
    return name


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True
