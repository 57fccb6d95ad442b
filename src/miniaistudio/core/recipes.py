"""Recipes: a templated session (graph + JSON Schema of inputs) that validated inputs turn
into a prepared session. A recipe is data, not code: bundled ones ship as JSON files, admins
add more, users publish their own sessions.

Each input binds to node fields: ``{"node": id, "field": name}`` sets a parameter;
``{"node": id, "media": "image" | "video" | "audio"}`` puts a fetched URL or a gallery media
id into an upload node. The same bindings name a published app's public inputs.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .errors import InvalidRequest
from .graph import Graph
from .safe_schema import DEFAULT_MAX_SCHEMA_NODES, check_input_schema, validate

RECIPE_ID = r"^[a-z0-9][a-z0-9_\-]{1,99}$"


class Binding(BaseModel):
    node: str
    field: str | None = None
    media: Literal["image", "video", "audio"] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Binding:
        if (self.field is None) == (self.media is None):
            raise ValueError("a binding sets either a parameter (field) or an upload node (media)")
        return self


class Recipe(BaseModel):
    id: str = Field(pattern=RECIPE_ID)
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200, description="Short action title shown on templates")
    description: str = Field(default="", max_length=2000)
    version: str = Field(default="1.0.0", max_length=40)
    category: str = Field(default="General", max_length=60)
    input_schema: dict[str, Any]
    bindings: dict[str, list[Binding]] = Field(default_factory=dict)
    graph: Graph

    @model_validator(mode="after")
    def _bindings_match(self) -> Recipe:
        props = self.input_schema.get("properties", {})
        if self.input_schema.get("type") != "object" or not isinstance(props, dict):
            raise ValueError("input_schema must be a JSON Schema object with properties")
        nodes = self.graph.node_map()
        for name, targets in self.bindings.items():
            if name not in props:
                raise ValueError(f"binding {name!r} is not an input in input_schema")
            for t in targets:
                if t.node not in nodes:
                    raise ValueError(f"binding {name!r} targets missing node {t.node!r}")
        return self

    def media_inputs(self) -> dict[str, str]:
        """Inputs that carry media (URL or gallery media id) -> media kind."""
        return {name: t.media for name, targets in self.bindings.items() for t in targets if t.media}

    def input_names(self) -> list[str]:
        """The inputs the recipe takes, sorted."""
        return sorted(self.input_schema.get("properties", {}))


def validate_inputs(recipe: Recipe, inputs: dict[str, Any], *,
                    max_schema_nodes: int = DEFAULT_MAX_SCHEMA_NODES) -> dict[str, Any]:
    """Inputs with schema defaults applied; SCHEMA_VALIDATION lists every failing field path.

    CPU-bound (call it from a worker thread). The schema is checked again first, so a row
    stored before the schema rules existed cannot fetch, loop or backtrack either.
    """
    check_input_schema(recipe.input_schema, max_nodes=max_schema_nodes)
    errors = validate(recipe.input_schema, inputs)
    if errors:
        problems = [{"field": "/".join(str(p) for p in e.absolute_path) or _missing_field(e.message),
                     "message": e.message[:500], "validator": e.validator} for e in errors[:50]]
        first = problems[0]
        raise InvalidRequest(f"recipe input {first['field']!r}: {first['message']}", code="SCHEMA_VALIDATION",
                             details={"errors": problems, "input_schema": recipe.input_schema})
    filled = dict(inputs)
    for name, prop in recipe.input_schema.get("properties", {}).items():
        if name not in filled and isinstance(prop, dict) and "default" in prop:
            filled[name] = prop["default"]
    return filled


def _missing_field(message: str) -> str:
    match = re.match(r"'([^']+)' is a required property", message)
    return match.group(1) if match else ""


def instantiate(recipe: Recipe, inputs: dict[str, Any], media_ids: dict[str, str],
                urls: dict[str, str] | None = None) -> Graph:
    """The recipe's graph with inputs written into their bound node fields.

    Media inputs become an upload node's ``media_ids`` (fetched or gallery media) or its
    ``source_url`` (fetched when the node first runs).
    """
    doc = copy.deepcopy(recipe.graph.model_dump(mode="json"))
    nodes = {n["id"]: n for n in doc["nodes"]}
    for name, targets in recipe.bindings.items():
        if name not in inputs:
            continue
        for t in targets:
            node = nodes[t.node]
            if t.media is not None:
                if name in media_ids:
                    node["params"]["media_ids"] = [media_ids[name]]
                    node["params"]["selection"] = "selected"
                    node["params"]["selected_index"] = 0
                elif urls and name in urls:
                    node["params"]["source_url"] = urls[name]
            else:
                assert t.field is not None
                node["params"][t.field] = inputs[name]
    return Graph.model_validate(doc)
