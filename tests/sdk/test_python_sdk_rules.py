"""The Python SDK's pure rules: when to repeat a request and after how long, and how the event
stream's lines become events (the network-facing behaviour is tested in test_python_sdk.py)."""

from __future__ import annotations

import email.utils
import time

from miniaistudio.sdk.retries import MAX_BACKOFF, RetryPolicy, retry_after
from miniaistudio.sdk.sse import EventParser, ends_run


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "7"}) == 7
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    in_30_s = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after({"retry-after": in_30_s}) or 0) <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None
    assert retry_after({"retry-after": "-1"}) is None


def test_which_answers_are_repeated() -> None:
    policy = RetryPolicy()
    assert policy.after_answer(0, 429, {}, idempotent=False) is not None  # refused before any work
    assert policy.after_answer(0, 408, {}, idempotent=False) is not None
    assert policy.after_answer(0, 503, {}, idempotent=False) is None  # might have done the work
    assert policy.after_answer(0, 503, {}, idempotent=True) is not None
    assert policy.after_answer(0, 409, {}, idempotent=True) is None  # a state conflict
    assert policy.after_answer(0, 409, {"retry-after": "1"}, idempotent=True) == 1
    assert policy.after_answer(0, 429, {"retry-after": "120"}, idempotent=True) is None  # too long to wait
    assert policy.after_answer(0, 400, {"x-should-retry": "true"}, idempotent=False) is not None
    assert policy.after_answer(0, 503, {"x-should-retry": "false"}, idempotent=True) is None
    assert policy.after_answer(3, 429, {}, idempotent=True) is None  # bounded
    assert policy.after_failure(0, sent=False, idempotent=False) is not None  # never reached the server
    assert policy.after_failure(0, sent=True, idempotent=False) is None
    delays = [policy.backoff(n) for n in range(12)]
    assert all(0 < d <= MAX_BACKOFF for d in delays) and delays[0] <= 0.5 and delays[-1] >= MAX_BACKOFF * 0.75


def test_event_stream_lines() -> None:
    parser = EventParser()
    lines = [": ping", "event: node.status", 'data: {"type": "node.status",', 'data: "node_id": "a"}', "",
             "", "data: {\"type\": \"run.finished\", \"run_id\": \"r1\", \"status\": \"succeeded\"}", ""]
    events = [e for e in map(parser.feed, lines) if e is not None]
    assert [(e.type, e.data.get("node_id")) for e in events] == [("node.status", "a"), ("run.finished", None)]
    assert ends_run(events[1], "r1") and not ends_run(events[1], "r2") and not ends_run(events[0], None)
