"""Server-side fetches (recipe URL inputs, upload nodes' source_url) reach only public
addresses, accept only canonical http(s) URLs, re-check every redirect, and finish within one
deadline however slowly the far end answers."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Api, error_code, node
from miniaistudio.config import Settings
from miniaistudio.core.errors import StudioError
from miniaistudio.runtimes.media.url_fetch import check_public_address, fetch_to_file, guard_url

FETCH_TIMEOUT = 1.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback servers stand in for the internet here; the refusal side is tested on the guard."""
    return settings.model_copy(update={"allow_private_urls": True, "fetch_timeout_seconds": FETCH_TIMEOUT})


NOT_PUBLIC = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254",
    "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1", "192.0.0.8", "198.18.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "ff0e::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::7f00:1",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
    "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:db8::1", "100::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("ip", NOT_PUBLIC)
def test_addresses_that_are_not_globally_routable_are_refused(ip: str) -> None:
    with pytest.raises(StudioError) as caught:
        check_public_address(ip, allow_private=False)
    assert caught.value.code == "URL_NOT_ALLOWED"
    check_public_address(ip, allow_private=True)  # a studio may choose to trust its own network


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_pass(ip: str) -> None:
    check_public_address(ip, allow_private=False)


MALFORMED = [
    "http://[::1", "http://[::1]:99999/x.png", "http://example.com:99999/x.png", "http://example.com:0/x",
    "http://example.com:-1/x", "http://example.com:80a/x", "http://0177.0.0.1/x.png", "http://0x7f.0.0.1/x.png",
    "http://0x7f000001/x.png", "http://2130706433/x.png", "http://127.1/x.png", "http://017700000001/",
    "http:///x.png", "http://", "http://:80/x", "http://user:pass@example.com/x.png",
    "http://example.com@127.0.0.1/x.png", "http://exa mple.com/x.png", "http://example.com\\@evil/x",
    "http://example.com/\nx", "http://[fe80::1%zz/", "http://[not-v6]/x", "http://a..b/x.png",
    "http://" + "a" * 64 + ".com/x.png", "http://example.com/" + "x" * 3000, "http://%00/x", "http://a%2eb/x",
    "http://exa_mple.com/x.png", "http://example.com%00.evil/x", "http://ex!ample.com/",
]
OTHER_SCHEMES = ["file:///etc/passwd", "ftp://example.com/x.png", "gopher://127.0.0.1:6379/_x",
                 "dict://127.0.0.1:11211/", "javascript:alert(1)", "data:image/png;base64,AAAA", "x.png"]


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_by_the_guard(url: str) -> None:
    with pytest.raises(StudioError) as caught:
        guard_url(url)
    assert caught.value.code == "URL_INVALID", caught.value.message


@pytest.mark.parametrize("url", OTHER_SCHEMES)
def test_other_schemes_are_not_allowed(url: str) -> None:
    with pytest.raises(StudioError) as caught:
        guard_url(url)
    assert caught.value.code == "URL_NOT_ALLOWED"


@pytest.mark.parametrize("url", ["http://example.com/x.png", "https://example.com:8443/a?b=c#d",
                                 "http://8.8.8.8/x", "http://[2606:4700::1111]/x", "http://bücher.example/x"])
def test_canonical_urls_pass_the_guard(url: str) -> None:
    guard_url(url)


def test_the_connection_itself_is_checked(tmp_path: Path) -> None:
    """Names resolve at connect time and every resolved address is checked (no DNS shortcut)."""
    for url, code in [("http://localhost:9/x", "URL_NOT_ALLOWED"), ("http://127.0.0.1:9/x", "URL_NOT_ALLOWED"),
                      ("http://[::ffff:127.0.0.1]:9/x", "URL_NOT_ALLOWED")]:
        with pytest.raises(StudioError) as caught:
            fetch_to_file(url, tmp_path / "out", max_bytes=1000, allow_private=False, timeout=5)
        assert caught.value.code == code, (url, caught.value.message)


async def _counts(api: Api) -> tuple[int, int]:
    return ((await api.get("/api/v2/sessions")).json()["total"], (await api.get("/api/v2/media")).json()["total"])


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/x.png", "http://127.0.0.1:99999/x.png",
                                 "http://0177.0.0.1/x.png", "http://2130706433/x.png", "http:///x.png",
                                 "http://user:pw@127.0.0.1/x.png", "http://a..b/x.png"])
async def test_malformed_recipe_urls_answer_url_invalid(api: Api, url: str) -> None:
    before = await _counts(api)
    for execute in (False, True):
        r = await api.post("/api/v2/recipes/image_upscaler/run",
                           json={"execute": execute, "inputs": {"source_image_url": url}})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "URL_INVALID", r.text
    assert await _counts(api) == before


@pytest.mark.parametrize(("url", "code"), [("http://[::1", "URL_INVALID"), ("http://0177.0.0.1/x.png", "URL_INVALID"),
                                           ("http://example.com:99999/x.png", "URL_INVALID")])
async def test_upload_node_source_url_fails_the_node_with_a_code(api: Api, url: str, code: str) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("up", "upload.image", source_url=url)], "edges": []})
    run = await api.run(session["id"])
    assert run["status"] == "failed", run
    assert error_code(run, "up") == code


class _Server:
    """A loopback HTTP server whose handler is given per test."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Answers 200 with a 1 MB body, one byte every half second."""

    def do_GET(self) -> None:
        if self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/to/"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            for _ in range(120):
                self.wfile.write(b"\x89")
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def trickle() -> Iterator[str]:
    server = _Server(_Trickle)
    try:
        yield server.url
    finally:
        server.close()


def test_the_deadline_bounds_the_whole_download(trickle: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(StudioError) as caught:
        fetch_to_file(f"{trickle}/slow.png", tmp_path / "out", max_bytes=1 << 21, allow_private=True, timeout=1.2)
    assert caught.value.code == "URL_FETCH_TIMEOUT"
    assert time.monotonic() - started < 2.5


async def test_recipe_fetch_deadline(api: Api, trickle: str) -> None:
    before = await _counts(api)
    started = time.monotonic()
    r = await api.post("/api/v2/recipes/image_upscaler/run",
                       json={"execute": True, "inputs": {"source_image_url": f"{trickle}/slow.png"}})
    assert r.status_code == 422 and r.json()["code"] == "URL_FETCH_TIMEOUT", r.text
    assert time.monotonic() - started < FETCH_TIMEOUT + 2
    assert await _counts(api) == before


async def test_upload_node_fetch_deadline(api: Api, trickle: str) -> None:
    session = await api.new_session()
    await api.save_graph(session, {"nodes": [node("up", "upload.image", source_url=f"{trickle}/slow.png")],
                                   "edges": []})
    started = time.monotonic()
    run = await api.run(session["id"])
    assert error_code(run, "up") == "URL_FETCH_TIMEOUT"
    assert time.monotonic() - started < FETCH_TIMEOUT + 3


@pytest.mark.parametrize(("target", "code"), [
    ("file:///etc/passwd", "URL_NOT_ALLOWED"), ("http://user:pw@127.0.0.1/x.png", "URL_INVALID"),
    # a Location header the HTTP client cannot even parse: the far server answered badly
    ("http://0177.0.0.1/x.png", "INVALID_INPUTS"), ("http://[::1/x.png", "INVALID_INPUTS")])
async def test_redirects_are_checked_again(api: Api, trickle: str, target: str, code: str) -> None:
    r = await api.post("/api/v2/recipes/image_upscaler/run",
                       json={"execute": True, "inputs": {"source_image_url": f"{trickle}/to/{target}"}})
    assert r.status_code == 422 and r.json()["code"] == code, r.text
