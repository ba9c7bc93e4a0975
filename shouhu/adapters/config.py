"""Where things are by default: the database URL and the jurisdiction's zone."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_ENV = "SHOUHU_DB"
ZONE_ENV = "SHOUHU_ZONE"


def data_dir() -> Path:
    """The user's data directory for shouhu (XDG on Linux, the usual places elsewhere)."""
    base = os.environ.get("XDG_DATA_HOME")
    if base:
        return Path(base) / "shouhu"
    home = Path.home()
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", home)) / "shouhu"
    if (home / "Library").is_dir() and os.uname().sysname == "Darwin":
        return home / "Library" / "Application Support" / "shouhu"
    return home / ".local" / "share" / "shouhu"


def default_db_url() -> str:
    """``$SHOUHU_DB`` or a SQLite file in the user's data directory."""
    return os.environ.get(DEFAULT_DB_ENV) or f"sqlite:///{data_dir() / 'shouhu.db'}"


def default_zone() -> str:
    return os.environ.get(ZONE_ENV) or "Asia/Shanghai"
