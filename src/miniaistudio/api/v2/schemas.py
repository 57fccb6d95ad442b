"""The v2 door's public models: what each route answers, so the OpenAPI document (and the canvas's
generated TypeScript types) describe every answer.

Models are named ``<Entity>Public`` (the FastAPI template's family; requests keep their own
``...Create`` / ``...Update`` / ``...Request`` names beside their routers). Services answer typed
results (frozen dataclasses, or core models such as ``Recipe`` and ``RunState``) and know no wire
format; each model's ``of`` projects one here, with the door's ``Urls`` where media are addressed.
``extra="allow"`` keeps any field a model does not name yet on the wire, so declaring a model never
drops a field clients read. The model library's, GPU's and voices' models live in ``model_schemas.py``,
the recipes' in ``recipe_schemas.py``. Timestamps typed
``datetime`` are answered in one form: UTC ISO-8601 with ``Z`` (``2026-12-03T13:11:07.123456Z``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from ...core.loops import LoopIterationPlan
from ...core.node import Socket
from ...core.registry import NodeSpec
from ...core.run import NodeState, RunState
from ...core.sockets import SocketType
from ...core.urls import Urls
from ...core.values import public_outputs
from ...services.accounts import ApiKeyStatus, IssuedToken, Profile
from ...services.execution import NodeCancel, RunHistory, RunStop, SavedOutput
from ...services.media import MediaGroup, MediaItem, MediaPage
from ...services.run_queue import QueuedRun
from ...services.sessions import SessionDocument, SessionList, SessionSummary
from ...services.sharing import Invitation, Share, ShareRole, ShareStatus

MediaType = Literal["image", "video", "audio"]


class Public(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- ping, auth, account -------------------------------------------------------------------------
class PingPublic(Public):
    status: str
    version: str


class TokenPublic(Public):
    token: str
    token_type: Literal["bearer"]
    expires_in: int

    @classmethod
    def of(cls, issued: IssuedToken) -> TokenPublic:
        return cls(token=issued.token, token_type="bearer", expires_in=issued.expires_in)


class OkPublic(Public):
    ok: bool


class UserPublic(Public):
    id: str
    email: str
    is_admin: bool
    created_at: datetime
    via_api_key: bool

    @classmethod
    def of(cls, profile: Profile, *, via_api_key: bool) -> UserPublic:
        return cls(id=profile.id, email=profile.email, is_admin=profile.is_admin, created_at=profile.created_at,
                   via_api_key=via_api_key)


class ApiKeyPublic(Public):
    enabled: bool
    has_key: bool
    prefix: str | None
    created_at: datetime | None
    api_key: str | None = Field(default=None, description="Only when a key was just issued: shown once")

    @classmethod
    def of(cls, status: ApiKeyStatus) -> ApiKeyPublic:
        issued = {"api_key": status.api_key} if status.api_key is not None else {}  # named only when issued
        return cls(enabled=status.enabled, has_key=status.prefix is not None, prefix=status.prefix,
                   created_at=status.created_at, **issued)


# -- sessions ------------------------------------------------------------------------------------
class SessionSummaryPublic(Public):
    id: str
    name: str
    version: int
    role: str
    node_count: int
    created_at: datetime
    updated_at: datetime
    owner_email: str | None = Field(default=None, description="In the sessions list: whose session it is")

    @classmethod
    def of(cls, summary: SessionSummary) -> SessionSummaryPublic:
        owner = {"owner_email": summary.owner_email} if summary.owner_email is not None else {}
        return cls(id=summary.id, name=summary.name, version=summary.version, role=summary.role,
                   node_count=summary.node_count, created_at=summary.created_at, updated_at=summary.updated_at,
                   **owner)


class UnreadablePart(Public):
    part: str
    node_id: str | None = None


class SessionPublic(SessionSummaryPublic):
    """A session with its documents (the graph document of ``core/graph.py``)."""

    graph: dict[str, Any]
    viewport: dict[str, Any] | None
    tabs: list[Any] | None
    unreadable: list[UnreadablePart] | None = Field(
        default=None, description="Stored parts that could not be served back (withheld until the next save)")

    @classmethod
    def of_document(cls, doc: SessionDocument) -> SessionPublic:
        withheld = {"unreadable": doc.unreadable} if doc.unreadable else {}  # only named when there are some
        return cls(id=doc.id, name=doc.name, version=doc.version, role=doc.role, node_count=doc.node_count,
                   created_at=doc.created_at, updated_at=doc.updated_at, graph=doc.graph, viewport=doc.viewport,
                   tabs=doc.tabs, **withheld)


class SessionsPublic(Public):
    items: list[SessionSummaryPublic]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, found: SessionList) -> SessionsPublic:
        return cls(items=[SessionSummaryPublic.of(s) for s in found.items], total=found.total, limit=found.limit,
                   offset=found.offset)


# -- sharing -------------------------------------------------------------------------------------
class SharePublic(Public):
    """A collaborator of a session, as its owner sees them. Credits are whole numbers."""

    id: str
    session_id: str
    email: str
    user_id: str | None = Field(description="null until the invitee has an account")
    role: ShareRole
    status: ShareStatus
    monthly_credit_limit: int | None
    total_credit_limit: int | None
    credits_used_this_month: int
    credits_used_total: int
    invited_by: str | None = Field(description="the inviter's e-mail")
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None

    @classmethod
    def of(cls, share: Share) -> SharePublic:
        return cls(id=share.id, session_id=share.session_id, email=share.email, user_id=share.user_id,
                   role=ShareRole(share.role), status=ShareStatus(share.status),
                   monthly_credit_limit=share.monthly_credit_limit, total_credit_limit=share.total_credit_limit,
                   credits_used_this_month=share.credits_used_this_month,
                   credits_used_total=share.credits_used_total, invited_by=share.invited_by,
                   created_at=share.created_at, updated_at=share.updated_at, accepted_at=share.accepted_at)


class SharesPublic(Public):
    items: list[SharePublic]


class ShareRevokedPublic(Public):
    revoked: SharePublic


class InvitationPublic(Public):
    """An invitation to someone else's session, as the invitee sees it (``id`` is the share's id)."""

    id: str
    session_id: str
    session_name: str
    owner_email: str
    role: ShareRole
    status: ShareStatus
    monthly_credit_limit: int | None
    total_credit_limit: int | None
    invited_by: str | None = Field(description="the inviter's e-mail")
    created_at: datetime
    accepted_at: datetime | None

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationPublic:
        return cls(id=invitation.id, session_id=invitation.session_id, session_name=invitation.session_name,
                   owner_email=invitation.owner_email, role=ShareRole(invitation.role),
                   status=ShareStatus(invitation.status), monthly_credit_limit=invitation.monthly_credit_limit,
                   total_credit_limit=invitation.total_credit_limit, invited_by=invitation.invited_by,
                   created_at=invitation.created_at, accepted_at=invitation.accepted_at)


class InvitationsPublic(Public):
    items: list[InvitationPublic]


# -- media ---------------------------------------------------------------------------------------
class MediaPublic(Public):
    """A gallery item. (Node outputs name media ``media_id`` and ``kind``: see ``MediaOutputPublic``.)"""

    id: str
    media_type: MediaType
    mime: str
    filename: str
    size_bytes: int
    width: int | None
    height: int | None
    duration: float | None
    codecs: Any
    origin: str | None
    session_id: str | None
    node_id: str | None
    run_id: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    url: str

    @classmethod
    def of(cls, item: MediaItem, urls: Urls) -> MediaPublic:
        return cls(id=item.id, media_type=item.kind, mime=item.mime, filename=item.filename,
                   size_bytes=item.size_bytes, width=item.width, height=item.height, duration=item.duration,
                   codecs=item.codecs, origin=item.origin, session_id=item.session_id, node_id=item.node_id,
                   run_id=item.run_id, metadata=item.metadata, created_at=item.created_at,
                   url=urls.media_download(item.id))


class MediaRemovedPublic(Public):
    """What ``DELETE /media/{id}`` removed."""

    removed: MediaPublic


class MediaUploadPublic(Public):
    """Every stored file in ``items``; a single upload also answers that item's fields at the top."""

    items: list[MediaPublic]
    id: str | None = None
    media_type: MediaType | None = None
    mime: str | None = None
    filename: str | None = None
    size_bytes: int | None = None
    created_at: datetime | None = None
    url: str | None = None

    @classmethod
    def of(cls, items: list[MediaItem], urls: Urls) -> MediaUploadPublic:
        public = [MediaPublic.of(item, urls) for item in items]
        single = public[0].model_dump() if len(public) == 1 else {}
        return cls(items=public, **single)


class MediaGroupPublic(Public):
    session_id: str | None
    session_name: str | None
    items: list[MediaPublic]

    @classmethod
    def of(cls, group: MediaGroup, urls: Urls) -> MediaGroupPublic:
        return cls(session_id=group.session_id, session_name=group.session_name,
                   items=[MediaPublic.of(item, urls) for item in group.items])


class MediaPagePublic(Public):
    groups: list[MediaGroupPublic]
    page: int
    page_size: int
    total: int
    include_shared: bool

    @classmethod
    def of(cls, found: MediaPage, urls: Urls) -> MediaPagePublic:
        return cls(groups=[MediaGroupPublic.of(group, urls) for group in found.groups], page=found.page,
                   page_size=found.page_size, total=found.total, include_shared=found.include_shared)


# -- execution -----------------------------------------------------------------------------------
class MediaOutputPublic(Public):
    media_id: str
    kind: str
    mime: str
    width: int | None
    height: int | None
    duration: float | None
    url: str


class ErrorPublic(Public):
    code: str
    message: str
    details: dict[str, Any] | None = None


class NodeRunPublic(Public):
    node_type: str
    status: str
    signature: str
    progress: float
    message: str | None
    outputs: dict[str, Any] | None = Field(description="Output values; media as MediaOutputPublic")
    error: ErrorPublic | None
    started_at: float | None
    finished_at: float | None

    @classmethod
    def of(cls, state: NodeState, urls: Urls) -> NodeRunPublic:
        return cls(node_type=state.node_type, status=state.status.value, signature=state.signature,
                   progress=state.progress, message=state.message, outputs=public_outputs(state.outputs, urls),
                   error=state.error, started_at=state.started_at, finished_at=state.finished_at)


class LoopIterationPublic(Public):
    iteration_id: str
    label: str
    nodes: dict[str, NodeRunPublic | None] = Field(description="Member node id -> its copy's state in this iteration")

    @classmethod
    def of(cls, iteration: LoopIterationPlan, node_runs: dict[str, NodeRunPublic]) -> LoopIterationPublic:
        return cls(iteration_id=iteration.iteration_id, label=iteration.label,
                   nodes={member: node_runs.get(copy_id) for member, copy_id in iteration.copies.items()})


class RunSummaryPublic(Public):
    """A run without its node states. Times are seconds since the epoch."""

    run_id: str
    session_id: str
    mode: str
    target_node_id: str | None
    status: str
    error: ErrorPublic | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    counts: dict[str, int]
    loops: dict[str, list[LoopIterationPublic]]

    @classmethod
    def of(cls, run: RunState, counts: dict[str, int], node_runs: dict[str, NodeRunPublic] | None = None,
           **more: Any) -> Self:
        """Loop iterations carry their members' ``node_runs`` (a history item has none: members only);
        ``more``: the fields a subclass adds."""
        runs = node_runs or {}
        return cls(run_id=run.id, session_id=run.session_id, mode=run.mode.value, target_node_id=run.target_node_id,
                   status=run.status.value, error=run.error, created_at=run.created_at, started_at=run.started_at,
                   finished_at=run.finished_at, counts=counts,
                   loops={loop_id: [LoopIterationPublic.of(it, runs) for it in plan.iterations]
                          for loop_id, plan in run.loops.items()}, **more)


class RunPublic(RunSummaryPublic):
    nodes: dict[str, NodeRunPublic]

    @classmethod
    def of_run(cls, run: RunState, urls: Urls) -> RunPublic:
        """The run as clients see it: node states with public outputs, loop summaries."""
        nodes = {nid: NodeRunPublic.of(state, urls) for nid, state in run.nodes.items()}
        return cls.of(run, run.counts(), nodes, nodes=nodes)


class CurrentRunPublic(Public):
    run: RunPublic | None


class RunHistoryItemPublic(RunSummaryPublic):
    """A past (or the active) run as the history panel lists it: who ran it, how long, what it cost."""

    user_id: str
    user_email: str | None = Field(description="Who asked for the run (None when that account is gone)")
    duration: float | None = Field(description="Seconds from start to end (None while running or never started)")
    credits: int = Field(description="Credits charged for the run (held credits not yet captured are not counted)")


class RunHistoryPublic(Public):
    items: list[RunHistoryItemPublic]
    limit: int
    offset: int

    @classmethod
    def of(cls, found: RunHistory) -> RunHistoryPublic:
        def item(run: RunState) -> RunHistoryItemPublic:
            took = run.finished_at - run.started_at if run.started_at and run.finished_at else None
            return RunHistoryItemPublic.of(run, found.counts.get(run.id, {}), user_id=run.user_id,
                                           user_email=found.emails.get(run.user_id), duration=took,
                                           credits=found.credits.get(run.id, 0))
        return cls(items=[item(run) for run in found.runs], limit=found.limit, offset=found.offset)


class QueuedRunPublic(Public):
    """A run waiting its turn; it keeps ``run_id`` when it starts."""

    run_id: str
    user_id: str
    mode: str
    target_node_id: str | None
    queued_at: float
    position: int = Field(description="1 for the next to start")

    @classmethod
    def of(cls, item: QueuedRun, position: int) -> QueuedRunPublic:
        return cls(run_id=item.run_id, user_id=item.user_id, mode=item.mode.value,
                   target_node_id=item.target_node_id, queued_at=item.queued_at, position=position)


class RunQueuePublic(Public):
    items: list[QueuedRunPublic]

    @classmethod
    def of(cls, waiting: list[QueuedRun]) -> RunQueuePublic:
        return cls(items=[QueuedRunPublic.of(item, i + 1) for i, item in enumerate(waiting)])


class QueueCancelPublic(Public):
    run_id: str
    canceled: bool = Field(description="False when the run was not waiting (it started already, or is unknown)")


class SavedNodeOutputsPublic(Public):
    outputs: dict[str, Any] | None
    source: Literal["cache", "latest_run"]


class SavedOutputsPublic(Public):
    nodes: dict[str, SavedNodeOutputsPublic]

    @classmethod
    def of(cls, saved: dict[str, SavedOutput], urls: Urls) -> SavedOutputsPublic:
        return cls(nodes={nid: SavedNodeOutputsPublic(outputs=public_outputs(item.outputs, urls), source=item.source)
                          for nid, item in saved.items()})


class NodeCancelPublic(Public):
    node_id: str
    canceled: bool

    @classmethod
    def of(cls, result: NodeCancel) -> NodeCancelPublic:
        return cls(node_id=result.node_id, canceled=result.canceled)


class StopPublic(Public):
    stopped: bool
    run_id: str | None

    @classmethod
    def of(cls, result: RunStop) -> StopPublic:
        return cls(stopped=result.stopped, run_id=result.run_id)


# -- node catalog --------------------------------------------------------------------------------
class SocketPublic(Public):
    name: str
    type: str
    required: bool
    label: str
    description: str | None

    @classmethod
    def of(cls, name: str, socket: Socket) -> SocketPublic:
        return cls(name=name, type=socket.type.value, required=socket.required,
                   label=socket.label or name.replace("_", " ").capitalize(), description=socket.description)


class NodeSpecPublic(Public):
    type: str
    version: str
    title: str
    category: str
    description: str
    gpu: bool
    executable: bool
    tags: list[str]
    inputs: list[SocketPublic]
    outputs: list[SocketPublic]
    params_schema: dict[str, Any] = Field(description="JSON Schema of the parameters")
    model_kinds: list[str] = Field(description="Kinds of installed model of which the node needs one to run "
                                               "(empty: it runs without a model)")

    @classmethod
    def of(cls, spec: NodeSpec) -> NodeSpecPublic:
        return cls(type=spec.type, version=spec.version, title=spec.title, category=spec.category,
                   description=spec.description, gpu=spec.gpu, executable=spec.executable, tags=list(spec.tags),
                   inputs=[SocketPublic.of(name, s) for name, s in spec.inputs.items()],
                   outputs=[SocketPublic.of(name, s) for name, s in spec.outputs.items()],
                   params_schema=spec.params_schema, model_kinds=list(spec.model_kinds))


class NodeCatalogPublic(Public):
    nodes: list[NodeSpecPublic]
    socket_types: list[str]

    @classmethod
    def of(cls, specs: list[NodeSpec]) -> NodeCatalogPublic:
        return cls(nodes=[NodeSpecPublic.of(spec) for spec in specs], socket_types=[t.value for t in SocketType])


def streamed_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The documented 200 of a route that answers bytes or a stream rather than a model."""
    return {200: {"description": description,
                  "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}
