"""The SQLite store: every data statement on the driver cursor, with SQL and codecs generated
from the table definitions (:mod:`~shouhu.adapters.sqlite_fast`,
:mod:`~shouhu.adapters.sqlcodec`); commits by :func:`~shouhu.adapters.sqlwrite.apply_sqlite`.

Every write is one :class:`~shouhu.adapters.sqlitewriters._SqliteWrite` (``BEGIN IMMEDIATE``
… ``COMMIT``): on a file, on one of the store's own write connections (``_Writers``); in
memory (``sqlite://``), on the pool's connection of the thread, which is the database
(``_PoolWriter``). SQLAlchemy keeps the pool, the PRAGMAs of each connection
(:func:`~shouhu.adapters.sqlbase._sqlite_pragmas`) and the migrations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.pool import QueuePool

from shouhu.adapters.sqlbase import BUSY_TIMEOUT_MS, _create_private, _cursor, _sqlite_pragmas
from shouhu.adapters.sqlcodec import (
    ACCESS,
    CASE,
    DEADLINE,
    EVENT,
    JOURNAL_CODEC,
    NOTICE,
    _dec_dt,
    _enc_dt,
)
from shouhu.adapters.sqlite_fast import IN_CHUNK, SqliteFast
from shouhu.adapters.sqlitewriters import (
    _Group,
    _GroupWrite,
    _PoolWriter,
    _SqliteWrite,
    _Writers,
)
from shouhu.adapters.sqlrows import _DERIVED, _sqlite_cell_codecs, _sqlite_journal_append
from shouhu.adapters.sqlstore import SqlStore
from shouhu.engine import columns
from shouhu.engine.columns import access_body
from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Deadline,
    Event,
    JournalEntry,
    Link,
    Location,
    Notice,
    RegistryEntry,
)
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.views import LINE_COLUMNS, CaseSummary
from shouhu.errors import InvalidInput
from shouhu.i18n import _

_CHUNK = 1000  # rows per fetch of a streamed read
_FIRST_CHUNK = 100  # … and of its first fetch


#: What a case's line in a listing needs (:meth:`SqliteStore.list_summaries`).
_SUMMARY_SELECT = f"SELECT {', '.join(LINE_COLUMNS)} FROM cases"


def _listing(
    select: str,
    type: str | None,
    state: str | None,
    limit: int | None,
    after: str | None,
    overdue: bool,
    township: str | None,
) -> tuple[str, list[Any]]:
    """A listing's SQL and parameters: ``select`` filtered as ``list_cases`` says, in id order."""
    sql, params = _where(
        select,
        [
            ("type = ?", type or None),
            ("state = ?", state or None),
            ("id > ?", after or None),
            ("township = ?", township),
        ],
    )
    if overdue:
        sql += " AND " if params else " WHERE "
        sql += "id IN (SELECT case_id FROM deadlines WHERE status = 'missed' AND met_at IS NULL)"
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, params


def _where(sql: str, clauses: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """``sql`` with the clauses whose value is given (not None), ANDed, and their values."""
    given = [(clause, value) for clause, value in clauses if value is not None]
    if given:
        sql += " WHERE " + " AND ".join(clause for clause, _ in given)
    return sql, [value for _, value in given]


class SqliteStore(SqlStore):
    """The :class:`~shouhu.engine.ports.Store` on a SQLite file (WAL, ``synchronous=FULL``)
    or in memory."""

    fast: SqliteFast
    _group: _Group | None = None

    def _engine_options(self, url: URL, *, make_dirs: bool) -> dict[str, Any]:
        path = url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            _create_private(Path(path), make_dirs=make_dirs)
        return {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}

    def _opened(self) -> None:
        _sqlite_pragmas(self.engine)
        self.fast = SqliteFast()
        pool = self.engine.pool
        self._writer: _Writers | _PoolWriter = _PoolWriter(self.engine)  # memory: the pool's
        if isinstance(pool, QueuePool):  # a file: one database whichever connection
            self._writers = self._writer = _Writers(self.engine, pool.size())

    # -- reads -------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A driver cursor of a pooled connection, outside any transaction (autocommit)."""
        with self._errors(), self.engine.connect() as conn:
            yield _cursor(conn)

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """The rows of a query, fetched in chunks (memory stays flat); the first chunk is
        small, since a page — the worklist's soonest deadlines — often stops within it."""
        with self._read() as cur:
            cur.execute(sql, params)
            per = _FIRST_CHUNK
            while batch := cur.fetchmany(per):
                yield from batch
                per = _CHUNK

    def load(self, case_id: str) -> CaseRecord | None:
        with self._read() as cur:
            return self.fast.load_record(cur, case_id)

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        with self._read() as cur:
            return self.fast.load_records(cur, case_ids)

    def events(self, case_id: str) -> list[Event]:
        sql = f"{EVENT.select} WHERE case_id = ? ORDER BY seq"
        with self._read() as cur:
            return [EVENT.of(row) for row in cur.execute(sql, (case_id,)).fetchall()]

    def list_cases(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[CaseRecord]:
        sql, params = _listing(CASE.select, type, state, limit, after, overdue, township)
        for row in self._stream(sql, params):
            yield CASE.decoded(row)

    def list_summaries(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[tuple[CaseSummary, Location]]:
        """:meth:`list_cases`' cases as their lines (:class:`~shouhu.engine.ports.ListsSummaries`):
        nine columns read, one time parsed, a row at a time."""
        sql, params = _listing(_SUMMARY_SELECT, type, state, limit, after, overdue, township)
        for row in self._stream(sql, params):
            yield CaseSummary.from_row(row, _dec_dt(row[7]))  # type: ignore[arg-type]

    def count_cases(self) -> list[tuple[str, str, str | None, str, str, int]]:
        sql = (
            "SELECT type, state, county, township, village, COUNT(*) FROM cases "
            "GROUP BY type, state, county, township, village"
        )
        with self._read() as cur:
            return [tuple(r) for r in cur.execute(sql).fetchall()]

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[Deadline]:
        sql, params = _where(
            DEADLINE.select,
            [
                ("case_id = ?", case_id),
                ("status = ?", status),
                ("due_at <= ?", _enc_dt(due_before)),
                ("kind = ?", kind),
            ],
        )
        for row in self._stream(sql + " ORDER BY due_at, id", params):
            yield DEADLINE.of(row)

    def next_due(self) -> datetime | None:
        sql = "SELECT due_at FROM deadlines WHERE status = 'pending' ORDER BY due_at LIMIT 1"
        with self._read() as cur:
            row = cur.execute(sql).fetchone()
        return None if row is None else _dec_dt(row[0])

    def all_events(self) -> Iterator[Event]:
        for row in self._stream(self.fast.all_events_sql, ()):
            yield EVENT.of(row)

    def audit_links(self) -> Iterator[Link]:
        """Every event as ``verify`` reads it (:class:`~shouhu.engine.ports.AuditReads`)."""
        with self._read() as cur:
            yield from self.fast.links(cur)

    def audit_heads(self) -> Iterator[CaseHead]:
        """Every case row's head and projection, in id order."""
        with self._read() as cur:
            yield from self.fast.heads(cur)

    def notices(self, *, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        sql, params = _where(NOTICE.select, [("status = ?", status), ("case_id = ?", case_id)])
        with self._read() as cur:
            return [NOTICE.of(row) for row in cur.execute(sql + " ORDER BY id", params)]

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._read() as cur:
            for start in range(0, len(ids), IN_CHUNK):
                chunk = list(ids[start : start + IN_CHUNK])
                sql = (
                    "SELECT external_id, case_id FROM intake WHERE source = ? "
                    f"AND external_id IN ({', '.join('?' * len(chunk))})"
                )
                out.update((ext, cid) for ext, cid in cur.execute(sql, [source, *chunk]))
        return out

    def heads(self, at: datetime | None = None) -> Iterator[tuple[str, int, str]]:
        last, params = _where(
            "SELECT case_id, max(seq) AS seq FROM events", [("recorded_at <= ?", _enc_dt(at))]
        )
        sql = (
            f"SELECT events.case_id, events.seq, events.hash FROM events JOIN ({last} "
            "GROUP BY case_id) AS last ON events.case_id = last.case_id AND events.seq = last.seq "
            "ORDER BY events.case_id"
        )
        yield from self._stream(sql, params)

    def accesses(self, case_id: str | None = None) -> list[Access]:
        sql, params = _where(ACCESS.select, [("case_id = ?", case_id)])
        with self._read() as cur:
            return [ACCESS.of(row) for row in cur.execute(sql + " ORDER BY id", params)]

    def registry_entries(self, after: int = 0) -> list[RegistryEntry]:
        """As :meth:`SqlStore.registry_entries`, on the driver cursor."""
        with self._read() as cur:
            return self.fast.registry(cur, after)

    # -- the journal and the derived tables, for verify ---------------------------------------

    def journal(self) -> Iterator[JournalEntry]:
        for row in self._stream(f"{JOURNAL_CODEC.select} ORDER BY seq", ()):
            yield JOURNAL_CODEC.of(row)

    def journal_head(self, at: datetime | None = None) -> tuple[int, str] | None:
        sql, params = _where("SELECT seq, hash FROM journal", [("recorded_at <= ?", _enc_dt(at))])
        with self._read() as cur:
            row = cur.execute(sql + " ORDER BY seq DESC LIMIT 1", params).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def stored_cells(self, table: str, *, case_id: str | None = None) -> Iterator[tuple[Any, ...]]:
        """The stored text as it is, no datetimes made (instants as the hash's UTC text)."""
        t = _DERIVED[table]
        names = columns.DERIVED_TABLES[table]
        key = "id" if table == "cases" else "case_id"
        order = ["id"] if "case_id" not in t.c or table == "access_log" else ["case_id"]
        if table not in ("cases", "access_log"):
            order.append("id")
        sql, params = _where(f"SELECT {', '.join(names)} FROM {table}", [(f"{key} = ?", case_id)])
        sql += " ORDER BY " + ", ".join(order)
        convert = [(i, f) for i, f in enumerate(_sqlite_cell_codecs(t, names)) if f is not None]
        for raw in self._stream(sql, params):
            row = list(raw)
            for i, f in convert:
                v = row[i]
                if v is not None:
                    row[i] = f(v)
            yield tuple(row)

    # -- writes ------------------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Transaction]:
        """One write transaction: load, then append; commits when the block ends (with group
        commit, :meth:`group_commit`, once the batch it joined has committed)."""
        return self._tx()

    def _tx(self) -> _GroupWrite | _SqliteWrite:
        return _SqliteWrite(self, self._writer) if self._group is None else _GroupWrite(self._group)

    def group_commit(self, most: int = 64) -> None:
        """From now on, gather concurrent write transactions into one SQLite transaction and
        one fsync (at most ``most`` a batch): for an embedder whose threads share this store
        (:class:`~shouhu.adapters.sqlitewriters._Group` says how a refusal stays its own)."""
        if not isinstance(self._writer, _Writers):
            raise InvalidInput(
                _("group commit needs a SQLite file: a database in memory is one per thread"),
                field="group_commit",
            )
        if self._group is None:
            self._group = _Group(self, self._writer, most)

    def commit_many(self, commits: Sequence[Commit]) -> None:
        if not commits:
            return
        with self._tx() as tx:
            tx.append_many(commits)

    def record_access(self, access: Access) -> None:
        with self._tx() as tx:
            tx.cur.execute(ACCESS.insert, ACCESS.row(access))
            _sqlite_journal_append(tx.cur, "access", access.case_id, access_body(access), access.at)

    def close(self) -> None:
        self._writer.close()
        super().close()
