"""An operator's worklist (我的待办): the cases in their scope that wait on their role,
soonest deadline first, and how many cases of their scope are in each state — read without
walking every case, so that it answers as quickly on a province's million cases as on a
village's ten.

- **Waiting on me**: a case whose workflow has a step my role may take from the state it is
  in. The soonest come from the pending deadlines in due order (the ``(status, due_at)``
  index), the rest from the cases of those states in my township (the ``(type, state, id)``
  index); each shown case's steps are the engine's :func:`~shouhu.engine.queries.next` (of the
  record already read: :func:`~shouhu.engine.queries.options`).
- **Counts**: the store's ``count_cases`` (one ``GROUP BY`` in the database) kept to my scope.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shouhu.engine import deadlines as dl
from shouhu.engine.acting import acting_as
from shouhu.engine.model import Location
from shouhu.engine.views import CaseSummary, TriggerOption
from shouhu.errors import NotAuthenticated
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.model import CaseRecord
    from shouhu.engine.operators import Scope
    from shouhu.engine.signing import Credential

#: How many pending deadlines the soonest-first pass reads at most before filling the list
#: from the states that wait on the role.
SCAN = 5_000


@dataclass(frozen=True)
class Waiting:
    """A case waiting on the operator: the case, the steps their role may take now, and its
    soonest pending deadline (the deadline's view, as ``deadlines`` gives it), if any."""

    case: CaseSummary
    steps: tuple[TriggerOption, ...]
    due: dict[str, Any] | None


@dataclass(frozen=True)
class Worklist:
    """What :func:`worklist` finds."""

    waiting: tuple[Waiting, ...]
    #: ``(type, state)`` → how many cases of the operator's scope are there.
    counts: dict[tuple[str, str], int]
    #: How many cases of the scope are in a state the operator's role may act from.
    waiting_total: int


#: What the store's ``count_cases`` gives: ``(type, state, county, township, village, n)``.
Counted = Sequence[tuple[str, str, str | None, str, str, int]]


def counts(
    self: Engine, scope: Scope, counted: Counted | None = None
) -> dict[tuple[str, str], int]:
    """``(type, state)`` → the number of cases of ``scope`` there (from ``counted``, the
    store's counts as of a moment, else counted now)."""
    out: dict[tuple[str, str], int] = {}
    rows = self.store.count_cases() if counted is None else counted
    for type_, state, county, township, village, n in rows:
        if scope.covers(Location(village, township, county)):
            out[type_, state] = out.get((type_, state), 0) + n
    return out


def actionable(self: Engine, role: str) -> set[tuple[str, str]]:
    """The ``(type, state)`` pairs from which a step of ``role`` leads (any version)."""
    return {
        (wf.type, source)
        for wf in self.workflows
        for row in wf.transitions
        if row.kind != "system" and role in row.roles
        for source in row.sources
    }


def worklist(
    self: Engine, reader: Credential, *, limit: int = 50, counted: Counted | None = None
) -> Worklist:
    """The cases waiting on ``reader``'s role in their scope, soonest deadline first (then
    those without a pending deadline, in filing order), at most ``limit``; and the counts —
    from ``counted`` where the caller keeps the store's counts for a while (the web desk
    refreshes them in the background), else counted now."""
    from shouhu.engine.queries import options

    who = acting_as(self, reader)
    if who is None or who.operator is None:
        raise NotAuthenticated(_("a worklist is an operator's: give a credential"))
    op = who.operator
    pairs = actionable(self, op.role)
    tally = counts(self, op.scope, counted)
    chosen: dict[str, Waiting] = {}
    seen: set[str] = set()

    def waiting(record: CaseRecord) -> bool:
        return (record.type, record.state) in pairs and op.scope.covers(record.location)

    def take(record: CaseRecord, due: dict[str, Any] | None) -> None:
        steps = tuple(o for o in options(self, record) if op.role in o.roles)
        if steps:
            chosen[record.id] = Waiting(CaseSummary.of(record), steps, due)

    soonest = itertools.islice(self.store.deadlines(status="pending"), SCAN)
    # a page of deadlines at a time, their cases read in one go (not one read each)
    while len(chosen) < limit and (chunk := list(itertools.islice(soonest, limit))):
        found = self.store.load_many([d.case_id for d in chunk if d.case_id not in seen])
        for d in chunk:
            if len(chosen) >= limit:
                break
            if d.case_id in seen:  # a case's soonest pending deadline is the one shown
                continue
            seen.add(d.case_id)
            record = found.get(d.case_id)
            if record is not None and waiting(record):
                take(record, dl.view(d, self.policy, self.zone))
    for type_, state in sorted(pairs):
        if len(chosen) >= limit or not tally.get((type_, state)):
            continue
        for record in self.store.list_cases(type=type_, state=state, township=op.scope.township):
            if len(chosen) >= limit:
                break
            if record.id in chosen or not op.scope.covers(record.location):
                continue
            pending = next(iter(self.store.deadlines(case_id=record.id, status="pending")), None)
            take(record, None if pending is None else dl.view(pending, self.policy, self.zone))
    total = sum(n for pair, n in tally.items() if pair in pairs)
    return Worklist(tuple(chosen.values()), tally, total)
