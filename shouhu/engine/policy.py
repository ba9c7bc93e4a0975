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

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any

from shouhu import workflows
from shouhu.engine.policy_days import Holiday, parse_calendar, parse_holidays
from shouhu.engine.policy_rules import (
    BASES,
    KINDS,
    DeadlineRule,
    Kind,
    Start,
    _Known,
    _not_toml,
    _rule,
    _Where,
)
from shouhu.engine.policy_toml import _calendar_lines, _holiday_lines, _rule_lines, _toml_str
from shouhu.engine.restdays import RestCalendar
from shouhu.i18n import _
from shouhu.workflows.spec import WorkflowDef
from shouhu.workflows.workflowset import WorkflowSet

__all__ = [
    "BASES",
    "KINDS",
    "DeadlineRule",
    "Holiday",
    "Kind",
    "PolicyPack",
    "Start",
    "default_pack",
    "describe",
    "known_triggers",
    "parse_pack",
    "rest_days",
    "shipped_packs",
    "triggers_of",
]


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
    #: The rest days (Civil Code Art. 203) of the years the pack has a State Council notice
    #: for (``[calendar.YYYY]``); empty: no duty is extended past rest days.
    calendar: RestCalendar = field(default_factory=RestCalendar)
    #: The school holidays (``[holidays.NAME]``) in the order of their first days: a duty
    #: ``align = "holidays"`` falls due at each one's first day (001 §四(二)3, 假期前交接).
    holidays: tuple[Holiday, ...] = ()

    def next_holiday(self, after: datetime, zone: str) -> Holiday | None:
        """The first holiday of the pack that starts (00:00 local of its first day) after the
        instant ``after``; None when the pack has no later one."""
        return next((h for h in self.holidays if h.starts(zone) > after), None)

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

    def started_by(
        self, trigger: str, workflow: str | WorkflowDef | None = None
    ) -> tuple[DeadlineRule, ...]:
        """The tracked rules (in pack order) that ``trigger`` may start (on ``workflow``: a
        type, or a definition — then a rule without ``applies_to`` starts only if the
        workflow can meet it, :meth:`DeadlineRule.applies`)."""
        rules = self._starts.get(trigger, ())
        if workflow is None or not rules:
            return rules
        key = (trigger, workflow) if isinstance(workflow, str) else (trigger, id(workflow))
        hit = self._started.get(key)
        if hit is None or hit[0] is not workflow:  # the definition itself, not a reused id
            hit = self._started[key] = (workflow, tuple(r for r in rules if r.applies(workflow)))
        return hit[1]

    @cached_property
    def _started(self) -> dict[tuple[str, object], tuple[object, tuple[DeadlineRule, ...]]]:
        """``started_by``'s answers, by trigger and workflow (a pack's rules never change)."""
        return {}

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
        for y in self.calendar.years:
            out += ["", *_calendar_lines(y)]
        for h in self.holidays:
            out += ["", *_holiday_lines(h)]
        return "\n".join(out) + "\n"


#: The shipped pack an engine uses unless given one: ``cn-national-default@2026.2`` (the rest
#: days of Civil Code Art. 203 and the duties of the second definitions). ``default.toml``
#: keeps 2026.1, under which earlier cases were recorded; ``extends`` may name either.
DEFAULT_FILE = "national-2026.2.toml"


def default_pack() -> PolicyPack:
    """The national defaults shipped with shouhu (``shouhu/policies/national-2026.2.toml``)."""
    from importlib import resources

    text = resources.files("shouhu.policies").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return parse_pack(text, DEFAULT_FILE)


def known_triggers(wfs: WorkflowSet | None = None) -> set[str]:
    """Every trigger of every workflow of ``wfs`` (default: the default set), and each one's
    opening (``report``, ``register``)."""
    return (wfs or workflows.DEFAULT).triggers()


def parse_pack(text: str, source: str = "<pack>", *, wfs: WorkflowSet | None = None) -> PolicyPack:
    """A :class:`PolicyPack` from TOML text; ``InvalidInput`` naming the line and key if bad.

    A pack with ``extends`` is resolved against the shipped pack it names: the result is the
    effective, complete pack. Its triggers and ``applies_to`` types are checked against the
    workflows of ``wfs`` (default: the default set): an embedder's pack names its own."""
    known = _Known.of(wfs or workflows.DEFAULT)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _not_toml(text, source, exc) from None
    where = _Where(text, source)
    unknown_top = set(doc) - {"pack", "deadlines", "calendar", "holidays"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise where.error(
            None,
            key,
            _(
                "unknown table or key {key!r} (expected [pack], [deadlines.*], "
                "[calendar.YYYY], [holidays.NAME])"
            ).format(key=key),
        )
    years = parse_calendar(doc.get("calendar", {}), where)
    holidays = parse_holidays(doc.get("holidays", {}), where)
    pack = doc.get("pack")
    if not isinstance(pack, dict):
        raise where.error(None, "pack", _("missing [pack] table with name and version"))
    for key in ("name", "version"):
        if not isinstance(pack.get(key), str) or not pack[key].strip():
            raise where.error("pack", key, _("[pack] needs a text {key}").format(key=key))
    extra = set(pack) - {"name", "version", "description", "extends", "remove"}
    if extra:
        key = sorted(extra)[0]
        raise where.error("pack", key, _("unknown key {key!r} in [pack]").format(key=key))
    name, version = pack["name"].strip(), pack["version"].strip()
    tables = doc.get("deadlines", {})
    if "extends" not in pack:
        if "remove" in pack:
            raise where.error(
                "pack", "remove", _("remove needs extends: only an inherited deadline is removed")
            )
        if not isinstance(tables, dict) or not tables:
            raise where.error(None, "deadlines", _("no [deadlines.KIND] tables"))
        rules = [_rule(n, body, where, known) for n, body in tables.items()]
        parent_id = None
    else:
        if not isinstance(tables, dict):
            raise where.error(None, "deadlines", _("deadlines must be [deadlines.KIND] tables"))
        parent_id, rules = _inherit(pack, f"{name}@{version}", tables, where, known)
        parent_doc = tomllib.loads(shipped_packs()[parent_id])
        parent = parent_doc.get("calendar", {})
        years = RestCalendar(parse_calendar(parent, where)).merged(years).years
        # the parent's holidays, each replaced by the child's of its name
        own = {h.name for h in holidays}
        inherited = parse_holidays(parent_doc.get("holidays", {}), where)
        holidays = tuple(
            sorted(
                [*(h for h in inherited if h.name not in own), *holidays], key=lambda h: h.first_day
            )
        )
    return PolicyPack(
        name=name,
        version=version,
        description=str(pack.get("description", "")),
        rules=tuple(rules),
        source=source,
        text=text,
        extends=parent_id,
        calendar=RestCalendar(years),
        holidays=holidays,
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
    pack: Mapping[str, Any], own_id: str, tables: Mapping[str, Any], where: _Where, known: _Known
) -> tuple[str, list[DeadlineRule]]:
    """The parent's id and the effective rules of a pack that ``extends`` a shipped one: the
    parent's rules in its order (each changed field by field by the child's table of its name,
    or dropped by ``remove``), then the child's new rules in its order."""
    shipped = shipped_packs()
    ids = ", ".join(shipped)
    value = pack["extends"]
    if not isinstance(value, str) or not value.strip():
        raise where.error(
            "pack", "extends", _("extends must be a shipped pack's id ({ids})").format(ids=ids)
        )
    parent_id = value.strip()
    if parent_id not in shipped:
        same = [i for i in shipped if i.rsplit("@", 1)[0] == parent_id.rsplit("@", 1)[0]]
        hint = (
            _(
                "; name it by its id, {same!r} (name@version), so that this pack's own "
                "id always names the same numbers, whatever defaults a later shouhu "
                "ships"
            ).format(same=same[-1])
            if same
            else _("; a pack extends one of: {ids}").format(ids=ids)
        )
        raise where.error(
            "pack",
            "extends",
            _("no shipped pack is {parent_id!r}{hint}").format(parent_id=parent_id, hint=hint),
        )
    if own_id in shipped:
        raise where.error(
            "pack",
            "version",
            _(
                "a pack that extends {parent_id!r} needs an id of its own (its name or "
                "version), not the shipped {own_id!r}: every event records it"
            ).format(parent_id=parent_id, own_id=own_id),
        )
    parent_text = shipped[parent_id]
    parent_doc = tomllib.loads(parent_text)
    if "extends" in parent_doc["pack"]:
        raise where.error(
            "pack",
            "extends",
            _(
                "{parent_id!r} itself extends {grandparent!r}: a pack extends one "
                "complete pack, not a chain"
            ).format(parent_id=parent_id, grandparent=parent_doc["pack"]["extends"]),
        )
    inherited: dict[str, Any] = parent_doc["deadlines"]
    removed = _removed(pack, parent_id, inherited, tables, where)
    rules: list[DeadlineRule] = []
    for name, body in inherited.items():
        if name in removed:
            continue
        changes = tables.get(name, {})
        if not isinstance(changes, dict):
            raise where.error(
                "deadlines", name, _("deadlines.{name} must be a table").format(name=name)
            )
        rules.append(_rule(name, {**body, **changes}, where, known))
    rules += [
        _rule(name, body, where, known) for name, body in tables.items() if name not in inherited
    ]
    if not rules:
        raise where.error(
            "pack", "remove", _("no deadlines left of {parent_id!r}").format(parent_id=parent_id)
        )
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
        raise where.error("pack", "remove", _("remove must be a list of deadline names"))
    for name in value:
        if name not in inherited:
            raise where.error(
                "pack",
                "remove",
                _("{parent_id!r} has no deadline {name!r}").format(parent_id=parent_id, name=name),
            )
        if name in tables:
            raise where.error(
                "pack",
                "remove",
                _("deadline {name!r} is both removed and given a [deadlines.{name}] table").format(
                    name=name
                ),
            )
    return set(value)


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


def rest_days(pack: PolicyPack) -> list[dict[str, Any]]:
    """The pack's calendar of rest days (Civil Code Art. 203), a year a row, and the duties
    whose last day moves past them."""
    moving = [r.name for r in pack.rules if r.extends]
    return [
        {
            "year": y.year,
            "citation": y.citation,
            "rest": [d.isoformat() for d in sorted(y.rest)],
            "work": [d.isoformat() for d in sorted(y.work)],
            "extends": moving,
        }
        for y in pack.calendar.years
    ]


def triggers_of(rules: Iterable[DeadlineRule]) -> set[str]:
    """Every trigger named by the rules (for checks and docs)."""
    out: set[str] = set()
    for r in rules:
        out.update(s.trigger for s in r.starts_on)
        out.update(r.met_by)
        out.update(r.cancelled_by)
    return out
