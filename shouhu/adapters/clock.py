"""The wall clock, for production. Tests use :class:`shouhu.engine.clock.FakeClock`."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Reads the operating system's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
