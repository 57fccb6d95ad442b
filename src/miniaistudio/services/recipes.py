"""Recipes as a use case: list, inspect, run (validated inputs → prepared session), publish."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import or_, select

from ..core.errors import InvalidRequest, NotFound, StudioError
from ..core.json_limits import DEFAULT_LIMITS, JsonLimits, check_document
from ..core.policy import Action, Principal, StudioAction, require_studio
from ..core.recipes import RECIPE_ID, Binding, Recipe, instantiate, validate_inputs
from ..core.run import RunMode
from ..core.safe_schema import DEFAULT_MAX_SCHEMA_NODES, check_input_schema
from ..runtimes.media.url_fetch import fetch_to_file, precheck_url
from ..store.db import Database
from ..store.tables import SHARED_RECIPE_SCOPE
from ..store.tables import Recipe as RecipeRow
from .execution import Execution
from .media import MediaLibrary
from .sessions import Sessions, is_uuid

log = logging.getLogger(__name__)


class RecipeNotFound(NotFound):
    code = "RECIPE_NOT_FOUND"


@dataclass(frozen=True)
class ListedRecipe:
    recipe: Recipe
    source: str  # "bundled", "admin" or "user"


@dataclass(frozen=True)
class PreparedSession:
    """What running a recipe made: the session (saved, and running when asked to execute)."""

    session_id: str


class RecipeRun(BaseModel):
    session_name: str | None = Field(default=None, max_length=200)
    execute: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)


class PublishedInput(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    node_id: str
    field: str | None = None
    media: str | None = Field(default=None, pattern="^(image|video|audio)$")
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    required: bool = True


class PublishRequest(BaseModel):
    id: str = Field(pattern=RECIPE_ID)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    version: str = Field(default="1.0.0", max_length=40)
    inputs: list[PublishedInput] = Field(min_length=1, max_length=50)


def load_bundled() -> dict[str, Recipe]:
    recipes: dict[str, Recipe] = {}
    folder = resources.files("miniaistudio") / "recipes"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            recipe = Recipe.model_validate_json(entry.read_text())
            recipes[recipe.id] = recipe
    return recipes


class RecipeBook:
    def __init__(self, db: Database, sessions: Sessions, media: MediaLibrary, *, scratch: Path,
                 recipes_dir: Path | None, max_fetch_bytes: int, allow_private_urls: bool,
                 json_limits: JsonLimits = DEFAULT_LIMITS, max_input_bytes: int = 256 * 1024,
                 max_schema_nodes: int = DEFAULT_MAX_SCHEMA_NODES, fetch_timeout: float = 60.0) -> None:
        self.db = db
        self.sessions = sessions
        self.media = media
        self.scratch = scratch
        self.recipes_dir = recipes_dir
        self.max_fetch_bytes = max_fetch_bytes
        self.allow_private_urls = allow_private_urls
        self.json_limits = json_limits
        self.input_limits = JsonLimits(max_depth=json_limits.max_depth, max_bytes=max_input_bytes)
        self.max_schema_nodes = max_schema_nodes
        self.fetch_timeout = fetch_timeout
        self._bundled: dict[str, Recipe] | None = None

    # -- catalog ---------------------------------------------------------------
    def _files(self) -> dict[str, Recipe]:
        if self._bundled is None:
            self._bundled = load_bundled()
        found = dict(self._bundled)
        if self.recipes_dir is not None and self.recipes_dir.is_dir():
            for path in sorted(self.recipes_dir.glob("*.json")):
                try:
                    recipe = self._checked(Recipe.model_validate_json(path.read_text()))
                except (ValidationError, OSError, StudioError) as exc:
                    log.warning("skipping recipe file %s: %s", path.name, exc)
                    continue
                found[recipe.id] = recipe
        return found

    def visible(self, principal: Principal) -> dict[str, tuple[Recipe, str]]:
        """Recipe id -> (recipe, source) the principal may use."""
        out = {rid: (r, "bundled") for rid, r in self._files().items()}
        with self.db.session() as s:
            rows = s.scalars(select(RecipeRow).where(
                or_(RecipeRow.scope == SHARED_RECIPE_SCOPE, RecipeRow.scope == principal.user_id))).all()
            # Shared recipes last: their ids are reserved, so they win over a user's older copy.
            for row in sorted(rows, key=lambda r: r.scope == SHARED_RECIPE_SCOPE):
                out[row.id] = (Recipe.model_validate(row.document), row.source)
        return out

    def listing(self, principal: Principal) -> list[ListedRecipe]:
        """Bundled recipes first, then the others; by id within each."""
        items = [ListedRecipe(recipe, source) for recipe, source in self.visible(principal).values()]
        return sorted(items, key=lambda r: (r.source != "bundled", r.recipe.id))

    def get(self, principal: Principal, recipe_id: str) -> Recipe:
        found = self.visible(principal).get(recipe_id)
        if found is None:
            raise RecipeNotFound(f"no recipe {recipe_id!r}")
        return found[0]

    # -- adding ------------------------------------------------------------------
    def add(self, principal: Principal, document: dict[str, Any]) -> Recipe:
        """An admin adds a recipe for everyone."""
        require_studio(principal, StudioAction.ADD_RECIPE)
        check_document(document, self.json_limits, what="recipe")
        try:
            recipe = Recipe.model_validate(document)
        except ValidationError as exc:
            raise InvalidRequest(f"invalid recipe: {exc.errors()[0]['msg']}", code="INVALID_RECIPE",
                                 details={"errors": json.loads(exc.json())}) from exc
        self._checked(recipe)
        self.sessions.check_graph(recipe.graph)
        self._store(recipe, owner_id=None, source="admin")
        return recipe

    def publish(self, principal: Principal, session_id: str, req: PublishRequest) -> Recipe:
        """A user turns one of their sessions into a recipe, choosing which fields are inputs."""
        check_document(req.model_dump(by_alias=True), self.json_limits, what="recipe")
        graph = self.sessions.graph_of(principal, session_id, Action.OWN)
        nodes = graph.node_map()
        props: dict[str, Any] = {}
        defs: dict[str, Any] = {}
        bindings: dict[str, list[Binding]] = {}
        required: list[str] = []
        for item in req.inputs:
            node = nodes.get(item.node_id)
            if node is None:
                raise InvalidRequest(f"input {item.name!r} names missing node {item.node_id!r}",
                                     code="INVALID_RECIPE")
            binding = Binding.model_validate({"node": item.node_id, "field": item.field, "media": item.media})
            schema = dict(item.schema_) or self._field_schema(node.type, item.field, item.media, defs)
            props[item.name] = schema
            bindings.setdefault(item.name, []).append(binding)
            if item.required:
                required.append(item.name)
        input_schema = {"type": "object", "properties": props, "required": required,
                        "additionalProperties": False, **({"$defs": defs} if defs else {})}
        recipe = self._checked(Recipe(id=req.id, name=req.name, description=req.description,
                                      version=req.version, input_schema=input_schema, bindings=bindings,
                                      graph=graph, category="Published"))
        self._store(recipe, owner_id=principal.user_id, source="user")
        return recipe

    def _field_schema(self, node_type: str, field: str | None, media: str | None,
                      defs: dict[str, Any]) -> dict[str, Any]:
        """A node parameter's schema; the definitions its ``#/$defs/...`` references need are
        collected into ``defs`` (they move to the recipe schema's root, where such refs point)."""
        if media is not None:
            return {"type": "string", "description": f"{media} URL or gallery media id"}
        spec = self.sessions.registry.require(node_type)
        prop = spec.params_schema.get("properties", {}).get(field or "")
        if prop is None:
            raise InvalidRequest(f"{node_type} has no parameter {field!r}", code="INVALID_RECIPE")
        defs.update(spec.params_schema.get("$defs", {}))
        return dict(prop)

    def _checked(self, recipe: Recipe) -> Recipe:
        """Refuse a recipe whose document is not safe to store and serve back, or whose input
        schema could fetch, backtrack or expand without bound (see core/safe_schema)."""
        check_document(recipe.model_dump(mode="json"), self.json_limits, what="recipe")
        check_input_schema(recipe.input_schema, max_nodes=self.max_schema_nodes)
        return recipe

    def _store(self, recipe: Recipe, owner_id: str | None, source: str) -> None:
        """Insert or update the recipe in its owner's scope (``owner_id`` None: shared).

        A user's id only collides with ids everyone can see (bundled and admin recipes), never
        with another user's private recipe, so the answer reveals nothing private. An admin's
        new id must be free in every scope (it becomes visible to everyone).
        """
        now = datetime.now(UTC)
        scope = owner_id or SHARED_RECIPE_SCOPE
        with self.db.session() as s:
            if owner_id is not None:
                if recipe.id in self._files() or s.get(RecipeRow, (SHARED_RECIPE_SCOPE, recipe.id)) is not None:
                    raise InvalidRequest(f"recipe id {recipe.id!r} is taken by a shared recipe",
                                         code="RECIPE_ID_TAKEN")
            elif s.scalars(select(RecipeRow.scope).where(RecipeRow.id == recipe.id,
                                                         RecipeRow.scope != scope)).first() is not None:
                raise InvalidRequest(f"recipe id {recipe.id!r} is taken", code="RECIPE_ID_TAKEN")
            row = s.get(RecipeRow, (scope, recipe.id))
            doc = recipe.model_dump(mode="json")
            if row is None:
                s.add(RecipeRow(scope=scope, id=recipe.id, owner_id=owner_id, source=source, name=recipe.name,
                                description=recipe.description, version=recipe.version, document=doc,
                                created_at=now, updated_at=now))
            else:
                row.name, row.description, row.version, row.document, row.updated_at = (
                    recipe.name, recipe.description, recipe.version, doc, now)

    # -- running -----------------------------------------------------------------
    async def run(self, principal: Principal, recipe_id: str, req: RecipeRun,
                  execution: Execution) -> PreparedSession:
        """Validate, fetch media, create the session; all or nothing."""
        recipe = await asyncio.to_thread(self.get, principal, recipe_id)
        inputs = await asyncio.to_thread(self._valid_inputs, recipe, req.inputs)
        downloads: dict[str, Path] = {}
        media_ids: dict[str, str] = {}
        urls: dict[str, str] = {}
        session_id: str | None = None
        created_media: list[str] = []
        try:
            for name, kind in recipe.media_inputs().items():
                value = inputs.get(name)
                if not isinstance(value, str) or not value:
                    continue
                if is_uuid(value):
                    media_ids[name] = await asyncio.to_thread(self._own_media, principal, value, kind, name)
                elif not req.execute:
                    # Opened for editing: check the link now, fetch it when the node first runs.
                    await asyncio.to_thread(precheck_url, value, self.allow_private_urls, self.fetch_timeout)
                    urls[name] = value
                else:
                    dest = self.scratch / f"fetch-{uuid.uuid4().hex}"
                    downloads[name] = dest
                    await asyncio.to_thread(fetch_to_file, value, dest, max_bytes=self.max_fetch_bytes,
                                            allow_private=self.allow_private_urls, timeout=self.fetch_timeout)
            name = req.session_name or recipe.name
            created = await asyncio.to_thread(self.sessions.create, principal, name)
            session_id = created.id
            for input_name, path in downloads.items():
                kind = recipe.media_inputs()[input_name]
                url = str(inputs[input_name])
                try:
                    item = await asyncio.to_thread(
                        self.media.ingest, principal, path, Path(url.split("?")[0]).name or input_name,
                        session_id=session_id, expect_kind=kind)
                except StudioError as exc:
                    raise InvalidRequest(f"input {input_name!r}: {exc.message}", code="INVALID_INPUTS",
                                         details={"field": input_name, "cause": exc.code}) from exc
                created_media.append(item.id)
                media_ids[input_name] = item.id
            graph = await asyncio.to_thread(instantiate, recipe, inputs, media_ids, urls)
            from .sessions import FlowUpdate

            await asyncio.to_thread(self.sessions.put_flow, principal, session_id,
                                    FlowUpdate(graph=graph, version=created.version))
            if req.execute:
                await execution.execute(principal, session_id, RunMode.FULL, None)
        except BaseException:
            if session_id is not None:
                await asyncio.to_thread(self._undo, principal, session_id, created_media)
            raise
        finally:
            for path in downloads.values():
                path.unlink(missing_ok=True)
        return PreparedSession(created.id)

    def _valid_inputs(self, recipe: Recipe, inputs: dict[str, Any]) -> dict[str, Any]:
        check_document(inputs, self.input_limits, what="recipe inputs")
        return validate_inputs(recipe, inputs, max_schema_nodes=self.max_schema_nodes)

    def _own_media(self, principal: Principal, media_id: str, kind: str, name: str) -> str:
        try:
            row = self.media.get(principal, media_id)
        except StudioError as exc:
            raise InvalidRequest(f"input {name!r}: media {media_id} is not in your gallery",
                                 code="INVALID_INPUTS", details={"field": name}) from exc
        if row.kind != kind:
            raise InvalidRequest(f"input {name!r} needs {kind}, media {media_id} is {row.kind}",
                                 code="INVALID_INPUTS", details={"field": name})
        return row.id

    def _undo(self, principal: Principal, session_id: str, media_ids: list[str]) -> None:
        self.media.discard(principal, media_ids)
        try:
            self.sessions.delete(principal, session_id)
        except StudioError:
            log.exception("could not roll back recipe session %s", session_id)



