"""What a request says about itself, believing ``X-Forwarded-*`` only from configured proxies.

A proxy listed in ``trusted_proxies`` (addresses or CIDRs) reports the client address
(``X-Forwarded-For``), the scheme (``X-Forwarded-Proto``) and the host (``X-Forwarded-Host``)
it received; anyone else could forge them, so they are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of one request header (``name`` in lower case), decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        return cls(tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()))

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def _via_proxy(self, scope: Scope) -> bool:
        peer = scope.get("client")
        return peer is not None and self.trusts(str(peer[0]))

    def client_address(self, scope: Scope) -> str:
        """The client's address: the peer, or the nearest untrusted hop a trusted proxy reported."""
        peer = scope.get("client")
        address = str(peer[0]) if peer else "unknown"
        if not self.trusts(address):
            return address
        forwarded = header(scope, b"x-forwarded-for")
        if not forwarded:
            return address
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not self.trusts(hop):
                return hop[:64]
        return address

    def scheme(self, scope: Scope) -> str:
        """``http`` or ``https`` as the client used it."""
        if self._via_proxy(scope):
            proto = (header(scope, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                return proto
        return "https" if scope.get("scheme") in ("https", "wss") else "http"

    def host(self, scope: Scope) -> str:
        """The ``host[:port]`` the client asked for."""
        if self._via_proxy(scope):
            forwarded = (header(scope, b"x-forwarded-host") or "").split(",")[0].strip()
            if forwarded:
                return forwarded
        return header(scope, b"host") or ""
