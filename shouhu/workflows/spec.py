"""The vocabulary in which the law is written down: states, fields, guards, transitions, workflows.

A :class:`WorkflowDef` is plain data. It is validated when it is built (exactly one initial
state, every state reachable, no dead ends, every state can reach a final state, every name
known), and the engine turns it into one shared ``transitions`` machine per type and version.
Guards are named, cited predicates over a case's *facts* (what has been recorded so far) and
the trigger's data; they return ``None`` when they hold and the reason when they do not.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from shouhu.i18n import _
from shouhu.workflows.vocab import ROLES

Facts = Mapping[str, Any]
Data = Mapping[str, Any]
FieldKind = Literal["text", "name", "choice", "choices", "datetime", "date", "bool"]


@dataclass(frozen=True, slots=True)
class StateDef:
    """A state of a workflow, with its Chinese and English labels."""

    name: str
    zh: str
    en: str
    final: bool = False


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One item of data a trigger (or a report) takes."""

    name: str
    kind: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""
    max_length: int = 2000
    by_engine: bool = False  # filled in by the engine (never given): not offered by ``next``

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "required": self.required}
        if self.by_engine:
            out["by_engine"] = True
        if self.choices:
            out["choices"] = list(self.choices)
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True)
class Guard:
    """A rule that must hold for a transition to happen. ``check`` returns why it does not."""

    name: str
    description: str
    citation: str
    check: Callable[[Facts, Data], str | None]


@dataclass(frozen=True, slots=True)
class DataRule:
    """A rule on a trigger's data that a schema cannot say (e.g. needed only with one outcome)."""

    description: str
    check: Callable[[Data], str | None]


Effect = Callable[[Facts, Data], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class NoticeDef:
    """A notice the mechanism calls for when a transition happens (written to the outbox).

    ``recipient`` may name ``{village}``, ``{township}``, ``{county}`` or a data key such as
    ``{notify}``. A notice never carries the child's name, birthdate or id number.
    """

    kind: str
    recipient: str
    citation: str
    #: Data keys of the transition copied into the notice (``data`` in its payload): only
    #: choice fields, so free text — which might name the child — never leaves the record.
    carries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition of a :class:`Ground`: the fact ``fact`` is one of ``values`` — or, with
    ``any_of``, one of those facts is. ``missing`` says what is not yet recorded; it may name
    facts (``{nonperformance_since}``)."""

    fact: str
    missing: str
    values: tuple[Any, ...] = (True,)
    any_of: tuple[str, ...] = ()

    def holds(self, facts: Facts) -> bool:
        return any(facts.get(f) in self.values for f in (self.fact, *self.any_of))


@dataclass(frozen=True, slots=True)
class Ground:
    """A ground in law for revoking a guardian, as data: its name (the petition's ``ground``),
    a short label, its clause and the clause's words, and what must be on the record for it
    to hold — every requirement. A later law is a new workflow version with new grounds."""

    name: str
    label: str
    citation: str
    quote: str
    requires: tuple[Requirement, ...]

    def unmet(self, facts: Facts) -> str | None:
        """Why the ground does not hold on ``facts``; ``None`` when it does."""
        missing = [r for r in self.requires if not r.holds(facts)]
        if not missing:
            return None
        fill = _Blank({k: v for k, v in facts.items() if v is not None})
        why = _("; ").join(_(r.missing).format_map(fill) for r in missing)
        return _("ground {label} ({quote}) needs: {why}").format(
            label=self.label, quote=self.quote, why=why
        )


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whom a watch may hold: a rule checked when a person is registered (the ledger's
    definitions), refused as ``rule`` with ``citation`` and ``message``.

    One of: ``under_age`` (refused from that whole year of age, counted as the Civil Code
    counts; ``{until}`` is when the person reaches it), ``min_age`` (refused below it;
    ``{age}``), or ``since_field`` and ``since_period`` (the registration's date in that field
    must lie that period back; ``{since}``, ``{until}``), or ``check`` (a rule on the
    registration's data: returns why it does not hold, or None). ``{birthdate}`` and
    ``{age}`` are always there; ``field`` is the input a refusal names. ``when``
    (``("category", "orphan")``): the rule holds only for a registration with that value."""

    rule: str
    citation: str
    message: str
    under_age: int | None = None
    min_age: int | None = None
    since_field: str | None = None
    since_period: str | None = None
    field: str = "birthdate"
    when: tuple[str, str] | None = None
    check: Callable[[Data], str | None] | None = None

    def applies(self, data: Data) -> bool:
        """Whether the rule is one for a registration with these data (``when``)."""
        return self.when is None or data.get(self.when[0]) == self.when[1]


@dataclass(frozen=True, slots=True)
class TransitionDef:
    """A trigger from some states to one state (or staying, ``dest=None``), for some roles.

    ``when`` routes a trigger that has several rows by a data value (``("outcome", "revoked")``).
    ``effect`` returns the facts the trigger records; ``outcome`` sets the case's outcome.
    """

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    roles: tuple[str, ...]
    citation: str
    label: str
    data: tuple[FieldDef, ...] = ()
    guards: tuple[Guard, ...] = ()
    rules: tuple[DataRule, ...] = ()
    when: tuple[str, str] | None = None
    effect: Effect | None = None
    outcome: str | None = None
    kind: Literal["spine", "measure", "fact", "system"] = "spine"
    notices: tuple[NoticeDef, ...] = ()


@dataclass(frozen=True)
class WorkflowDef:
    """One report type's workflow, at one version. Built once, validated on construction."""

    type: str
    version: int
    zh: str
    en: str
    citation: str
    states: tuple[StateDef, ...]
    initial: str
    transitions: tuple[TransitionDef, ...]
    report_data: tuple[FieldDef, ...] = ()
    report_effect: Effect | None = None
    description: str = ""
    #: The first event's trigger: ``report`` for the six report types, ``register`` for the
    #: ledger's watches. ``report_data``/``report_effect`` are that event's data and facts.
    opening: str = "report"
    #: Roles this workflow adds to shouhu's own (``vocab.ROLES``), as (name, Chinese name):
    #: an embedding system's body, e.g. ``("education_bureau", "县级教育行政部门")``.
    roles: tuple[tuple[str, str], ...] = ()
    #: A watch's: the roles that may register a person on it (keep the ledger).
    registrars: tuple[str, ...] = ()
    #: A watch's: whom it may hold, checked at registration.
    eligibility: tuple[Eligibility, ...] = ()
    #: A watch's: whether its people are screened before the holidays (001 §四(三)5).
    screened: bool = False
    #: The grounds for revoking a guardian a petition may rest on (001 §四(三)4; Civil Code
    #: Art. 36), each with its clause and what it needs on the record.
    grounds: tuple[Ground, ...] = ()
    _by_trigger: dict[str, tuple[TransitionDef, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        by: dict[str, list[TransitionDef]] = {}
        for t in self.transitions:
            by.setdefault(t.trigger, []).append(t)
        self._by_trigger.update({k: tuple(v) for k, v in by.items()})
        problems = validate(self)
        if problems:
            raise ValueError(
                f"workflow {self.type} v{self.version} is invalid: " + "; ".join(problems)
            )

    @property
    def key(self) -> str:
        return f"{self.type}@{self.version}"

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(self._by_trigger)

    def state(self, name: str) -> StateDef:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def rows(self, trigger: str) -> tuple[TransitionDef, ...]:
        """All rows of a trigger (several when ``when`` routes by data); empty if unknown."""
        return self._by_trigger.get(trigger, ())

    def fields(self, trigger: str) -> tuple[FieldDef, ...]:
        """The union of the data fields a trigger's rows take, in first-seen order."""
        seen: dict[str, FieldDef] = {}
        for row in self.rows(trigger):
            for f in row.data:
                seen.setdefault(f.name, f)
        return tuple(seen.values())

    def available(self, state: str) -> tuple[TransitionDef, ...]:
        """The rows whose sources include ``state``, one per trigger, in definition order."""
        out: dict[str, TransitionDef] = {}
        for t in self.transitions:
            if state in t.sources and t.trigger not in out:
                out[t.trigger] = t
        return tuple(out.values())

    def destinations(self, trigger: str, state: str) -> tuple[str, ...]:
        """Where a trigger may lead from ``state`` (the state itself for a trigger that stays)."""
        return tuple(
            dict.fromkeys(r.dest or state for r in self.rows(trigger) if state in r.sources)
        )


def validate(wf: WorkflowDef) -> list[str]:
    """Everything wrong with a definition; an empty list when it is sound."""
    problems: list[str] = []
    names = [s.name for s in wf.states]
    known = set(names)
    if len(known) != len(names):
        problems.append("duplicate state names")
    if wf.initial not in known:
        problems.append(f"initial state {wf.initial!r} is not a state")
    finals = {s.name for s in wf.states if s.final}
    if not finals:
        problems.append("no final state")
    edges: dict[str, set[str]] = {n: set() for n in names}
    for t in wf.transitions:
        if not t.sources:
            problems.append(f"{t.trigger}: no source states")
        for s in t.sources:
            if s not in known:
                problems.append(f"{t.trigger}: unknown source state {s!r}")
            elif s in finals:
                problems.append(f"{t.trigger}: leaves final state {s!r}")
            elif t.dest is None:
                edges[s].add(s)
            elif t.dest in known:
                edges[s].add(t.dest)
        if t.dest is not None and t.dest not in known:
            problems.append(f"{t.trigger}: unknown destination {t.dest!r}")
        unknown_roles = set(t.roles) - set(ROLES) - {name for name, _ in wf.roles}
        if not t.roles or unknown_roles:
            problems.append(f"{t.trigger}: roles {sorted(unknown_roles) or 'missing'}")
        if not t.citation:
            problems.append(f"{t.trigger}: no citation")
        if t.when is not None and t.when[0] not in {f.name for f in t.data}:
            problems.append(f"{t.trigger}: routes on {t.when[0]!r}, which it does not take")
        choices = {f.name for f in t.data if f.kind in ("choice", "choices", "bool")}
        for nd in t.notices:
            if set(nd.carries) - choices:
                problems.append(
                    f"{t.trigger}: notice {nd.kind} carries a field that is not a choice"
                )
    for trig, rows in wf._by_trigger.items():
        if len(rows) > 1 and any(r.when is None for r in rows):
            problems.append(f"{trig}: several rows, so each must route by data (`when`)")
    if problems:
        return problems
    # Reachability from the initial state.
    reached = _closure(wf.initial, edges)
    for n in names:
        if n not in reached:
            problems.append(f"state {n!r} is unreachable")
    # No dead ends, and every state can reach a final state.
    reverse: dict[str, set[str]] = {n: set() for n in names}
    for src, dests in edges.items():
        for d in dests:
            reverse[d].add(src)
    can_finish: set[str] = set()
    for f in finals:
        can_finish |= _closure(f, reverse)
    for n in names:
        if n not in finals and not (edges[n] - {n}):
            problems.append(f"state {n!r} is a dead end")
        elif n not in can_finish:
            problems.append(f"state {n!r} cannot reach a final state")
    return problems


def _closure(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in edges[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
