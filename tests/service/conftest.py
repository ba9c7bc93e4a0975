"""Fixtures of the service's tests: ``desk`` is a private copy of a demo database whose
operators have passwords (tests/servicekit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Desk, build, copy_desk


@pytest.fixture(scope="session")
def desk_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("desk-source")
    build(folder)
    return folder


@pytest.fixture
def desk(desk_source: Path, tmp_path: Path) -> Desk:
    return copy_desk(desk_source, tmp_path / "desk")
