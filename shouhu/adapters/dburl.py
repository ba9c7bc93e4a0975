"""What a database URL names: a SQLite file (and its companions), memory, or a server.

Used before a store is opened, to refuse what would lose or invent records: a URL whose
database dies with the process (:func:`ephemeral`), a read that would create a file
(:func:`sqlite_file`), an export written over the database in use (:func:`database_files`);
and to show a URL without its password (:func:`shown`). SQLAlchemy is imported when a URL is
parsed, not before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from shouhu.errors import InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

#: The files SQLite keeps beside a database, by suffix: rollback journal, WAL and its index.
COMPANIONS = ("-journal", "-wal", "-shm")


def parse(url: str) -> URL:
    """The parsed URL, or :class:`InvalidInput` naming it (exit 2)."""
    from sqlalchemy.engine import make_url

    if not url.strip():
        raise InvalidInput(_("database URL is empty"), field="db")
    try:
        return make_url(url)
    except Exception as exc:
        raise InvalidInput(
            _("database URL {url!r} is not valid ({exc})").format(url=url[:80], exc=exc), field="db"
        ) from None


def _uri_mode(parsed: URL) -> bool:
    """Whether the driver reads the database as a SQLite ``file:`` URI (``?uri=true``)."""
    value = str(parsed.query.get("uri", "")).lower()
    return value in {"true", "1", "yes", "on"}


def _uri_path(database: str) -> str:
    """The path of a SQLite ``file:`` URI (``file:a.db``, ``file:///x/a.db``), decoded."""
    rest = database.removeprefix("file:").split("?", 1)[0].split("#", 1)[0]
    if rest.startswith("//"):  # file://[authority]/path: the authority is empty or localhost
        rest = "/" + rest[2:].split("/", 1)[1] if "/" in rest[2:] else ""
    return unquote(rest)


def ephemeral(url: str) -> bool:
    """True for a SQLite URL whose database is gone when the last connection closes:
    ``sqlite://``, ``sqlite:///``, ``sqlite:///:memory:``, and with ``uri=true`` a
    ``file::memory:``, ``mode=memory`` or empty-named (temporary) database."""
    parsed = parse(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if database in {"", ":memory:"}:
        return True
    if not _uri_mode(parsed) or not database.startswith("file:"):
        return False
    modes = parsed.query.get("mode", "")
    mode_list = [modes] if isinstance(modes, str) else list(modes)
    if "memory" in mode_list:
        return True
    return _uri_path(database) in {"", ":memory:"}


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, made absolute (not resolved); None for a server or an
    in-memory database."""
    if ephemeral(url):
        return None
    parsed = parse(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if _uri_mode(parsed) and database.startswith("file:"):
        database = _uri_path(database)
    return Path(os.path.abspath(database))


def database_files(url: str) -> list[Path]:
    """A SQLite database's file and its companions (``-journal``, ``-wal``, ``-shm``), which
    exist or not; empty for a server or memory."""
    path = sqlite_file(url)
    if path is None:
        return []
    return [path, *(path.with_name(path.name + suffix) for suffix in COMPANIONS)]


def shown(url: str) -> str:
    """The URL as it may be shown to a person: its password hidden (``***``); the text as
    given when it does not parse (nothing to hide that a parser could find)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
