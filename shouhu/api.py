"""The composition root: :class:`Engine` with ``open`` wiring the SQL store and the clock."""

from __future__ import annotations

from typing import Any

from shouhu.adapters.clock import SystemClock
from shouhu.adapters.config import default_db_url, default_zone
from shouhu.engine import core
from shouhu.engine.clock import Clock
from shouhu.engine.memory import MemoryStore


class Engine(core.Engine):
    """The shouhu engine. Open one on a database URL, or in memory for tests.

    ``Engine.open("sqlite:///cases.db")`` (or ``postgresql+psycopg://…``); without a URL,
    ``$SHOUHU_DB`` or a SQLite file in the user's data directory.
    """

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        zone: str | None = None,
        **kwargs: Any,
    ) -> Engine:
        from shouhu.adapters.sqlstore import SqlStore

        store = SqlStore(url or default_db_url(), make_dirs=url is None)
        return cls(store, clock or SystemClock(), zone=zone or default_zone(), **kwargs)

    @classmethod
    def in_memory(
        cls, *, clock: Clock | None = None, zone: str | None = None, **kwargs: Any
    ) -> Engine:
        """An engine on a :class:`~shouhu.engine.memory.MemoryStore` (nothing persists)."""
        return cls(MemoryStore(), clock or SystemClock(), zone=zone or default_zone(), **kwargs)
