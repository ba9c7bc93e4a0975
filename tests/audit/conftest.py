"""Fixtures of the audit tests: one SQLite file, seen by the library, the CLI and a DBA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from auditkit import AUDIT_NOW, ZONE, Cli, Dba

from shouhu import Engine, FakeClock


@pytest.fixture
def audit_clock() -> FakeClock:
    return FakeClock(AUDIT_NOW)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def cli(db: Path) -> Cli:
    return Cli(db)


@pytest.fixture
def dba(db: Path) -> Dba:
    return Dba(db)


@pytest.fixture
def lib(db: Path, audit_clock: FakeClock) -> Iterator[Engine]:
    """The library engine on the same file as ``cli``, on the audit clock."""
    with Engine.open("sqlite:///" + str(db), clock=audit_clock, zone=ZONE) as eng:
        yield eng
