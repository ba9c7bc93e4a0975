"""What every part of the engine shares: load a case, show it, check an instant a caller gives,
seal an event into the hash chain, log the events written.

The functions taking ``self`` are the engine's own helpers: ``self`` is the
:class:`~shouhu.engine.core.Engine` (store, clock, zone, policy pack, logger).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine.hashing import GENESIS, sealed
from shouhu.engine.model import CaseRecord, Event, Location
from shouhu.engine.ports import Transaction
from shouhu.engine.requests import Instant
from shouhu.engine.timeutil import local_date, local_iso, parse_instant
from shouhu.engine.views import WITHHELD, CaseView
from shouhu.errors import InvalidInput, NotFound
from shouhu.i18n import N_, _
from shouhu.workflows.spec import FieldDef, WorkflowDef

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.machines import Step

AFTER_EVENT = N_("{field} {value} is after the event itself")

#: How far ahead of the engine's clock an ``occurred_at`` may be (clock skew between desks).
FUTURE_TOLERANCE = timedelta(minutes=5)


def anniversary(birth: date, years: int) -> date:
    """The ``years``-th birthday; 29 February falls back to the 28th (Civil Code Art. 202)."""
    year = birth.year + years
    return date(year, birth.month, min(birth.day, calendar.monthrange(year, birth.month)[1]))


def parse_location(text: str | Mapping[str, Any] | Location) -> Location:
    """``VILLAGE, TOWNSHIP[, COUNTY]`` (ASCII or full-width commas) as a :class:`Location`."""
    if isinstance(text, Location):
        return text
    if isinstance(text, Mapping):
        given = [text.get("village"), text.get("township"), text.get("county")]
        parts: list[Any] = [p for p in given if p is not None]
    elif isinstance(text, str):
        parts = text.replace("，", ",").split(",")
    else:
        raise InvalidInput(_("location: expected 'VILLAGE, TOWNSHIP[, COUNTY]'"), field="location")
    if not 2 <= len(parts) <= 3:
        raise InvalidInput(
            _("location: expected 'VILLAGE, TOWNSHIP[, COUNTY]' (two or three parts)"),
            field="location",
        )
    clean = [v.clean_text(p, field="location", max_length=50) for p in parts]
    return Location(clean[0], clean[1], clean[2] if len(clean) == 3 else None)


def load(self: Engine, case_id: str, tx: Transaction | None = None) -> CaseRecord:
    if not isinstance(case_id, str) or not case_id.strip() or len(case_id) > 64:
        raise InvalidInput(_("case: expected a case id"), field="case")
    # A case id is ASCII (Crockford base-32): other text names no case, and may not even
    # be encodable for the store (a lone surrogate from undecodable bytes in argv).
    record = (tx or self.store).load(case_id.strip().upper()) if case_id.isascii() else None
    if record is None:
        shown = case_id.strip()[:64]
        raise NotFound(_("no case {case}").format(case=repr(shown)), case_id=shown)
    return record


def case_view(self: Engine, record: CaseRecord, events: list[Event] | None = None) -> CaseView:
    wf = self.workflows.get(record.type, record.workflow_version)
    loader = (lambda: events) if events is not None else (lambda: self.store.events(record.id))

    def deadlines() -> list[dict[str, Any]]:
        rows = self.store.deadlines(case_id=record.id)
        return [dl.view(d, self.policy, self.zone) for d in rows]

    return CaseView(record=record, workflow=wf, events=loader, deadline_rows=deadlines)


def occurred_instant(
    self: Engine, value: Instant | None, now: datetime, field: str = "occurred_at"
) -> datetime:
    when = now if value is None else parse_instant(value, self.zone, field=field)
    if when > now + FUTURE_TOLERANCE:
        raise InvalidInput(
            _("{field} {when} is in the future (now {now})").format(
                field=field, when=local_iso(when, self.zone), now=local_iso(now, self.zone)
            ),
            field=field,
        )
    return when


def not_after(
    self: Engine, data: Mapping[str, Any], fields: Iterable[FieldDef], when: datetime
) -> None:
    """Dates and times in data describe the past: none may follow the event itself."""
    for f in fields:
        value = data.get(f.name)
        if value is None:
            continue
        if f.kind == "datetime" and parse_instant(value, self.zone) > when:
            raise InvalidInput(_(AFTER_EVENT).format(field=f.name, value=value), field=f.name)
        if f.kind == "date" and date.fromisoformat(value) > local_date(when, self.zone):
            raise InvalidInput(_(AFTER_EVENT).format(field=f.name, value=value), field=f.name)


def seal(
    self: Engine,
    case_id: str,
    seq: int,
    wf: WorkflowDef,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    data: dict[str, Any],
    prev_hash: str,
    effects: dict[str, Any] | None = None,
) -> Event:
    effects = effects or {}
    h, data_json, effects_json = sealed(
        case_id=case_id,
        seq=seq,
        workflow=wf.type,
        workflow_version=wf.version,
        policy_version=self.policy_version,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        role=role,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        data=data,
        effects=effects,
        prev_hash=prev_hash,
    )
    ev = Event(
        case_id,
        seq,
        wf.type,
        wf.version,
        self.policy_version,
        trigger,
        from_state,
        to_state,
        actor,
        role,
        occurred_at,
        recorded_at,
        data,
        prev_hash,
        h,
        effects,
    )
    object.__setattr__(ev, "data_json", data_json)  # what was hashed is what is stored
    object.__setattr__(ev, "effects_json", effects_json)
    if effects.get("deadlines"):
        warn_unextended(self, case_id, effects["deadlines"])
    return ev


def warn_unextended(self: Engine, case_id: str, items: Iterable[Mapping[str, Any]]) -> None:
    """Issue 14: a duty started with its due time computed without Civil Code Art. 203's
    extension, for want of the year's rest days in the pack, is flagged in the logs too — its
    case, kind and the year; of a duty counted from a birthdate, not the year (it would date
    the birth)."""
    for item in items:
        rest = item.get("rest_days")
        if item.get("action") != "started" or not isinstance(rest, Mapping):
            continue
        year = rest.get("unknown_year")
        if year is None:
            continue
        personal = str(item.get("counted_from", "")).startswith("withheld")
        self.log.warning(
            "deadline_not_extended",
            case_id=case_id,
            kind=item.get("kind"),
            year="withheld" if personal else year,
            reason="the policy pack has no rest days for the year (Civil Code Art. 203)",
            policy_version=self.policy_version,
        )


def log_events(self: Engine, events: Iterable[Event]) -> None:
    """At DEBUG, each event with its data, for whoever runs the engine. Personal keys
    (the child or person, names, birthdates, id numbers, guardians) are redacted by the
    log processor; free text (notes, descriptions, reasons) is left out, since a narrative
    may name anyone; so is the data of an event counted from a birthdate (``turns_16``)."""
    if not self._std_log.isEnabledFor(logging.DEBUG):
        return
    rules = self.policy.tracked_by_name
    for e in events:
        rule = rules.get(e.trigger)
        wf = self.workflows.get(e.workflow, e.workflow_version)
        data: Any = WITHHELD
        if rule is None or not dl.personal(rule):
            data = _without_text(e.data, wf.fields(e.trigger))
            if e.seq == 1 and isinstance(data.get(e.trigger), Mapping):
                data[e.trigger] = _without_text(data[e.trigger], wf.report_data)
        self.log.debug(
            "event_recorded",
            case_id=e.case_id,
            seq=e.seq,
            trigger=e.trigger,
            role=e.role,
            to_state=e.to_state,
            data=data,
        )


def _without_text(data: Mapping[str, Any], fields: Iterable[FieldDef]) -> dict[str, Any]:
    """``data`` with the values of free-text fields replaced by ``[text]``."""
    text = {f.name for f in fields if f.kind == "text"}
    return {k: ("[text]" if k in text and v else v) for k, v in data.items()}


def text_or_none(**values: Any) -> None:
    """Bad input unless each value is text or None (filters a caller passes to a read)."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(
                _("{name}: expected text, not {kind}").format(name=name, kind=type(value).__name__),
                field=name,
            )


def open_case(
    self: Engine,
    case_id: str,
    wf: WorkflowDef,
    opened_by: tuple[str, str],
    when: datetime,
    now: datetime,
    data: dict[str, Any],
    effects: dict[str, Any],
    case: dict[str, Any],
) -> tuple[Event, CaseRecord]:
    """A case's first event (``wf.opening``: a report or a registration, by ``opened_by``
    (actor, role), at ``when``, recorded ``now``) and its row at version 1. ``case``: the
    row's other columns (child, location, reporter, discovered_at, facts, late, …)."""
    actor, role = opened_by
    ev = seal(
        self, case_id, 1, wf, wf.opening, None, wf.initial, actor, role, when, now, data,
        GENESIS, effects,
    )  # fmt: skip
    record = CaseRecord(
        id=case_id,
        type=wf.type,
        workflow_version=wf.version,
        state=wf.initial,
        version=1,
        head_hash=ev.hash,
        reported_at=when,
        last_occurred_at=when,
        created_at=now,
        updated_at=now,
        **case,
    )
    return ev, record


def advance(
    self: Engine,
    case: CaseRecord,
    wf: WorkflowDef,
    done: Step,
    trigger: str,
    actor: tuple[str, str],
    when: datetime,
    recorded: datetime,
    data: dict[str, Any],
    effects: dict[str, Any] | None,
    facts: dict[str, Any],
) -> tuple[Event, CaseRecord]:
    """An accepted step as the next event of ``case`` (sealed onto its chain) and the case's
    projection after it: the one way a trigger (``transitions``) and a due deadline (the
    sweep) move a case. A final state closes it at ``when``."""
    seq = case.version + 1
    ev = seal(
        self,
        case.id,
        seq,
        wf,
        trigger,
        done.from_state,
        done.to_state,
        actor[0],
        actor[1],
        when,
        recorded,
        data,
        case.head_hash,
        effects,
    )
    closes = wf.state(done.to_state).final
    new = _advanced(
        case,
        state=done.to_state,
        version=seq,
        head_hash=ev.hash,
        facts=facts,
        outcome=done.outcome,
        last_occurred_at=when,
        updated_at=recorded,
        closed_at=when if closes and case.closed_at is None else case.closed_at,
    )
    return ev, new


def _advanced(
    case: CaseRecord,
    *,
    state: str,
    version: int,
    head_hash: str,
    facts: dict[str, Any],
    outcome: str | None,
    last_occurred_at: datetime,
    updated_at: datetime,
    closed_at: datetime | None,
) -> CaseRecord:
    """``dataclasses.replace(case, ...)`` with what a transition changes, built directly
    (``replace`` walks the dataclass's fields on every call); every other field is copied, as
    the tests check field by field."""
    return CaseRecord(
        id=case.id,
        type=case.type,
        workflow_version=case.workflow_version,
        state=state,
        version=version,
        head_hash=head_hash,
        child=case.child,
        location=case.location,
        reporter=case.reporter,
        discovered_at=case.discovered_at,
        reported_at=case.reported_at,
        last_occurred_at=last_occurred_at,
        created_at=case.created_at,
        updated_at=updated_at,
        facts=facts,
        outcome=outcome,
        closed_at=closed_at,
        late=case.late,
        report_delay_seconds=case.report_delay_seconds,
    )
