"""What every part of the SQL store shares: the driver cursor of a connection, the mapping of
driver failures to one clear line (:class:`_DbErrors`), the private creation of a SQLite file
and the PRAGMAs of every SQLite connection."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shouhu.errors import StoreUnavailable
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.adapters.sqlstore import SqlStore

BUSY_TIMEOUT_MS = 5000


def _cursor(conn: Connection) -> Any:
    """The DBAPI cursor of the connection's current transaction."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


class _DbErrors:
    """Turns driver failures into :class:`StoreUnavailable` with one clear line."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        if exc is None or isinstance(exc, IntegrityError | sqlite3.IntegrityError):
            return False
        if not isinstance(exc, DBAPIError | sqlite3.Error):
            return False
        detail = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
        where = self.store.url.render_as_string(hide_password=True)
        if isinstance(exc, OperationalError | sqlite3.OperationalError) and "locked" in detail:
            msg = _("database {where} is busy (locked longer than {ms} ms); try again").format(
                where=where, ms=BUSY_TIMEOUT_MS
            )
        elif "readonly" in detail or "read-only" in detail:
            msg = _("database {where} is read-only: {detail}").format(where=where, detail=detail)
        elif "disk" in detail and "full" in detail:
            msg = _("database {where}: the disk is full; nothing was written").format(where=where)
        elif detail == "disk I/O error":  # SQLite: a write or a file's growth failed (ENOSPC, EIO)
            code = getattr(getattr(exc, "orig", exc), "sqlite_errorname", None) or "SQLITE_IOERR"
            msg = _(
                "database {where} cannot be used: disk I/O error ({code}): the disk may be "
                "full, out of quota or failing; nothing was written"
            ).format(where=where, code=code)
        else:
            msg = _("database {where} cannot be used: {detail}").format(where=where, detail=detail)
        raise StoreUnavailable(msg) from None


def _create_private(path: Path, *, make_dirs: bool) -> None:
    """Create an empty database file readable by its owner only, if it does not exist."""
    try:
        if make_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise StoreUnavailable(
                _("cannot create database file {path!r}: no such directory").format(path=str(path))
            )
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreUnavailable(
            _("cannot create database file {path!r}: {strerror}").format(
                path=str(path), strerror=exc.strerror
            )
        ) from None
    os.close(fd)


def _sqlite_pragmas(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("shouhu_write")
        # Straight to the driver: this runs once per transaction, on the hot path.
        _cursor(conn).execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
