"""Sessions: the saved workspace (graph, viewport, tabs) with versioned, race-safe writes."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, or_, select, update

from ..core.errors import GraphVersionConflict, InvalidRequest
from ..core.graph import Graph, Viewport, finite_json
from ..core.policy import Action, Principal, Role, SessionFacts, require
from ..core.registry import NodeRegistry
from ..core.validation import check_structure
from ..store.db import Database
from ..store.models import StudioSession

_GRAPH_MEMO = 64


class FlowUpdate(BaseModel):
    """``PutStudioFlow``: the whole graph document, with the version it was based on."""

    graph: Graph
    version: int = Field(ge=1, le=2**53, description="The version this write was based on")
    viewport: Viewport | None = None
    tabs: list[Any] | None = Field(default=None, max_length=100)

    _finite = field_validator("tabs")(finite_json)


def session_facts(row: StudioSession, principal: Principal) -> SessionFacts:
    # Shares arrive with the sharing API; until then only owners have a role.
    return SessionFacts(row.id, row.owner_id, None)


def session_summary(row: StudioSession, role: Role) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "role": role.name.lower(),
        "node_count": len(row.graph.get("nodes", [])),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def session_document(row: StudioSession, role: Role) -> dict[str, Any]:
    return {**session_summary(row, role), "graph": row.graph, "viewport": row.viewport, "tabs": row.tabs}


class Sessions:
    def __init__(self, db: Database, registry: NodeRegistry) -> None:
        self.db = db
        self.registry = registry
        # Validated graphs by (session id, version): a run right after a save skips re-parsing.
        self._graphs: OrderedDict[tuple[str, int], Graph] = OrderedDict()
        self._graphs_lock = threading.Lock()

    def _remember(self, session_id: str, version: int, graph: Graph) -> None:
        with self._graphs_lock:
            self._graphs[(session_id, version)] = graph
            while len(self._graphs) > _GRAPH_MEMO:
                self._graphs.popitem(last=False)

    def load(self, principal: Principal, session_id: str, action: Action) -> tuple[StudioSession, Role]:
        """The session row if ``principal`` may perform ``action``; else SESSION_NOT_FOUND/FORBIDDEN."""
        with self.db.session() as s:
            row = s.get(StudioSession, session_id) if is_uuid(session_id) else None
            facts = session_facts(row, principal) if row is not None else SessionFacts(session_id, "")
            role = require(principal, facts, action)
            assert row is not None
            return row, role

    def create(self, principal: Principal, name: str, graph: Graph | None = None) -> dict[str, Any]:
        name = _clean_name(name)
        graph = graph or Graph()
        check_structure(graph, self.registry)
        now = datetime.now(UTC)
        row = StudioSession(
            id=str(uuid.uuid4()), owner_id=principal.user_id, name=name,
            graph=graph.model_dump(mode="json"), version=1,
            viewport=Viewport().model_dump(), tabs=[], created_at=now, updated_at=now,
        )
        with self.db.session() as s:
            s.add(row)
        return session_document(row, Role.OWNER)

    def list(self, principal: Principal, *, q: str | None, limit: int, offset: int) -> dict[str, Any]:
        with self.db.session() as s:
            cond = [StudioSession.owner_id == principal.user_id]
            if q:
                literal = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                cond.append(or_(func.lower(StudioSession.name).like(f"%{literal}%", escape="\\")))
            total = s.scalar(select(func.count()).select_from(StudioSession).where(*cond)) or 0
            rows = s.scalars(
                select(StudioSession).where(*cond)
                .order_by(StudioSession.updated_at.desc(), StudioSession.id).limit(limit).offset(offset)
            ).all()
            items = [session_summary(r, Role.OWNER) for r in rows]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    def get(self, principal: Principal, session_id: str) -> dict[str, Any]:
        row, role = self.load(principal, session_id, Action.VIEW)
        return session_document(row, role)

    def rename(self, principal: Principal, session_id: str, name: str) -> dict[str, Any]:
        self.load(principal, session_id, Action.OWN)
        with self.db.session() as s:
            row = s.get(StudioSession, session_id)
            assert row is not None
            row.name = _clean_name(name)
            row.updated_at = datetime.now(UTC)
            return session_document(row, Role.OWNER)

    def delete(self, principal: Principal, session_id: str) -> None:
        self.load(principal, session_id, Action.OWN)
        with self.db.session() as s:
            row = s.get(StudioSession, session_id)
            if row is not None:
                s.delete(row)

    def put_flow(self, principal: Principal, session_id: str, update_: FlowUpdate) -> dict[str, Any]:
        """Save the graph if nobody saved since ``version``; otherwise GRAPH_VERSION_CONFLICT.

        Answers the session's summary (not the whole graph): the caller has it already.
        """
        with self.db.session() as s:
            found = s.execute(
                select(StudioSession.owner_id, StudioSession.name, StudioSession.created_at)
                .where(StudioSession.id == session_id)
            ).first() if is_uuid(session_id) else None
            owner_id = found.owner_id if found is not None else ""
            role = require(principal, SessionFacts(session_id, owner_id), Action.EDIT)
            assert found is not None
            check_structure(update_.graph, self.registry)
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
        self._remember(session_id, update_.version + 1, update_.graph)
        return {
            "id": session_id,
            "name": found.name,
            "version": update_.version + 1,
            "role": role.name.lower(),
            "node_count": len(update_.graph.nodes),
            "created_at": found.created_at.isoformat(),
            "updated_at": now.isoformat(),
        }

    def graph_of(self, principal: Principal, session_id: str, action: Action) -> Graph:
        row, _ = self.load(principal, session_id, action)
        return Graph.model_validate(row.graph)

    def check_graph(self, graph: Graph) -> None:
        check_structure(graph, self.registry)

    def graph_for_run(self, principal: Principal, session_id: str) -> tuple[Graph, int]:
        """The saved graph and its version, if ``principal`` may run the session."""
        with self.db.session() as s:
            found = s.execute(
                select(StudioSession.owner_id, StudioSession.version).where(StudioSession.id == session_id)
            ).first() if is_uuid(session_id) else None
            owner_id, version = found if found is not None else ("", 0)
            require(principal, SessionFacts(session_id, owner_id), Action.RUN)
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
