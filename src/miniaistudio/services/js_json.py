"""JSON text exactly as JavaScript's ``JSON.stringify`` writes it.

Webhook receivers written from the AI Visual Studio seed verify the signature over
``JSON.stringify(req.body)`` of the *parsed* body, not over the bytes received. A delivery
verifies only if our bytes are what JavaScript writes back after ``JSON.parse``: compact
separators, non-ASCII text unescaped, control characters as lowercase ``\\u00xx``, lone surrogates
escaped, numbers as JavaScript formats doubles (``1e+21``, ``5e-7``, ``0.30000000000000004``,
``-0`` as ``0``, no ``.0`` on integral values), and object keys in JavaScript's property order
(array-index keys ascending first, then the others as inserted). Python's ``json.dumps`` differs
on most of these.

Integers beyond 2**53 are written as the double JavaScript reads them (what every JavaScript
receiver sees anyway); NaN and infinities become ``null`` as in JavaScript.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MAX_ARRAY_INDEX = 2**32 - 2


def dumps(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON data (dict with str keys, list/tuple, str, int, float,
    bool, None); anything else raises TypeError."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, int | float):
        out.append(number(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(_js_key_order(value)):
            if i:
                out.append(",")
            out.append(quote(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON data")


def _js_key_order(obj: dict[Any, Any]) -> list[str]:
    """JavaScript's own-property order: canonical array indices ascending, then insertion order."""
    if not all(isinstance(key, str) for key in obj):
        raise TypeError("object keys must be strings")
    indices = sorted((k for k in obj if _is_array_index(k)), key=int)
    if not indices:
        return list(obj)
    taken = set(indices)
    return indices + [k for k in obj if k not in taken]


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) <= _MAX_ARRAY_INDEX


def quote(text: str) -> str:
    """A JSON string literal as JavaScript writes it (well-formed ``JSON.stringify``, ES2019)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:  # control characters; lone surrogates
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def number(value: int | float) -> str:
    """``Number.prototype.toString()`` of the double nearest ``value``."""
    as_float = float(value)  # OverflowError for integers beyond any double: not JSON data
    if math.isnan(as_float) or math.isinf(as_float):
        return "null"
    if as_float == 0:
        return "0"  # also -0
    sign, digits_tuple, exponent = Decimal(repr(as_float)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_tuple))
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits: value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return "-" + text if sign else text
