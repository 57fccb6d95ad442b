"""Bounds on free-form JSON that users send and the studio stores (graph ``params``/``ui``,
session tabs, recipe schemas, ...).

Checked once, at write time, so a document that was accepted can always be read back:
no nesting too deep for an encoder, no NaN/Infinity, no lone surrogates (they cannot be
encoded as UTF-8), no integer a JavaScript client would silently round, nothing larger
than the configured size. The walk is iterative, so hostile depth cannot exhaust the stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import StudioError

#: JavaScript's Number.MAX_SAFE_INTEGER: larger integers do not survive a browser round trip.
MAX_SAFE_INTEGER = 2**53 - 1


class JsonTooDeep(StudioError):
    code, status = "JSON_TOO_DEEP", 422


class JsonTooLarge(StudioError):
    code, status = "JSON_TOO_LARGE", 413


class JsonValueInvalid(StudioError):
    code, status = "JSON_VALUE_INVALID", 422


@dataclass(frozen=True)
class JsonLimits:
    max_depth: int = 64
    max_bytes: int = 4 * 1024**2


DEFAULT_LIMITS = JsonLimits()


def check_document(value: Any, limits: JsonLimits = DEFAULT_LIMITS, *, what: str = "document") -> None:
    """Raise a stable-coded error when ``value`` is not safe to store and serve back.

    ``max_bytes`` is compared with an estimate of the compact JSON size (strings by their
    length, other scalars by a small constant), computed during the same walk.
    """
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limits.max_depth:
            raise JsonTooDeep(f"{what} is nested deeper than {limits.max_depth} levels",
                              details={"max_depth": limits.max_depth})
        if isinstance(item, dict):
            size += 2
            for key, child in item.items():
                if not isinstance(key, str):
                    raise JsonValueInvalid(f"{what} has a non-string key")
                _check_text(key, what)
                size += len(key) + 4
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            size += 2
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item, what)
            size += len(item) + 3
        elif isinstance(item, bool) or item is None:
            size += 5
        elif isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                raise JsonValueInvalid(f"{what} has an integer beyond ±2^53, which clients cannot represent",
                                       details={"max_abs_integer": MAX_SAFE_INTEGER})
            size += 8
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise JsonValueInvalid(f"{what} has a number that is not finite (NaN or Infinity)")
            size += 12
        else:
            raise JsonValueInvalid(f"{what} has a value of type {type(item).__name__}, which is not JSON")
        if size > limits.max_bytes:
            raise JsonTooLarge(f"{what} is larger than {limits.max_bytes} bytes",
                               details={"max_bytes": limits.max_bytes})


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonValueInvalid(f"{what} has text with a lone surrogate (not valid Unicode)") from None
