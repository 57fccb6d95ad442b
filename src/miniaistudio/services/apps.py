"""Apps: sessions published as reusable workflows with declared inputs and returned outputs
(Magnific's "apps"; the canvas publishes them beside recipes).

An app is a snapshot of a session's graph when published, its inputs (``input-<uuid>-<n>``, each
``creation`` | ``text`` | ``number`` | ``select`` bound to a node: a creation to an upload node's
media, the others to one parameter) and the nodes whose outputs a run returns. Its public id is the
SQID of its row id, so it is stable for the app's life (rows are never renumbered: the table
autoincrements without reuse). Who may see, run, change it: ``core/policy.py`` (visibility private |
team | everyone). A run is a job (``services/jobs.py``, dialect ``magnific``) on the caller's
credits, so provenance, the ledger and webhooks are the platform's; ``app_runs`` ties it to its app
for the owner's analytics.
"""

from __future__ import annotations

import asyncio
import copy
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqids import Sqids
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequest, StudioError
from ..core.graph import Graph
from ..core.json_limits import DEFAULT_LIMITS, JsonLimits, check_document
from ..core.policy import (
    Action,
    AppFacts,
    AppVisibility,
    Principal,
    can_use_app,
    require_app,
    require_app_owner,
)
from ..core.registry import NodeRegistry
from ..store.db import Database
from ..store.tables import App, AppRun, Job, Media, RunNode, SessionShare, StudioSession, User
from .creation_inputs import CreationInputs, invalid_input
from .jobs import ACTIVE, COMPLETED, JobNotFound, JobRequest, Jobs, JobView
from .media import MediaLibrary
from .metering import DEFAULT_MODEL_KINDS, MODEL_PARAMS, NOT_A_MODEL
from .models import ModelLibrary
from .sessions import ACCEPTED, Sessions

DIALECT = "magnific"
RUN_ID_PREFIX = "run"
InputType = Literal["creation", "text", "number", "select"]
#: The upload node types a ``creation`` input may feed, and the media kind each takes.
CREATION_NODES = {"upload.image": "image", "upload.video": "video", "upload.audio": "audio"}
#: The JSON Schema types of the parameters each input type may set.
PARAM_TYPES: dict[str, tuple[str, ...]] = {"text": ("string",), "number": ("integer", "number"),
                                           "select": ("string", "integer", "number")}
MAX_TEXT_CHARS = 100_000
#: SQIDs: Magnific's ids are 10 characters (``uqzQLDr2Aw``).
SQIDS = Sqids(min_length=10)


def app_sqid(row_id: int) -> str:
    return SQIDS.encode([row_id])


def app_row_id(sqid: str) -> int | None:
    """The row id a SQID names; None for anything that is not the one canonical SQID of one id."""
    if not 1 <= len(sqid) <= 40 or not sqid.isalnum():
        return None
    numbers = SQIDS.decode(sqid)
    if len(numbers) != 1 or app_sqid(numbers[0]) != sqid or numbers[0] > 2**62:
        return None
    return numbers[0]


class AppInputSpec(BaseModel):
    """One input chosen at publish time."""

    node_id: str = Field(min_length=1, max_length=200)
    field: str | None = Field(default=None, max_length=100,
                              description="The node parameter it sets (not for creation inputs)")
    type: InputType
    label: str = Field(min_length=1, max_length=200)
    required: bool = True
    default: str | int | float | None = None
    options: list[str] = Field(default_factory=list, max_length=100)
    min: float | None = None
    max: float | None = None


class AppOutputSpec(BaseModel):
    node_id: str = Field(min_length=1, max_length=200)


class AppPublish(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    visibility: AppVisibility = AppVisibility.PRIVATE
    inputs: list[AppInputSpec] = Field(default_factory=list, max_length=50)
    outputs: list[AppOutputSpec] = Field(min_length=1, max_length=20)


class AppUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    visibility: AppVisibility | None = None


@dataclass(frozen=True)
class AppInput:
    id: str
    type: str
    label: str
    required: bool
    default: Any
    options: list[str]
    min: float | None
    max: float | None
    node_id: str
    field: str | None


@dataclass(frozen=True)
class AppView:
    id: str  # the SQID
    owner_id: str
    owner_email: str
    session_id: str | None
    name: str
    description: str
    visibility: str
    inputs: list[AppInput]
    output_nodes: list[str]
    total_cost: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AppAnalytics:
    app_id: str
    runs: int
    completed: int
    failed: int
    running: int
    credits: int


@dataclass(frozen=True)
class RunOutput:
    media_id: str
    kind: str
    mime: str
    node_id: str | None


@dataclass(frozen=True)
class AppRunView:
    job: JobView
    app_id: str
    outputs: list[RunOutput]


def _inputs_of(document: dict[str, Any]) -> list[AppInput]:
    return [AppInput(**item) for item in document.get("inputs", [])]


class AppOutputs:
    """The job's output mapper: every media id the app's output nodes made in the run, in the
    order the outputs were picked (read from the run's recorded node states, on the follower's thread)."""

    def __init__(self, db: Database, node_ids: list[str]) -> None:
        self.db = db
        self.node_ids = node_ids

    def __call__(self, job: JobView, outputs: dict[str, Any]) -> list[str]:
        with self.db.session() as s:
            states: dict[str, Any] = dict(s.execute(select(RunNode.node_id, RunNode.state).where(
                RunNode.run_id == job.run_id, RunNode.node_id.in_(self.node_ids))).all())
        found: list[str] = []
        for node_id in self.node_ids:
            values = (states.get(node_id) or {}).get("outputs") or {}
            for value in values.values():
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict) and item.get("media_id") and item["media_id"] not in found:
                        found.append(str(item["media_id"]))
        return found


class Apps:
    def __init__(self, db: Database, sessions: Sessions, registry: NodeRegistry, media: MediaLibrary,
                 jobs: Jobs, models: ModelLibrary, creations: CreationInputs, *,
                 node_prices: dict[str, int] | None, json_limits: JsonLimits = DEFAULT_LIMITS) -> None:
        self.db = db
        self.sessions = sessions
        self.registry = registry
        self.media = media
        self.jobs = jobs
        self.models = models
        self.creations = creations
        self.node_prices = node_prices  # None: billing is off, nothing is charged
        self.json_limits = json_limits

    # -- publishing --------------------------------------------------------------------------------
    def publish(self, principal: Principal, session_id: str, req: AppPublish) -> AppView:
        """The owner of a session publishes its graph as it is saved now."""
        graph = self.sessions.graph_of(principal, session_id, Action.OWN)
        nodes = graph.node_map()
        inputs: list[dict[str, Any]] = []
        for index, spec in enumerate(req.inputs, start=1):
            inputs.append(self._input(spec, nodes, index))
        for output in req.outputs:
            node = nodes.get(output.node_id)
            spec_of = self.registry.get(node.type) if node is not None else None
            if node is None or spec_of is None or not spec_of.executable or not spec_of.outputs:
                raise InvalidRequest(f"output {output.node_id!r} is not a node with outputs in this session",
                                     code="INVALID_APP", details={"field": "outputs"})
        output_nodes = list(dict.fromkeys(output.node_id for output in req.outputs))
        document = {"graph": graph.model_dump(mode="json"), "inputs": inputs, "outputs": output_nodes}
        check_document(document, self.json_limits, what="app")
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = App(owner_id=principal.user_id, session_id=session_id, name=req.name,
                      description=req.description, visibility=req.visibility.value, document=document,
                      created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return self._view(s, row)

    def _input(self, spec: AppInputSpec, nodes: dict[str, Any], index: int) -> dict[str, Any]:
        node = nodes.get(spec.node_id)
        if node is None:
            raise InvalidRequest(f"input {spec.label!r} names missing node {spec.node_id!r}", code="INVALID_APP",
                                 details={"field": f"inputs.{index - 1}.node_id"})
        field = spec.field
        options = list(spec.options)
        if spec.type == "creation":
            if node.type not in CREATION_NODES:
                raise InvalidRequest(f"a creation input feeds an upload node; {spec.node_id!r} is {node.type}",
                                     code="INVALID_APP", details={"field": f"inputs.{index - 1}.node_id"})
            field = None
        else:
            schema = self.registry.require(node.type).params_schema
            prop = _resolved(schema, schema.get("properties", {}).get(field or ""))
            if prop is None:
                raise InvalidRequest(f"{node.type} has no parameter {field!r}", code="INVALID_APP",
                                     details={"field": f"inputs.{index - 1}.field"})
            kinds = {prop.get("type")} | {str(alt.get("type")) for alt in prop.get("anyOf", [])}
            if prop.get("enum") and not prop.get("type"):
                kinds.add("string")
            if not kinds & set(PARAM_TYPES[spec.type]):
                raise InvalidRequest(f"{node.type}.{field} cannot take a {spec.type} input", code="INVALID_APP",
                                     details={"field": f"inputs.{index - 1}.type"})
            if spec.type == "select":
                options = options or [str(option) for option in prop.get("enum", [])]
                if not options:
                    raise InvalidRequest("a select input needs options", code="INVALID_APP",
                                         details={"field": f"inputs.{index - 1}.options"})
        item: dict[str, Any] = {"id": f"input-{uuid.uuid4()}-{index}", "type": spec.type, "label": spec.label,
                "required": spec.required, "default": None, "options": options,
                "min": spec.min if spec.type == "number" else None,
                "max": spec.max if spec.type == "number" else None, "node_id": spec.node_id, "field": field}
        if spec.default is not None:
            item["default"] = _checked_value(AppInput(**item), spec.default)
        return item

    # -- reading -----------------------------------------------------------------------------------
    def listing(self, principal: Principal) -> list[AppView]:
        """The caller's apps and those shared with them (team, everyone), newest first."""
        with self.db.session() as s:
            team_of: set[str] = set(self._teams_joined(s, principal))
            rows = s.scalars(select(App).where(
                (App.owner_id == principal.user_id) | (App.visibility == AppVisibility.EVERYONE.value)
                | ((App.visibility == AppVisibility.TEAM.value) & App.owner_id.in_(team_of or {""})))
                .order_by(App.created_at.desc(), App.id.desc())).all()
            return [self._view(s, row) for row in rows
                    if can_use_app(principal, AppFacts(row.owner_id, row.visibility, row.owner_id in team_of))]

    def get(self, principal: Principal, app_id: str) -> AppView:
        with self.db.session() as s:
            return self._view(s, self._usable(s, principal, app_id))

    def update(self, principal: Principal, app_id: str, changes: AppUpdate) -> AppView:
        with self.db.session() as s:
            row = self._owned(s, principal, app_id)
            for name in changes.model_fields_set:
                value = getattr(changes, name)
                if value is not None:
                    setattr(row, name, value.value if isinstance(value, AppVisibility) else value)
            row.updated_at = datetime.now(UTC)
            s.flush()
            return self._view(s, row)

    def delete(self, principal: Principal, app_id: str) -> AppView:
        with self.db.session() as s:
            row = self._owned(s, principal, app_id)
            view = self._view(s, row)
            s.delete(row)
            return view

    def analytics(self, principal: Principal, app_id: str) -> AppAnalytics:
        """Runs of the app by anyone (counts and credits only: who ran it stays theirs)."""
        with self.db.session() as s:
            row = self._owned(s, principal, app_id)
            failed = ("failed", "canceled")
            counts = s.execute(select(
                func.count(),
                func.coalesce(func.sum(case((Job.status == COMPLETED, 1), else_=0)), 0),
                func.coalesce(func.sum(case((Job.status.in_(failed), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Job.status.in_(ACTIVE), 1), else_=0)), 0),
                func.coalesce(func.sum(Job.credits_charged), 0),
            ).select_from(AppRun).join(Job, Job.id == AppRun.job_id).where(AppRun.app_id == row.id)).one()
            return AppAnalytics(app_id=app_sqid(row.id), runs=int(counts[0]), completed=int(counts[1]),
                                failed=int(counts[2]), running=int(counts[3]), credits=int(counts[4]))

    # -- running -----------------------------------------------------------------------------------
    async def run(self, principal: Principal, app_id: str, values: dict[str, Any],
                  webhook_url: str | None) -> AppRunView:
        """Check the inputs (each refusal names its input id), bring creation inputs into the
        caller's gallery, then run the app's graph as a job of the caller's."""
        view, document, row_id = await asyncio.to_thread(self._for_run, principal, app_id)
        checked = _checked_values(view.inputs, values)
        created: list[str] = []
        try:
            media_of: dict[str, str] = {}
            for item in view.inputs:
                value = checked.get(item.id)
                if item.type == "creation" and isinstance(value, str):
                    node = next(n for n in document["graph"]["nodes"] if n["id"] == item.node_id)
                    resolved = await asyncio.to_thread(self.creations.resolve, principal, item.id, value,
                                                       CREATION_NODES[node["type"]])
                    if resolved.created:
                        created.append(resolved.media_id)
                    media_of[item.id] = resolved.media_id
            graph = self._graph_with(document["graph"], view.inputs, checked, media_of)
            request = JobRequest(dialect=DIALECT, operation="app", id_prefix=RUN_ID_PREFIX,
                                 inputs={"app_id": view.id, "inputs": _recorded(view.inputs, checked, media_of)},
                                 graph=graph, output_node=view.output_nodes[0], webhook_url=webhook_url,
                                 map_outputs=AppOutputs(self.db, view.output_nodes))
            job = await self.jobs.submit(principal, request)
        except BaseException:
            if created:
                await asyncio.to_thread(self.media.discard, principal, created)
            raise
        await asyncio.to_thread(self._record_run, row_id, job)
        return AppRunView(job=job, app_id=view.id, outputs=[])

    def _for_run(self, principal: Principal, app_id: str) -> tuple[AppView, dict[str, Any], int]:
        with self.db.session() as s:
            row = self._usable(s, principal, app_id)
            return self._view(s, row), copy.deepcopy(row.document), row.id

    def _record_run(self, app_row_id: int, job: JobView) -> None:
        with self.db.session() as s:
            s.add(AppRun(job_id=job.id, app_id=app_row_id, user_id=job.user_id, created_at=job.created_at))

    def _graph_with(self, graph: dict[str, Any], inputs: list[AppInput], values: dict[str, Any],
                    media_of: dict[str, str]) -> Graph:
        nodes = {node["id"]: node for node in graph["nodes"]}
        touched: dict[str, list[AppInput]] = {}
        for item in inputs:
            if item.id not in values:
                continue
            node = nodes[item.node_id]
            params = node.setdefault("params", {})
            if item.type == "creation":
                params.update({"media_ids": [media_of[item.id]], "source_url": "", "selection": "selected",
                               "selected_index": 0})
            else:
                params[item.field or ""] = values[item.id]
            touched.setdefault(item.node_id, []).append(item)
        errors = []
        for node_id, items in touched.items():
            node = nodes[node_id]
            try:
                self.registry.require(node["type"]).validate_params(node.get("params", {}))
            except ValidationError as exc:
                fields = {str(err["loc"][0]) if err["loc"] else "" for err in exc.errors()}
                for item in items:
                    if item.type == "creation" or item.field in fields:
                        errors.append({"field": item.id, "message": next(
                            (err["msg"] for err in exc.errors() if err["loc"] and str(err["loc"][0]) == item.field),
                            exc.errors()[0]["msg"])})
        if errors:
            raise InvalidRequest(f"input {errors[0]['field']}: {errors[0]['message']}", code="INVALID_INPUTS",
                                 details={"errors": errors})
        return Graph.model_validate(graph)

    def get_run(self, principal: Principal, run_id: str) -> AppRunView:
        """The caller's own run (another user's id is not found), with its outputs' kinds."""
        try:
            job = self.jobs.get(principal, DIALECT, run_id)
        except JobNotFound:
            raise JobNotFound("run not found") from None
        with self.db.session() as s:
            return self.run_view(s, job)

    def run_view(self, s: Session, job: JobView) -> AppRunView:
        """The same inside a transaction (a finisher's)."""
        rows = {row.id: row for row in s.scalars(select(Media).where(Media.id.in_(job.outputs))).all()}
        outputs = [RunOutput(media_id=m, kind=rows[m].kind, mime=rows[m].mime, node_id=rows[m].node_id)
                   for m in job.outputs if m in rows]
        return AppRunView(job=job, app_id=str(job.inputs.get("app_id", "")), outputs=outputs)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _teams_joined(s: Session, principal: Principal) -> list[str]:
        """Owners whose team the principal is in: they share a session with the principal (accepted)."""
        return list(s.scalars(select(StudioSession.owner_id).distinct()
                              .join(SessionShare, SessionShare.session_id == StudioSession.id)
                              .where(SessionShare.user_id == principal.user_id,
                                     SessionShare.status == ACCEPTED)).all())

    def _facts(self, s: Session, principal: Principal, row: App | None) -> AppFacts | None:
        if row is None:
            return None
        in_team = False
        if row.visibility == AppVisibility.TEAM.value and row.owner_id != principal.user_id:
            in_team = s.scalar(select(func.count()).select_from(SessionShare)
                               .join(StudioSession, StudioSession.id == SessionShare.session_id)
                               .where(SessionShare.user_id == principal.user_id, SessionShare.status == ACCEPTED,
                                      StudioSession.owner_id == row.owner_id)) != 0
        return AppFacts(row.owner_id, row.visibility, in_team)

    def _row(self, s: Session, app_id: str) -> App | None:
        row_id = app_row_id(app_id)
        return s.get(App, row_id) if row_id is not None else None

    def _usable(self, s: Session, principal: Principal, app_id: str) -> App:
        row = self._row(s, app_id)
        require_app(principal, self._facts(s, principal, row))
        assert row is not None
        return row

    def _owned(self, s: Session, principal: Principal, app_id: str) -> App:
        row = self._row(s, app_id)
        require_app_owner(principal, self._facts(s, principal, row))
        assert row is not None
        return row

    def _view(self, s: Session, row: App) -> AppView:
        email = s.scalar(select(User.email).where(User.id == row.owner_id)) or ""
        document = row.document
        return AppView(id=app_sqid(row.id), owner_id=row.owner_id, owner_email=email, session_id=row.session_id,
                       name=row.name, description=row.description, visibility=row.visibility,
                       inputs=_inputs_of(document), output_nodes=list(document.get("outputs", [])),
                       total_cost=self._price(document.get("graph", {})), created_at=row.created_at,
                       updated_at=row.updated_at)

    def _price(self, graph: dict[str, Any]) -> int:
        """What one run costs in credits: each executable node's model credits plus its node price
        (as ``LedgerMeter`` prices a run); 0 with billing off."""
        if self.node_prices is None:
            return 0
        total = 0
        for node in graph.get("nodes", []):
            spec = self.registry.get(str(node.get("type", "")))
            if spec is None or not spec.executable:
                continue
            total += self.node_prices.get(spec.type, 0)
            params = node.get("params") or {}
            ref = next((str(params[p]).strip() for p in MODEL_PARAMS if isinstance(params.get(p), str)), "")
            if ref.lower() in NOT_A_MODEL and not (spec.type in DEFAULT_MODEL_KINDS and not ref):
                continue
            info = (self.models.find(ref) if ref else self.models.first_of_kind(DEFAULT_MODEL_KINDS[spec.type]))
            total += int(info.credits_per_generation) if info is not None else 0
        return total


def _resolved(schema: dict[str, Any], prop: dict[str, Any] | None) -> dict[str, Any] | None:
    """A parameter's schema with a local ``$ref`` (an enum declared once) replaced by its definition."""
    if prop is None:
        return None
    refs = [prop.get("$ref"), *(item.get("$ref") for item in prop.get("allOf", []))]
    ref = next((str(r) for r in refs if r), "")
    if not ref.startswith("#/$defs/"):
        return prop
    own = {key: value for key, value in prop.items() if key not in ("$ref", "allOf")}
    return {**schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {}), **own}


def _checked_value(item: AppInput, value: Any) -> Any:
    """One input's value as its type takes it, or a refusal naming the input."""
    if item.type in ("text", "creation"):
        if not isinstance(value, str) or (item.type == "creation" and not value.strip()):
            raise invalid_input(item.id, "expected a string")
        if item.type == "text" and len(value) > MAX_TEXT_CHARS:
            raise invalid_input(item.id, f"at most {MAX_TEXT_CHARS} characters")
        return value
    if item.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise invalid_input(item.id, "expected a number")
        if item.min is not None and value < item.min:
            raise invalid_input(item.id, f"must be at least {item.min:g}")
        if item.max is not None and value > item.max:
            raise invalid_input(item.id, f"must be at most {item.max:g}")
        return value
    if str(value) not in item.options or isinstance(value, bool | dict | list):
        raise invalid_input(item.id, f"must be one of {', '.join(item.options[:20])}")
    return str(value)


def _checked_values(inputs: list[AppInput], values: dict[str, Any]) -> dict[str, Any]:
    """Every input's value (given, else its default); all refusals at once, each naming its input."""
    known = {item.id: item for item in inputs}
    errors: list[dict[str, str]] = [{"field": str(key)[:120], "message": "this app has no such input"}
                                    for key in values if key not in known]
    checked: dict[str, Any] = {}
    for item in inputs:
        value = values.get(item.id, item.default)
        if value is None:
            if item.required:
                errors.append({"field": item.id, "message": f"required ({item.label})"})
            continue
        try:
            checked[item.id] = _checked_value(item, value)
        except StudioError as exc:
            errors.extend((exc.details or {}).get("errors", []))
    if errors:
        raise InvalidRequest(f"input {errors[0]['field']}: {errors[0]['message']}", code="INVALID_INPUTS",
                             details={"errors": errors})
    return checked


def _recorded(inputs: list[AppInput], values: dict[str, Any], media_of: dict[str, str]) -> dict[str, Any]:
    """What the job keeps of the inputs: creation inputs as the media id they became (never the bytes)."""
    return {item.id: media_of.get(item.id, values[item.id]) for item in inputs if item.id in values}
