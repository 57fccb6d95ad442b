"""The dialects webhooks are sent in, their event types and their payload envelope.

One delivery service serves every door: a door enqueues events in its own dialect and shape,
and endpoints subscribe per dialect. AI Visual Studio's events and envelope are the seed's
(``{"event", "data", "created_at"}``). Magnific takes a per-run ``webhook`` URL (an ad-hoc target,
signed with the user's app-webhook secret) and is posted the run itself, as its poll answers
``data`` (:class:`RunDialect`: no envelope);
Studii and Miraflow document polling only, so their event names are ours until their issues
settle them. ``webhook.test`` is the test event every dialect can send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.errors import InvalidRequest

TEST_EVENT = "webhook.test"


@dataclass(frozen=True)
class WebhookDialect:
    name: str
    events: tuple[str, ...]

    def envelope(self, event_type: str, data: dict[str, Any], created_at: datetime) -> dict[str, Any]:
        """The body of one event as the dialect sends it."""
        return {"event": event_type, "data": data, "created_at": iso_z(created_at)}


@dataclass(frozen=True)
class RunDialect(WebhookDialect):
    """A dialect that posts the object itself (Magnific posts a run as its poll shows it)."""

    def envelope(self, event_type: str, data: dict[str, Any], created_at: datetime) -> dict[str, Any]:
        return dict(data)


DIALECTS: dict[str, WebhookDialect] = {d.name: d for d in (
    WebhookDialect("aivs", ("generation.completed", "generation.failed")),
    RunDialect("magnific", ("run.completed", "run.failed")),
    WebhookDialect("studii", ("job.completed", "job.failed")),
    WebhookDialect("miraflow", ("job.completed", "job.failed")),
)}


def dialect(name: str) -> WebhookDialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise InvalidRequest(f"unknown webhook dialect {name[:40]!r}", code="WEBHOOK_DIALECT_UNKNOWN",
                             details={"dialects": sorted(DIALECTS)}) from None


def iso_z(moment: datetime) -> str:
    """``2025-01-09T12:00:15Z``: UTC to the second, as the seeds write times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
