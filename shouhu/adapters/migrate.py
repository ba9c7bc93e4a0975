"""Schema migrations: bring any shouhu database to the head revision (Alembic, in process).

The revisions live in ``shouhu/migrations`` (shipped with the package). Every store open calls
:func:`ensure`: one ``SELECT`` of ``alembic_version``, and Alembic is imported only when the
database is not at :data:`HEAD`. Then, in one transaction on the store's own engine (on SQLite
``BEGIN IMMEDIATE``, so two processes opening a new file do not race; on PostgreSQL under an
advisory lock):

* an empty database gets every revision from the first;
* a database at an older revision gets the revisions after it;
* a database with shouhu's tables but no ``alembic_version`` (made by ``create_all`` before
  there were migrations) is stamped at the revision its tables match, then upgraded.

No process is spawned; :func:`upgrade`, :func:`current` and :func:`head` are the API
(``shouhu db upgrade`` and ``shouhu db current`` use them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from shouhu.errors import InvalidInput, StoreUnavailable
from shouhu.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest revision; a test checks it against the scripts (``head()``). Kept here so that
#: opening a store compares one string instead of importing Alembic.
HEAD = "0009_report_tables"

#: Where the revisions are: ``shouhu/migrations`` (``env.py``, ``versions/``).
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

#: Serialises upgrades on PostgreSQL (``pg_advisory_xact_lock``): "shouhu" in ASCII.
_PG_LOCK = 0x73686F756875

#: What each revision adds, as tables and columns an unversioned database can be checked for.
#: Frozen: only databases made before there were migrations lack ``alembic_version``. One that
#: has a revision's tables only in part (the build just before migrations had ``access_log``
#: and ``outbox`` but no ``intake``) is stamped at the last revision it has whole: the revisions
#: after it create only what is missing.
_UNVERSIONED = (
    ("0001_cases_events", ("cases", "events"), ()),
    ("0002_deadlines", ("deadlines",), (("events", "effects"),)),
    ("0003_audit_outbox", ("access_log", "outbox", "intake"), ()),
)
_SHOUHU_TABLES = frozenset(t for _, tables, _ in _UNVERSIONED for t in tables)

#: Alembic's ``op`` and ``context`` are process-wide proxies: one upgrade at a time per process
#: (taken before the database's lock, always).
_ALEMBIC = threading.Lock()


class Upgrade(NamedTuple):
    """What an upgrade did: ``before`` (None: no version recorded), ``after``, and for a
    database made before migrations, the revision it was ``stamped`` at."""

    database: str
    before: str | None
    after: str
    stamped: str | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "from": self.before,
            "stamped": self.stamped,
            "to": self.after,
            "changed": self.changed,
        }


class Status(NamedTuple):
    """Where a database is: its ``revision`` (None: none recorded) against ``head``; an
    unversioned database with shouhu's tables ``matches`` the revision they amount to."""

    database: str
    revision: str | None
    head: str
    matches: str | None = None

    @property
    def at_head(self) -> bool:
        return self.revision == self.head

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "revision": self.revision,
            "head": self.head,
            "at_head": self.at_head,
            "unversioned_matches": self.matches,
        }


# -- the store's open path -------------------------------------------------------------------


def ensure(engine: Engine) -> Upgrade | None:
    """Upgrade the database to :data:`HEAD` unless it is there; None when it already was.

    The check is one ``SELECT`` on a pooled connection; Alembic is imported only to upgrade.
    """
    if _recorded(engine) == HEAD:
        return None
    return upgrade(engine)


def is_empty(engine: Engine) -> bool:
    """True when the database holds nothing of shouhu's: no recorded revision and none of its
    tables (a read refuses such a database on a server rather than create the schema)."""
    if _recorded(engine) is not None:
        return False
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    return not tables & _SHOUHU_TABLES


def _recorded(engine: Engine) -> str | None:
    """The revision in ``alembic_version``, or None (no such table, or no row)."""
    try:
        with engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except (OperationalError, ProgrammingError):
        return None
    return None if value is None else str(value)


# -- the API ---------------------------------------------------------------------------------


def config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic :class:`~alembic.config.Config` for shouhu's revisions (no ini file).

    With ``connection``, the revisions run on it (``env.py`` takes it from
    ``config.attributes["connection"]``); with ``url``, Alembic's commands open a store there.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision, as the scripts say."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(config()).get_current_head()
    if found is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return found


def upgrade(target: Engine | Connection | str, *, make_dirs: bool = False) -> Upgrade:
    """Bring the database at ``target`` (an engine, a connection or a URL) to :data:`HEAD`.

    All in one transaction on that engine: it commits whole or not at all. Safe to repeat.
    ``make_dirs``: with a SQLite URL, create the file's directory if missing.
    """
    with _ALEMBIC:
        if isinstance(target, Connection):
            if target.in_transaction():
                return _upgrade(target)
            with target.begin():
                return _upgrade(target)
        with (
            _engine(target, make_dirs=make_dirs, must_exist=False) as engine,
            engine.connect() as conn,
        ):
            conn.execution_options(shouhu_write=True)  # a store's engine: BEGIN IMMEDIATE
            with conn.begin():
                return _upgrade(conn)


def current(target: Engine | Connection | str) -> str | None:
    """The database's revision, or None (empty, or made before migrations: see :func:`status`)."""
    return status(target).revision


def status(target: Engine | Connection | str) -> Status:
    """Where the database is against :data:`HEAD`; reads only. A SQLite file must exist."""
    if isinstance(target, Connection):
        return _status(target)
    with _engine(target, must_exist=True) as engine, engine.connect() as conn:
        return _status(conn)


def detect(conn: Connection) -> str | None:
    """The revision an unversioned database's tables match (None: it has none of them)."""
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if not tables & _SHOUHU_TABLES:
        return None
    matched: str | None = None
    for revision, needs, columns in _UNVERSIONED:
        if not set(needs) <= tables:
            break
        if any(c not in {col["name"] for col in inspector.get_columns(t)} for t, c in columns):
            break
        matched = revision
    if matched is None:
        found = ", ".join(sorted(tables & _SHOUHU_TABLES))
        where = _shown(conn.engine.url)
        raise StoreUnavailable(
            _(
                "database {where} has tables named like shouhu's ({found}) but not the schema "
                "of any shouhu version; it was not changed"
            ).format(where=where, found=found)
        )
    return matched


# -- internals -------------------------------------------------------------------------------


def _upgrade(conn: Connection) -> Upgrade:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.util import CommandError

    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    before = MigrationContext.configure(conn).get_current_revision()
    cfg = config(conn)
    stamped = None
    if before is None:
        stamped = detect(conn)
        if stamped is not None:
            command.stamp(cfg, stamped)
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:
        if before is not None and "Can't locate revision" in str(exc):
            raise StoreUnavailable(
                _(
                    "database {shown} is at schema revision {before!r}, which this version of "
                    "shouhu does not know (its newest is {head}): was it upgraded by a newer "
                    "shouhu?"
                ).format(shown=_shown(conn.engine.url), before=before, head=HEAD)
            ) from None
        raise
    if stamped is not None and conn.dialect.name == "sqlite":
        from shouhu.adapters.tables import SQLITE_APPEND_ONLY

        for ddl in SQLITE_APPEND_ONLY:  # made by the old create_schema too; make sure
            conn.exec_driver_sql(ddl)
    after = MigrationContext.configure(conn).get_current_revision() or HEAD
    if after != before:
        from shouhu.engine.logs import get_logger

        get_logger("shouhu.migrate").info(
            "schema_upgraded", before=before, stamped=stamped, after=after
        )
    return Upgrade(_shown(conn.engine.url), before, after, stamped)


def _status(conn: Connection) -> Status:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    matches = detect(conn) if revision is None else None
    return Status(_shown(conn.engine.url), revision, HEAD, matches)


@contextmanager
def _engine(target: Engine | str, *, make_dirs: bool = False, must_exist: bool) -> Iterator[Engine]:
    """The engine to use: ``target`` itself, or a store's on that URL (closed after)."""
    if isinstance(target, Engine):
        yield target
        return
    from shouhu.adapters.sqlstore import SqlStore

    if must_exist:
        _check_exists(target)
    store = SqlStore(target, create=False, make_dirs=make_dirs)
    try:
        with store._errors():
            yield store.engine
    finally:
        store.close()


def _check_exists(url: str) -> None:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InvalidInput(
            _("database URL {url!r} is not valid ({exc})").format(url=url[:80], exc=exc), field="db"
        ) from None
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if path.startswith("file:"):
        return
    if not Path(path).exists():
        raise StoreUnavailable(
            _(
                "no database at {absolute}: the file does not exist (`shouhu db upgrade` "
                "creates it)"
            ).format(absolute=Path(path).absolute())
        )


def _shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)
