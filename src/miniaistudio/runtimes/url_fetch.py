"""Fetching user-supplied URLs on the server without becoming a proxy into private networks.

Every TCP connection (the first request and each redirect) goes through a resolver that
refuses loopback, private, link-local, multicast and reserved addresses unless the studio is
configured to allow them, and connects to the address it checked (no DNS rebinding window).
Sizes and times are bounded; what the bytes are is decided later from their content.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..core.errors import InvalidRequest

MAX_REDIRECTS = 5


class UrlNotAllowed(InvalidRequest):
    code = "URL_NOT_ALLOWED"


def _check_ip(ip: str, allow_private: bool) -> None:
    addr = ipaddress.ip_address(ip)
    if allow_private:
        return
    if (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast or addr.is_reserved
            or addr.is_unspecified or (isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None
                                       and not addr.ipv4_mapped.is_global)):
        raise UrlNotAllowed(f"fetching from {ip} is not allowed (private, loopback or link-local address)")


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise UrlNotAllowed(f"cannot resolve {host}: {exc}") from exc
        addresses = [str(info[4][0]) for info in infos]
        for ip in addresses:
            _check_ip(ip, self.allow_private)
        return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def _client(allow_private: bool, timeout: float) -> httpx.Client:
    transport = httpx.HTTPTransport(retries=0)
    transport._pool = httpcore.ConnectionPool(network_backend=_GuardedBackend(allow_private),
                                              ssl_context=httpx.create_ssl_context())
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": "MiniAIStudio/1 (+recipe input fetch)"})


def fetch_to_file(url: str, dest: Path, *, max_bytes: int, allow_private: bool, timeout: float = 30.0) -> str:
    """Download ``url`` to ``dest``; returns the final URL. Raises URL_NOT_ALLOWED / INVALID_INPUTS."""
    with _client(allow_private, timeout) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UrlNotAllowed(f"only http(s) URLs can be fetched, not {current[:100]!r}")
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location", "")
                        current = urljoin(current, location)
                        continue
                    if resp.status_code != 200:
                        raise InvalidRequest(f"{url[:200]} answered HTTP {resp.status_code}", code="INVALID_INPUTS")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise InvalidRequest(f"{url[:200]} is larger than {max_bytes} bytes", code="INVALID_INPUTS")
                    size = 0
                    with dest.open("wb") as fh:
                        for chunk in resp.iter_bytes(1 << 16):
                            size += len(chunk)
                            if size > max_bytes:
                                raise InvalidRequest(f"{url[:200]} is larger than {max_bytes} bytes",
                                                     code="INVALID_INPUTS")
                            fh.write(chunk)
                    return current
            except httpx.HTTPError as exc:
                raise InvalidRequest(f"could not fetch {url[:200]}: {exc}", code="INVALID_INPUTS") from exc
        raise InvalidRequest(f"{url[:200]} redirected more than {MAX_REDIRECTS} times", code="INVALID_INPUTS")


def precheck_url(url: str, allow_private: bool) -> None:
    """Refuse a URL that could never be fetched safely, before anything is created.

    Names that do not resolve right now pass: the fetch itself checks every address again.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlNotAllowed(f"only http(s) URLs can be fetched, not {url[:100]!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        _check_ip(str(info[4][0]), allow_private)
