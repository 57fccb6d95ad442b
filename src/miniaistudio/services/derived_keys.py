"""Keys for one purpose each, derived from the server secret (HKDF-SHA256).

One configured secret (``Settings.jwt_secret``) and a distinct key per use: a key that signs
download links can never be made to decrypt webhook secrets, and rotating the server secret
rotates them all (signed links stop working; webhook secrets must be re-issued).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"miniaistudio/derived-keys/v1"


def derive_key(server_secret: str, purpose: str, length: int = 32) -> bytes:
    """The key for ``purpose`` (a fixed label such as ``"webhook-secrets"``)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=SALT,
                info=purpose.encode()).derive(server_secret.encode())
