"""The derived tables' columns: the one mapping of the engine's records to the columns the
stores write (``case_columns`` …), the journal's entry bodies, and the cell form ``verify``
compares them in (:func:`cell`: instants as their UTC text, dates as ISO text).

Surrogate keys (the ``id`` of deadline, notice, intake and access rows) are numbers the
database hands out, not facts: verify checks that a case's deadline rows and notices, and the
access log, stand in the order their events made them; an intake row's ``id`` (one row per
case) says nothing and is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Deadline,
    Intake,
    JournalEntry,
    Notice,
)
from shouhu.engine.timeutil import stored_instant, utc_iso

#: What verify shows instead of a personal value (a name, a birthdate, an id number, or a due
#: time counted from a birthdate) that differs: it says that it differs, never what it is.
WITHHELD = "withheld (personal data)"

#: Columns of ``cases`` that hold personal data.
PERSONAL_CASE_COLUMNS = frozenset({"child_name", "child_birthdate", "child_id_number"})
#: Columns of a deadline row whose times reveal a birthdate when the row counts from one.
_DEADLINE_TIMES = ("due_at", "started_at", "closed_at", "met_at")

#: The derived tables and their columns, in table order: ``verify`` compares every one.
CASE_COLUMNS = (
    "id",
    "type",
    "workflow_version",
    "state",
    "version",
    "head_hash",
    "outcome",
    "child_name",
    "child_birthdate",
    "child_id_number",
    "left_behind",
    "age_at_discovery",
    "village",
    "township",
    "county",
    "reporter_kind",
    "reporter_name",
    "reporter_mandatory",
    "discovered_at",
    "reported_at",
    "last_occurred_at",
    "created_at",
    "updated_at",
    "closed_at",
    "late",
    "report_delay_seconds",
    "facts",
)
DEADLINE_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "status",
    "due_at",
    "started_at",
    "started_seq",
    "policy_version",
    "closed_at",
    "closed_seq",
    "met_at",
    "not_extended",
)
NOTICE_COLUMNS = (
    "id",
    "key",
    "case_id",
    "seq",
    "kind",
    "recipient",
    "payload",
    "status",
    "created_at",
    "attempts",
    "next_attempt_at",
    "last_error",
    "delivered_at",
    "channel",
)
#: The delivery columns of a notice: derived from the journal, not from the events.
NOTICE_DELIVERY = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "delivered_at",
    "channel",
)
INTAKE_COLUMNS = ("id", "source", "external_id", "case_id", "imported_at")
ACCESS_COLUMNS = ("id", "case_id", "actor", "role", "reason", "what", "at")
DERIVED_TABLES: dict[str, tuple[str, ...]] = {
    "cases": CASE_COLUMNS,
    "deadlines": DEADLINE_COLUMNS,
    "outbox": NOTICE_COLUMNS,
    "intake": INTAKE_COLUMNS,
    "access_log": ACCESS_COLUMNS,
}


def case_columns(r: CaseRecord) -> dict[str, Any]:
    """A case record as the ``cases`` table's columns."""
    return {
        "id": r.id,
        "type": r.type,
        "workflow_version": r.workflow_version,
        "state": r.state,
        "version": r.version,
        "head_hash": r.head_hash,
        "outcome": r.outcome,
        "child_name": r.child.name,
        "child_birthdate": r.child.birthdate,
        "child_id_number": r.child.id_number,
        "left_behind": r.child.left_behind,
        "age_at_discovery": r.child.age_at_discovery,
        "village": r.location.village,
        "township": r.location.township,
        "county": r.location.county,
        "reporter_kind": r.reporter.kind,
        "reporter_name": r.reporter.name,
        "reporter_mandatory": r.reporter.mandatory,
        "discovered_at": r.discovered_at,
        "reported_at": r.reported_at,
        "last_occurred_at": r.last_occurred_at,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "closed_at": r.closed_at,
        "late": r.late,
        "report_delay_seconds": r.report_delay_seconds,
        "facts": r.facts,
    }


def deadline_columns(d: Deadline) -> dict[str, Any]:
    """A deadline as the ``deadlines`` table's columns."""
    return {
        "id": d.id,
        "case_id": d.case_id,
        "kind": d.kind,
        "status": d.status,
        "due_at": d.due_at,
        "started_at": d.started_at,
        "started_seq": d.started_seq,
        "policy_version": d.policy_version,
        "closed_at": d.closed_at,
        "closed_seq": d.closed_seq,
        "met_at": d.met_at,
        "not_extended": d.not_extended,
    }


def notice_columns(n: Notice) -> dict[str, Any]:
    """A notice as the ``outbox`` table's columns."""
    return {
        "id": n.id,
        "key": n.key,
        "case_id": n.case_id,
        "seq": n.seq,
        "kind": n.kind,
        "recipient": n.recipient,
        "payload": n.payload,
        "status": n.status,
        "created_at": n.created_at,
        "attempts": n.attempts,
        "next_attempt_at": n.next_attempt_at,
        "last_error": n.last_error,
        "delivered_at": n.delivered_at,
        "channel": n.channel,
    }


def intake_columns(i: Intake) -> dict[str, Any]:
    """An intake row as the ``intake`` table's columns (its ``id`` is the database's)."""
    return {
        "source": i.source,
        "external_id": i.external_id,
        "case_id": i.case_id,
        "imported_at": i.imported_at,
    }


def access_columns(a: Access) -> dict[str, Any]:
    """An identity read as the ``access_log`` table's columns (its ``id`` is the database's)."""
    return {
        "case_id": a.case_id,
        "actor": a.actor,
        "role": a.role,
        "reason": a.reason,
        "what": a.what,
        "at": a.at,
    }


# -- the journal's entries -------------------------------------------------------------------


def access_body(a: Access) -> dict[str, Any]:
    """The journal body of an identity read (its case is the entry's ``case_id``)."""
    return {
        "actor": a.actor,
        "role": a.role,
        "reason": a.reason,
        "what": a.what,
        "at": utc_iso(a.at),
    }


def notice_body(n: Notice) -> dict[str, Any]:
    """The journal body of a notice's new delivery state: the whole state, not a change."""
    return {
        "key": n.key,
        "status": n.status,
        "attempts": n.attempts,
        "next_attempt_at": _text(n.next_attempt_at),
        "last_error": n.last_error,
        "delivered_at": _text(n.delivered_at),
        "channel": n.channel,
    }


def intake_body(i: Intake) -> dict[str, Any]:
    """The journal body of an intake row adopted when the journal began (migration 0005)."""
    return {
        "source": i.source,
        "external_id": i.external_id,
        "imported_at": utc_iso(i.imported_at),
    }


def journal_columns(e: JournalEntry) -> dict[str, Any]:
    """A journal entry as the ``journal`` table's columns."""
    return {
        "seq": e.seq,
        "kind": e.kind,
        "case_id": e.case_id,
        "body": e.body,
        "recorded_at": e.recorded_at,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def chain_entry(
    seq_hash: tuple[int, str] | None,
    kind: str,
    case_id: str | None,
    body: dict[str, Any],
    at: datetime,
) -> JournalEntry:
    """The entry that follows the journal's head ``(seq, hash)`` (None: the first)."""
    from shouhu.engine.hashing import journal_hash

    seq = 1 if seq_hash is None else seq_hash[0] + 1
    prev = GENESIS if seq_hash is None else seq_hash[1]
    h = journal_hash(
        seq=seq, kind=kind, case_id=case_id, body=body, recorded_at=utc_iso(at), prev_hash=prev
    )
    return JournalEntry(seq, kind, case_id, body, at, prev, h)


# -- comparison cells --------------------------------------------------------------------------


def cell(value: Any) -> Any:
    """A column's value in the form verify compares: instants as their UTC text (as the hash
    writes them), dates as ISO text, the rest as they are."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _text(value: datetime | None) -> str | None:
    return None if value is None else utc_iso(value)


@lru_cache(maxsize=4096)
def utc_text(local: str) -> str:
    """An instant the events record as local ISO text (with its offset), as UTC text."""
    return utc_iso(stored_instant(str(local)))


_CASE_INDEX = {c: i for i, c in enumerate(CASE_COLUMNS)}
_CASE_CELLS = itemgetter(*CASE_COLUMNS)
_DEADLINE_CELLS = itemgetter(*DEADLINE_COLUMNS[1:])
#: Where a row's case id stands in each derived table's cells.
CASE_ID_AT = {t: cols.index("case_id") if t != "cases" else 0 for t, cols in DERIVED_TABLES.items()}


def cells(table: str, columns: Mapping[str, Any]) -> tuple[Any, ...]:
    """A row (its columns by name, as :func:`case_columns` … give them) as the tuple of
    :func:`cell` values in the table's column order — the form ``verify`` compares."""
    return tuple(cell(columns.get(c)) for c in DERIVED_TABLES[table])


def case_head(row: Sequence[Any]) -> CaseHead:
    """What ``verify`` needs of a case row, from its cells."""
    i = _CASE_INDEX
    return CaseHead(
        row[i["id"]],
        row[i["version"]],
        row[i["head_hash"]],
        row[i["state"]],
        row[i["outcome"]],
        row[i["facts"]] if isinstance(row[i["facts"]], dict) else {},
    )
