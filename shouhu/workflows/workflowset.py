"""A set of workflow definitions: the types one engine knows, at every version it replays.

An engine is given its set (``Engine.open(url, workflows=...)``); the default is the six report
types of 001 §四(三)1 and the ledger's three watches. An embedding system adds its own types
without editing shouhu: ``DEFAULT.with_(MY_WORKFLOW)`` is a new set holding the defaults and
its workflow (docs/extending.md shows a seventh type from the seeds, 控辍保学).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from shouhu.workflows.spec import WorkflowDef
from shouhu.workflows.vocab import ROLES


class WorkflowSet:
    """Workflow definitions by type and version. ``latest(type)`` is the one new cases use;
    every older version stays so a case replays under the version it was recorded with.

    A report type is a workflow opened by a report (``opening == "report"``); a watch is one
    opened by a registration on the ledger (``opening == "register"``). Types are listed in the
    order they were first given."""

    __slots__ = ("_latest", "_of_opening", "_order", "_roles", "registry")

    def __init__(self, definitions: Iterable[WorkflowDef] = ()) -> None:
        #: Every definition, by ``(type, version)``.
        self.registry: dict[tuple[str, int], WorkflowDef] = {}
        self._latest: dict[str, WorkflowDef] = {}
        self._order: list[str] = []
        self._roles: dict[str, str] | None = None
        self._of_opening: dict[str, tuple[str, ...]] = {}
        for wf in definitions:
            self.add(wf)

    # -- building -------------------------------------------------------------------------------

    def add(self, workflow: WorkflowDef) -> None:
        """Add a definition to this set, in place (a new version, or a new type). A type's
        opening (report or register) cannot change between its versions."""
        if not isinstance(workflow, WorkflowDef):
            raise TypeError(f"not a WorkflowDef: {workflow!r}")
        known = self._latest.get(workflow.type)
        if known is not None and known.opening != workflow.opening:
            raise ValueError(
                f"workflow {workflow.key} opens with {workflow.opening!r}, "
                f"version {known.version} with {known.opening!r}"
            )
        self.registry[(workflow.type, workflow.version)] = workflow
        if known is None or known.version <= workflow.version:
            self._latest[workflow.type] = workflow
        if workflow.type not in self._order:
            self._order.append(workflow.type)
        self._roles = None
        self._of_opening.clear()

    def with_(self, *definitions: WorkflowDef | Iterable[WorkflowDef]) -> WorkflowSet:
        """A new set: this one's definitions and ``definitions`` (each a definition or an
        iterable of them). This set is left as it was."""
        out = WorkflowSet(self)
        for d in definitions:
            for wf in (d,) if isinstance(d, WorkflowDef) else d:
                out.add(wf)
        return out

    # -- reading --------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[WorkflowDef]:
        """Every definition, every version."""
        return iter(list(self.registry.values()))

    def __len__(self) -> int:
        return len(self.registry)

    def __contains__(self, type_: object) -> bool:
        return type_ in self._latest

    def __repr__(self) -> str:
        return f"WorkflowSet({', '.join(self.all_types())})"

    def get(self, type_: str, version: int) -> WorkflowDef:
        """One definition. ``KeyError`` if this set does not hold it."""
        return self.registry[(type_, version)]

    def latest(self, type_: str) -> WorkflowDef:
        """The definition new cases of ``type_`` use. ``KeyError`` if unknown."""
        return self._latest[type_]

    def types(self) -> tuple[str, ...]:
        """The report types (opened by a report), in the order given."""
        return self._of("report")

    def watch_types(self) -> tuple[str, ...]:
        """The ledger's watch types (opened by a registration), in the order given."""
        return self._of("register")

    def all_types(self) -> tuple[str, ...]:
        """Every type: the report types, then the watches, then any other (a township's
        quarterly submissions, ``township_return``)."""
        first = (*self.types(), *self.watch_types())
        return (*first, *(t for t in self._order if t in self._latest and t not in first))

    def _of(self, opening: str) -> tuple[str, ...]:
        hit = self._of_opening.get(opening)  # asked on every report: kept until the next add
        if hit is None:
            latest = self._latest
            hit = tuple(t for t in self._order if t in latest and latest[t].opening == opening)
            self._of_opening[opening] = hit
        return hit

    def triggers(self) -> set[str]:
        """Every trigger of every definition, and each one's opening (``report``,
        ``register``)."""
        names = {"report"}
        for wf in self.registry.values():
            names.update(wf.triggers)
            names.add(wf.opening)
        return names

    @property
    def roles(self) -> Mapping[str, str]:
        """The roles that act in this set's workflows: shouhu's own (``vocab.ROLES``) and
        those a definition adds (``WorkflowDef.roles``), with their Chinese names."""
        if self._roles is None:
            out = dict(ROLES)
            for wf in self.registry.values():
                for name, zh in wf.roles:
                    out.setdefault(name, zh)
            self._roles = out
        return self._roles
