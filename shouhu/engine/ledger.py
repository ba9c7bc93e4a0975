"""The ledger (台账): :meth:`Engine.register` puts a person on it; :meth:`Engine.registry_report`
(the quarterly return) and :meth:`Engine.screening` (the holiday safety visits) read it.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine import zhinput
from shouhu.engine.acting import Acting, check_scope, resolve, sign_commits
from shouhu.engine.model import CaseRecord, Child, Event, Location, Reporter
from shouhu.engine.periods import parse_period, period_end
from shouhu.engine.policy import default_pack
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.records import (
    FUTURE_TOLERANCE,
    anniversary,
    case_view,
    log_events,
    not_after,
    occurred_instant,
    open_case,
    parse_location,
)
from shouhu.engine.requests import Instant
from shouhu.engine.timeutil import local_date, local_iso, parse_day, parse_instant
from shouhu.engine.views import CaseView
from shouhu.errors import Conflict, InvalidInput, TransitionRefused
from shouhu.i18n import _
from shouhu.workflows.child_watch2 import DEFAULT_CATEGORY
from shouhu.workflows.spec import WorkflowDef
from shouhu.workflows.vocab import WATCH_KINDS

if TYPE_CHECKING:  # imported by the functions using them: showing a case needs neither
    from shouhu.engine import registry as reg
    from shouhu.engine.core import Engine
    from shouhu.engine.signing import Credential


def register(
    self: Engine,
    kind: str,
    *,
    person: Mapping[str, Any] | BaseModel,
    location: str | Mapping[str, Any] | Location,
    actor: Mapping[str, Any] | BaseModel | Credential,
    at: Instant | None = None,
    data: Mapping[str, Any] | None = None,
) -> CaseView:
    """Put a person on the ledger (台账): a new case of ``child_watch``, ``woman_watch`` or
    ``elderly_watch`` (``kind``: child, woman or elderly, or the watch type itself).

    ``person``: name, birthdate and an optional id number (checked, GB 11643). ``data``:
    for a child ``parents_away`` (both | one_with_incapable_other), ``guardian``,
    ``agreement_signed``; for a woman ``husband_away_since``. Refused with
    :class:`InvalidInput` when the person is not left behind under the documents (a child
    16 or older, a woman whose husband has been away less than half a year, an elder under
    60), with :class:`TransitionRefused` for a role that keeps no ledger, and with
    :class:`Conflict` naming the open watch of the same person. Nothing is written then.
    """
    acting = resolve(self, actor)
    commit = _register_commit(self, kind, person, location, acting, at, data)
    case = commit.case
    check_scope(acting, case, "register")
    sign_commits((commit,), acting)
    try:
        with self.store.write() as tx:
            same = _same_person(tx, case)
            if same is not None:
                raise _duplicate(self, case, same)
            tx.append(commit)
    except Conflict as exc:
        if exc.data.get("rule") == "duplicate":
            raise
        # A twin registered in a racing transaction: the store's unique index (one open
        # watch per person, migration 0004) refused this one. Name the twin.
        with self.store.write() as tx:
            same = _same_person(tx, case)
        if same is None:
            raise
        raise _duplicate(self, case, same) from None
    if self._std_log.isEnabledFor(logging.INFO):
        self.log.info(
            "person_registered",
            case_id=case.id,
            type=case.type,
            role=case.reporter.kind,
            township=case.location.township,
        )
    log_events(self, commit.events)
    return case_view(self, case, list(commit.events))


def _register_commit(
    self: Engine,
    kind: str,
    person: Mapping[str, Any] | BaseModel,
    location: str | Mapping[str, Any] | Location,
    who: Acting,
    at: Instant | None,
    data: Mapping[str, Any] | None,
) -> Commit:
    kind = zhinput.watch_kind(kind, self.workflows)  # a key or a Chinese name (儿童 …)
    type_ = WATCH_KINDS.get(kind, kind)
    if type_ not in self.workflows.watch_types():
        raise InvalidInput(
            _("unknown kind {kind!r} (kinds: {kinds})").format(
                kind=str(kind)[:40], kinds=", ".join(WATCH_KINDS)
            ),
            field="kind",
        )
    wf = self.workflows.latest(type_)
    if who.role not in wf.registrars:
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="role",
                citation=wf.citation,
                why=_("the ledger is kept by {registrars}, not {role}").format(
                    registrars=", ".join(wf.registrars), role=who.role
                ),
            ),
            rule="role",
            citation=wf.citation,
            trigger="register",
            state="",
            role=who.role,
        )
    now = self.clock.now()
    name, birth, idn = v.child(person)
    loc = parse_location(location)
    when = occurred_instant(self, at, now, field="at")
    clean = v.validate_data(_("register {kind}").format(kind=kind), wf.report_data, data, self.zone)
    if any(f.name == "category" for f in wf.report_data) and not clean.get("category"):
        clean["category"] = DEFAULT_CATEGORY  # recorded: the return counts it
    not_after(self, clean, wf.report_data, when)
    age = _registration_age(self, wf, birth, when, clean)
    child = Child(name, birth, idn, left_behind=True, age_at_discovery=age)
    facts = dict(wf.report_effect({}, clean)) if wf.report_effect else {}
    case_id = self._new_id(now)
    event_data: dict[str, Any] = {
        "person": {
            "name": name,
            "birthdate": birth.isoformat(),
            **({"id_number": idn} if idn else {}),
            "age_at_registration": age,
        },
        "location": loc.as_dict(),
        "registrar": {"name": who.name, "role": who.role},
        "register": clean,
    }
    changes = dl.on_event(
        self.policy,
        self.zone,
        case_id=case_id,
        existing=(),
        trigger="register",
        data={**clean, _age_key(clean): birth.isoformat()},  # turns_16/18 count from it
        when=when,
        seq=1,
        closes=False,
        workflow=wf,
    )
    effects = {"deadlines": changes.effects} if changes.effects else {}
    ev, record = open_case(
        self,
        case_id,
        wf,
        (who.name, who.role),
        when,
        now,
        event_data,
        effects,
        {
            "child": child,
            "location": loc,
            "reporter": Reporter(who.role, who.name, False),
            "discovered_at": when,
            "facts": {**facts, **changes.facts},
        },
    )
    return Commit(record, (ev,), None, tuple(changes.writes))


def _age_key(data: Mapping[str, Any]) -> str:
    """The registration's datum an ageing-out maturity counts from: ``birthdate`` (turns_16)
    for a left-behind child, ``minor_birthdate`` (turns_18) for the ledger's other
    categories of child, who are on it while minors (Civil Code Art. 17)."""
    category = data.get("category")
    return "birthdate" if category in (None, DEFAULT_CATEGORY) else "minor_birthdate"


def _registration_age(
    self: Engine, wf: WorkflowDef, birth: date, when: datetime, data: Mapping[str, Any]
) -> int:
    """Whole years of age at registration (Civil Code counting, as intake's ``_age_check``),
    refusing a person the ledger does not cover."""
    day = local_date(when, self.zone)
    if birth > day:
        raise InvalidInput(_("birthdate is after the registration date"), field="birthdate")
    age = day.year - birth.year
    if day <= anniversary(birth, age):
        age -= 1
    for rule in wf.eligibility:  # the workflow's definitions of whom it holds
        if not rule.applies(data):
            continue
        names: dict[str, Any] = {"birthdate": birth.isoformat(), "age": age}
        if rule.check is not None:
            reason = rule.check(data)
            if reason is None:
                continue
            names["reason"] = reason
        elif rule.under_age is not None and age >= rule.under_age:
            until = period_end(birth, parse_period(f"P{rule.under_age}Y"), self.zone)
            names["until"] = local_iso(until, self.zone)
        elif rule.min_age is not None and age < rule.min_age:
            pass
        elif rule.since_field is not None and rule.since_period is not None:
            since = date.fromisoformat(data[rule.since_field])
            holds = period_end(since, parse_period(rule.since_period), self.zone)
            if when >= holds:
                continue
            names.update(since=since.isoformat(), until=local_iso(holds, self.zone))
        else:
            continue
        raise InvalidInput(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule=rule.rule, citation=rule.citation, why=_(rule.message).format(**names)
            ),
            field=rule.field,
            rule=rule.rule,
            citation=rule.citation,
        )
    return age


def registry_report(
    self: Engine, quarter: str, now: Instant | None = None, *, township: str | None = None
) -> reg.LedgerReturn:
    """The quarter's return (``2026Q1``) per township and village, read from the watches'
    histories as of the quarter's end, or ``now`` (default: the clock) while it runs;
    ``township``: that township's villages only."""
    from shouhu.engine import registry as reg

    q = reg.Quarter.parse(quarter)
    at = _as_of(self, now)
    store = self.store
    seen: set[str] = set()

    def watches() -> Iterator[tuple[CaseRecord, Callable[[], list[Event]]]]:
        for type_ in reg.KINDS:
            for record in store.list_cases(type=type_):
                seen.add(record.location.township)
                if township is None or record.location.township == township:
                    yield record, partial(store.events, record.id)

    windows = {r.name: r.window_months for r in self.policy.tracked() if r.align}
    ret = reg.ledger_return(watches(), q, at, self.zone, windows, self.workflows)
    if township is not None and township not in seen:
        raise _unknown_township(township, seen)
    return ret


def screening(
    self: Engine, before: str | date, now: Instant | None = None, *, township: str | None = None
) -> reg.Screening:
    """The children on the ledger due a safety visit before a holiday starting ``before``
    (a local date): no visit within the pack's ``screening_visit`` bound of that day, or a
    report about them still open (001 §四(三)5)."""
    from shouhu.engine import registry as reg

    day = parse_day(before, field="before")
    at = _as_of(self, now)
    if day < local_date(at, self.zone):
        raise InvalidInput(
            _(
                "--before {day} is in the past (today is {today}): a screening plans visits ahead"
            ).format(day=day.isoformat(), today=local_date(at, self.zone).isoformat()),
            field="before",
        )
    rule = self.policy.check("screening_visit") or default_pack().check("screening_visit")
    assert rule is not None  # the default pack has it
    assert rule.period is not None
    holiday = parse_instant(day, self.zone)

    def report_open(case_id: str) -> bool:
        record = self.store.load(case_id)
        return record is not None and record.closed_at is None

    on_ledger = 0
    entries: list[reg.ScreeningEntry] = []
    seen: set[str] = set()
    screened = (t for t in self.workflows.watch_types() if self.workflows.latest(t).screened)
    for record in (r for t in screened for r in self.store.list_cases(type=t, state="on_ledger")):
        seen.add(record.location.township)
        if township is not None and record.location.township != township:
            continue
        on_ledger += 1
        entry = reg.screening_entry(
            record, self.store.events(record.id), holiday, rule.period, self.zone, report_open
        )
        if entry is not None:
            entries.append(entry)
    if township is not None and township not in seen:
        raise _unknown_township(township, seen, _("with a child on the ledger"))
    entries.sort(key=lambda e: (e.township, e.village, e.case_id))
    return reg.Screening(day, at, rule.period, self.zone, on_ledger, tuple(entries))


def _as_of(self: Engine, now: Instant | None) -> datetime:
    clock_now = self.clock.now()
    at = clock_now if now is None else parse_instant(now, self.zone, field="now")
    if at > clock_now + FUTURE_TOLERANCE:
        raise InvalidInput(
            _("now {now} is later than the clock ({clock})").format(
                now=local_iso(at, self.zone), clock=local_iso(clock_now, self.zone)
            ),
            field="now",
        )
    return at


def _unknown_township(name: str, known: Iterable[str], which: str | None = None) -> InvalidInput:
    shown = ", ".join(sorted(known)[:20]) or _("none yet")
    return InvalidInput(
        _("--township: no township {name!r} {which} (townships: {shown})").format(
            name=name[:40], which=_("on the ledger") if which is None else which, shown=shown
        ),
        field="township",
    )


def _same_person(tx: Transaction, case: CaseRecord) -> str | None:
    return tx.same_person((case.type,), case.child, case.location.village)


def _duplicate(self: Engine, case: CaseRecord, same: str) -> Conflict:
    return Conflict(
        _("refused by rule {rule} ({citation}): {why}").format(
            rule="duplicate",
            citation=f"{self.workflows.latest(case.type).citation} — 一人一档",
            why=_("this person is already on the ledger as case {case_id}").format(case_id=same),
        ),
        case_id=same,
        expected=None,
        actual=None,
        rule="duplicate",
    )
