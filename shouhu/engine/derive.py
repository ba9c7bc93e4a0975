"""Every table the engine fills from the log, rebuilt from the log alone, and compared.

The events are the truth; the case row, its deadline rows, its notices in the outbox and its
intake row are written from them in the same transaction. What is not a case's event — who
read an identity, what became of a notice — is kept in the **journal**, one hash chain of its
own, from which ``access_log`` and the outbox's delivery columns are derived. ``audit verify``
rebuilds each of these tables here and compares it with what the store holds, column by
column: an edited cell, a deleted row and a forged row are each named by table, column and
case (:class:`Difference`).

The column forms are in :mod:`shouhu.engine.columns`, the notices' making in
:mod:`shouhu.engine.notices`, the comparison in :mod:`shouhu.engine.compare`; this module
rebuilds a case's tables from its events and reads the journal, and is where callers find all
of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from shouhu import workflows
from shouhu.engine.columns import (
    ACCESS_COLUMNS,
    CASE_COLUMNS,
    CASE_ID_AT,
    DEADLINE_COLUMNS,
    DERIVED_TABLES,
    INTAKE_COLUMNS,
    NOTICE_COLUMNS,
    NOTICE_DELIVERY,
    access_body,
    access_columns,
    case_columns,
    case_head,
    cell,
    cells,
    chain_entry,
    deadline_columns,
    intake_body,
    intake_columns,
    notice_body,
    notice_columns,
    utc_text,
)
from shouhu.engine.compare import (
    NO_CASE,
    Difference,
    compare_accesses,
    compare_case,
    group_by_case,
)
from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import JournalEntry, Link
from shouhu.engine.notices import late_report_notices, notices_for
from shouhu.engine.restdays import unknown_year
from shouhu.i18n import _
from shouhu.workflows.spec import TransitionDef
from shouhu.workflows.workflowset import WorkflowSet


@lru_cache(maxsize=256)
def _finals(wfs: WorkflowSet, workflow: str, version: int) -> frozenset[str]:
    """The final states of a workflow version (none if it is unknown)."""
    try:
        wf = wfs.get(workflow, version)
    except KeyError:
        return frozenset()
    return frozenset(s.name for s in wf.states if s.final)


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
    wfs: WorkflowSet = workflows.DEFAULT,
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
        out.problems.append(
            _("the opening event does not say what the case row holds ({error})").format(error=exc)
        )
    for link in links:
        if link.to_state in _finals(wfs, link.workflow, link.workflow_version):
            case["closed_at"] = link.occurred_utc
            break
    location = first.data.get("location") if isinstance(first.data, Mapping) else None
    _late_report_notice(out, first, location, zone)
    for link, row in zip(links, rows, strict=False):
        if link.effects:
            try:
                _deadline_effects(out, link)
            except (KeyError, TypeError, ValueError) as exc:
                out.problems.append(
                    _("event {seq}'s deadline effects cannot be read ({error})").format(
                        seq=link.seq, error=exc
                    )
                )
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


def _late_report_notice(out: CaseTables, first: Link, location: Any, zone: str) -> None:
    """The notice to the superior organ that a late mandatory report's event recorded."""
    report = first.effects.get("report") if isinstance(first.effects, Mapping) else None
    if first.trigger != "report" or not isinstance(report, Mapping):
        return
    reporter = first.data.get("reporter")
    if not isinstance(location, Mapping) or not isinstance(reporter, Mapping):
        return
    for n in late_report_notices(
        case_id=first.case_id,
        case_type=first.workflow,
        location=location,
        reporter=reporter,
        report=report,
        occurred_at=datetime.fromisoformat(first.occurred_utc),
        created_at=datetime.fromisoformat(first.recorded_utc),
        zone=zone,
    ):
        cols = {k: cell(v) for k, v in notice_columns(n).items()}
        cols.pop("id")
        out.notices.append(cols)


def _opening(case: dict[str, Any], first: Link) -> None:
    """The case row's columns that the opening event (``report`` or ``register``) records."""
    d = first.data
    loc = d["location"]
    case.update(village=loc["village"], township=loc["township"], county=loc.get("county"))
    if first.trigger == "open_returns":  # a township's submissions: no person (returns.py)
        registrar = d["registrar"]
        case.update(
            child_name="",
            child_birthdate="1970-01-01",
            child_id_number=None,
            left_behind=False,
            age_at_discovery=0,
            reporter_kind=registrar["role"],
            reporter_name=registrar["name"],
            reporter_mandatory=False,
            discovered_at=first.occurred_utc,
            late=False,
            report_delay_seconds=0,
        )
        return
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
    discovered = utc_text(str(d["discovered_at"]))
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
        due = utc_text(str(item["due_at"]))
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
                "not_extended": unknown_year(item) is not None,
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
                _("event {seq} {action} a deadline {kind} that no event started").format(
                    seq=link.seq, action=action, kind=kind
                )
            )
            continue
        c = found.columns
        if action == "met":
            c.update(status="met", closed_at=when, closed_seq=link.seq, met_at=when)
        elif action == "met_late":
            c.update(met_at=when)
        elif action in {"missed", "fired", "cancelled"}:
            c.update(status=action, closed_at=when, closed_seq=link.seq)
        elif action == "rejudged":  # Art. 203 judged anew: the pack that judged it, its due time
            c.update(
                due_at=utc_text(str(item["to"])),
                policy_version=link.policy_version,
                not_extended=unknown_year(item) is not None,
            )
        else:
            out.problems.append(
                _("event {seq}: unknown deadline action {action!r}").format(
                    seq=link.seq, action=action
                )
            )


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
            out.broken.append(
                _("journal entry {i}: unknown kind {kind!r}").format(i=i, kind=e.kind)
            )
    return out


def _journal_break(i: int, e: JournalEntry, prev: str) -> str | None:
    if e.seq != i:
        return _("journal entry {i} is missing (found {seq})").format(i=i, seq=e.seq)
    if e.prev_hash != prev:
        return _("journal entry {i} does not link to entry {prev}").format(i=i, prev=i - 1)
    if e.computed_hash() != e.hash:
        return _("journal entry {i}'s content does not match its hash").format(i=i)
    return None


__all__ = [
    "ACCESS_COLUMNS",
    "CASE_COLUMNS",
    "CASE_ID_AT",
    "DEADLINE_COLUMNS",
    "DERIVED_TABLES",
    "INTAKE_COLUMNS",
    "NOTICE_COLUMNS",
    "NOTICE_DELIVERY",
    "NO_CASE",
    "CaseTables",
    "Difference",
    "JournalState",
    "access_body",
    "access_columns",
    "case_columns",
    "case_head",
    "cell",
    "cells",
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
