"""The SQL store: SQLite (WAL, ``synchronous=FULL``) embedded, PostgreSQL at scale.

Each :class:`~shouhu.engine.ports.Commit` is one transaction: insert the events, insert or
update the case row *where its version is still the one the engine read*. A lost race writes
nothing and raises :class:`~shouhu.errors.Conflict`. A new SQLite file is created readable by
its owner only (0600): it holds children's names.

``SqlStore(url)`` is the public constructor: it makes the store of the URL's dialect, one
writer each. :class:`~shouhu.adapters.sqlitestore.SqliteStore` runs every data statement on
the SQLite driver cursor (SQL generated from the table definitions);
:class:`~shouhu.adapters.pgstore.PostgresStore` runs SQLAlchemy Core statements. This class
holds what they share: the URL, the engine, the schema and the error mapping. Both read and
write rows with the one codec per table of :mod:`~shouhu.adapters.sqlcodec`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from shouhu.adapters.sqlbase import BUSY_TIMEOUT_MS, _DbErrors
from shouhu.adapters.sqlcodec import dumps
from shouhu.engine.ports import Commit
from shouhu.errors import Conflict, InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.adapters.sqlite_fast import SqliteFast
    from shouhu.adapters.sqlitewriters import _Writers
    from shouhu.engine.compliance import ReportWindow, Tally
    from shouhu.engine.model import (
        Access,
        CaseHead,
        CaseRecord,
        Deadline,
        Event,
        JournalEntry,
        Link,
        Notice,
        RegistryEntry,
    )
    from shouhu.engine.ports import Transaction

__all__ = ["BUSY_TIMEOUT_MS", "SqlStore"]


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception as exc:
        raise InvalidInput(
            _("database URL {url!r} is not valid ({exc})").format(url=url[:80], exc=exc), field="db"
        ) from None


class SqlStore:
    """A :class:`~shouhu.engine.ports.Store` on any SQLAlchemy URL: ``SqlStore(url)`` is a
    :class:`~shouhu.adapters.sqlitestore.SqliteStore` for a ``sqlite`` URL (a file, or memory),
    a :class:`~shouhu.adapters.pgstore.PostgresStore` for any other."""

    #: SQLite only: the prepared SQL of the driver cursor, and a file's write connections.
    fast: SqliteFast | None = None
    _writers: _Writers | None = None

    def __new__(cls, url: str, **options: Any) -> SqlStore:
        if cls is SqlStore:
            if _parse(url).get_backend_name() == "sqlite":
                from shouhu.adapters.sqlitestore import SqliteStore

                cls = SqliteStore
            else:
                from shouhu.adapters.pgstore import PostgresStore

                cls = PostgresStore
        return object.__new__(cls)

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        make_dirs: bool = False,
        echo: bool = False,
        connections: int | None = None,
    ) -> None:
        parsed = _parse(url)
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "json_serializer": dumps}
        if connections is not None:  # the pool kept open (SQLAlchemy's default: 5)
            kwargs["pool_size"] = connections
        kwargs.update(self._engine_options(parsed, make_dirs=make_dirs))
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except Exception as exc:
            shown = parsed.render_as_string(hide_password=True)
            raise InvalidInput(
                _("database URL {shown!r} cannot be used: {exc}").format(shown=shown, exc=exc),
                field="db",
            ) from None
        self._opened()
        if create:
            self.create_schema()

    def _engine_options(self, url: URL, *, make_dirs: bool) -> dict[str, Any]:
        """The dialect's arguments to ``create_engine`` (and what must exist before it)."""
        return {}

    def _opened(self) -> None:
        """The dialect's set-up of the new engine, before the schema is brought up."""

    # -- schema ------------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (a new file gets it on first use).

        At the head already: one ``SELECT`` of ``alembic_version``. Otherwise Alembic runs the
        missing revisions in one transaction; a database made by ``create_all`` before there
        were migrations is stamped at the revision its tables match first
        (:mod:`shouhu.adapters.migrate`).
        """
        from shouhu.adapters.migrate import ensure

        with self._errors():
            ensure(self.engine)

    def commit(self, commit: Commit) -> None:
        self.commit_many([commit])

    def compliance_tally(self, window: ReportWindow) -> Tally:
        """The auditor's report counted in SQL (:class:`~shouhu.engine.compliance.
        TalliesCompliance`; :mod:`shouhu.adapters.sqlreport`)."""
        from shouhu.adapters.sqlreport import tally

        with self._errors(), self.engine.connect() as conn:
            if conn.dialect.name != "sqlite":  # every query on one snapshot, as SQLite's BEGIN
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                # room to count the groups in a hash table (a few, though the planner guesses
                # one a row): without it PostgreSQL sorts every deadline row on disk first
                conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            return tally(conn, window)

    def close(self) -> None:
        self.engine.dispose()

    def group_commit(self, most: int = 64) -> None:
        """Gather concurrent write transactions into one (SQLite's store does; a server
        commits concurrent transactions side by side and gathers their log flushes itself)."""
        raise InvalidInput(
            _(
                "group commit is for a SQLite file; {dialect} commits concurrent writes itself"
            ).format(dialect=self.dialect),
            field="group_commit",
        )

    def _errors(self) -> _DbErrors:
        return _DbErrors(self)

    # -- the operator registry and the transparency log's leaves (issue 15) -------------------

    def registry_entries(self, after: int = 0) -> list[RegistryEntry]:
        """The registry's entries after ``seq`` ``after``, in order."""
        from shouhu.adapters.sqlrows import registry_rows

        with self._errors(), self.engine.connect() as conn:
            try:
                return registry_rows(conn, after)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
                if "operator_log" not in str(exc):
                    raise
                # a store opened without migrating (create=False) on a schema from before
                # operators existed: it has none
                return []

    def append_registry(self, entry: RegistryEntry) -> None:
        """Append one entry; another writer's entry at the same ``seq`` is a ``Conflict``."""
        from shouhu.adapters.sqlcodec import REGISTRY_CODEC
        from shouhu.adapters.tables import OPERATOR_LOG

        try:
            with self._errors(), self.engine.begin() as conn:
                conn.execute(OPERATOR_LOG.insert(), [REGISTRY_CODEC.values(entry)])
        except sa.exc.IntegrityError:
            raise Conflict(
                _(
                    "the operator registry moved past entry {entry} while this change was made: "
                    "look again and retry"
                ).format(entry=entry.seq - 1),
                case_id="",
                expected=entry.seq - 1,
                actual=None,
            ) from None

    def events_recorded(self) -> int:
        """How many events the log holds (the highest row id: the log only grows)."""
        from shouhu.adapters.tables import EVENTS

        with self._errors(), self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0)

    def tree_leaves(self) -> list[tuple[int, str, int, str]]:
        """The transparency log's leaves in order: ``(index, case_id, seq, leaf)``."""
        return list(self.stream_leaves())

    def stream_leaves(
        self, *, by_event: bool = False, case_id: str | None = None
    ) -> Iterator[tuple[int, str, int, str]]:
        """The leaves streamed (memory stays flat): in index order, or ``by_event`` in
        ``(case_id, seq)`` order as verify reads the events; only one case's with
        ``case_id``."""
        from shouhu.adapters.tables import TLOG

        q = sa.select(TLOG.c.leaf_index, TLOG.c.case_id, TLOG.c.seq, TLOG.c.leaf)
        if case_id is not None:
            q = q.where(TLOG.c.case_id == case_id)
        order = (TLOG.c.case_id, TLOG.c.seq) if by_event else (TLOG.c.leaf_index,)
        with self._errors(), self.engine.connect() as conn:
            rows = conn.execution_options(yield_per=1000).execute(q.order_by(*order))
            for r in rows:
                yield (int(r[0]), str(r[1]), int(r[2]), str(r[3]))

    def unsequenced(self) -> list[Event]:
        """The events not yet in the transparency log, in the order they were stored."""
        from shouhu.adapters.sqlcodec import EVENT
        from shouhu.adapters.tables import EVENTS, TLOG

        missing = ~sa.exists().where(
            sa.and_(TLOG.c.case_id == EVENTS.c.case_id, TLOG.c.seq == EVENTS.c.seq)
        )
        q = sa.select(EVENTS).where(missing).order_by(EVENTS.c.id)
        with self._errors(), self.engine.connect() as conn:
            return [EVENT.record(r) for r in conn.execute(q).mappings()]

    def append_leaves(self, leaves: Sequence[tuple[int, str, int, str]]) -> None:
        """Append leaves ``(index, case_id, seq, leaf)``; a race with another anchor is a
        ``Conflict`` and writes nothing."""
        from shouhu.adapters.tables import TLOG

        rows = [{"leaf_index": i, "case_id": c, "seq": s, "leaf": leaf} for i, c, s, leaf in leaves]
        if not rows:
            return
        try:
            with self._errors(), self.engine.begin() as conn:
                conn.execute(TLOG.insert(), rows)
        except sa.exc.IntegrityError:
            raise Conflict(
                _("another anchor took these events into the tree first: anchor again"),
                case_id="",
                expected=None,
                actual=None,
            ) from None

    if TYPE_CHECKING:  # the Store port, which each dialect's store implements

        def write(self) -> AbstractContextManager[Transaction]: ...
        def commit_many(self, commits: Sequence[Commit]) -> None: ...
        def load(self, case_id: str) -> CaseRecord | None: ...
        def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]: ...
        def events(self, case_id: str) -> list[Event]: ...
        def list_cases(
            self,
            *,
            type: str | None = None,
            state: str | None = None,
            limit: int | None = None,
            after: str | None = None,
            overdue: bool = False,
            township: str | None = None,
        ) -> Iterator[CaseRecord]: ...
        def count_cases(self) -> list[tuple[str, str, str | None, str, str, int]]: ...
        def deadlines(
            self,
            *,
            case_id: str | None = None,
            status: str | None = None,
            due_before: datetime | None = None,
            kind: str | None = None,
        ) -> Iterator[Deadline]: ...
        def next_due(self) -> datetime | None: ...
        def all_events(self) -> Iterator[Event]: ...
        def audit_links(self) -> Iterator[Link]: ...
        def audit_heads(self) -> Iterator[CaseHead]: ...
        def notices(
            self, *, status: str | None = None, case_id: str | None = None
        ) -> list[Notice]: ...
        def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]: ...
        def heads(self, at: datetime | None = None) -> Iterator[tuple[str, int, str]]: ...
        def record_access(self, access: Access) -> None: ...
        def accesses(self, case_id: str | None = None) -> list[Access]: ...
        def journal(self) -> Iterator[JournalEntry]: ...
        def journal_head(self, at: datetime | None = None) -> tuple[int, str] | None: ...
        def stored_cells(
            self, table: str, *, case_id: str | None = None
        ) -> Iterator[tuple[Any, ...]]: ...
