"""``LedgerMeter``: the engine's :class:`~miniaistudio.core.ports.Meter` backed by the credits ledger.

A run's price is the sum over the nodes it executes of their model's ``credits_per_generation``
(the model a node names in its ``model``/``engine`` parameter, or the first installed one of the
kinds it would pick) plus the configured ``node_prices`` of its type. The whole estimate is held
from the session owner (the payer) before any node starts, with the run's user as actor, so a
collaborator's run counts against their limits; each node that succeeds adds its price, and at the
end that much is captured and the rest released (a failed, canceled or stopped node costs nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from ..core.errors import BillingUnavailable, SessionNotFound
from ..core.run import RunState
from ..core.run_plan import Cost, RunPlan
from ..store.db import Database
from ..store.tables import StudioSession
from .credits import CollaboratorLimits, CreditLedger
from .models import ModelLibrary

log = logging.getLogger(__name__)

#: The model kinds a generative node picks from when its model parameter is empty (the nodes'
#: own choice in ``nodes/generation.py``), so the estimate prices the model that will run.
DEFAULT_MODEL_KINDS: dict[str, tuple[str, ...]] = {
    "image.generate": ("text_to_image",),
    "image.edit": ("image_edit", "text_to_image"),
    "image.inpaint": ("inpaint", "text_to_image"),
    "image.depth": ("depth",),
    "video.from_text": ("text_to_video",),
    "image.photo_restore": ("face_restoration",),
    "video.talking_avatar": ("lip_sync",),
}
#: Nodes whose ``engine`` parameter chooses how they run, not which model: these values (or the
#: parameter left out) use a model — the one named in ``model``, else the first of their default kinds;
#: any other value (``classical``) uses none.
MODEL_ENGINE_MODES: dict[str, frozenset[str]] = {
    "video.talking_avatar": frozenset({"auto", "neural"}),
}
#: Parameters that name a model; "classical" is an engine choice that uses none.
MODEL_PARAMS = ("model", "engine")
NOT_A_MODEL = {"", "classical"}
_PLANS_REMEMBERED = 1000

ShareLimits = Callable[[str, str], CollaboratorLimits | None]  # (session id, actor id) -> limits


def no_share_limits(session_id: str, actor_id: str) -> CollaboratorLimits | None:
    """A meter built without sharing (the studio wires ``Sharing.collaborator_limits``): no limits."""
    return None


@dataclass
class _Metered:
    hold_id: str
    models: set[str]
    charged: int = 0
    nodes: list[str] = field(default_factory=list)


def model_ref(node_type: str, params: dict[str, object]) -> str | None:
    """The model a node's parameters name (``""``: the first installed of its default kinds), or None
    when the node runs without one."""
    modes = MODEL_ENGINE_MODES.get(node_type)
    if modes is not None:
        if str(params.get("engine") or "auto").strip().lower() not in modes:
            return None
        model = params.get("model")
        return model.strip() if isinstance(model, str) else ""
    ref = next((str(params[p]).strip() for p in MODEL_PARAMS if isinstance(params.get(p), str)), "")
    if ref.lower() not in NOT_A_MODEL:
        return ref
    return "" if node_type in DEFAULT_MODEL_KINDS and not ref else None


class LedgerMeter:
    """Implements :class:`~miniaistudio.core.ports.Meter`."""

    def __init__(self, ledger: CreditLedger, db: Database, models: ModelLibrary, node_prices: dict[str, int],
                 share_limits: ShareLimits = no_share_limits) -> None:
        self.ledger = ledger
        self.db = db
        self.models = models
        self.node_prices = dict(node_prices)
        self.share_limits = share_limits
        self._runs: dict[str, _Metered] = {}
        # run id -> node id -> model id, from estimate until hold (bounded: a plan may never start)
        self._run_models: OrderedDict[str, dict[str, str]] = OrderedDict()

    # ---------------------------------------------------------------- estimate
    async def estimate(self, plan: RunPlan) -> Cost:
        nodes = plan.checked.nodes
        wanted: dict[str, tuple[str, str]] = {}  # node id -> (type, model ref)
        per_node: dict[str, int] = {}
        for nid in plan.execute:
            node_type = nodes[nid].type
            per_node[nid] = self.node_prices.get(node_type, 0)
            ref = model_ref(node_type, plan.plan.params.get(nid, {}))
            if ref is not None:
                wanted[nid] = (node_type, ref)
        if wanted:
            try:
                priced = await asyncio.to_thread(self._model_prices, wanted)
            except SQLAlchemyError as exc:
                raise BillingUnavailable("model prices cannot be read right now; the run was not started") from exc
            self._run_models[plan.run.id] = {nid: model_id for nid, (model_id, _) in priced.items()}
            while len(self._run_models) > _PLANS_REMEMBERED:
                self._run_models.popitem(last=False)
            for nid, (_, credits) in priced.items():
                per_node[nid] += credits
        per_node = {nid: credits for nid, credits in per_node.items() if credits}
        return Cost(total=sum(per_node.values()), per_node=per_node)

    def _model_prices(self, wanted: dict[str, tuple[str, str]]) -> dict[str, tuple[str, int]]:
        """node id -> (model id, credits per generation) of the model each node will use."""
        found: dict[tuple[str, str], tuple[str, int] | None] = {}
        priced: dict[str, tuple[str, int]] = {}
        for nid, (node_type, ref) in wanted.items():
            key = (node_type, ref)
            if key not in found:
                info = (self.models.find(ref) if ref
                        else self.models.first_of_kind(DEFAULT_MODEL_KINDS.get(node_type, ())))
                found[key] = (info.id, int(info.credits_per_generation)) if info is not None else None
            price = found[key]
            if price is not None:
                priced[nid] = price
        return priced

    # ------------------------------------------------------------ hold / settle
    async def hold(self, run: RunState, amount: int) -> None:
        models = self._run_models.pop(run.id, {})
        if amount <= 0:
            return
        try:
            hold_id = await asyncio.to_thread(self._hold, run, amount)
        except SQLAlchemyError as exc:  # the run is refused rather than run unpaid, and never a 500
            log.exception("credits could not be held for run %s", run.id)
            raise BillingUnavailable("billing state cannot be read right now; the run was not started") from exc
        self._runs[run.id] = _Metered(hold_id, set(models.values()))

    def _hold(self, run: RunState, amount: int) -> str:
        with self.db.session() as s:
            payer = s.get(StudioSession, run.session_id)
            if payer is None:
                raise SessionNotFound("session not found")
            payer_id = payer.owner_id
        limits = self.share_limits(run.session_id, run.user_id) if run.user_id != payer_id else None
        return self.ledger.hold(payer_id, amount, actor_id=run.user_id, session_id=run.session_id,
                                run_id=run.id, purpose="run", limits=limits, reason="run hold").id

    async def node_finished(self, run: RunState, node_id: str, actual: int) -> None:
        metered = self._runs.get(run.id)
        if metered is not None and actual > 0:
            metered.charged += actual
            metered.nodes.append(node_id)

    async def release(self, run: RunState) -> None:
        self._run_models.pop(run.id, None)
        metered = self._runs.pop(run.id, None)
        if metered is None:
            return
        model_id = next(iter(metered.models)) if len(metered.models) == 1 else None
        reason = f"run: {len(metered.nodes)} node(s) charged" if metered.charged else "run: nothing charged"
        await asyncio.to_thread(self.ledger.capture, metered.hold_id, metered.charged, reason=reason,
                                model_id=model_id)
