"""Fixtures of the migration tests: an empty PostgreSQL database when a server answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def empty_pg_url(pg_database: Any) -> Iterator[str]:
    """The session's throw-away PostgreSQL database with nothing in it, not even
    ``alembic_version`` (its schema is dropped before and after the test); skips without a
    server, as ``pg_database`` says why."""
    pg_database.drop_schema()
    try:
        yield str(pg_database.url)
    finally:
        pg_database.drop_schema()
