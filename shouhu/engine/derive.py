"""Every table the engine fills from the log, rebuilt from the log alone, and compared.

The events are the truth; the case row, its deadline rows, its notices in the outbox and its
intake row are written from them in the same transaction. What is not a case's event — who
read an identity, what became of a notice — is kept in the **journal**, one hash chain of its
own, from which ``access_log`` and the outbox's delivery columns are derived. ``audit verify``
rebuilds each of these tables here and compares it with what the store holds, column by
column: an edited cell, a deleted row and a forged row are each named by table, column and
case (:class:`Difference`).

The column forms here (:func:`case_columns` …) are the one mapping of the engine's records to
the tables' columns: the SQL store writes them, and verify compares them.

Surrogate keys (the ``id`` of deadline, notice, intake and access rows) are numbers the
database hands out, not facts: verify checks that a case's deadline rows and notices, and the
access log, stand in the order their events made them; an intake row's ``id`` (one row per
case) says nothing and is not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from shouhu import workflows
from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import (
    Access,
    CaseHead,
    CaseRecord,
    Deadline,
    Intake,
    JournalEntry,
    Link,
    Notice,
)
from shouhu.engine.timeutil import local_iso, parse_instant, utc_iso
from shouhu.workflows.spec import NoticeDef, TransitionDef

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
def _utc_text(local: str) -> str:
    """An instant the events record as local ISO text (with its offset), as UTC text."""
    return utc_iso(parse_instant(str(local), "UTC"))


@lru_cache(maxsize=256)
def _finals(workflow: str, version: int) -> frozenset[str]:
    """The final states of a workflow version (none if it is unknown)."""
    try:
        wf = workflows.get(workflow, version)
    except KeyError:
        return frozenset()
    return frozenset(s.name for s in wf.states if s.final)


# -- differences -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """A stored row of a derived table that is not what the log says.

    ``column`` None: the whole row — ``stored`` None for a row the log calls for and the store
    lacks, ``derived`` None for a stored row the log does not call for (a forged or a stray
    row). ``row`` names the row within its case: ``case``, ``deadline 2 (dispatch)``, a
    notice's key, ``intake 12345/A-17``, ``access 3``.
    """

    case_id: str | None
    table: str
    row: str
    column: str | None
    stored: Any
    derived: Any

    def line(self) -> str:
        """One line: ``<case> <table>.<column> (<row>): stored …, derived …``."""
        where = self.table if self.column is None else f"{self.table}.{self.column}"
        who = self.case_id or "-"
        if self.column is None:
            what = "stored, not in the log" if self.derived is None else "in the log, not stored"
            return f"{who} {where} ({self.row}): {what}"
        shown = f"stored {_show(self.stored)}, derived {_show(self.derived)}"
        return f"{who} {where} ({self.row}): {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "stored": self.stored,
            "derived": self.derived,
        }


def _show(value: Any) -> str:
    if value == WITHHELD:
        return WITHHELD
    text = repr(value) if not isinstance(value, dict) else repr(dict(sorted(value.items())))
    return text if len(text) <= 120 else text[:117] + "..."


# -- rebuilding one case ------------------------------------------------------------------------


@dataclass
class _Due:
    """A deadline row as the events make it."""

    columns: dict[str, Any]
    personal: bool


@dataclass
class CaseTables:
    """What the log says one case's derived rows are."""

    case: dict[str, Any]
    deadlines: list[_Due] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    intake: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def rebuild_tables(
    links: Sequence[Link],
    state: str,
    facts: Mapping[str, Any],
    outcome: str | None,
    rows: Sequence[TransitionDef | None],
    zone: str,
) -> CaseTables:
    """The case row, deadline rows, notices and intake row of a case whose events replay to
    ``state``, ``facts`` and ``outcome`` by the transition ``rows`` (one per event; None for
    the opening one). Cells are in :func:`cell` form."""
    first, last = links[0], links[-1]
    out = CaseTables(case={})
    case = out.case
    case.update(
        id=first.case_id,
        type=first.workflow,
        workflow_version=first.workflow_version,
        state=state,
        version=last.seq,
        head_hash=last.hash,
        outcome=outcome,
        facts=dict(facts),
        reported_at=first.occurred_utc,
        created_at=first.recorded_utc,
        last_occurred_at=last.occurred_utc,
        updated_at=last.recorded_utc,
        closed_at=None,
    )
    try:
        _opening(case, first)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        out.problems.append(f"the opening event does not say what the case row holds ({exc})")
    for link in links:
        if link.to_state in _finals(link.workflow, link.workflow_version):
            case["closed_at"] = link.occurred_utc
            break
    location = first.data.get("location") if isinstance(first.data, Mapping) else None
    for link, row in zip(links, rows, strict=False):
        if link.effects:
            try:
                _deadline_effects(out, link)
            except (KeyError, TypeError, ValueError) as exc:
                out.problems.append(f"event {link.seq}'s deadline effects cannot be read ({exc})")
                continue
        if row is not None and row.notices and isinstance(location, Mapping):
            due = [
                (d.columns["kind"], d.columns["due_at"])
                for d in out.deadlines
                if d.columns["status"] == "pending" and not d.personal
            ]
            due.sort(key=lambda kd: kd[1])
            for n in notices_for(
                row.notices,
                case_id=first.case_id,
                case_type=first.workflow,
                state=link.to_state,
                location=location,
                seq=link.seq,
                trigger=link.trigger,
                occurred_at=datetime.fromisoformat(link.occurred_utc),
                created_at=datetime.fromisoformat(link.recorded_utc),
                data=link.data,
                due=[(k, datetime.fromisoformat(t)) for k, t in due],
                zone=zone,
            ):
                cols = {k: cell(v) for k, v in notice_columns(n).items()}
                cols.pop("id")
                out.notices.append(cols)
    recorded = first.data.get("intake") if isinstance(first.data, Mapping) else None
    if isinstance(recorded, Mapping):
        out.intake.append(
            {
                "source": recorded.get("source"),
                "external_id": recorded.get("external_id"),
                "case_id": first.case_id,
                "imported_at": first.recorded_utc,
            }
        )
    return out


def _opening(case: dict[str, Any], first: Link) -> None:
    """The case row's columns that the opening event (``report`` or ``register``) records."""
    d = first.data
    loc = d["location"]
    case.update(village=loc["village"], township=loc["township"], county=loc.get("county"))
    if first.trigger == "register":
        person, registrar = d["person"], d["registrar"]
        case.update(
            child_name=person["name"],
            child_birthdate=person["birthdate"],
            child_id_number=person.get("id_number"),
            left_behind=True,
            age_at_discovery=person["age_at_registration"],
            reporter_kind=registrar["role"],
            reporter_name=registrar["name"],
            reporter_mandatory=False,
            discovered_at=first.occurred_utc,
            late=False,
            report_delay_seconds=0,
        )
        return
    child, reporter = d["child"], d["reporter"]
    discovered = _utc_text(str(d["discovered_at"]))
    delay = int(
        (
            datetime.fromisoformat(first.occurred_utc) - datetime.fromisoformat(discovered)
        ).total_seconds()
    )
    report = first.effects.get("report") if isinstance(first.effects, Mapping) else None
    case.update(
        child_name=child["name"],
        child_birthdate=child["birthdate"],
        child_id_number=child.get("id_number"),
        left_behind=child["left_behind"],
        age_at_discovery=child["age_at_discovery"],
        reporter_kind=reporter["kind"],
        reporter_name=reporter["name"],
        reporter_mandatory=reporter["mandatory"],
        discovered_at=discovered,
        late=bool(report["late"]) if isinstance(report, Mapping) else False,
        report_delay_seconds=delay,
    )


def _deadline_effects(out: CaseTables, link: Link) -> None:
    """Apply one event's deadline effects to the rows made so far (as the engine wrote them:
    :mod:`shouhu.engine.deadlines` and the sweep)."""
    effects = link.effects.get("deadlines", []) if isinstance(link.effects, Mapping) else []
    when = link.occurred_utc
    for item in effects:
        kind, action = item["kind"], item.get("action")
        due = _utc_text(str(item["due_at"]))
        if action == "started":
            cols = {
                "case_id": link.case_id,
                "kind": kind,
                "status": "pending",
                "due_at": due,
                "started_at": when,
                "started_seq": link.seq,
                "policy_version": link.policy_version,
                "closed_at": None,
                "closed_seq": None,
                "met_at": None,
            }
            personal = str(item.get("counted_from", "")).startswith("withheld")
            out.deadlines.append(_Due(cols, personal))
            continue
        want = "missed" if action == "met_late" else "pending"
        found = next(
            (
                d
                for d in out.deadlines
                if d.columns["kind"] == kind
                and d.columns["due_at"] == due
                and d.columns["status"] == want
                and (action != "met_late" or d.columns["met_at"] is None)
            ),
            None,
        )
        if found is None:
            out.problems.append(
                f"event {link.seq} {action} a deadline {kind} that no event started"
            )
            continue
        c = found.columns
        if action == "met":
            c.update(status="met", closed_at=when, closed_seq=link.seq, met_at=when)
        elif action == "met_late":
            c.update(met_at=when)
        elif action in {"missed", "fired", "cancelled"}:
            c.update(status=action, closed_at=when, closed_seq=link.seq)
        else:
            out.problems.append(f"event {link.seq}: unknown deadline action {action!r}")


class _Fill(dict[str, str]):
    """``format_map`` that leaves unknown placeholders visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def notices_for(
    defs: Iterable[NoticeDef],
    *,
    case_id: str,
    case_type: str,
    state: str,
    location: Mapping[str, Any],
    seq: int,
    trigger: str,
    occurred_at: datetime,
    created_at: datetime,
    data: Mapping[str, Any],
    due: Sequence[tuple[str, datetime]],
    zone: str,
) -> list[Notice]:
    """The notices a transition calls for: case, type, kind, recipient, location and the due
    times still running (``due``: kind and due time, soonest first, none counted from personal
    data) — never the child's name, birthdate or id number. The engine writes these with the
    event; verify makes them again from the events."""
    fill = _Fill(
        village=str(location.get("village") or ""),
        township=str(location.get("township") or ""),
        county=str(location.get("county") or ""),
        **{k: str(v) for k, v in data.items()},
    )
    out = []
    for nd in defs:
        recipient = nd.recipient.format_map(fill)[:200]
        key = f"{case_id}:{seq}:{nd.kind}"
        payload: dict[str, Any] = {
            "key": key,
            "notice": nd.kind,
            "recipient": recipient,
            "citation": nd.citation,
            "case_id": case_id,
            "case_type": case_type,
            "state": state,
            "location": dict(location),
            "event": {"seq": seq, "trigger": trigger, "occurred_at": local_iso(occurred_at, zone)},
            "due": [{"kind": k, "due_at": local_iso(t, zone)} for k, t in due],
        }
        if trigger == "deadline_missed":
            payload["missed"] = {"kind": data.get("kind"), "due_at": data.get("due_at")}
        out.append(
            Notice(None, key, case_id, seq, nd.kind, recipient, payload, "pending", created_at)
        )
    return out


def normal_payload(payload: Any) -> Any:
    """A notice's payload with its instants as UTC text: the engine writes them in its zone's
    local time, and verify may run in another zone."""
    if not isinstance(payload, Mapping):
        return payload
    out = dict(payload)
    try:
        event = out.get("event")
        if isinstance(event, Mapping) and event.get("occurred_at"):
            out["event"] = {**event, "occurred_at": _utc_text(event["occurred_at"])}
        due = out.get("due")
        if isinstance(due, list):
            out["due"] = [
                {**d, "due_at": _utc_text(d["due_at"])}
                if isinstance(d, Mapping) and d.get("due_at")
                else d
                for d in due
            ]
        missed = out.get("missed")
        if isinstance(missed, Mapping) and missed.get("due_at"):
            out["missed"] = {**missed, "due_at": _utc_text(missed["due_at"])}
    except Exception:  # a forged payload that is not even an instant: compared as it is
        return dict(payload)
    return out


# -- comparing one case ---------------------------------------------------------------------------


@dataclass
class JournalState:
    """What the journal says: each notice's latest delivery state, the intake rows adopted
    when the journal began, and the identity reads in order."""

    notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    intake: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    accesses: list[JournalEntry] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    entries: int = 0


def read_journal(entries: Iterable[JournalEntry]) -> JournalState:
    """Check the journal's chain (seq from 1 without gaps, each entry linked to the one before
    and matching its hash) and fold it; past the first break, entries are only counted."""
    out = JournalState()
    prev = GENESIS
    for i, e in enumerate(entries, start=1):
        out.entries += 1
        if out.broken:
            continue  # read to the end all the same: a stream is not left half read
        why = _journal_break(i, e, prev)
        if why is not None:
            out.broken.append(why)
            continue
        prev = e.hash
        body = e.body if isinstance(e.body, Mapping) else {}
        if e.kind == "notice":
            out.notices[str(body.get("key"))] = {k: body.get(k) for k in NOTICE_DELIVERY}
        elif e.kind == "access":
            out.accesses.append(e)
        elif e.kind == "intake" and e.case_id is not None:
            out.intake.setdefault(e.case_id, []).append(
                {
                    "source": body.get("source"),
                    "external_id": body.get("external_id"),
                    "case_id": e.case_id,
                    "imported_at": body.get("imported_at"),
                }
            )
        else:
            out.broken.append(f"journal entry {i}: unknown kind {e.kind!r}")
    return out


def _journal_break(i: int, e: JournalEntry, prev: str) -> str | None:
    if e.seq != i:
        return f"journal entry {i} is missing (found {e.seq})"
    if e.prev_hash != prev:
        return f"journal entry {i} does not link to entry {i - 1}"
    if e.computed_hash() != e.hash:
        return f"journal entry {i}'s content does not match its hash"
    return None


_FRESH = {
    "status": "pending",
    "attempts": 0,
    "next_attempt_at": None,
    "last_error": None,
    "delivered_at": None,
    "channel": None,
}
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


def compare_case(
    case_id: str,
    tables: CaseTables | None,
    case: Sequence[Any] | None,
    deadlines: Sequence[Sequence[Any]],
    notices: Sequence[Sequence[Any]],
    intake: Sequence[Sequence[Any]],
    journal: JournalState,
) -> list[Difference]:
    """Every difference between one case's stored rows (cells, as the store's
    ``stored_cells`` gives them) and what the log says (``tables`` None: the case has no
    events, so each stored row names a case that is not there)."""
    out: list[Difference] = []
    if tables is None:  # rows that name a case the log does not have: their case_id is wrong
        if case is not None:
            out.append(Difference(case_id, "cases", "case", "id", case_id, NO_CASE))
        kind, key = DEADLINE_COLUMNS.index("kind"), NOTICE_COLUMNS.index("key")
        source, ext = INTAKE_COLUMNS.index("source"), INTAKE_COLUMNS.index("external_id")
        out += [_orphan(case_id, "deadlines", f"deadline {d[kind]}") for d in deadlines]
        out += [_orphan(case_id, "outbox", str(n[key])) for n in notices]
        out += [_orphan(case_id, "intake", f"intake {i[source]}/{i[ext]}") for i in intake]
        return out
    for why in tables.problems:
        out.append(Difference(case_id, "events", "log", None, why, why))
    if case is None:
        out.append(Difference(case_id, "cases", "case", None, None, "row"))
    else:
        want = _CASE_CELLS(tables.case)
        if tuple(case) != want:
            for col, s, d in zip(CASE_COLUMNS, case, want, strict=True):
                if s != d:
                    if col in PERSONAL_CASE_COLUMNS:
                        s = d = WITHHELD
                    out.append(Difference(case_id, "cases", "case", col, s, d))
    out += _compare_deadlines(case_id, tables.deadlines, deadlines)
    out += _compare_notices(case_id, tables.notices, notices, journal)
    want_intake = tables.intake + journal.intake.get(case_id, [])
    out += _compare_intake(case_id, want_intake, intake)
    return out


#: What verify derives for the case id of a row whose case has no events.
NO_CASE = "no case of that id in the log"


def _orphan(case_id: str, table: str, row: str) -> Difference:
    return Difference(case_id, table, row, "case_id", case_id, NO_CASE)


def _stray(case_id: str, table: str, row: str) -> Difference:
    return Difference(case_id, table, row, None, "row", None)


def _compare_deadlines(
    case_id: str, derived: Sequence[_Due], stored: Sequence[Sequence[Any]]
) -> list[Difference]:
    """Stored rows in id order against the rows the events started, in the order they did."""
    out: list[Difference] = []
    names = DEADLINE_COLUMNS[1:]
    for i in range(max(len(stored), len(derived))):
        if (
            i < len(stored)
            and i < len(derived)
            and stored[i][1:] == _DEADLINE_CELLS(derived[i].columns)
        ):
            continue
        name = f"deadline {i + 1}"
        if i >= len(derived):
            out.append(_stray(case_id, "deadlines", f"{name} ({stored[i][2]})"))
            continue
        due = derived[i]
        name = f"{name} ({due.columns['kind']})"
        if i >= len(stored):
            out.append(Difference(case_id, "deadlines", name, None, None, "row"))
            continue
        for col, s in zip(names, stored[i][1:], strict=True):
            d = due.columns[col]
            if s != d:
                if due.personal and col in _DEADLINE_TIMES:
                    s = d = WITHHELD
                out.append(Difference(case_id, "deadlines", name, col, s, d))
    return out


def _compare_notices(
    case_id: str,
    derived: Sequence[dict[str, Any]],
    stored: Sequence[Sequence[Any]],
    journal: JournalState,
) -> list[Difference]:
    out: list[Difference] = []
    names = NOTICE_COLUMNS[1:]
    at = names.index("payload")
    for i in range(max(len(stored), len(derived))):
        if i >= len(derived):
            out.append(_stray(case_id, "outbox", str(stored[i][1])))
            continue
        columns = {**derived[i], **journal.notices.get(derived[i]["key"], _FRESH)}
        want = tuple(columns[c] for c in names)
        if i >= len(stored):
            out.append(Difference(case_id, "outbox", columns["key"], None, None, "row"))
            continue
        got = tuple(stored[i][1:])
        if got == want:
            continue
        # the engine wrote the payload's times in its zone, verify made them in its own
        got = (*got[:at], normal_payload(got[at]), *got[at + 1 :])
        want = (*want[:at], normal_payload(want[at]), *want[at + 1 :])
        for col, s, d in zip(names, got, want, strict=True):
            if s != d:
                out.append(Difference(case_id, "outbox", columns["key"], col, s, d))
    return out


def _compare_intake(
    case_id: str, derived: Sequence[dict[str, Any]], stored: Sequence[Sequence[Any]]
) -> list[Difference]:
    out: list[Difference] = []
    names = INTAKE_COLUMNS[1:]
    left = [tuple(d[c] for c in names) for d in derived]
    for row in stored:
        got = tuple(row[1:])
        name = f"intake {got[0]}/{got[1]}"
        if got in left:
            left.remove(got)
            continue
        # the same row with a column changed (three of four still agree): name the column
        near = next((d for d in left if _agree(d, got) >= 3), None)
        if near is None:
            out.append(_stray(case_id, "intake", name))
            continue
        left.remove(near)
        for col, s, d in zip(names, got, near, strict=True):
            if s != d:
                out.append(Difference(case_id, "intake", name, col, s, d))
    for d in left:
        out.append(Difference(case_id, "intake", f"intake {d[0]}/{d[1]}", None, None, "row"))
    return out


def _agree(a: Sequence[Any], b: Sequence[Any]) -> int:
    return sum(x == y for x, y in zip(a, b, strict=True))


def compare_accesses(stored: Iterable[Sequence[Any]], journal: JournalState) -> list[Difference]:
    """The access log (cells in id order) against the journal's identity reads, in order."""
    out: list[Difference] = []
    rows = list(stored)
    want = journal.accesses
    names = ACCESS_COLUMNS[1:]
    for i in range(max(len(rows), len(want))):
        name = f"access {i + 1}"
        if i >= len(want):
            out.append(Difference(rows[i][1], "access_log", name, None, "row", None))
            continue
        e = want[i]
        body = e.body
        derived = (
            e.case_id,
            body.get("actor"),
            body.get("role"),
            body.get("reason"),
            body.get("what"),
            body.get("at"),
        )
        if i >= len(rows):
            out.append(Difference(e.case_id, "access_log", name, None, None, "row"))
            continue
        got = tuple(rows[i][1:])
        if got == derived:
            continue
        for col, s, d in zip(names, got, derived, strict=True):
            if s != d:
                out.append(Difference(e.case_id, "access_log", name, col, s, d))
    return out


# -- joining streams by case -------------------------------------------------------------------


def group_by_case(
    *streams: Iterable[Any], keys: Sequence[Any]
) -> Iterator[tuple[str, list[list[Any]]]]:
    """Merge streams each ordered by case id (``keys[i](item)`` gives it) into, per case id in
    order, one list per stream; memory holds one case at a time."""
    iters = [iter(s) for s in streams]
    n = len(iters)
    heads: list[Any] = [next(it, None) for it in iters]
    ids: list[str | None] = [None if h is None else keys[i](h) for i, h in enumerate(heads)]
    while True:
        live = [x for x in ids if x is not None]
        if not live:
            return
        cid = min(live)
        groups: list[list[Any]] = []
        for i in range(n):
            if ids[i] != cid:
                groups.append([])
                continue
            group = [heads[i]]
            it, key = iters[i], keys[i]
            for item in it:
                k = key(item)
                if k != cid:
                    heads[i], ids[i] = item, k
                    break
                group.append(item)
            else:
                heads[i], ids[i] = None, None
            groups.append(group)
        yield cid, groups


__all__ = [
    "ACCESS_COLUMNS",
    "CASE_COLUMNS",
    "DEADLINE_COLUMNS",
    "DERIVED_TABLES",
    "INTAKE_COLUMNS",
    "NOTICE_COLUMNS",
    "CaseTables",
    "Difference",
    "JournalState",
    "access_body",
    "access_columns",
    "case_columns",
    "cell",
    "chain_entry",
    "compare_accesses",
    "compare_case",
    "deadline_columns",
    "group_by_case",
    "intake_body",
    "intake_columns",
    "notice_body",
    "notice_columns",
    "notices_for",
    "read_journal",
    "rebuild_tables",
]
