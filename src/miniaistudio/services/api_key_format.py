"""The shape of an API key: ``<kind prefix><32 base62 chars><6-char checksum>`` (GitHub's token format).

The checksum is CRC32 of everything before it, in base62, so a mistyped or made-up key is refused
without a database lookup, and secret scanners can recognise our keys offline. 32 base62
characters carry about 190 random bits; the key is stored only as HMAC-SHA256 under a server
pepper (``services/api_keys.py``).

Keys issued before this format (``mas_`` + 43 url-safe base64 characters, stored as a plain
SHA-256) are recognised by :func:`is_legacy_key` and still verified against their old digest.
"""

from __future__ import annotations

import re
import secrets
import string
import zlib
from enum import StrEnum

BASE62 = string.digits + string.ascii_letters
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
#: Characters of the random body kept in the public ``prefix`` shown in listings.
SHOWN_BODY_CHARS = 4


class KeyKind(StrEnum):
    """Which door issued a key; each kind has its own prefix (room left for the next dialects)."""

    PERSONAL = "mas"  # the user's personal key (/api/v2/account/api-key), full access
    AIVS = "avs"  # AI Visual Studio (/api/v1/keys)
    MIRAFLOW = "mfl"  # Miraflow (/api/keys)
    # STUDII = "stu", MAGNIFIC = "mgn", MIRAFLOW = "mfl": with their doors


PREFIXES: dict[KeyKind, str] = {KeyKind.PERSONAL: "mas_", KeyKind.AIVS: "avs_live_"}
PREFIXES[KeyKind.MIRAFLOW] = "mfl_live_"
_ALTERNATIVES = "|".join(re.escape(p) for p in PREFIXES.values())
_KEY = re.compile(rf"^({_ALTERNATIVES})([0-9A-Za-z]{{{BODY_LENGTH}}})([0-9A-Za-z]{{{CHECKSUM_LENGTH}}})$")
_LEGACY = re.compile(r"^mas_[A-Za-z0-9_-]{43}$")


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), CHECKSUM_LENGTH)


def new_key(kind: KeyKind) -> str:
    head = PREFIXES[kind] + "".join(secrets.choice(BASE62) for _ in range(BODY_LENGTH))
    return head + checksum(head)


def shown_prefix(key: str) -> str:
    """The public part of a key: its kind prefix and the first few characters of the body."""
    match = _KEY.match(key)
    if match is None:
        return key[:12]  # legacy keys showed their first 12 characters
    return match.group(1) + match.group(2)[:SHOWN_BODY_CHARS]


def looks_like_key(credential: str) -> bool:
    """Whether a credential is meant as an API key (rather than a login token) — by its prefix."""
    return credential.startswith(tuple(PREFIXES.values()))


def is_well_formed(key: str) -> bool:
    """The current format with a matching checksum: only such keys (and legacy ones) reach the database."""
    match = _KEY.match(key)
    return match is not None and checksum(match.group(1) + match.group(2)) == match.group(3)


def is_legacy_key(key: str) -> bool:
    return _LEGACY.match(key) is not None
