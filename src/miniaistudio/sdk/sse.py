"""Server-Sent Events, parsed line by line (the studio's run events: ``event:`` names the type,
``data:`` holds its JSON; ``:`` lines are keep-alive pings)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

from .models import RunEvent


class EventParser:
    """Feed lines; a blank line completes an event."""

    def __init__(self) -> None:
        self._name: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> RunEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._name = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> RunEvent | None:
        name, data = self._name, self._data
        self._name, self._data = None, []
        if not data:
            return None
        body = json.loads("\n".join(data))
        if not isinstance(body, dict):
            body = {"value": body}
        return RunEvent(type=name or str(body.get("type", "message")), data=body)


def parse_lines(lines: Iterator[str]) -> Iterator[RunEvent]:
    parser = EventParser()
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event


async def aparse_lines(lines: AsyncIterator[str]) -> AsyncIterator[RunEvent]:
    parser = EventParser()
    async for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event


def ends_run(event: RunEvent, run_id: str | None) -> bool:
    """Whether ``event`` says the run (``run_id``, or any when None) has ended: ``run.finished``,
    a snapshot of a finished run, or ``access.revoked``."""
    if event.type == "access.revoked":
        return True
    if event.type == "run.finished":
        return run_id is None or event.data.get("run_id") == run_id
    if event.type == "snapshot":
        run = event.data.get("run")
        return (isinstance(run, dict) and run.get("status") in ("succeeded", "failed", "canceled", "interrupted")
                and (run_id is None or run.get("run_id") == run_id))
    return False
