"""The engine's own resources on PostgreSQL: a server holds every connection a process leaks."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest

from shouhu import Engine, InvalidInput


def other_connections(db: Any) -> int:
    """Connections to the test database other than the one asking."""
    with db.connect() as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0])


def test_an_engine_that_cannot_be_made_leaves_no_connection_open(
    pg_url: str, pg_database: Any
) -> None:
    """``Engine.open`` with an unknown zone raises ``InvalidInput`` (the CLI's exit 2) after
    the store has connected (to check the schema): that store is closed, not left to the
    garbage collector with its pooled connection open (a ResourceWarning on PostgreSQL)."""
    Engine.open(pg_url).close()  # the schema exists: what follows only connects and checks
    before = other_connections(pg_database)
    with pytest.raises(InvalidInput, match="Mars/Base"):
        Engine.open(pg_url, zone="Mars/Base")
    leaked = other_connections(pg_database) - before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()  # whatever leaked goes now, quietly: the assertion below says it
    assert leaked == 0, f"{leaked} connection(s) left open by the engine that failed to open"
