"""Policy packs: the deadlines in force, as data (TOML), checked when loaded.

A pack names each deadline: its kind (``duty``, ``maturity`` or ``check``), what starts it,
what meets it, what cancels it, its period (ISO 8601), whether the number is ``law`` or a
``local`` choice, and its citation. A pack that names an unknown trigger, a bad period or an
unknown key is refused with the line and the key.

A pack may instead say ``extends = "NAME@VERSION"`` in its ``[pack]`` table, naming a pack
shipped in :mod:`shouhu.policies` by its id, and give only what it changes: a
``[deadlines.NAME]`` table of a deadline the parent has changes only the keys it gives (field by
field), one the parent has not adds a deadline (complete, as in any pack), and
``remove = ["NAME", …]`` drops inherited ones. Inheritance is resolved at load: the result is an
ordinary, complete :class:`PolicyPack`, whose :meth:`PolicyPack.to_toml` is that effective
content as a pack of its own.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any, Literal

from shouhu import workflows
from shouhu.engine.periods import Period, parse_period, period_end
from shouhu.errors import InvalidInput

Kind = Literal["duty", "maturity", "check"]
KINDS: tuple[str, ...] = ("duty", "maturity", "check")
BASES: tuple[str, ...] = ("law", "local")
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
    #: years) instead of a period counted from an event; see :mod:`shouhu.engine.deadlines`.
    align: str | None = None
    #: The workflow types whose cases the rule starts on (empty: every type).
    applies_to: tuple[str, ...] = ()

    def due(self, start: datetime | date, zone: str) -> datetime:
        """When a deadline started at ``start`` falls due (Civil Code counting)."""
        return period_end(start, self.period, zone)

    @property
    def window_months(self) -> int:
        """The length of a calendar-aligned rule's window, in months (0 if not aligned)."""
        if self.align != "calendar":
            return 0
        return self.period.years * 12 + self.period.months

    def applies(self, workflow: str | None) -> bool:
        """Whether the rule starts on cases of ``workflow`` (None: any)."""
        return not self.applies_to or workflow is None or workflow in self.applies_to


@dataclass(frozen=True)
class PolicyPack:
    """A pack of deadline rules with its name and version (recorded on every event)."""

    name: str
    version: str
    description: str
    rules: tuple[DeadlineRule, ...]
    #: Where the pack was loaded from (a file name): not part of its content, so not compared.
    source: str = field(default="<default>", compare=False)
    #: The pack's own text as loaded (for an inheriting pack, only its changes; see
    #: :meth:`to_toml` for the effective content).
    text: str = field(default="", repr=False, compare=False)
    #: The id of the shipped pack it extends (``None``: the pack is complete in its own text).
    extends: str | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        """``name@version``: the policy version every event records."""
        return f"{self.name}@{self.version}"

    def rule(self, name: str) -> DeadlineRule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def tracked(self) -> tuple[DeadlineRule, ...]:
        """The rules that become deadline rows (duties and maturities)."""
        return self._tracked

    @cached_property
    def _tracked(self) -> tuple[DeadlineRule, ...]:  # every event asks: computed once
        return tuple(r for r in self.rules if r.kind != "check")

    @cached_property
    def tracked_by_name(self) -> dict[str, DeadlineRule]:
        """The tracked rules by name."""
        return {r.name: r for r in self._tracked}

    def started_by(self, trigger: str, workflow: str | None = None) -> tuple[DeadlineRule, ...]:
        """The tracked rules (in pack order) that ``trigger`` may start (on ``workflow``)."""
        rules = self._starts.get(trigger, ())
        if workflow is None:
            return rules
        return tuple(r for r in rules if r.applies(workflow))

    @cached_property
    def _starts(self) -> dict[str, tuple[DeadlineRule, ...]]:
        triggers = {s.trigger for r in self._tracked for s in r.starts_on}
        return {
            t: tuple(r for r in self._tracked if any(s.trigger == t for s in r.starts_on))
            for t in triggers
        }

    def check(self, name: str) -> DeadlineRule | None:
        """A ``check`` rule by name, if the pack has one."""
        for r in self.rules:
            if r.name == name and r.kind == "check":
                return r
        return None

    def to_toml(self) -> str:
        """The pack's effective content as the text of a complete pack (no ``extends``):
        ``parse_pack(pack.to_toml()) == pack``. For ``shouhu policy show --effective``."""
        head = f"{self.id}: the effective pack"
        if self.extends:
            head += f" ({self.extends} with this pack's changes)"
        out = ["# " + "".join(c if c.isprintable() else " " for c in head), "", "[pack]"]
        out.append(f"name = {_toml_str(self.name)}")
        out.append(f"version = {_toml_str(self.version)}")
        if self.description:
            out.append(f"description = {_toml_str(self.description)}")
        for r in self.rules:
            out += ["", f"[deadlines.{r.name}]", *_rule_lines(r)]
        return "\n".join(out) + "\n"


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
}
_REQUIRED = ("period", "starts_on", "met_by", "cancelled_by", "basis", "citation")


def default_pack() -> PolicyPack:
    """The national defaults shipped with shouhu (``shouhu/policies/default.toml``)."""
    from importlib import resources

    text = resources.files("shouhu.policies").joinpath("default.toml").read_text(encoding="utf-8")
    return parse_pack(text, "default.toml")


def known_triggers() -> set[str]:
    """Every trigger of every registered workflow, and each one's opening (``report``,
    ``register``)."""
    names = {"report"}
    for (type_, version), wf in workflows.REGISTRY.items():
        del type_, version
        names.update(wf.triggers)
        names.add(wf.opening)
    return names


def parse_pack(text: str, source: str = "<pack>") -> PolicyPack:
    """A :class:`PolicyPack` from TOML text; ``InvalidInput`` naming the line and key if bad.

    A pack with ``extends`` is resolved against the shipped pack it names: the result is the
    effective, complete pack."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _not_toml(text, source, exc) from None
    where = _Where(text, source)
    unknown_top = set(doc) - {"pack", "deadlines"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise where.error(
            None, key, f"unknown table or key {key!r} (expected [pack], [deadlines.*])"
        )
    pack = doc.get("pack")
    if not isinstance(pack, dict):
        raise where.error(None, "pack", "missing [pack] table with name and version")
    for key in ("name", "version"):
        if not isinstance(pack.get(key), str) or not pack[key].strip():
            raise where.error("pack", key, f"[pack] needs a text {key}")
    extra = set(pack) - {"name", "version", "description", "extends", "remove"}
    if extra:
        key = sorted(extra)[0]
        raise where.error("pack", key, f"unknown key {key!r} in [pack]")
    name, version = pack["name"].strip(), pack["version"].strip()
    tables = doc.get("deadlines", {})
    if "extends" not in pack:
        if "remove" in pack:
            raise where.error(
                "pack", "remove", "remove needs extends: only an inherited deadline is removed"
            )
        if not isinstance(tables, dict) or not tables:
            raise where.error(None, "deadlines", "no [deadlines.KIND] tables")
        triggers = known_triggers()
        rules = [_rule(n, body, where, triggers) for n, body in tables.items()]
        parent_id = None
    else:
        if not isinstance(tables, dict):
            raise where.error(None, "deadlines", "deadlines must be [deadlines.KIND] tables")
        parent_id, rules = _inherit(pack, f"{name}@{version}", tables, where)
    return PolicyPack(
        name=name,
        version=version,
        description=str(pack.get("description", "")),
        rules=tuple(rules),
        source=source,
        text=text,
        extends=parent_id,
    )


@cache
def shipped_packs() -> Mapping[str, str]:
    """The packs shipped in :mod:`shouhu.policies` (the ones ``extends`` may name): their text
    by id (``name@version``)."""
    from importlib import resources

    out: dict[str, str] = {}
    for entry in sorted(resources.files("shouhu.policies").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            text = entry.read_text(encoding="utf-8")
            head = tomllib.loads(text)["pack"]
            out[f"{head['name'].strip()}@{head['version'].strip()}"] = text
    return MappingProxyType(out)


def _inherit(
    pack: Mapping[str, Any], own_id: str, tables: Mapping[str, Any], where: _Where
) -> tuple[str, list[DeadlineRule]]:
    """The parent's id and the effective rules of a pack that ``extends`` a shipped one: the
    parent's rules in its order (each changed field by field by the child's table of its name,
    or dropped by ``remove``), then the child's new rules in its order."""
    shipped = shipped_packs()
    ids = ", ".join(shipped)
    value = pack["extends"]
    if not isinstance(value, str) or not value.strip():
        raise where.error("pack", "extends", f"extends must be a shipped pack's id ({ids})")
    parent_id = value.strip()
    if parent_id not in shipped:
        same = [i for i in shipped if i.rsplit("@", 1)[0] == parent_id.rsplit("@", 1)[0]]
        hint = (
            f"; name it by its id, {same[0]!r} (name@version), so that this pack's own id "
            "always names the same numbers, whatever defaults a later shouhu ships"
            if same
            else f"; a pack extends one of: {ids}"
        )
        raise where.error("pack", "extends", f"no shipped pack is {parent_id!r}{hint}")
    if own_id in shipped:
        raise where.error(
            "pack",
            "version",
            f"a pack that extends {parent_id!r} needs an id of its own (its name or version), "
            f"not the shipped {own_id!r}: every event records it",
        )
    parent_text = shipped[parent_id]
    parent_doc = tomllib.loads(parent_text)
    if "extends" in parent_doc["pack"]:
        raise where.error(
            "pack",
            "extends",
            f"{parent_id!r} itself extends {parent_doc['pack']['extends']!r}: a pack extends "
            "one complete pack, not a chain",
        )
    inherited: dict[str, Any] = parent_doc["deadlines"]
    removed = _removed(pack, parent_id, inherited, tables, where)
    triggers = known_triggers()
    rules: list[DeadlineRule] = []
    for name, body in inherited.items():
        if name in removed:
            continue
        changes = tables.get(name, {})
        if not isinstance(changes, dict):
            raise where.error("deadlines", name, f"deadlines.{name} must be a table")
        rules.append(_rule(name, {**body, **changes}, where, triggers))
    rules += [
        _rule(name, body, where, triggers) for name, body in tables.items() if name not in inherited
    ]
    if not rules:
        raise where.error("pack", "remove", f"no deadlines left of {parent_id!r}")
    return parent_id, rules


def _removed(
    pack: Mapping[str, Any],
    parent_id: str,
    inherited: Mapping[str, Any],
    tables: Mapping[str, Any],
    where: _Where,
) -> set[str]:
    value = pack.get("remove", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error("pack", "remove", "remove must be a list of deadline names")
    for name in value:
        if name not in inherited:
            raise where.error("pack", "remove", f"{parent_id!r} has no deadline {name!r}")
        if name in tables:
            raise where.error(
                "pack",
                "remove",
                f"deadline {name!r} is both removed and given a [deadlines.{name}] table",
            )
    return set(value)


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
    return out


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
        where = f"line {line}: {key}: " if key else f"line {line}: "
    return InvalidInput(
        f"policy {source}: not valid TOML: {where}{' '.join(str(exc).split())}",
        field="policy",
        line=line,
    )


def _rule(name: str, body: Any, where: _Where, triggers: set[str]) -> DeadlineRule:
    table = f"deadlines.{name}"
    if not isinstance(body, dict):
        raise where.error("deadlines", name, f"{table} must be a table")
    if not _NAME.match(name):
        raise where.error(table, None, f"deadline name {name!r} must be lower_snake_case")
    unknown = set(body) - _KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise where.error(table, key, f"unknown key {key!r}")
    for key in _REQUIRED:
        if key not in body:
            raise where.error(table, None, f"missing key {key!r}")
    kind = body.get("kind", "duty")
    if kind not in KINDS:
        raise where.error(table, "kind", f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(body["period"], str):
        raise where.error(table, "period", "period must be an ISO 8601 duration text")
    try:
        period = parse_period(body["period"])
    except InvalidInput as exc:
        raise where.error(table, "period", exc.message) from None
    if body["basis"] not in BASES:
        raise where.error(table, "basis", f"basis must be law or local, not {body['basis']!r}")
    if not isinstance(body["citation"], str) or not body["citation"].strip():
        raise where.error(table, "citation", "citation must be a non-empty text")
    starts = tuple(
        _start(s, table, where, triggers) for s in _strings(body, "starts_on", where, table)
    )
    met = _triggers(body, "met_by", where, table, triggers)
    cancelled = _triggers(body, "cancelled_by", where, table, triggers)
    if kind != "check" and not starts:
        raise where.error(table, "starts_on", "a duty or maturity needs at least one start")
    if kind == "duty" and not met:
        raise where.error(table, "met_by", "a duty needs at least one trigger that meets it")
    if kind == "maturity" and name not in triggers:
        raise where.error(
            table, None, f"a maturity's name must be the system trigger it fires; {name!r} is none"
        )
    for key in ("supervisor", "notify", "note", "fact"):
        if key in body and not isinstance(body[key], str):
            raise where.error(table, key, f"{key} must be text")
    if "restart" in body and not isinstance(body["restart"], bool):
        raise where.error(table, "restart", "restart must be true or false")
    align = body.get("align")
    if align is not None:
        if align != "calendar":
            raise where.error(table, "align", f'align must be "calendar", not {align!r}')
        if kind != "duty":
            raise where.error(table, "align", "only a duty can be calendar-aligned")
        months = period.years * 12 + period.months
        if period.days or not months or (12 % months and months % 12):
            raise where.error(
                table,
                "period",
                "a calendar-aligned period is whole months that divide a year (P1M, P3M, P6M) "
                f"or whole years, not {body['period']!r}",
            )
    applies_to: tuple[str, ...] = ()
    if "applies_to" in body:
        known = {t for t, _ in workflows.REGISTRY}
        value = body["applies_to"]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise where.error(table, "applies_to", "applies_to must be a list of workflow types")
        for t in value:
            if t not in known:
                raise where.error(table, "applies_to", f"unknown workflow type {t!r}")
        applies_to = tuple(value)
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
    )


def _strings(body: Mapping[str, Any], key: str, where: _Where, table: str) -> list[str]:
    value = body[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(table, key, f"{key} must be a list of trigger names")
    return [v.strip() for v in value]


def _triggers(
    body: Mapping[str, Any], key: str, where: _Where, table: str, known: set[str]
) -> tuple[str, ...]:
    names = _strings(body, key, where, table)
    for n in names:
        if n not in known:
            raise where.error(table, key, f"unknown trigger {n!r}")
    return tuple(names)


def _start(text: str, table: str, where: _Where, known: set[str]) -> Start:
    trigger, _, fld = text.partition(":")
    if trigger not in known:
        raise where.error(table, "starts_on", f"unknown trigger {trigger!r}")
    if fld and not _NAME.match(fld):
        raise where.error(table, "starts_on", f"bad data field {fld!r} in {text!r}")
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
        at = f"line {line}" if line else "?"
        where = ".".join(p for p in (table, key) if p)
        return InvalidInput(
            f"policy {self.source}: {at}: {where}: {message}", field=where or "policy", line=line
        )


def describe(pack: PolicyPack) -> list[dict[str, Any]]:
    """The pack as rows (for ``policy show --format table`` and the docs)."""
    return [
        {
            "kind": r.name,
            "type": r.kind,
            "period": str(r.period),
            "starts_on": [str(s) for s in r.starts_on],
            "met_by": list(r.met_by),
            "cancelled_by": list(r.cancelled_by),
            "basis": r.basis,
            "citation": r.citation,
        }
        for r in pack.rules
    ]


def triggers_of(rules: Iterable[DeadlineRule]) -> set[str]:
    """Every trigger named by the rules (for checks and docs)."""
    out: set[str] = set()
    for r in rules:
        out.update(s.trigger for s in r.starts_on)
        out.update(r.met_by)
        out.update(r.cancelled_by)
    return out
