"""``js_json.dumps`` writes what JavaScript's ``JSON.stringify`` writes, checked against node itself:
each value's text is parsed and re-stringified by node (what an Express receiver does) and must
come back byte for byte."""

from __future__ import annotations

import json
import math
import random
import struct
import subprocess
import sys
from typing import Any

import pytest

from miniaistudio.services import js_json

#: node reads one JSON text per line and writes JSON.stringify(JSON.parse(line)) per line.
ROUND_TRIP = ("const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);"
              "process.stdout.write(lines.map(l => JSON.stringify(JSON.parse(l))).join('\\n'));")

VALUES: list[Any] = [
    0, -0.0, 1, -1, 7, 2**31, 2**53, 2**53 + 1, 2**60, -(2**63), 10**21, 10**22, 123456789012345678901234,
    0.1 + 0.2, 0.1, 1 / 3, -1 / 3, 1e21, 1e20, 1e-6, 1e-7, 5e-7, 1.5e-7, 123e-20, 1e300, -1e-300, 5e-324,
    sys.float_info.max, sys.float_info.min, 100.0, 15.0, -2.5, 123.456, 0.000001234, 4.35, 1e16, 12345678.9,
    math.nan, math.inf, -math.inf, True, False, None, "",
    "plain ascii", "Café — naïve façade", "東京の夜景", "emoji 🌃🚀👩‍👩‍👧", "\u2028\u2029", "\x7f\x80\x9f",
    "\x00\x01\x1f\b\f\n\r\t\"\\/", "lone \ud800 high", "lone \udfff low", "</script>", "'single'",
    [], {}, [1, [2, [3, [4]]]], {"b": 1, "a": 2}, {"2": "x", "10": "y", "1": "z", "b": 0, "01": 1, "-1": 2,
                                                 "4294967294": 3, "4294967295": 4, "1.5": 5},
    {"event": "generation.completed", "data": {"prompt": "Zürich ☕", "n": [1.0, 2.50, 3e-10]}, "ok": True},
]


def node_round_trip(texts: list[str]) -> list[str]:
    done = subprocess.run(["node", "-e", ROUND_TRIP], input="\n".join(texts).encode("utf-8"),
                          capture_output=True, check=True, timeout=30)
    return done.stdout.decode("utf-8").split("\n")


def random_values(count: int) -> list[Any]:
    rng = random.Random(12)
    values: list[Any] = []
    for _ in range(count):
        bits = rng.getrandbits(64)
        as_float = struct.unpack("<d", bits.to_bytes(8, "little"))[0]
        values.append(as_float if math.isfinite(as_float) else 0.5)
        values.append(rng.uniform(-1e6, 1e6))
        values.append(round(rng.uniform(-1000, 1000), rng.randint(0, 6)))
        values.append(rng.randint(-(2**70), 2**70))
        values.append("".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0xD7FF),
                                              rng.randint(0x1F300, 0x1FAFF)])) for _ in range(8)))
    return values


@pytest.mark.parametrize("values", [VALUES, random_values(400)], ids=["chosen", "random"])
def test_bytes_match_javascript_json_stringify(values: list[Any]) -> None:
    ours = [js_json.dumps(v) for v in values]
    assert all("\n" not in text for text in ours)  # newlines inside strings are escaped
    assert node_round_trip(ours) == ours


def test_python_json_dumps_would_not_match() -> None:
    """Why the module exists: Python's defaults differ from JavaScript on ordinary payloads."""
    payload = {"prompt": "Zürich ☕", "duration": 5.0, "ratio": 1e21}
    assert node_round_trip([json.dumps(payload)]) != [json.dumps(payload)]
    assert js_json.dumps(payload) == '{"prompt":"Zürich ☕","duration":5,"ratio":1e+21}'


def test_what_is_not_json_data_is_refused() -> None:
    for value in ({1: "int key"}, {"set": {1, 2}}, b"bytes", object()):
        with pytest.raises(TypeError):
            js_json.dumps(value)
    with pytest.raises(OverflowError):
        js_json.dumps(10**400)
