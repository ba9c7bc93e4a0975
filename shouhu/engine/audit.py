"""Audit: rebuild a case from its events alone, verify the hash chain, and anchor the heads.

Replay feeds every event back through the workflow definition **version it was recorded
under**, judged by the very executor the live engine uses (:func:`machines.step`, held to the
definition's ``transitions`` machine by the tests).
It reports the state after each event, any event the definition would refuse, any difference
from the stored projection, and each deadline's compliance as the events' ``effects`` recorded
it.

``verify`` over a whole database needs only each case's verdict: :func:`replay_holds` walks the
same events the same way, judging each trigger with the same :func:`machines.step` and
hashing :class:`~shouhu.engine.model.Link` rows read without datetimes. A case it finds wanting
is replayed here in full, and that replay's findings are what ``verify`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shouhu import workflows
from shouhu.engine.anchors import (
    ANCHOR_PREFIX,
    Anchor,
    format_anchor,
    heads_digest,
    parse_anchor,
)
from shouhu.engine.compliance import ComplianceReport, KindStats
from shouhu.engine.machines import step
from shouhu.engine.model import CaseHead, CaseRecord, Event, Link
from shouhu.engine.restdays import unknown_year
from shouhu.engine.timeutil import local_iso, stored_instant
from shouhu.engine.verification import Broken, Verification, verify_chain
from shouhu.engine.views import WITHHELD
from shouhu.errors import InvalidInput, ShouhuError
from shouhu.i18n import _
from shouhu.workflows.spec import TransitionDef, WorkflowDef
from shouhu.workflows.workflowset import WorkflowSet

# -- replay ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One event as replay saw it."""

    seq: int
    trigger: str
    actor: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_to: str
    state: str  # the state replay reached after this event
    workflow_version: int
    refused: str | None = None  # why the definition would refuse it (an illegal history)


@dataclass(frozen=True, slots=True)
class DeadlineCompliance:
    """One deadline's life as the history records it."""

    kind: str
    due_at: datetime
    started_seq: int
    status: str  # pending (still open), met, missed, fired, cancelled
    met_at: datetime | None = None
    late_seconds: int | None = None
    closed_seq: int | None = None
    personal: bool = False  # counted from personal data: its due time reveals it
    #: The year of its last day that the pack had no rest days for (Civil Code Art. 203): its
    #: due time was computed without extension, and not re-judged since. None: judged.
    unknown_year: int | None = None


@dataclass(frozen=True)
class Replay:
    """A case rebuilt from its events (as of ``at``, business time, when given)."""

    case_id: str
    type: str
    at: datetime | None
    state: str
    version: int
    facts: dict[str, Any]
    outcome: str | None
    steps: tuple[ReplayStep, ...]
    illegal: tuple[tuple[int, str], ...] = ()
    differences: tuple[str, ...] = ()
    deadlines: tuple[DeadlineCompliance, ...] = ()
    late_report: bool | None = None

    @property
    def ok(self) -> bool:
        """No illegal event and no difference from the projection."""
        return not self.illegal and not self.differences

    def to_dict(self, tz: str, *, identity: bool = False) -> dict[str, Any]:
        """``identity``: show due times counted from personal data (else withheld)."""
        return {
            "case_id": self.case_id,
            "type": self.type,
            "at": local_iso(self.at, tz) if self.at else None,
            "state": self.state,
            "version": self.version,
            "outcome": self.outcome,
            "facts": self.facts,
            "ok": self.ok,
            "late_report": self.late_report,
            "illegal": [{"seq": s, "reason": r} for s, r in self.illegal],
            "differences": list(self.differences),
            "timeline": [
                {
                    "seq": s.seq,
                    "trigger": s.trigger,
                    "actor": s.actor,
                    "role": s.role,
                    "occurred_at": local_iso(s.occurred_at, tz),
                    "recorded_at": local_iso(s.recorded_at, tz),
                    "to": s.recorded_to,
                    "state": s.state,
                    "workflow_version": s.workflow_version,
                    "refused": s.refused,
                }
                for s in self.steps
            ],
            "deadlines": [
                {
                    "kind": d.kind,
                    "due_at": WITHHELD if d.personal and not identity else local_iso(d.due_at, tz),
                    "status": d.status,
                    "met_at": local_iso(d.met_at, tz) if d.met_at else None,
                    "late_seconds": d.late_seconds,
                    "started_seq": d.started_seq,
                    "closed_seq": d.closed_seq,
                }
                for d in self.deadlines
            ],
        }


def replay(
    events: Sequence[Event],
    *,
    zone: str,
    at: datetime | None = None,
    projection: CaseRecord | CaseHead | None = None,
    wfs: WorkflowSet = workflows.DEFAULT,
) -> Replay:
    """Rebuild a case from ``events``; compare with ``projection`` when replaying to the end."""
    if not events:
        raise InvalidInput(_("nothing to replay: the case has no events"), field="case")
    first = events[0]
    case_id, type_ = first.case_id, first.workflow
    state, facts, outcome = "", {}, None
    steps: list[ReplayStep] = []
    illegal: list[tuple[int, str]] = []
    deadlines: dict[tuple[str, str], dict[str, Any]] = {}
    version = 0
    late: bool | None = None
    for e in events:
        if at is not None and e.occurred_at > at:
            break
        try:
            wf = wfs.get(e.workflow, e.workflow_version)
        except KeyError:
            illegal.append(
                (
                    e.seq,
                    _("unknown workflow {type} v{version}").format(
                        type=e.workflow, version=e.workflow_version
                    ),
                )
            )
            break
        refused: str | None = None
        if e.seq == 1:
            if e.trigger != wf.opening:
                refused = _("the first event is not a {trigger}").format(trigger=wf.opening)
            state = wf.initial
            facts = opening_facts(wf, e.data)
            late = (e.effects.get("report") or {}).get("late")
        else:
            try:
                done = step(wf, state, facts, e.trigger, e.role, e.data, outcome)
                state, facts, outcome = done.to_state, done.facts, done.outcome
            except ShouhuError as exc:
                refused = exc.message
                state = e.to_state  # follow the record, so later events are judged fairly
        if refused is None and state != e.to_state:
            refused = _("the definition leads to {state}, the record says {recorded}").format(
                state=state, recorded=e.to_state
            )
        if refused is not None:
            illegal.append((e.seq, refused))
        facts = _apply_effects(facts, e.seq, e.occurred_at, e.effects, deadlines)
        version = e.seq
        steps.append(
            ReplayStep(
                e.seq,
                e.trigger,
                e.actor,
                e.role,
                e.occurred_at,
                e.recorded_at,
                e.to_state,
                state,
                e.workflow_version,
                refused,
            )
        )
    differences: list[str] = []
    if projection is not None and at is None:
        differences = _differences(projection, state, version, facts, outcome, events)
    compliance = tuple(
        DeadlineCompliance(
            kind=d["kind"],
            due_at=d["due_at"],
            started_seq=d["started_seq"],
            status=d["status"],
            met_at=d.get("met_at"),
            late_seconds=d.get("late_seconds"),
            closed_seq=d.get("closed_seq"),
            personal=bool(d.get("personal")),
            unknown_year=d.get("unknown_year"),
        )
        for d in sorted(deadlines.values(), key=lambda d: (d["due_at"], d["started_seq"]))
    )
    return Replay(
        case_id,
        type_,
        at,
        state,
        version,
        facts,
        outcome,
        tuple(steps),
        tuple(illegal),
        tuple(differences),
        compliance,
        late,
    )


def opening_facts(wf: WorkflowDef, data: Mapping[str, Any]) -> dict[str, Any]:
    """The facts the first event (``report`` or ``register``) records: its data's effect,
    and for a report raised from the ledger, the watch case it names."""
    given = data.get(wf.opening, {})
    facts = dict(wf.report_effect({}, given)) if wf.report_effect else {}
    if data.get("watch_case"):
        facts["watch_case"] = data["watch_case"]
    return facts


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A case's state after its events, and the transition row each event took (None for the
    opening one): what :func:`rebuild` finds."""

    state: str
    facts: dict[str, Any]
    outcome: str | None
    rows: tuple[TransitionDef | None, ...]


def rebuild(links: Sequence[Link], wfs: WorkflowSet = workflows.DEFAULT) -> Rebuilt | None:
    """Walk the events as :func:`replay` does and return where they lead, or None if one of
    them would be refused (then :func:`replay` says why). A trigger is judged by
    :func:`~shouhu.engine.machines.step`, on :class:`~shouhu.engine.model.Link` rows without
    datetimes."""
    if not links:
        raise InvalidInput(_("nothing to replay: the case has no events"), field="case")
    state, facts, outcome = "", {}, None
    rows: list[TransitionDef | None] = []
    deadlines: dict[tuple[str, str], dict[str, Any]] = {}
    for e in links:
        try:
            wf = wfs.get(e.workflow, e.workflow_version)
        except KeyError:
            return None
        if e.seq == 1:
            if e.trigger != wf.opening:
                return None
            state = wf.initial
            facts = opening_facts(wf, e.data)
            rows.append(None)
        else:
            try:
                done = step(wf, state, facts, e.trigger, e.role, e.data, outcome)
            except ShouhuError:
                return None
            state, facts, outcome = done.to_state, done.facts, done.outcome
            rows.append(done.row)
        if state != e.to_state:
            return None
        if e.effects:
            facts = _apply_effects(facts, e.seq, e.occurred_utc, e.effects, deadlines)
    return Rebuilt(state, facts, outcome, tuple(rows))


def replay_holds(
    links: Sequence[Link],
    projection: CaseRecord | CaseHead | None,
    done: Rebuilt | None = None,
    wfs: WorkflowSet = workflows.DEFAULT,
) -> bool:
    """Whether :func:`replay` of these events, compared with ``projection``, would be ``ok`` —
    the verdict ``verify`` needs for every case, without the timeline, the deadlines' compliance
    or a datetime (see :func:`rebuild`). When this says no, ``verify`` runs :func:`replay` for
    the reasons. ``done``: what :func:`rebuild` found for these links, if the caller has it."""
    if done is None:
        done = rebuild(links, wfs)
    if done is None:
        return False
    if projection is None:
        return True
    return not _differences(projection, done.state, links[-1].seq, done.facts, done.outcome, links)


def _apply_effects(
    facts: dict[str, Any],
    seq: int,
    occurred_at: Any,
    effects: Mapping[str, Any],
    deadlines: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    out = facts
    for item in effects.get("deadlines", []):
        key = (item["kind"], item["due_at"])
        action = item.get("action")
        if action == "started":
            deadlines[key] = {
                "kind": item["kind"],
                "due_at": stored_instant(item["due_at"]),
                "started_seq": seq,
                "status": "pending",
                "personal": str(item.get("counted_from", "")).startswith("withheld"),
                "unknown_year": unknown_year(item),
            }
            if item.get("fact"):
                out = {**out, item["fact"]: item["due_at"]}
            continue
        d = deadlines.get(key)
        if d is None:
            continue
        if action == "met":
            d.update(status="met", met_at=occurred_at, late_seconds=item.get("late_seconds", 0))
            d["closed_seq"] = seq
        elif action == "met_late":
            d.update(met_at=occurred_at, late_seconds=item.get("late_seconds"))
        elif action in {"missed", "fired", "cancelled"}:
            d.update(status=action, closed_seq=seq)
        elif action == "rejudged":  # Civil Code Art. 203, judged anew (shouhu.engine.rejudge)
            del deadlines[key]
            to = item["to"]
            d.update(due_at=stored_instant(to), unknown_year=unknown_year(item))
            deadlines[(item["kind"], to)] = d
            if item.get("fact"):
                out = {**out, item["fact"]: to}
    return out


def _differences(
    p: CaseRecord | CaseHead,
    state: str,
    version: int,
    facts: Mapping[str, Any],
    outcome: str | None,
    events: Sequence[Event | Link],
) -> list[str]:
    out = []
    if p.state != state:
        out.append(
            _("state: stored {stored}, rebuilt {rebuilt}").format(stored=p.state, rebuilt=state)
        )
    if p.version != version:
        out.append(
            _("version: stored {stored}, rebuilt {rebuilt}").format(
                stored=p.version, rebuilt=version
            )
        )
    if p.outcome != outcome:
        out.append(
            _("outcome: stored {stored}, rebuilt {rebuilt}").format(
                stored=p.outcome, rebuilt=outcome
            )
        )
    if dict(p.facts) != dict(facts):
        keys = sorted(set(p.facts) ^ set(facts) | {k for k in facts if p.facts.get(k) != facts[k]})
        out.append(_("facts differ: {keys}").format(keys=", ".join(keys)))
    if events and p.head_hash != events[-1].hash:
        out.append(_("head hash: the case row does not point at the last event"))
    return out


__all__ = [
    "ANCHOR_PREFIX",
    "Anchor",
    "Broken",
    "ComplianceReport",
    "KindStats",
    "Rebuilt",
    "Replay",
    "Verification",
    "format_anchor",
    "heads_digest",
    "parse_anchor",
    "rebuild",
    "replay",
    "replay_holds",
    "verify_chain",
]
