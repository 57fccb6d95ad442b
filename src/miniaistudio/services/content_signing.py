"""The studio's C2PA signing identity: where its key lives, how an admin replaces it, what it trusts.

At first start the studio makes its own EC P-256 root and leaf certificate (the files are 0600 in
``<data dir>/content_credentials``). An admin may install an organisation's chain and key
(``miniaistudio credentials install --cert chain.pem --key key.pem``); a running server picks it
up at its next signature (the files' change time is checked). Every root the studio ever signed
with stays in ``trust_anchors.pem``, so files signed before a change still show as trusted.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .. import __version__
from ..core.policy import Principal
from ..runtimes.media.content_credentials import (
    ContentSigner,
    CredentialsReport,
    SigningIdentity,
    chain_root,
    check_identity,
    new_identity,
    read_credentials,
)
from .media import MediaLibrary

log = logging.getLogger(__name__)

CHAIN = "signer_chain.pem"
KEY = "signer_key.pem"
ANCHORS = "trust_anchors.pem"


@dataclass(frozen=True)
class SignerSummary:
    subject: str
    organisation_installed: bool


class ContentSigning:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._signer: ContentSigner | None = None
        self._stamp: tuple[int, int] | None = None

    def ensure(self) -> None:
        """Make the studio's own identity if there is none yet (first start)."""
        with self._lock:
            if not (self.folder / KEY).exists():
                identity = new_identity()
                self._write(identity.chain_pem, identity.key_pem, identity.anchors_pem, installed=False)
                log.info("made the studio's content credentials signing key in %s", self.folder)

    def signer(self) -> ContentSigner:
        """The signer for the current identity (reloaded when the files changed)."""
        self.ensure()
        stamp = self._files_stamp()
        with self._lock:
            if self._signer is None or stamp != self._stamp:
                self._signer = ContentSigner(self._load(), __version__)
                self._stamp = stamp
            return self._signer

    def anchors(self) -> bytes:
        path = self.folder / ANCHORS
        return path.read_bytes() if path.exists() else b""

    def install(self, chain_pem: bytes, key_pem: bytes) -> SignerSummary:
        """Replace the signing identity with an organisation's chain (leaf first) and key, after
        checking the library signs and verifies with them; its root joins the trusted roots."""
        root = chain_root(chain_pem)
        anchors = self.anchors()
        if root not in anchors:
            anchors += root
        identity = SigningIdentity(chain_pem, key_pem, anchors)
        check_identity(identity)
        with self._lock:
            self._write(chain_pem, key_pem, anchors, installed=True)
            self._signer = None
        return SignerSummary(identity.leaf_subject(), organisation_installed=True)

    def summary(self) -> SignerSummary:
        self.ensure()
        return SignerSummary(self._load().leaf_subject(), (self.folder / "installed").exists())

    def verify(self, stream: IO[bytes], mime: str) -> CredentialsReport:
        return read_credentials(stream, mime, self.anchors() or None)

    def of_media(self, media: MediaLibrary, principal: Principal, media_id: str) -> CredentialsReport:
        """The credentials of a gallery item the principal may read (the media access rule applies)."""
        row = media.get(principal, media_id)
        with media.file_of(row) as path, path.open("rb") as fh:
            return self.verify(fh, row.mime)

    # -- files -------------------------------------------------------------------------------------
    def _load(self) -> SigningIdentity:
        return SigningIdentity((self.folder / CHAIN).read_bytes(), (self.folder / KEY).read_bytes(), self.anchors())

    def _files_stamp(self) -> tuple[int, int]:
        chain, key = (self.folder / CHAIN).stat(), (self.folder / KEY).stat()
        return chain.st_mtime_ns, key.st_mtime_ns

    def _write(self, chain_pem: bytes, key_pem: bytes, anchors_pem: bytes, *, installed: bool) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, data in ((KEY, key_pem), (CHAIN, chain_pem), (ANCHORS, anchors_pem)):
            _write_private(self.folder / name, data)
        marker = self.folder / "installed"
        if installed:
            _write_private(marker, b"an organisation's certificate is installed\n")
        else:
            marker.unlink(missing_ok=True)


def _write_private(path: Path, data: bytes) -> None:
    """Write via a 0600 temporary file and rename, so a reader never sees half a key."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
