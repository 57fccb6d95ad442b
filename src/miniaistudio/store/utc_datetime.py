"""``UtcDateTime``: timestamps are stored and read back as aware UTC datetimes.

SQLite keeps no zone, so a ``DateTime(timezone=True)`` column reads back naive there and aware
on PostgreSQL; answers then showed ``+00:00`` on one route and no zone on another. Every
timestamp column uses this type, so every datetime the services see is aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values are taken as UTC, as everything here writes UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
