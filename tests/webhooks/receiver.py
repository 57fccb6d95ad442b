"""A real webhook receiver on loopback: an HTTP server in a thread that records every request and
answers from a script of replies (status, headers, body, or hanging without an answer)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERIFIER = Path(__file__).with_name("verify_webhook.mjs")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"OK"
    hang: float = 0.0  # seconds to wait before answering (the sender's timeout may come first)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.time() when it arrived
    status: int  # what was answered


class Receiver:
    """Answers each request with the next scripted reply (the last one repeats)."""

    def __init__(self, port: int = 0) -> None:
        self.replies: list[Reply] = [Reply()]
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    reply = receiver.replies.pop(0) if len(receiver.replies) > 1 else receiver.replies[0]
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body, time.time(), reply.status))
                    receiver.arrived.notify_all()
                if reply.hang:
                    time.sleep(reply.hang)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up or died

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.replies = list(replies)

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        """Until ``count`` requests have arrived; all of them."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} webhook requests arrived")
                self.arrived.wait(left)
            return list(self.requests)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiving(port: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(port).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def seed_verifies(requests: list[Received], secret: str) -> list[bool]:
    """The seed's JavaScript ``verifyWebhookSignature`` run by node over each request."""
    cases = [{"body": r.body.decode(), "signature": r.headers["x-webhook-signature"], "secret": secret}
             for r in requests]
    done = subprocess.run(["node", str(VERIFIER)], input=json.dumps(cases).encode(), capture_output=True,
                          timeout=30, check=True)
    results: list[bool] = json.loads(done.stdout)
    return results
