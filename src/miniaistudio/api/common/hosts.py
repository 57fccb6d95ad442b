"""Answer only to configured host names, so a DNS-rebinding page cannot reach a local studio."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ...core.errors import HostNotAllowed
from .errors import EnvelopeFor, perimeter_refusal
from .forwarded import TrustedProxies

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(host: str) -> str:
    """``host[:port]`` → the lower-case name without port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class AllowedHosts:
    """Exact names, ``*.suffix`` wildcards, or ``*`` for any; loopback names always match."""

    def __init__(self, names: Iterable[str]) -> None:
        cleaned = {host_name(n) if n.strip() != "*" else "*" for n in names if n.strip()}
        self.any = "*" in cleaned
        self.suffixes = tuple(n[1:] for n in cleaned if n.startswith("*."))
        self.exact = frozenset(n for n in cleaned if not n.startswith("*")) | LOOPBACK_NAMES

    def allows(self, host: str) -> bool:
        if self.any:
            return True
        name = host_name(host)
        return bool(name) and (name in self.exact or name.endswith(self.suffixes))


class HostGuard:
    def __init__(self, app: ASGIApp, *, hosts: AllowedHosts, proxies: TrustedProxies,
                 envelope_for: EnvelopeFor) -> None:
        self.app = app
        self.envelope_for = envelope_for
        self.hosts = hosts
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.hosts.allows(self.proxies.host(scope)):
            error = HostNotAllowed("this studio does not answer to that host name; add it to allowed_hosts")
            await perimeter_refusal(self.envelope_for, scope["path"], error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

