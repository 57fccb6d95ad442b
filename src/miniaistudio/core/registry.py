"""The node registry: one catalog feeding the API schema, the canvas, validation and the engine."""

from __future__ import annotations

import builtins
import importlib
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from .errors import InvalidRequest
from .node import DECLARED, Node, NodeOutput, Socket, socket_of


@dataclass
class NodeSpec:
    type: str
    version: str
    title: str
    category: str
    description: str
    gpu: bool
    executable: bool
    tags: tuple[str, ...]
    inputs: dict[str, Socket]
    outputs: dict[str, Socket]
    params_model: builtins.type[BaseModel]
    node_cls: builtins.type[Node]
    param_defaults: dict[str, Any] = field(default_factory=dict)
    #: Kinds of installed model of which the node needs one to run (the palette says when none is installed).
    model_kinds: tuple[str, ...] = ()
    _schema: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def params_schema(self) -> dict[str, Any]:
        """JSON Schema of the parameters, built on first use (keeps start-up fast)."""
        if self._schema is None:
            schema = self.params_model.model_json_schema()
            schema["title"] = self.title
            self._schema = schema
        return self._schema

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters with defaults filled in; raises pydantic's ValidationError."""
        validated: dict[str, Any] = self.params_model.model_validate(params).model_dump(mode="json")
        return validated


class NodeRegistry:
    def __init__(self, modules: tuple[str, ...] = ()) -> None:
        self._specs: dict[str, NodeSpec] = {}
        self._modules = modules
        self._loaded = not modules
        self._declared_seen = 0  # how much of node.DECLARED this registry has looked at

    def register(
        self,
        cls: type[Node],
        *,
        title: str,
        category: str,
        description: str,
        gpu: bool,
        executable: bool,
        tags: tuple[str, ...],
        model_kinds: tuple[str, ...] = (),
    ) -> NodeSpec:
        if cls.type_name in self._specs:
            raise ValueError(f"node type {cls.type_name!r} registered twice")
        hints = typing.get_type_hints(cls, include_extras=True)
        inputs: dict[str, Socket] = {}
        param_fields: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            sock = socket_of(list(info.metadata)) or socket_of(
                list(getattr(hints.get(name), "__metadata__", ()))
            )
            if sock is not None:
                inputs[name] = sock
            else:
                param_fields[name] = (info.annotation, info)
        output_cls = typing.get_type_hints(cls.invoke).get("return")
        if not (isinstance(output_cls, type) and issubclass(output_cls, NodeOutput)):
            raise TypeError(f"{cls.__name__}.invoke must be annotated to return a NodeOutput")
        out_hints = typing.get_type_hints(output_cls, include_extras=True)
        outputs: dict[str, Socket] = {}
        for name in output_cls.model_fields:
            sock = socket_of(list(getattr(out_hints.get(name), "__metadata__", ())))
            if sock is None:
                raise TypeError(f"{output_cls.__name__}.{name} needs Socket metadata")
            outputs[name] = sock
        params_model = create_model(
            f"{cls.__name__}Params", __config__={"extra": "forbid"}, **param_fields
        )
        defaults = {
            name: info.get_default(call_default_factory=True)
            for name, info in params_model.model_fields.items()
            if not info.is_required()
        }
        spec = NodeSpec(
            type=cls.type_name,
            version=cls.version,
            title=title,
            category=category,
            description=description,
            gpu=gpu,
            executable=executable,
            tags=tags,
            inputs=inputs,
            outputs=outputs,
            params_model=params_model,
            node_cls=cls,
            param_defaults=_jsonable(defaults),
            model_kinds=model_kinds,
        )
        self._specs[cls.type_name] = spec
        return spec

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._modules:
                importlib.import_module(module)
        if self._declared_seen < len(DECLARED):
            self._register_declared()

    def _register_declared(self) -> None:
        """Register the ``@node`` classes declared in this registry's packages since the last look."""
        fresh, self._declared_seen = DECLARED[self._declared_seen:], len(DECLARED)
        for cls in fresh:
            decl = cls.declaration
            if decl is None or not any(cls.__module__ == m or cls.__module__.startswith(m + ".")
                                       for m in self._modules):
                continue
            self.register(cls, title=decl.title, category=decl.category, description=decl.description,
                          gpu=decl.gpu, executable=decl.executable, tags=decl.tags, model_kinds=decl.model_kinds)

    def get(self, type_name: str) -> NodeSpec | None:
        self._ensure_loaded()
        return self._specs.get(type_name)

    def require(self, type_name: str) -> NodeSpec:
        spec = self.get(type_name)
        if spec is None:
            raise InvalidRequest(f"unknown node type {type_name!r}", code="UNKNOWN_NODE_TYPE")
        return spec

    def all(self) -> list[NodeSpec]:
        self._ensure_loaded()
        return sorted(self._specs.values(), key=lambda s: (s.category, s.title))


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return out


def param_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]


default_registry = NodeRegistry(modules=("miniaistudio.nodes",))


def registry_with(extra_modules: list[str] | tuple[str, ...]) -> NodeRegistry:
    """The built-in node types plus the ``@node`` types of ``extra_modules`` (``Settings.extra_node_modules``),
    as the server and every Celery worker load them; the shared default registry when there are none."""
    if not extra_modules:
        return default_registry
    return NodeRegistry(modules=("miniaistudio.nodes", *extra_modules))
