"""Time is the engine's: every reading of "now" goes through a :class:`Clock`.

Domain code never reads the wall clock. Production passes a system clock (in
``shouhu.adapters.clock``); tests pass a :class:`FakeClock` and move it by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Tells the engine what time it is, as an aware datetime."""

    def now(self) -> datetime: ...


class FakeClock:
    """A clock that moves only when told to; for tests and deterministic demos."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or ``timedelta(**kwargs)``; returns the new time."""
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now
