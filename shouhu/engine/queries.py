"""Reads: :meth:`Engine.case`, :meth:`Engine.history`, :meth:`Engine.next`, :meth:`Engine.cases`,
:meth:`Engine.deadlines`, :meth:`Engine.next_due`, :meth:`Engine.accesses`, and
:meth:`Engine.read_identity` (the one read that writes: the access log).

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import builtins
import itertools
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine import deadlines as dl
from shouhu.engine import validation as v
from shouhu.engine import zhinput
from shouhu.engine.model import DEADLINE_STATUSES, Access, Child
from shouhu.engine.ports import ListsSummaries, summarised
from shouhu.engine.records import case_view, load, text_or_none
from shouhu.engine.requests import Instant
from shouhu.engine.timeutil import parse_instant
from shouhu.engine.views import CaseSummary, CaseView, EventView, TriggerOption
from shouhu.errors import InvalidInput, TransitionRefused
from shouhu.i18n import _
from shouhu.workflows.spec import FieldDef
from shouhu.workflows.vocab import RESERVED_ROLES

if TYPE_CHECKING:
    from shouhu.engine.acting import Acting
    from shouhu.engine.core import Engine
    from shouhu.engine.model import CaseRecord
    from shouhu.engine.signing import Credential


def reader_of(self: Engine, credential: Credential | None) -> Acting | None:
    """The operator reading (:func:`shouhu.engine.acting.acting_as`), imported only when one is
    given: showing a case for the embedding system does not load the signing library."""
    if credential is None:
        return None
    from shouhu.engine.acting import acting_as

    return acting_as(self, credential)


def check_read(who: Acting | None, record: Any) -> None:
    if who is not None:
        from shouhu.engine.acting import check_read as _check

        _check(who, record)


def case(self: Engine, case_id: str, *, reader: Credential | None = None) -> CaseView:
    """The case now: projection, deadlines, history. With ``reader`` (an operator's
    credential), a case outside their scope is refused (rule ``scope``)."""
    record = load(self, case_id)
    check_read(reader_of(self, reader), record)
    return case_view(self, record)


def history(self: Engine, case_id: str, *, reader: Credential | None = None) -> list[EventView]:
    """The case's events, oldest first, each with its citation (``reader``: as :func:`case`)."""
    return list(self.case(case_id, reader=reader).history)


def next(self: Engine, case_id: str, *, reader: Credential | None = None) -> list[TriggerOption]:
    """The triggers possible now, with roles, destinations, data and the state of guards
    (``reader``: as :func:`case`)."""
    case = load(self, case_id)
    check_read(reader_of(self, reader), case)
    return options(self, case)


def options(self: Engine, case: CaseRecord) -> list[TriggerOption]:
    """:func:`next` of a case already loaded (and, for a reader, already checked in scope):
    the worklist shows fifty of them without loading each twice."""
    wf = self.workflows.get(case.type, case.workflow_version)
    out = []
    for row in wf.available(case.state):
        if row.kind == "system":
            continue
        here = [r for r in wf.rows(row.trigger) if case.state in r.sources]
        roles = tuple(sorted({x for r in here for x in r.roles}))
        fields = wf.fields(row.trigger)
        out.append(
            TriggerOption(
                trigger=row.trigger,
                label=row.label,
                roles=roles,
                to=wf.destinations(row.trigger, case.state),
                data=tuple(f.describe() for f in fields if not f.by_engine),
                citation=row.citation,
                guards=tuple(
                    _guard_status(g, case.facts, fields, _by_engine(case, fields))
                    for r in here
                    for g in r.guards
                ),
            )
        )
    return out


def cases(
    self: Engine,
    type: str | None = None,
    state: str | None = None,
    *,
    limit: int | None = None,
    after: str | None = None,
    overdue: bool = False,
    reader: Credential | None = None,
) -> Iterator[CaseSummary]:
    """Cases in id order, filtered by type and state; streamed. With ``reader`` (an
    operator's credential) only the cases in their scope (属地原则)."""
    text_or_none(type=type, state=state, after=after)
    if after is not None and not after.isascii():
        raise InvalidInput(
            _("after: {after!r} is not a case id").format(after=after[:20]), field="after"
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise InvalidInput(_("limit: expected a whole number"), field="limit")
    if type is not None:  # a key or a Chinese name (独居 …), else refused naming the types
        type = zhinput.any_type(type, self.workflows)
    if state is not None:  # a state's name or its Chinese name (已派警 …)
        state = zhinput.state(state, self.workflows)
    if limit is not None and limit < 1:
        raise InvalidInput(_("limit: must be at least 1"), field="limit")
    who = reader_of(self, reader)
    scope = None if who is None or who.operator is None else who.operator.scope
    store = self.store
    lines = (
        store.list_summaries
        if isinstance(store, ListsSummaries)
        else lambda **filters: summarised(store.list_cases(**filters))
    )
    if scope is not None and not scope.everywhere:
        # the store's limit would count cases out of scope: take matches until ``limit``
        rows = lines(type=type, state=state, after=after, overdue=overdue, township=scope.township)
        inside = (s for s, where in rows if scope.covers(where))
        return itertools.islice(inside, limit)
    # Checked above, at the call; streamed below, as the caller iterates.
    rows = lines(type=type, state=state, limit=limit, after=after, overdue=overdue)
    return (s for s, _where in rows)


def next_due(self: Engine) -> datetime | None:
    """The earliest pending due time (aware UTC), or None."""
    return self.store.next_due()


def deadlines(
    self: Engine,
    *,
    case_id: str | None = None,
    status: str | None = None,
    due_before: Instant | None = None,
    reader: Credential | None = None,
    kind: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Deadlines across cases, by due time (``kind, due_at, status, …``); streamed. With
    ``reader``, only those of cases in the operator's scope; with ``kind``, of one duty."""
    text_or_none(status=status)
    if status is not None and status not in DEADLINE_STATUSES:
        raise InvalidInput(
            _("unknown deadline status {status!r} ({statuses})").format(
                status=str(status)[:20], statuses=", ".join(DEADLINE_STATUSES)
            ),
            field="status",
        )
    who = reader_of(self, reader)
    if case_id is not None:
        record = load(self, case_id)
        check_read(who, record)
        case_id = record.id
    before = (
        None if due_before is None else parse_instant(due_before, self.zone, field="due_before")
    )
    rows = self.store.deadlines(case_id=case_id, status=status, due_before=before, kind=kind)
    if who is not None and who.operator is not None and case_id is None:
        scope = who.operator.scope
        seen: dict[str, bool] = {}

        def inside(cid: str) -> bool:
            if cid not in seen:
                seen[cid] = scope.covers(load(self, cid).location)
            return seen[cid]

        rows = (d for d in rows if inside(d.case_id))
    return (dl.view(d, self.policy, self.zone) for d in rows)


def accesses(self: Engine, case_id: str | None = None) -> list[Access]:
    """Who read identities: the access log, oldest first."""
    cid = None if case_id is None else load(self, case_id).id
    return self.store.accesses(cid)


def read_identity(
    self: Engine,
    case_id: str,
    *,
    actor: Mapping[str, Any] | BaseModel | Credential,
    reason: str,
    what: str = "identity",
) -> Child:
    """The child's identity, recorded in the access log (who, role, when, why). On a
    database with operators ``actor`` is the reader's credential, and the case must be in
    their scope (rule ``scope``)."""
    from shouhu.engine.acting import check_scope, resolve

    who = resolve(self, actor, reading=True)
    if who.role in RESERVED_ROLES:
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="role",
                citation="engine",
                why=_("the {role} role reads no identity").format(role=who.role),
            ),
            rule="role",
            citation="engine",
            trigger="read_identity",
            state="",
        )
    why = v.clean_text(reason, field="reason", max_length=500)
    record = load(self, case_id)
    check_scope(who, record, "read_identity")
    self.store.record_access(Access(record.id, who.name, who.role, why, what, self.clock.now()))
    if self._std_log.isEnabledFor(logging.INFO):
        self.log.info("identity_read", case_id=record.id, role=who.role, what=what)
    return record.child


def _by_engine(case: Any, fields: tuple[FieldDef, ...]) -> dict[str, Any]:
    """The data the engine fills in when the trigger is fired (``reporter_kind``, from the
    case row), so a guard that reads it is judged here as firing would judge it."""
    if any(f.name == "reporter_kind" and f.by_engine for f in fields):
        return {"reporter_kind": case.reporter.kind}
    return {}


def _guard_status(
    guard: Any,
    facts: Mapping[str, Any],
    fields: tuple[FieldDef, ...],
    given: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Whether a guard holds now; for a guard that reads a choice, for which choices it holds.
    ``given``: the data the engine fills in when the trigger is fired."""
    given = dict(given or {})
    choice = builtins.next((f for f in fields if f.kind == "choice" and f.required), None)
    if choice is not None:
        holds_for = [
            c for c in choice.choices if guard.check(facts, {**given, choice.name: c}) is None
        ]
        return {
            "name": guard.name,
            "description": guard.description,
            "citation": guard.citation,
            "holds": bool(holds_for),
            "holds_for": {choice.name: holds_for},
        }
    reason = guard.check(facts, given)
    return {
        "name": guard.name,
        "description": guard.description,
        "citation": guard.citation,
        "holds": reason is None,
        **({"reason": reason} if reason else {}),
    }
