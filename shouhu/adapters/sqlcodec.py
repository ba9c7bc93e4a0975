"""One codec per table, generated from the table definitions (:mod:`~shouhu.adapters.tables`)
and used by both SQL stores.

A :class:`Codec` knows its table's columns in table order and, from each column's type, how
SQLite stores it (instants as naive UTC text, JSON as text, booleans as 0/1, dates as ISO
text); it makes the table's ``SELECT`` and ``INSERT``. The record's shape is given once per
table: ``values`` (a record → its columns' Python values, what SQLAlchemy Core binds on
PostgreSQL: :mod:`shouhu.engine.columns`' functions, :func:`_event_values`) and ``record`` (a
row's values by column name → the record, what Core's rows become: made from the record's
fields, :func:`_fields_of`, but a case's, whose child, place and reporter nest: :func:`_record`).
On SQLite's stored tuples, ``row`` is ``encode(values(r))``
and ``of`` is ``record(decode(row))``; the hot path's tables (cases, events, deadlines) have
them unrolled (:func:`case_row`, :func:`event_row`, :func:`deadline_row`, :func:`record_of`,
:func:`deadline_of`: no dict per row, no call per column), held equal to the generated ones
by the tests (``tests/contract/test_sqlite_fast_reads.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from shouhu.adapters.tables import (
    ACCESS_LOG,
    CASES,
    DEADLINES,
    EVENTS,
    INTAKE,
    JOURNAL,
    OPERATOR_LOG,
    OUTBOX,
    UTCDateTime,
)
from shouhu.engine.columns import (
    access_columns,
    case_columns,
    deadline_columns,
    intake_columns,
    journal_columns,
    notice_columns,
)
from shouhu.engine.model import (
    Access,
    CaseRecord,
    Child,
    Deadline,
    Event,
    Intake,
    JournalEntry,
    Location,
    Notice,
    RegistryEntry,
    Reporter,
)

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
R = TypeVar("R")

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


# -- the records' shapes: a case's written by hand, the others' made from their fields ----


def _record(row: Any) -> CaseRecord:
    return CaseRecord(
        id=row["id"],
        type=row["type"],
        workflow_version=row["workflow_version"],
        state=row["state"],
        version=row["version"],
        head_hash=row["head_hash"],
        child=Child(
            row["child_name"],
            row["child_birthdate"],
            row["child_id_number"],
            bool(row["left_behind"]),
            row["age_at_discovery"],
        ),
        location=Location(row["village"], row["township"], row["county"]),
        reporter=Reporter(
            row["reporter_kind"], row["reporter_name"], bool(row["reporter_mandatory"])
        ),
        discovered_at=row["discovered_at"],
        reported_at=row["reported_at"],
        last_occurred_at=row["last_occurred_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
        late=bool(row["late"]),
        report_delay_seconds=row["report_delay_seconds"],
        facts=dict(row["facts"] or {}),
        outcome=row["outcome"],
    )


def _event_values(e: Event) -> dict[str, Any]:
    return {
        "case_id": e.case_id,
        "seq": e.seq,
        "workflow": e.workflow,
        "workflow_version": e.workflow_version,
        "policy_version": e.policy_version,
        "trigger": e.trigger,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": e.occurred_at,
        "recorded_at": e.recorded_at,
        "data": e.data,
        "effects": e.effects,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
        "operator_id": e.operator_id,
        "signature": e.signature,
    }


def _fields_of(cls: Callable[..., R], table: sa.Table) -> Callable[[Any], R]:
    """The record of a row by column name, for a record whose fields are its table's columns
    (every field but a computed one): each field its column's value; a JSON column's, an
    object (``{}`` for NULL)."""
    objects = [c.name for c in table.columns if isinstance(c.type, sa.JSON)]
    names = [f.name for f in fields(cls) if f.init and f.name not in objects]  # type: ignore[arg-type]
    if not set(names) <= set(table.c.keys()):
        raise RuntimeError(f"sqlcodec: {cls} has fields that {table.name} has not")

    def record(row: Any) -> R:
        values = {n: row[n] for n in names}
        for n in objects:
            values[n] = dict(row[n] or {})
        return cls(**values)

    return record


_event = _fields_of(Event, EVENTS)
_deadline = _fields_of(Deadline, DEADLINES)
_notice = _fields_of(Notice, OUTBOX)


# -- unrolled on SQLite's tuples: the hot path ----------------------------------------------

# Records straight from the row tuples, in table column order (checked below, at import):
# a transition reads its case row and deadline rows, where a dict per row and a codec call per
# column cost more than SQLite's own work. Each is what the store's ``_record`` / ``_deadline``
# make of the row decoded column by column (``Codec.decode``), as the tests hold them to.


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
        closed_seq, met_at, not_extended,
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
        not_extended=bool(not_extended),
    )


# Rows straight from the records, in table column order (checked below, at import): the
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
    "hash", "operator_id", "signature",
)  # fmt: skip
DEADLINE_COLUMNS = (
    "case_id", "kind", "status", "due_at", "started_at", "started_seq", "policy_version",
    "closed_at", "closed_seq", "met_at", "not_extended",
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
        e.prev_hash, e.hash, e.operator_id, e.signature,
    )  # fmt: skip


def deadline_row(d: Deadline) -> tuple[Any, ...]:
    """The ``deadlines`` row of a new deadline (without the surrogate ``id``)."""
    return (
        d.case_id, d.kind, d.status, _enc_dt(d.due_at), _enc_dt(d.started_at), d.started_seq,
        d.policy_version, _enc_dt(d.closed_at), d.closed_seq, _enc_dt(d.met_at),
        int(d.not_extended),
    )  # fmt: skip


class Codec(Generic[R]):
    """A table's codec: generated from its columns, but for the record's shape (``values``,
    ``record``) and, on the hot path, the unrolled ``row`` / ``of`` it is given."""

    def __init__(
        self,
        table: sa.Table,
        values: Callable[[R], dict[str, Any]],
        record: Callable[[Any], R],  # a row by column name: a dict, or Core's RowMapping
        *,
        row: Callable[[R], tuple[Any, ...]] | None = None,
        of: Callable[[Sequence[Any]], R] | None = None,
    ) -> None:
        self.table = table
        self.names = [c.name for c in table.columns]
        codecs = {c.name: _codec(c) for c in table.columns}
        self.enc = {n: e for n, (e, _) in codecs.items()}
        self.dec = [codecs[n][1] for n in self.names]
        surrogate = "id" in table.c and isinstance(table.c.id.type, sa.Integer)
        #: What an INSERT writes: every column but a surrogate ``id`` (the database's).
        self.insert_names = [n for n in self.names if not (surrogate and n == "id")]
        self.select = f"SELECT {', '.join(self.names)} FROM {table.name}"
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(self.insert_names)}) "
            f"VALUES ({', '.join('?' for _ in self.insert_names)})"
        )
        self.values = values
        self.record = record
        self.row: Callable[[R], tuple[Any, ...]] = row or self.encoded
        self.of: Callable[[Sequence[Any]], R] = of or self.decoded

    def encode(self, values: Mapping[str, Any], names: Sequence[str] | None = None) -> list[Any]:
        """SQLite's stored values of the named columns (default: an INSERT's)."""
        enc = self.enc
        return [enc[n](values[n]) for n in (self.insert_names if names is None else names)]

    def decode(self, row: Sequence[Any]) -> dict[str, Any]:
        """A stored row of every column (a ``select``'s) → its Python values, by name."""
        return {n: d(v) for n, d, v in zip(self.names, self.dec, row, strict=True)}

    def encoded(self, record: R) -> tuple[Any, ...]:
        """The stored row of a record, as an INSERT writes it: ``encode(values(record))``."""
        return tuple(self.encode(self.values(record)))

    def decoded(self, row: Sequence[Any]) -> R:
        """The record of a stored row (a ``select``'s): ``record(decode(row))``."""
        return self.record(self.decode(row))


CASE = Codec(CASES, case_columns, _record, row=case_row, of=record_of)
EVENT = Codec(EVENTS, _event_values, _event, row=event_row)
DEADLINE = Codec(DEADLINES, deadline_columns, _deadline, row=deadline_row, of=deadline_of)
NOTICE = Codec(OUTBOX, notice_columns, _notice)
ACCESS = Codec(ACCESS_LOG, access_columns, _fields_of(Access, ACCESS_LOG))
INTAKE_CODEC = Codec(INTAKE, intake_columns, _fields_of(Intake, INTAKE))
JOURNAL_CODEC = Codec(JOURNAL, journal_columns, _fields_of(JournalEntry, JOURNAL))
REGISTRY_CODEC = Codec(OPERATOR_LOG, asdict, _fields_of(RegistryEntry, OPERATOR_LOG))

_UNROLLED = (
    (CASE.insert_names, CASE_COLUMNS),
    (EVENT.insert_names, EVENT_COLUMNS),
    (DEADLINE.insert_names, DEADLINE_COLUMNS),
    (DEADLINE.names, ("id", *DEADLINE_COLUMNS)),  # what deadline_of reads
)
if any(tuple(names) != order for names, order in _UNROLLED):  # a schema change must update them
    raise RuntimeError("sqlcodec: a table's column order changed: update its unrolled codecs")
