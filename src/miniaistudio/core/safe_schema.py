"""JSON Schemas written by users (recipe input schemas), made safe to check and to run.

A user's schema is data the server interprets, so three things are closed at the mechanism:

- **References never leave the document.** Validators use a ``referencing`` registry whose
  retrieve function refuses everything: ``$ref``/``$dynamicRef`` resolve only inside the
  schema (``#...``, embedded ``$id`` resources, the bundled meta-schemas). At save time every
  reference is resolved once, so a remote, ``file:`` or dangling reference is refused with
  ``SCHEMA_REF_NOT_ALLOWED``; a ``$schema`` other than Draft 2020-12 is refused the same way.
- **Regular expressions run in RE2** (linear time): ``pattern``, ``patternProperties`` (and
  ``additionalProperties``, which consults them) and ``format: regex`` values. A pattern RE2
  cannot compile (look-around, back-references) is refused with ``SCHEMA_PATTERN_UNSUPPORTED``.
- **Cost is bounded.** Reference cycles are refused and the schema's size with every
  reference expanded is capped (``SCHEMA_TOO_COMPLEX``), so a small schema cannot expand
  exponentially; ``uniqueItems`` is checked in O(n log n). Inputs are bounded by size elsewhere.

:func:`check_input_schema` runs at save time and again before every validation (rows stored
before these rules), :func:`validate` runs the checked schema against an instance.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .errors import InvalidRequest

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_MAX_SCHEMA_NODES = 10_000


class SchemaInvalid(InvalidRequest):
    code = "SCHEMA_INVALID"


class SchemaRefNotAllowed(InvalidRequest):
    code = "SCHEMA_REF_NOT_ALLOWED"


class SchemaPatternUnsupported(InvalidRequest):
    code = "SCHEMA_PATTERN_UNSUPPORTED"


class SchemaTooComplex(InvalidRequest):
    code = "SCHEMA_TOO_COMPLEX"


# -- regular expressions --------------------------------------------------------------------------
def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is an answer, not a server log line
    return options


_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The RE2 program for ``pattern``; raises ``re2.error`` when RE2 cannot run it."""
    return re2.compile(pattern, options=_OPTIONS)


def _search(pattern: str, text: str) -> bool:
    return compile_pattern(pattern).search(text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                        schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: Any,
                           schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = sorted(key for key in instance
                    if key not in properties and not any(_search(p, key) for p in patterns))
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        listed = ", ".join(repr(e) for e in extras)
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


def _canonical(value: Any) -> Any:
    """A hashable form under which two values are equal exactly when JSON Schema says so."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 == 1.0 in JSON Schema, and in Python's hashing too
    if isinstance(value, list):
        return ("array", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    return ("other", json.dumps(value, default=str))


def _unique_items(validator: Any, unique: bool, instance: Any,
                  schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if unique and validator.is_type(instance, "array"):
        seen: set[Any] = set()
        for item in instance:
            key = _canonical(item)
            if key in seen:
                yield ValidationError(f"{instance!r} has non-unique elements")
                return
            seen.add(key)


def _is_regex(instance: object) -> bool:
    return not isinstance(instance, str) or compile_pattern(instance) is not None


def _formats() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("regex", raises=re2.error)(_is_regex)
    return checker


def _refuse_retrieval(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


#: Resolves nothing outside the schema (the meta-schemas come with jsonschema itself).
NO_RETRIEVAL: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]

_SafeValidator: Any = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties,
     "additionalProperties": _additional_properties, "uniqueItems": _unique_items},
)
_FORMATS = _formats()


# -- checking a schema ---------------------------------------------------------------------------
def check_input_schema(schema: Any, *, max_nodes: int = DEFAULT_MAX_SCHEMA_NODES) -> None:
    """Refuse a schema that is not valid Draft 2020-12, reaches outside itself, uses a pattern
    RE2 cannot run, or expands (references followed) to more than ``max_nodes`` subschemas."""
    if not isinstance(schema, dict | bool):
        raise SchemaInvalid("a JSON Schema is an object or a boolean")
    try:
        Draft202012Validator.check_schema(schema, format_checker=None)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise SchemaInvalid(f"not a valid Draft 2020-12 schema: {exc.message}"[:500],
                            details={"path": where, "validator": str(exc.validator)}) from None
    root = DRAFT202012.create_resource(schema)
    resolver = NO_RETRIEVAL.resolver_with_root(root)
    try:
        _Walk(max_nodes).size(root, resolver)
    except RecursionError:
        raise SchemaTooComplex("the schema's references nest too deeply") from None


class _Walk:
    """Visits every subschema once, following references, counting the expanded size."""

    def __init__(self, max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()
        self.patterns: list[str] = []
        self.unevaluated = False

    def size(self, resource: Resource[Any], resolver: Any) -> int:
        contents = resource.contents
        if not isinstance(contents, dict):
            return 1
        key = id(contents)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.open:
            raise SchemaRefNotAllowed("the schema's references form a cycle")
        self.open.add(key)
        self._check_keywords(contents)
        total = 1
        for keyword in ("$ref", "$dynamicRef"):
            ref = contents.get(keyword)
            if isinstance(ref, str):
                try:
                    resolved = resolver.lookup(ref)
                except Unresolvable:
                    raise SchemaRefNotAllowed(
                        f"{keyword} {ref[:200]!r} does not point inside this schema (only local '#...' "
                        "references are resolved; nothing is fetched)", details={"ref": ref[:200]}) from None
                target = DRAFT202012.create_resource(resolved.contents)
                total += self.size(target, resolved.resolver)
        for sub in resource.subresources():
            total += self.size(sub, resolver.in_subresource(sub))
            if total > self.max_nodes:
                break
        self.open.discard(key)
        if total > self.max_nodes:
            raise SchemaTooComplex(f"the schema expands to more than {self.max_nodes} subschemas",
                                   details={"max_nodes": self.max_nodes})
        self.sizes[key] = total
        return total

    def _check_keywords(self, contents: dict[str, Any]) -> None:
        meta = contents.get("$schema")
        if meta is not None and str(meta).rstrip("#") != DRAFT_2020_12:
            raise SchemaRefNotAllowed(f"$schema must be {DRAFT_2020_12!r} (other meta-schemas are not fetched)",
                                      details={"ref": str(meta)[:200]})
        patterns = list(contents.get("patternProperties", {}))
        if isinstance(contents.get("pattern"), str):
            patterns.append(contents["pattern"])
        for pattern in patterns:
            try:
                compile_pattern(pattern)
            except re2.error as exc:
                raise SchemaPatternUnsupported(
                    f"pattern {pattern[:200]!r} cannot run in a linear-time engine (RE2: {_reason(exc)}); "
                    "look-around and back-references are not supported", details={"pattern": pattern[:200]}
                ) from None
        if patterns:
            self.patterns.extend(patterns)
        if "unevaluatedProperties" in contents:
            self.unevaluated = True
        if self.patterns and self.unevaluated:
            # jsonschema's unevaluatedProperties re-runs patternProperties with Python's re.
            raise SchemaPatternUnsupported("unevaluatedProperties cannot be combined with patternProperties")


def _reason(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else ""
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


# -- validating an instance ----------------------------------------------------------------------
def validate(schema: Any, instance: Any) -> list[ValidationError]:
    """Every error of ``instance`` under an already checked ``schema``, by field path.

    CPU-bound: call it from a worker thread. A reference that cannot be resolved locally (a row
    stored before :func:`check_input_schema` existed) raises SCHEMA_REF_NOT_ALLOWED.
    """
    validator = _SafeValidator(schema, registry=NO_RETRIEVAL, format_checker=_FORMATS)
    try:
        return sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    except Unresolvable as exc:
        raise SchemaRefNotAllowed(f"the schema references {str(exc.ref)[:200]!r}, which is not resolved",
                                  details={"ref": str(exc.ref)[:200]}) from None
    except RecursionError:
        raise SchemaTooComplex("the schema's references nest too deeply") from None
