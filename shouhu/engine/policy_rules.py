"""A policy pack's deadline rules: what each is (:class:`DeadlineRule`, :class:`Start`) and
how one ``[deadlines.NAME]`` table of a pack is read and checked, with the line and the key of
anything refused."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shouhu.engine.periods import Period, _add_months, parse_period, period_end
from shouhu.engine.restdays import Extension, RestCalendar, extend
from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.workflows.spec import WorkflowDef
from shouhu.workflows.workflowset import WorkflowSet

Kind = Literal["duty", "maturity", "check"]
KINDS: tuple[str, ...] = ("duty", "maturity", "check")
BASES: tuple[str, ...] = ("law", "local")
#: ``align``: ``calendar`` (consecutive calendar months, quarters, years) or ``holidays`` (a
#: duty before each school holiday's first day of the pack's ``[holidays.NAME]`` tables).
ALIGNS: tuple[str, ...] = ("calendar", "holidays")


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class Start:
    """What starts a deadline: a trigger, counted from the event or from a date in its data."""

    trigger: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.trigger}:{self.field}" if self.field else self.trigger


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """One ``[deadlines.KIND]`` table."""

    name: str
    kind: Kind
    period: Period
    starts_on: tuple[Start, ...]
    met_by: tuple[str, ...]
    cancelled_by: tuple[str, ...]
    basis: str
    citation: str
    supervisor: str = ""
    notify: str = ""
    note: str = ""
    restart: bool = False
    fact: str | None = None
    #: ``"calendar"``: a recurring duty over consecutive calendar periods (months, quarters,
    #: years) instead of a period counted from an event; ``"holidays"``: a duty due at the
    #: first day of each holiday of the pack, met in the ``period`` before it; see
    #: :mod:`shouhu.engine.deadlines`.
    align: str | None = None
    #: The workflow types whose cases the rule starts on (empty: every type).
    applies_to: tuple[str, ...] = ()
    #: False: a duty that does not extend past rest days (Civil Code Art. 203), with the
    #: pack's reason in ``art203_reason``.
    art203: bool = True
    art203_reason: str = ""

    def due(self, start: datetime | date, zone: str) -> datetime:
        """When a deadline started at ``start`` falls due (Civil Code Arts 201–202)."""
        return period_end(start, self.period, zone)

    @property
    def extends(self) -> bool:
        """Whether the duty's last day moves past rest days (Art. 203): a duty counted in
        days, months or years, not calendar-aligned, unless its pack says why not. A maturity
        (a ground that holds once time has run) and a calendar-aligned duty (its windows are
        the calendar's own) do not: docs/deadlines.md."""
        return (
            self.art203 and self.kind == "duty" and self.period.is_calendar and self.align is None
        )

    def due_under(
        self, start: datetime | date, zone: str, calendar: RestCalendar
    ) -> tuple[datetime, Extension | None]:
        """:meth:`due`, and for a duty that :attr:`extends` under a pack with a calendar, its
        last day moved past rest days (Art. 203) and what was done (else None)."""
        end = period_end(start, self.period, zone)
        if not calendar or not self.extends:
            return end, None
        return extend(end, calendar, zone)

    @property
    def window_months(self) -> int:
        """The length of a calendar-aligned rule's window, in months (0 if not aligned)."""
        if self.align != "calendar":
            return 0
        return self.period.years * 12 + self.period.months

    def window_opens(self, due: datetime, zone: str) -> datetime:
        """A holiday duty's window opens ``period`` before its due time (00:00 local of the
        holiday's first day): years and months back with the day clamped to the month's end,
        then days; 00:00 local of that day."""
        tz = ZoneInfo(zone)
        day = due.astimezone(tz).date()
        day = _add_months(day, -(self.period.years * 12 + self.period.months))
        day -= timedelta(days=self.period.days)
        return datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)

    def applies(self, workflow: str | WorkflowDef | None) -> bool:
        """Whether the rule starts on cases of ``workflow`` (None: any).

        A rule with ``applies_to`` starts on those types. One without starts on any workflow
        that can meet it: a duty whose ``met_by`` triggers a workflow has none of (the police
        dispatch, for a type no police act in) is no duty of that workflow's cases."""
        if workflow is None:
            return True
        if isinstance(workflow, str):
            return not self.applies_to or workflow in self.applies_to
        if self.applies_to:
            return workflow.type in self.applies_to
        return not self.met_by or any(workflow.rows(t) for t in self.met_by)


_KEYS = {
    "kind",
    "period",
    "starts_on",
    "met_by",
    "cancelled_by",
    "basis",
    "citation",
    "supervisor",
    "notify",
    "note",
    "restart",
    "fact",
    "align",
    "applies_to",
    "art203",
    "art203_reason",
}
_REQUIRED = ("period", "starts_on", "met_by", "cancelled_by", "basis", "citation")

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_KEY_AT = re.compile(r"^\s*(?:\[+\s*([^\]]+?)\s*\]+|([A-Za-z0-9_.\-\"' ]+?)\s*=)")


def _not_toml(text: str, source: str, exc: tomllib.TOMLDecodeError) -> InvalidInput:
    """``policy SOURCE: not valid TOML: line N: KEY: …`` — the key (or table) on the line that
    tomllib names, where the line has one."""
    found = _AT_LINE.search(str(exc))
    line = int(found.group(1)) if found else None
    where = ""
    if line is not None:
        lines = text.splitlines()
        m = _KEY_AT.match(lines[line - 1]) if 0 < line <= len(lines) else None
        key = (m.group(1) or m.group(2)).strip() if m else ""
        where = (
            _("line {line}: {key}: ").format(line=line, key=key)
            if key
            else _("line {line}: ").format(line=line)
        )
    return InvalidInput(
        _("policy {source}: not valid TOML: {where}{error}").format(
            source=source, where=where, error=" ".join(str(exc).split())
        ),
        field="policy",
        line=line,
    )


@dataclass(frozen=True, slots=True)
class _Known:
    """What a pack's rules may name: the triggers and the types of a set of workflows."""

    triggers: frozenset[str]
    types: frozenset[str]

    @classmethod
    def of(cls, wfs: WorkflowSet) -> _Known:
        return cls(frozenset(wfs.triggers()), frozenset(wfs.all_types()))


def _rule(name: str, body: Any, where: _Where, known: _Known) -> DeadlineRule:
    triggers = known.triggers
    table = f"deadlines.{name}"
    if not isinstance(body, dict):
        raise where.error("deadlines", name, _("{table} must be a table").format(table=table))
    if not _NAME.match(name):
        raise where.error(
            table, None, _("deadline name {name!r} must be lower_snake_case").format(name=name)
        )
    unknown = set(body) - _KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise where.error(table, key, _("unknown key {key!r}").format(key=key))
    for key in _REQUIRED:
        if key not in body:
            raise where.error(table, None, _("missing key {key!r}").format(key=key))
    kind = body.get("kind", "duty")
    if kind not in KINDS:
        raise where.error(
            table,
            "kind",
            _("kind must be one of {kinds}, not {kind!r}").format(
                kinds=", ".join(KINDS), kind=kind
            ),
        )
    if not isinstance(body["period"], str):
        raise where.error(table, "period", _("period must be an ISO 8601 duration text"))
    try:
        period = parse_period(body["period"])
    except InvalidInput as exc:
        raise where.error(table, "period", exc.message) from None
    if body["basis"] not in BASES:
        raise where.error(
            table,
            "basis",
            _("basis must be law or local, not {basis!r}").format(basis=body["basis"]),
        )
    if not isinstance(body["citation"], str) or not body["citation"].strip():
        raise where.error(table, "citation", _("citation must be a non-empty text"))
    starts = tuple(
        _start(s, table, where, triggers) for s in _strings(body, "starts_on", where, table)
    )
    met = _triggers(body, "met_by", where, table, triggers)
    cancelled = _triggers(body, "cancelled_by", where, table, triggers)
    if kind != "check" and not starts:
        raise where.error(table, "starts_on", _("a duty or maturity needs at least one start"))
    if kind == "duty" and not met:
        raise where.error(table, "met_by", _("a duty needs at least one trigger that meets it"))
    if kind == "maturity" and name not in triggers:
        raise where.error(
            table,
            None,
            _("a maturity's name must be the system trigger it fires; {name!r} is none").format(
                name=name
            ),
        )
    for key in ("supervisor", "notify", "note", "fact"):
        if key in body and not isinstance(body[key], str):
            raise where.error(table, key, _("{key} must be text").format(key=key))
    if "restart" in body and not isinstance(body["restart"], bool):
        raise where.error(table, "restart", _("restart must be true or false"))
    align = body.get("align")
    if align == "holidays":
        if kind != "duty":
            raise where.error(table, "align", _("only a duty can be aligned to the holidays"))
        if not period.is_calendar or period.hours or period.minutes or period.seconds:
            raise where.error(
                table,
                "period",
                _(
                    "a holiday duty's period is the window before the holiday's first day, "
                    "in years, months or days (P14D, P1M), not {period!r}"
                ).format(period=body["period"]),
            )
    elif align is not None:
        if align != "calendar":
            raise where.error(
                table,
                "align",
                _('align must be "calendar" or "holidays", not {align!r}').format(align=align),
            )
        if kind != "duty":
            raise where.error(table, "align", _("only a duty can be calendar-aligned"))
        months = period.years * 12 + period.months
        if period.days or not months or (12 % months and months % 12):
            raise where.error(
                table,
                "period",
                _(
                    "a calendar-aligned period is whole months that divide a year "
                    "(P1M, P3M, P6M) or whole years, not {period!r}"
                ).format(period=body["period"]),
            )
    applies_to: tuple[str, ...] = ()
    if "applies_to" in body:
        value = body["applies_to"]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise where.error(table, "applies_to", _("applies_to must be a list of workflow types"))
        for t in value:
            if t not in known.types:
                raise where.error(
                    table, "applies_to", _("unknown workflow type {type!r}").format(type=t)
                )
        applies_to = tuple(value)
    art203, reason = _art203(body, table, where, kind, period, align)
    return DeadlineRule(
        name=name,
        kind=kind,
        period=period,
        starts_on=starts,
        met_by=met,
        cancelled_by=cancelled,
        basis=body["basis"],
        citation=body["citation"].strip(),
        supervisor=body.get("supervisor", ""),
        notify=body.get("notify", ""),
        note=body.get("note", ""),
        restart=body.get("restart", False),
        fact=body.get("fact") or None,
        align=align,
        applies_to=applies_to,
        art203=art203,
        art203_reason=reason,
    )


def _art203(
    body: Mapping[str, Any], table: str, where: _Where, kind: str, period: Period, align: Any
) -> tuple[bool, str]:
    """``art203 = false`` with an ``art203_reason``: a duty that does not extend past rest
    days. Only a duty counted in calendar units, not aligned, extends at all."""
    if "art203" not in body:
        if "art203_reason" in body:
            raise where.error(table, "art203_reason", _("art203_reason goes with art203 = false"))
        return True, ""
    value = body["art203"]
    if not isinstance(value, bool):
        raise where.error(table, "art203", _("art203 must be true or false"))
    if kind != "duty" or not period.is_calendar or align is not None:
        raise where.error(
            table,
            "art203",
            _(
                "only a duty counted in days, months or years (not calendar-aligned) extends "
                "past rest days (Civil Code Art. 203); this one never does"
            ),
        )
    reason = body.get("art203_reason", "")
    if not isinstance(reason, str):
        raise where.error(table, "art203_reason", _("art203_reason must be text"))
    if value:
        if reason:
            raise where.error(table, "art203_reason", _("art203_reason goes with art203 = false"))
        return True, ""
    if not reason.strip():
        raise where.error(
            table,
            "art203_reason",
            _("art203 = false needs art203_reason: why Art. 203 does not apply"),
        )
    return False, reason.strip()


def _strings(body: Mapping[str, Any], key: str, where: _Where, table: str) -> list[str]:
    value = body[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(table, key, _("{key} must be a list of trigger names").format(key=key))
    return [v.strip() for v in value]


def _triggers(
    body: Mapping[str, Any], key: str, where: _Where, table: str, known: AbstractSet[str]
) -> tuple[str, ...]:
    names = _strings(body, key, where, table)
    for n in names:
        if n not in known:
            raise where.error(table, key, _("unknown trigger {trigger!r}").format(trigger=n))
    return tuple(names)


def _start(text: str, table: str, where: _Where, known: AbstractSet[str]) -> Start:
    trigger, _colon, fld = text.partition(":")
    if trigger not in known:
        raise where.error(
            table, "starts_on", _("unknown trigger {trigger!r}").format(trigger=trigger)
        )
    if fld and not _NAME.match(fld):
        raise where.error(
            table,
            "starts_on",
            _("bad data field {field!r} in {text!r}").format(field=fld, text=text),
        )
    return Start(trigger, fld or None)


class _Where:
    """Finds the line of a table or key in the pack's text, for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def line(self, table: str | None, key: str | None) -> int | None:
        start = 0
        if table is not None:
            header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]\s*(#.*)?$")
            found = next((i for i, ln in enumerate(self.lines) if header.match(ln)), None)
            if found is None:
                return None
            if key is None:
                return found + 1
            start = found + 1
        if key is None:
            return None
        if table is None:  # a top-level key, or a table of that name
            head = re.compile(rf"^\s*\[+\s*{re.escape(key)}\s*[\].]")
            found = next((i for i, ln in enumerate(self.lines) if head.match(ln)), None)
            if found is not None:
                return found + 1
        pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, len(self.lines)):
            if table is not None and i > start - 1 and self.lines[i].lstrip().startswith("["):
                break
            if pat.match(self.lines[i]):
                return i + 1
        return start if table is not None else None

    def error(self, table: str | None, key: str | None, message: str) -> InvalidInput:
        line = self.line(table, key)
        at = _("line {line}").format(line=line) if line else "?"
        where = ".".join(p for p in (table, key) if p)
        return InvalidInput(
            _("policy {source}: {at}: {where}: {message}").format(
                source=self.source, at=at, where=where, message=message
            ),
            field=where or "policy",
            line=line,
        )
