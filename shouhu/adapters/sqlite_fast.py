"""The SQLite hot path: the three statements of a transition on the DBAPI connection.

SQLAlchemy Core costs about 130 µs per statement in Python (execution context, parameter
processing, result set-up) against about 10 µs for SQLite itself; a transition runs three
(load, update, insert) plus the commit's fsync. Inside the same SQLAlchemy-managed
transaction, this module runs them on the driver's cursor with SQL generated from the table
definitions and one codec per column, writing exactly what SQLAlchemy would write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from shouhu.adapters.tables import CASES, DEADLINES, EVENTS, OUTBOX, UTCDateTime
from shouhu.engine.model import (
    CaseHead,
    CaseRecord,
    Child,
    Deadline,
    Event,
    Link,
    Location,
    Reporter,
)

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


_JSON = json.JSONEncoder(ensure_ascii=False)  # built once: json.dumps builds one per call


def dumps(value: Any) -> str:
    """JSON as stored: UTF-8 text with non-ASCII kept readable for DBAs."""
    return _JSON.encode(value)


# The same few instants recur in every row of a batch (reported = last occurred = the event's
# occurred_at = the deadline's start; created = updated = recorded): format each once.
_DT_TEXT: dict[datetime, str] = {}


def _enc_dt(v: datetime | None) -> str | None:
    if v is None:
        return None
    text = _DT_TEXT.get(v)  # equal instants in any zone hash alike and share one UTC text
    if text is None:
        if len(_DT_TEXT) >= 4096:
            _DT_TEXT.clear()
        u = v if v.tzinfo is UTC else v.astimezone(UTC)
        text = _DT_TEXT[v] = u.isoformat(" ", "microseconds")[:26]  # naive UTC, as SQLAlchemy
    return text


def _dec_dt(v: str | None) -> datetime | None:
    """The aware UTC instant of a stored text: ``datetime.fromisoformat(v).replace(tzinfo=UTC)``
    (any stored offset is taken to be UTC). A text as stored, ``YYYY-MM-DD HH:MM:SS.ffffff``
    in UTC, is parsed with ``+00:00`` after it: the parser itself attaches ``UTC``, in a fifth
    of the time ``replace`` takes (the six digits end the fraction either way). Any other
    text, or one of that length with an offset already (that parse fails), takes the long
    way, with its own result or error."""
    if v is None:
        return None
    if type(v) is str and len(v) == 26 and v[19] == ".":
        try:
            return datetime.fromisoformat(v + "+00:00")
        except ValueError:
            pass
    return datetime.fromisoformat(v).replace(tzinfo=UTC)


def _dec_dt_text(v: str) -> str:
    """``utc_iso(_dec_dt(v))``, the instant's text as the hash has it, without making an aware
    datetime only to format it again (the stored text is naive UTC). Text as written
    (``YYYY-MM-DD HH:MM:SS.ffffff``) is rearranged as it is; any other spelling is parsed."""
    if type(v) is str and len(v) == 26 and v[10] == " " and v[19] == ".":
        # Rearranged, not parsed: a cell edited to something that is no instant makes a text
        # no event was hashed with (BROKEN), or that differs from the derived one (DERIVED).
        return f"{v[:10]}T{v[11:]}Z"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is not None:  # _dec_dt takes any stored offset to be UTC: so do we
        dt = dt.replace(tzinfo=None)
    return dt.isoformat("T", "microseconds") + "Z"


def _dec_object(v: str | None) -> dict[str, Any]:
    """``dict(_dec_json(v) or {})``: a JSON object column (``data``, ``effects``, ``facts``)."""
    if v == "{}":  # most events' effects, many events' data
        return {}
    value: Any = None
    end = -1
    if type(v) is str:
        try:
            value, end = _SCAN(v, 0)
        except StopIteration:  # white space first, or not JSON: json.loads says which
            end = -1
    if end != len(v or ""):  # anything after the value (or none read): as json.loads does
        value = _dec_json(v)
    return value if type(value) is dict else dict(value or {})


# The C scanner ``json.loads`` runs after its checks: a text that is one JSON value from its
# first character to its last (what ``dumps`` writes) gives the same value without them.
_DECODER = json.decoder.JSONDecoder()  # its scan_once is set in __init__, unknown to typeshed
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


# Records straight from the row tuples, in table column order (checked in SqliteFast.__init__):
# a transition reads its case row and deadline rows, where a dict per row and a codec call per
# column cost more than SQLite's own work. Each is what the store's ``_record`` / ``_deadline``
# make of the row decoded column by column (``_Table.decode``), as the tests hold them to.


def record_of(row: Sequence[Any]) -> CaseRecord:
    """The :class:`CaseRecord` of a ``cases`` row (columns in :data:`CASE_COLUMNS` order)."""
    (
        id_, type_, workflow_version, state, version, head_hash, outcome, child_name,
        child_birthdate, child_id_number, left_behind, age_at_discovery, village, township,
        county, reporter_kind, reporter_name, reporter_mandatory, discovered_at, reported_at,
        last_occurred_at, created_at, updated_at, closed_at, late, report_delay_seconds, facts,
    ) = row  # fmt: skip
    return CaseRecord(
        id=id_,
        type=type_,
        workflow_version=workflow_version,
        state=state,
        version=version,
        head_hash=head_hash,
        child=Child(
            child_name,
            _dec_date(child_birthdate),  # type: ignore[arg-type]  # NOT NULL, as _record reads it
            child_id_number,
            bool(left_behind),
            age_at_discovery,
        ),
        location=Location(village, township, county),
        reporter=Reporter(reporter_kind, reporter_name, bool(reporter_mandatory)),
        discovered_at=_dec_dt(discovered_at),  # type: ignore[arg-type]
        reported_at=_dec_dt(reported_at),  # type: ignore[arg-type]
        last_occurred_at=_dec_dt(last_occurred_at),  # type: ignore[arg-type]
        created_at=_dec_dt(created_at),  # type: ignore[arg-type]
        updated_at=_dec_dt(updated_at),  # type: ignore[arg-type]
        closed_at=_dec_dt(closed_at),
        late=bool(late),
        report_delay_seconds=report_delay_seconds,
        facts=_dec_object(facts),
        outcome=outcome,
    )


def deadline_of(row: Sequence[Any]) -> Deadline:
    """The :class:`Deadline` of a ``deadlines`` row (``id``, then :data:`DEADLINE_COLUMNS`)."""
    (
        id_, case_id, kind, status, due_at, started_at, started_seq, policy_version, closed_at,
        closed_seq, met_at,
    ) = row  # fmt: skip
    return Deadline(
        id=id_,
        case_id=case_id,
        kind=kind,
        status=status,
        due_at=_dec_dt(due_at),  # type: ignore[arg-type]  # NOT NULL, as _deadline reads it
        started_at=_dec_dt(started_at),  # type: ignore[arg-type]
        started_seq=started_seq,
        policy_version=policy_version,
        closed_at=_dec_dt(closed_at),
        closed_seq=closed_seq,
        met_at=_dec_dt(met_at),
    )


# What ``verify`` reads: the events' columns in Link order, the case rows' in CaseHead order.
LINK_COLUMNS = (
    "case_id", "seq", "workflow", "workflow_version", "policy_version", "trigger", "from_state",
    "to_state", "actor", "role", "occurred_at", "recorded_at", "data", "effects", "prev_hash",
    "hash",
)  # fmt: skip
HEAD_COLUMNS = ("id", "version", "head_hash", "state", "outcome", "facts")
AUDIT_CHUNK = 5000  # rows per fetch while verifying a whole database


def _enc_date(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def _dec_date(v: str | None) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _enc_json(v: Any) -> str:
    return dumps(v)


def _dec_json(v: str | None) -> Any:
    return None if v is None else json.loads(v)


def _enc_bool(v: bool | None) -> int | None:
    return None if v is None else int(v)


def _dec_bool(v: int | None) -> bool | None:
    return None if v is None else bool(v)


def _same(v: Any) -> Any:
    return v


# Rows straight from the records, in table column order (checked in SqliteFast.__init__): the
# batched report path writes thousands of rows per call, where a dict per row and a codec call
# per column cost more than SQLite's own work.

CASE_COLUMNS = (
    "id", "type", "workflow_version", "state", "version", "head_hash", "outcome", "child_name",
    "child_birthdate", "child_id_number", "left_behind", "age_at_discovery", "village",
    "township", "county", "reporter_kind", "reporter_name", "reporter_mandatory",
    "discovered_at", "reported_at", "last_occurred_at", "created_at", "updated_at", "closed_at",
    "late", "report_delay_seconds", "facts",
)  # fmt: skip
EVENT_COLUMNS = (
    "case_id", "seq", "workflow", "workflow_version", "policy_version", "trigger", "from_state",
    "to_state", "actor", "role", "occurred_at", "recorded_at", "data", "effects", "prev_hash",
    "hash",
)  # fmt: skip
DEADLINE_COLUMNS = (
    "case_id", "kind", "status", "due_at", "started_at", "started_seq", "policy_version",
    "closed_at", "closed_seq", "met_at",
)  # fmt: skip


def case_row(r: CaseRecord) -> tuple[Any, ...]:
    """The ``cases`` row of a record, encoded as SQLAlchemy would write it."""
    c, loc, rep = r.child, r.location, r.reporter
    return (
        r.id, r.type, r.workflow_version, r.state, r.version, r.head_hash, r.outcome, c.name,
        c.birthdate.isoformat(), c.id_number, int(c.left_behind), c.age_at_discovery,
        loc.village, loc.township, loc.county, rep.kind, rep.name, int(rep.mandatory),
        _enc_dt(r.discovered_at), _enc_dt(r.reported_at), _enc_dt(r.last_occurred_at),
        _enc_dt(r.created_at), _enc_dt(r.updated_at), _enc_dt(r.closed_at), int(r.late),
        r.report_delay_seconds, dumps(r.facts) if r.facts else "{}",
    )  # fmt: skip


def event_row(e: Event) -> tuple[Any, ...]:
    """The ``events`` row of an event (without the surrogate ``id``)."""
    return (
        e.case_id, e.seq, e.workflow, e.workflow_version, e.policy_version, e.trigger,
        e.from_state, e.to_state, e.actor, e.role, _enc_dt(e.occurred_at),
        _enc_dt(e.recorded_at),
        dumps(e.data) if e.data_json is None else e.data_json,
        dumps(e.effects) if e.effects_json is None else e.effects_json,
        e.prev_hash, e.hash,
    )  # fmt: skip


def deadline_row(d: Deadline) -> tuple[Any, ...]:
    """The ``deadlines`` row of a new deadline (without the surrogate ``id``)."""
    return (
        d.case_id, d.kind, d.status, _enc_dt(d.due_at), _enc_dt(d.started_at), d.started_seq,
        d.policy_version, _enc_dt(d.closed_at), d.closed_seq, _enc_dt(d.met_at),
    )  # fmt: skip


def _codec(column: sa.Column[Any]) -> tuple[Encoder, Decoder]:
    t = column.type
    if isinstance(t, UTCDateTime):
        return _enc_dt, _dec_dt
    if isinstance(t, sa.JSON):
        return _enc_json, _dec_json
    if isinstance(t, sa.Boolean):
        return _enc_bool, _dec_bool
    if isinstance(t, sa.Date):
        return _enc_date, _dec_date
    return _same, _same


class _Table:
    def __init__(self, table: sa.Table, *, skip: Iterable[str] = ()) -> None:
        skipped = set(skip)
        self.columns = [c for c in table.columns if c.name not in skipped]
        self.names = [c.name for c in self.columns]
        codecs = [_codec(c) for c in self.columns]
        self.enc = [e for e, _ in codecs]
        self.dec = [d for _, d in codecs]
        self.select = f"SELECT {', '.join(self.names)} FROM {table.name}"
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(self.names)}) "
            f"VALUES ({', '.join('?' for _ in self.names)})"
        )

    def encode(self, values: Mapping[str, Any], names: Sequence[str] | None = None) -> list[Any]:
        if names is None:
            return [e(values[n]) for e, n in zip(self.enc, self.names, strict=True)]
        index = {n: e for e, n in zip(self.enc, self.names, strict=True)}
        return [index[n](values[n]) for n in names]

    def decode(self, row: Sequence[Any]) -> dict[str, Any]:
        return {n: d(v) for n, d, v in zip(self.names, self.dec, row, strict=True)}


class SqliteFast:
    """Prepared SQL and codecs for the cases and events tables."""

    def __init__(self) -> None:
        self.cases = _Table(CASES)
        self.events = _Table(EVENTS, skip={"id"})
        self.deadlines_all = _Table(DEADLINES)
        self.deadlines = _Table(DEADLINES, skip={"id"})
        for table, order in (
            (self.cases, CASE_COLUMNS),
            (self.events, EVENT_COLUMNS),
            (self.deadlines, DEADLINE_COLUMNS),
            (self.deadlines_all, ("id", *DEADLINE_COLUMNS)),  # what deadline_of reads
        ):
            if tuple(table.names) != order:  # a schema change must update the row builders
                raise RuntimeError(f"sqlite_fast: column order of {table.select!r} changed")
        self.deadline_update_names = [n for n in self.deadlines.names if n != "case_id"]
        self.deadline_update_sql = (
            f"UPDATE deadlines SET {', '.join(f'{n} = ?' for n in self.deadline_update_names)} "
            "WHERE id = ? AND status = ?"
        )
        self.case_deadlines_sql = f"{self.deadlines_all.select} WHERE case_id = ? ORDER BY id"
        self.due_sql = (
            f"{self.deadlines_all.select} WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?"
        )
        self.load_sql = f"{self.cases.select} WHERE id = ?"
        self.events_all = _Table(EVENTS)
        self.outbox_all = _Table(OUTBOX)
        self.outbox = _Table(OUTBOX, skip={"id"})
        self.notices_due_sql = (
            f"{self.outbox_all.select} WHERE status = 'pending' AND "
            "(next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?"
        )
        self.notice_update_names = [
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "delivered_at",
            "channel",
        ]
        self.notice_update_sql = (
            f"UPDATE outbox SET {', '.join(f'{n} = ?' for n in self.notice_update_names)} "
            "WHERE id = ?"
        )
        self.all_events_sql = f"{self.events_all.select} ORDER BY case_id, seq"
        self.links_sql = f"SELECT {', '.join(LINK_COLUMNS)} FROM events ORDER BY case_id, seq"
        self.heads_sql = f"SELECT {', '.join(HEAD_COLUMNS)} FROM cases ORDER BY id"
        self.update_names = [n for n in self.cases.names if n != "id"]
        self.update_sql = (
            f"UPDATE cases SET {', '.join(f'{n} = ?' for n in self.update_names)} "
            "WHERE id = ? AND version = ?"
        )

    def stream(self, cursor: Any, sql: str, params: Sequence[Any], table: _Table) -> Any:
        """Decoded rows of a query, fetched in chunks (memory stays flat)."""
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(1000)
            if not chunk:
                return
            for row in chunk:
                yield table.decode(row)

    def links(self, cursor: Any) -> Iterator[Link]:
        """Every event as ``verify`` reads it, by case id then ``seq``: the columns in
        :class:`Link` order, the instants straight to their hashed text, JSON decoded."""
        cursor.execute(self.links_sql)
        text, obj = _dec_dt_text, _dec_object
        while True:
            chunk = cursor.fetchmany(AUDIT_CHUNK)
            if not chunk:
                return
            for c, s, w, wv, pv, t, f, to, a, r, o, rec, d, eff, prev, h in chunk:
                yield Link(
                    c, s, w, wv, pv, t, f, to, a, r, text(o), text(rec), obj(d), obj(eff), prev, h
                )

    def heads(self, cursor: Any) -> Iterator[CaseHead]:
        """Every case row's head and projection, in id order."""
        cursor.execute(self.heads_sql)
        while True:
            chunk = cursor.fetchmany(AUDIT_CHUNK)
            if not chunk:
                return
            for case_id, version, head, state, outcome, facts in chunk:
                yield CaseHead(case_id, version, head, state, outcome, _dec_object(facts))

    def version(self, cursor: Any, case_id: str) -> int | None:
        row = cursor.execute("SELECT version FROM cases WHERE id = ?", (case_id,)).fetchone()
        return None if row is None else int(row[0])

    def load(self, cursor: Any, case_id: str) -> dict[str, Any] | None:
        row = cursor.execute(self.load_sql, (case_id,)).fetchone()
        return None if row is None else self.cases.decode(row)

    def load_record(self, cursor: Any, case_id: str) -> CaseRecord | None:
        """``_record(load(...))``, built straight from the row."""
        row = cursor.execute(self.load_sql, (case_id,)).fetchone()
        return None if row is None else record_of(row)

    def insert_cases(self, cursor: Any, records: Iterable[CaseRecord]) -> None:
        cursor.executemany(self.cases.insert, map(case_row, records))

    def update_case(self, cursor: Any, record: CaseRecord, expected: int) -> int:
        row = case_row(record)  # id first: the SET list is the rest, then WHERE id, version
        cursor.execute(self.update_sql, (*row[1:], row[0], expected))
        return int(cursor.rowcount)

    def insert_events(self, cursor: Any, events: Iterable[Event]) -> None:
        cursor.executemany(self.events.insert, map(event_row, events))

    def insert_notices(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.outbox.insert, [self.outbox.encode(r) for r in rows])

    def notices_due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.notices_due_sql, (_enc_dt(now), limit)).fetchall()
        return [self.outbox_all.decode(r) for r in rows]

    def update_notice(self, cursor: Any, values: Mapping[str, Any]) -> None:
        params = [*self.outbox_all.encode(values, self.notice_update_names), values["id"]]
        cursor.execute(self.notice_update_sql, params)

    def insert_deadlines(self, cursor: Any, deadlines: Iterable[Deadline]) -> None:
        cursor.executemany(self.deadlines.insert, map(deadline_row, deadlines))

    def update_deadline(self, cursor: Any, values: Mapping[str, Any], expected: str) -> int:
        params = self.deadlines.encode(values, self.deadline_update_names)
        params += [values["id"], expected]
        cursor.execute(self.deadline_update_sql, params)
        return int(cursor.rowcount)

    def case_deadlines(self, cursor: Any, case_id: str) -> list[dict[str, Any]]:
        rows = cursor.execute(self.case_deadlines_sql, (case_id,)).fetchall()
        return [self.deadlines_all.decode(r) for r in rows]

    def case_deadline_records(self, cursor: Any, case_id: str) -> list[Deadline]:
        """``[_deadline(d) for d in case_deadlines(...)]``, built straight from the rows."""
        rows = cursor.execute(self.case_deadlines_sql, (case_id,)).fetchall()
        return [deadline_of(r) for r in rows]

    def due_records(self, cursor: Any, now: datetime, limit: int) -> list[Deadline]:
        """``[_deadline(d) for d in due(...)]``, built straight from the rows."""
        rows = cursor.execute(self.due_sql, (_enc_dt(now), limit)).fetchall()
        return [deadline_of(r) for r in rows]

    def due(self, cursor: Any, now: datetime, limit: int) -> list[dict[str, Any]]:
        rows = cursor.execute(self.due_sql, (_enc_dt(now), limit)).fetchall()
        return [self.deadlines_all.decode(r) for r in rows]
