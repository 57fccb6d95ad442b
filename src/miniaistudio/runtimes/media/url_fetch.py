"""Fetching user-supplied URLs on the server without becoming a proxy into private networks.

Three guards, reused by every server-side fetch (recipe URL inputs, upload nodes'
``source_url``, webhooks):

- :func:`guard_url` refuses what is not a plain, canonical http(s) URL (``URL_INVALID``:
  malformed brackets or ports, credentials, octal/hex/short IPv4 spellings, bad IDNA; other
  schemes answer ``URL_NOT_ALLOWED``). It runs on the first URL and on every redirect.
- :func:`check_public_address` refuses an address that is not globally routable (private,
  loopback, link-local, carrier-grade NAT, site-local, multicast, reserved, unspecified), after
  unwrapping the IPv4 address inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses. Every TCP
  connection (the first request and each redirect) resolves the name, checks every address and
  connects to the address it checked, so DNS rebinding has no window.
- One deadline bounds the whole fetch: each socket operation may only wait for the time left,
  so a server trickling one byte at a time cannot hold a worker past ``timeout`` seconds.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httpcore
import httpx

from ...core.errors import InvalidRequest

MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2048
DEFAULT_TIMEOUT = 60.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlNotAllowed(InvalidRequest):
    code = "URL_NOT_ALLOWED"


class UrlInvalid(InvalidRequest):
    code = "URL_INVALID"


class UrlFetchTimeout(InvalidRequest):
    code = "URL_FETCH_TIMEOUT"


# -- addresses ------------------------------------------------------------------------------------
#: Not globally reachable, but ``is_global`` says otherwise on some Python versions.
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24",     # IETF protocol assignments (3.11 counts 192.0.0.8 as global)
    "192.88.99.0/24",   # deprecated 6to4 relay anycast
    "fec0::/10",        # deprecated site-local
))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a transition IPv6 address carries (the one packets really reach)."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return None


def is_public_address(addr: IPAddress) -> bool:
    """True when ``addr`` (and any IPv4 address it wraps) is globally routable unicast."""
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None and not is_public_address(inner):
            return False
        if inner is not None and (addr.ipv4_mapped is not None or addr in _NAT64):
            return True  # the wrapper sits in a reserved block; only the embedded address counts
    return not (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
                or addr.is_reserved or addr.is_unspecified or not addr.is_global
                or any(addr in net for net in _NOT_PUBLIC if net.version == addr.version))


def check_public_address(ip: str | IPAddress, *, allow_private: bool = False) -> None:
    """Raise URL_NOT_ALLOWED unless ``ip`` is globally routable (or private URLs are allowed).

    The one check every server-side fetch makes before connecting (webhooks included).
    """
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0] if isinstance(ip, str) else ip)
    except ValueError:
        raise UrlInvalid(f"{str(ip)[:100]!r} is not an IP address") from None
    if not allow_private and not is_public_address(addr):
        raise UrlNotAllowed(f"fetching from {addr} is not allowed (not a public internet address)",
                            details={"address": str(addr)})


# -- URLs ------------------------------------------------------------------------------------------
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def guard_url(url: str) -> SplitResult:
    """The parts of ``url`` when it is a canonical http(s) URL that names a host; refuses
    anything a parser could read two ways (URL_INVALID) or another scheme (URL_NOT_ALLOWED)."""
    shown = url[:100]
    if len(url) > MAX_URL_LENGTH:
        raise UrlInvalid(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in url):
        raise UrlInvalid(f"URL {shown!r} contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise UrlInvalid(f"URL {shown!r} is malformed: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UrlNotAllowed(f"only http(s) URLs can be fetched, not {shown!r}")
    if not host:
        raise UrlInvalid(f"URL {shown!r} names no host")
    if "@" in parts.netloc:
        raise UrlInvalid("URLs with credentials (user@host) are not fetched")
    if port == 0:
        raise UrlInvalid(f"URL {shown!r} has port 0")
    _check_host(host, parts.netloc, shown)
    return parts


def _check_host(host: str, netloc: str, shown: str) -> None:
    if "[" in netloc:  # an IPv6 literal: it must parse as one
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise UrlInvalid(f"URL {shown!r} has a malformed IPv6 address") from None
        return
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Parsers read '0177.0.0.1', '0x7f.1', '127.1' or '2130706433' as 127.0.0.1: only the
        # canonical dotted quad is accepted, so what is checked is what is connected to.
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            raise UrlInvalid(f"URL {shown!r} spells an IPv4 address in a non-canonical form") from None
        return
    # A host name is letters, digits and hyphens between dots: a percent-escape ('%00'), '_' or any
    # other punctuation is something resolvers and parsers disagree about, so it is refused.
    if any(not (ch.isalnum() or ch in "-.") for ch in host) or any(
            not label or len(label) > 63 for label in labels):
        raise UrlInvalid(f"URL {shown!r} has an invalid host name")
    try:
        host.encode("idna")
    except UnicodeError:
        raise UrlInvalid(f"URL {shown!r} has an invalid host name") from None


# -- connections -----------------------------------------------------------------------------------
class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise error(f"the fetch took longer than {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write may only wait for what is left of the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self.inner.start_tls(ssl_context, server_hostname,
                                     self.deadline.left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


#: Name lookups run here so the deadline bounds them too (getaddrinfo itself has no timeout);
#: a lookup that never returns holds one of these threads, never the fetching worker.
_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="url-resolve")


def _resolve(host: str, port: int, deadline: _Deadline) -> list[str]:
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=deadline.left(None, httpcore.ConnectTimeout))
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise httpcore.ConnectTimeout(f"resolving {host[:100]} took longer than {deadline.seconds:g} s") from None
    return [str(info[4][0]) for info in infos]


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool, deadline: _Deadline) -> None:
        self.allow_private = allow_private
        self.deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        try:
            addresses = _resolve(host, port, self.deadline)
        except (socket.gaierror, UnicodeError) as exc:
            raise UrlNotAllowed(f"cannot resolve {host[:100]}: {exc}") from exc
        for ip in addresses:
            check_public_address(ip, allow_private=self.allow_private)
        stream = super().connect_tcp(addresses[0], port,
                                     timeout=self.deadline.left(timeout, httpcore.ConnectTimeout),
                                     local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream, self.deadline)


def _client(allow_private: bool, deadline: _Deadline,
            user_agent: str = "MiniAIStudio/1 (+recipe input fetch)") -> httpx.Client:
    transport = httpx.HTTPTransport(retries=0)
    transport._pool = httpcore.ConnectionPool(network_backend=_GuardedBackend(allow_private, deadline),
                                              ssl_context=httpx.create_ssl_context())
    # trust_env=False: no proxy from the environment, no credentials from ~/.netrc.
    return httpx.Client(transport=transport, timeout=deadline.seconds, follow_redirects=False,
                        trust_env=False, headers={"User-Agent": user_agent})


def fetch_to_file(url: str, dest: Path, *, max_bytes: int, allow_private: bool,
                  timeout: float = DEFAULT_TIMEOUT) -> str:
    """Download ``url`` to ``dest`` within ``timeout`` seconds in all; returns the final URL.

    Raises URL_INVALID / URL_NOT_ALLOWED (the URL or an address), URL_FETCH_TIMEOUT, or
    INVALID_INPUTS (the server's answer: status, size, connection failure).
    """
    deadline = _Deadline(timeout)
    with _client(allow_private, deadline) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            guard_url(current)
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        current = urljoin(current, resp.headers.get("location", ""))
                        continue
                    _download(resp, url, dest, max_bytes, deadline)
                    return current
            except httpx.TimeoutException as exc:
                raise UrlFetchTimeout(f"fetching {url[:200]} took longer than {timeout:g} s",
                                      details={"timeout_seconds": timeout}) from exc
            except httpx.HTTPError as exc:
                raise InvalidRequest(f"could not fetch {url[:200]}: {exc}", code="INVALID_INPUTS") from exc
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
                raise UrlInvalid(f"URL {current[:100]!r} is malformed: {exc}") from exc
        raise InvalidRequest(f"{url[:200]} redirected more than {MAX_REDIRECTS} times", code="INVALID_INPUTS")


def _download(resp: httpx.Response, url: str, dest: Path, max_bytes: int, deadline: _Deadline) -> None:
    if resp.status_code != 200:
        raise InvalidRequest(f"{url[:200]} answered HTTP {resp.status_code}", code="INVALID_INPUTS")
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise InvalidRequest(f"{url[:200]} is larger than {max_bytes} bytes", code="INVALID_INPUTS")
    size = 0
    with dest.open("wb") as fh:
        for chunk in _chunks(resp, deadline):
            size += len(chunk)
            if size > max_bytes:
                raise InvalidRequest(f"{url[:200]} is larger than {max_bytes} bytes", code="INVALID_INPUTS")
            fh.write(chunk)


def _chunks(resp: httpx.Response, deadline: _Deadline) -> Iterator[bytes]:
    for chunk in resp.iter_bytes(1 << 16):
        deadline.left(None, httpx.ReadTimeout)
        yield chunk


def precheck_url(url: str, allow_private: bool, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Refuse a URL that could never be fetched safely, before anything is created.

    Names that do not resolve right now (or within ``timeout``) pass: the fetch itself checks
    every address again.
    """
    parts = guard_url(url)
    assert parts.hostname is not None
    try:
        addresses = _resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                             _Deadline(timeout))
    except (socket.gaierror, UnicodeError, httpcore.ConnectTimeout):
        return
    for ip in addresses:
        check_public_address(ip, allow_private=allow_private)


# -- posting (webhooks) ------------------------------------------------------------------------------
class UrlPostFailed(InvalidRequest):
    code = "URL_POST_FAILED"


@dataclass(frozen=True)
class PostAnswer:
    """What a receiver answered: status, headers, and at most ``max_excerpt`` bytes of its body."""

    status_code: int
    headers: httpx.Headers
    excerpt: bytes


def post_bytes(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float,
               max_excerpt: int = 1024, user_agent: str = "MiniAIStudio/1") -> PostAnswer:
    """POST ``body`` to ``url`` once, within ``timeout`` seconds in all (name lookup included).

    Redirects are answers, not followed. The connection goes to the address that was checked
    (URL_NOT_ALLOWED for non-global ones unless ``allow_private``); only the first
    ``max_excerpt`` bytes of the answer are read. Raises URL_INVALID / URL_NOT_ALLOWED,
    URL_FETCH_TIMEOUT, or URL_POST_FAILED (the connection failed).
    """
    guard_url(url)
    deadline = _Deadline(timeout)
    try:
        with _client(allow_private, deadline, user_agent) as client, \
                client.stream("POST", url, content=body, headers=headers) as resp:
            excerpt = bytearray()
            for chunk in resp.iter_raw(max_excerpt):
                excerpt.extend(chunk)
                if len(excerpt) >= max_excerpt:
                    break
            return PostAnswer(resp.status_code, resp.headers, bytes(excerpt[:max_excerpt]))
    except httpx.TimeoutException as exc:
        raise UrlFetchTimeout(f"{url[:200]} did not answer within {timeout:g} s",
                              details={"timeout_seconds": timeout}) from exc
    except httpx.HTTPError as exc:
        raise UrlPostFailed(f"could not post to {url[:200]}: {exc}") from exc
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise UrlInvalid(f"URL {url[:100]!r} is malformed: {exc}") from exc
