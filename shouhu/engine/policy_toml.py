"""A policy pack written back as TOML (:meth:`~shouhu.engine.policy.PolicyPack.to_toml`): the
small subset a pack uses, by hand (no TOML writer is needed)."""

from __future__ import annotations

from collections.abc import Iterable

from shouhu.engine.policy_days import Holiday
from shouhu.engine.policy_rules import DeadlineRule
from shouhu.engine.restdays import YearCalendar


def _toml_str(text: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_list(items: Iterable[object]) -> str:
    return "[" + ", ".join(_toml_str(str(i)) for i in items) + "]"


def _rule_lines(r: DeadlineRule) -> list[str]:
    """A rule's ``[deadlines.NAME]`` keys, in the shipped pack's order; optional keys only
    where set."""
    out = [f"kind = {_toml_str(r.kind)}", f"period = {_toml_str(str(r.period))}"]
    if r.align is not None:
        out.append(f"align = {_toml_str(r.align)}")
    if r.applies_to:
        out.append(f"applies_to = {_toml_list(r.applies_to)}")
    out += [
        f"starts_on = {_toml_list(r.starts_on)}",
        f"met_by = {_toml_list(r.met_by)}",
        f"cancelled_by = {_toml_list(r.cancelled_by)}",
        f"basis = {_toml_str(r.basis)}",
        f"citation = {_toml_str(r.citation)}",
    ]
    if r.supervisor:
        out.append(f"supervisor = {_toml_str(r.supervisor)}")
    if r.restart:
        out.append("restart = true")
    if r.fact is not None:
        out.append(f"fact = {_toml_str(r.fact)}")
    for key, value in (("notify", r.notify), ("note", r.note)):
        if value:
            out.append(f"{key} = {_toml_str(value)}")
    if not r.art203:
        out += ["art203 = false", f"art203_reason = {_toml_str(r.art203_reason)}"]
    return out


def _calendar_lines(y: YearCalendar) -> list[str]:
    """A year's ``[calendar.YYYY]`` table: its days one by one, in order."""
    return [
        f"[calendar.{y.year}]",
        f"rest = {_toml_list(d.isoformat() for d in sorted(y.rest))}",
        f"work = {_toml_list(d.isoformat() for d in sorted(y.work))}",
        f"citation = {_toml_str(y.citation)}",
    ]


def _holiday_lines(h: Holiday) -> list[str]:
    out = [f"[holidays.{h.name}]", f"first_day = {_toml_str(h.first_day.isoformat())}"]
    out.append(f"citation = {_toml_str(h.citation)}")
    if h.note:
        out.append(f"note = {_toml_str(h.note)}")
    return out
