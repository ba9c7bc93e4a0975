"""The composition root: :class:`Engine` with ``open`` wiring the SQL store and the clock."""

from __future__ import annotations

import os
from typing import Any

from shouhu.adapters.clock import SystemClock
from shouhu.adapters.config import default_db_url, default_zone
from shouhu.adapters.policyfile import load_pack
from shouhu.engine import core
from shouhu.engine.clock import Clock
from shouhu.engine.memory import MemoryStore
from shouhu.engine.policy import PolicyPack


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
        policy: PolicyPack | str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> Engine:
        """``policy``: a :class:`PolicyPack`, a pack file, or None for ``$SHOUHU_POLICY`` or
        the national defaults."""
        from shouhu.adapters.sqlstore import SqlStore
        from shouhu.engine.timeutil import zone as check_zone

        check_zone(zone or default_zone())  # bad input before any connection is opened
        pack = policy if isinstance(policy, PolicyPack) else load_pack(policy)
        store = SqlStore(url or default_db_url(), make_dirs=url is None)
        return cls(
            store, clock or SystemClock(), zone=zone or default_zone(), policy=pack, **kwargs
        )

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock | None = None,
        zone: str | None = None,
        policy: PolicyPack | str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> Engine:
        """An engine on a :class:`~shouhu.engine.memory.MemoryStore` (nothing persists)."""
        pack = policy if isinstance(policy, PolicyPack) else load_pack(policy)
        return cls(
            MemoryStore(),
            clock or SystemClock(),
            zone=zone or default_zone(),
            policy=pack,
            **kwargs,
        )
