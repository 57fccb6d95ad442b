"""Cache keys: a node's signature covers its type, version, parameters and inputs' signatures.

Computed once per run in topological order, each node hashing only its own parameters
and its parents' digests, so the cost is linear in the graph (no re-walk of ancestry).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def node_signature(
    node_type: str,
    version: str,
    params: dict[str, Any],
    inputs: list[tuple[str, str, str]],
    salt: str = "",
) -> str:
    """``inputs`` holds (input name, upstream signature, upstream output name) triples."""
    payload = json.dumps(
        [node_type, version, params, sorted(inputs), salt],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.blake2b(payload.encode(), digest_size=20).hexdigest()
