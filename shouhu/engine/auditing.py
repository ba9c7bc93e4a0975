"""Audit: :meth:`Engine.verify`, :meth:`Engine.replay`, :meth:`Engine.replay_all`,
:meth:`Engine.compliance_report` — over the pure functions of
:mod:`shouhu.engine.audit` (imported when called: showing a case needs none of it).

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from shouhu.engine.model import CaseHead, CaseRecord, Event, Link
from shouhu.engine.operators import Registry
from shouhu.engine.ports import AuditReads
from shouhu.engine.records import load
from shouhu.engine.requests import Instant
from shouhu.engine.timeutil import day_start, local_date, local_iso, parse_day, parse_instant
from shouhu.errors import InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:  # imported by the functions using them: showing a case needs neither
    from shouhu.engine.audit import ComplianceReport, Replay, Verification
    from shouhu.engine.core import Engine


def replay(self: Engine, case_id: str, at: Instant | None = None) -> Replay:
    """The case rebuilt from its events alone (as of ``at``, business time, if given),
    through the definitions it was recorded under; compared with the stored projection."""
    from shouhu.engine.audit import replay as _replay

    record = load(self, case_id)
    when = None if at is None else parse_instant(at, self.zone, field="at")
    events = self.store.events(record.id)
    if when is not None and events and when < events[0].occurred_at:
        raise InvalidInput(
            _("case {case_id} did not exist yet at {at}: it was reported at {reported}").format(
                case_id=record.id,
                at=local_iso(when, self.zone),
                reported=local_iso(events[0].occurred_at, self.zone),
            ),
            field="at",
        )
    return _replay(events, zone=self.zone, at=when, projection=record, wfs=self.workflows)


def verify(
    self: Engine, case_id: str | None = None, *, anchor: str | None = None, replay: bool = True
) -> Verification:
    """Recompute every hash, check ``seq`` has no gaps and the head matches the case row;
    with ``replay`` (default), also feed every event back through its workflow definition
    and rebuild every derived table — case rows, deadline rows, notices, intake rows, the
    access log — from the events and the journal alone, naming each stored cell that
    differs (one pass over the log); with ``anchor``, prove that nothing recorded before
    the anchor's time has changed."""
    from shouhu.engine import derive
    from shouhu.engine.acting import operator_registry
    from shouhu.engine.audit import (
        Verification,
        heads_digest,
        parse_anchor,
        rebuild,
        replay_holds,
        verify_chain,
    )
    from shouhu.engine.audit import replay as _replay
    from shouhu.engine.signatures import SignatureCheck
    from shouhu.engine.transparency import LeafCheck, is_tree_head, parse_tree_head

    out = Verification()
    if anchor is not None:
        if is_tree_head(anchor):
            out.tree_head = parse_tree_head(anchor)
        else:
            out.anchor = parse_anchor(anchor)
    store = self.store
    registry = operator_registry(self)
    out.registry_entries = len(registry.entries)
    entry = _("operator registry entry {seq}: {why}")
    out.registry_broken = [entry.format(seq=s, why=why) for s, why in registry.check()]
    signatures = SignatureCheck(registry)
    journal = derive.read_journal(store.journal())
    out.journal_entries = journal.entries
    out.journal_broken = list(journal.broken)
    out.tables_checked = replay
    # each event's leaf against the tree's, read beside the events in the same order
    only = None if case_id is None else load(self, case_id).id
    leaf_check = LeafCheck(store.stream_leaves(by_event=True, case_id=only))
    if only is not None:
        cid = only
        groups: Iterable[tuple[str, list[list[Any]]]] = [
            (
                cid,
                [
                    list(store.stored_cells("cases", case_id=cid)),
                    [Link.of(e) for e in store.events(cid)],
                    list(store.stored_cells("deadlines", case_id=cid)),
                    list(store.stored_cells("outbox", case_id=cid)),
                    list(store.stored_cells("intake", case_id=cid)),
                ],
            )
        ]
    else:
        links: Iterable[Link] = (
            store.audit_links()
            if isinstance(store, AuditReads)
            else map(Link.of, store.all_events())
        )
        where = derive.CASE_ID_AT
        groups = derive.group_by_case(
            store.stored_cells("cases"),
            links,
            store.stored_cells("deadlines"),
            store.stored_cells("outbox"),
            store.stored_cells("intake"),
            keys=(
                itemgetter(0),
                _case_of,
                itemgetter(where["deadlines"]),
                itemgetter(where["outbox"]),
                itemgetter(where["intake"]),
            ),
        )
    for cid, (rows, chain, deadlines, notices, intake) in groups:
        row = rows[0] if rows else None
        if row is None and not chain:  # rows of a case that does not exist
            if replay:
                out.derived += derive.compare_case(
                    cid, None, None, deadlines, notices, intake, journal
                )
            continue
        head = None if row is None else derive.case_head(row)
        out.cases += 1
        out.events += len(chain)
        leaf_check.case(cid, chain)
        broken = verify_chain(cid, chain, head) or signatures.check(cid, chain)
        if broken is not None:
            out.broken.append(broken)
            continue
        if not replay:
            continue
        done = rebuild(chain, self.workflows)
        if done is None or not replay_holds(chain, head, done, self.workflows):
            # the reasons: the full replay, whose verdict is the one reported
            rebuilt = _replay(
                [link.event() for link in chain],
                zone=self.zone,
                projection=head,
                wfs=self.workflows,
            )
            if not rebuilt.ok:
                out.replay_failures.append(rebuilt)
        if done is not None:
            tables = derive.rebuild_tables(
                chain, done.state, done.facts, done.outcome, done.rows, self.zone, self.workflows
            )
            out.derived += derive.compare_case(
                cid, tables, row, deadlines, notices, intake, journal
            )
    out.signed, out.anonymous = signatures.signed, signatures.anonymous
    out.unsigned_before = signatures.unsigned_before
    if case_id is None and (overflow := signatures.unsigned_overflow()) is not None:
        out.registry_broken.append(overflow)
    if replay and case_id is None:
        out.derived += derive.compare_accesses(store.stored_cells("access_log"), journal)
    _check_tree(self, out, leaf_check.finish(), registry)
    if out.anchor is not None:
        at = out.anchor.at
        digest, count = heads_digest(store.heads(at), store.journal_head(at))
        out.anchor_holds = digest == out.anchor.digest and count == out.anchor.count
        out.anchor_count = count
    return out


def _check_tree(
    self: Engine, out: Verification, leaf_problems: list[str], registry: Registry
) -> None:
    """The transparency log: its leaves against the events (``leaf_problems``, found beside
    them), its indexes in order, and the tree head given as the anchor — its signature, its
    root, the consistency proof to today's tree (:func:`~shouhu.engine.transparency.
    tree_problems`), and no event recorded before it left out of the tree."""
    from shouhu.engine.transparency import head_problems, tree_problems

    head = out.tree_head
    late: list[tuple[str, int]] = []
    if head is not None:
        late = [(e.case_id, e.seq) for e in self.store.unsequenced() if e.recorded_at < head.at]
    out.tree_size, problems = tree_problems(self.store.stream_leaves(), head, late)
    out.tree_broken = leaf_problems + problems
    if head is not None:
        out.tree_broken = head_problems(head, registry) + out.tree_broken
        out.anchor_holds = not out.tree_broken


def replay_all(self: Engine) -> Iterator[Replay]:
    """Every case rebuilt from its events, in id order; one streamed pass over the log."""
    from shouhu.engine.audit import replay as _replay

    for _id, events, record in _chains(self):
        if events:
            yield _replay(events, zone=self.zone, projection=record, wfs=self.workflows)


def _chains(self: Engine) -> Iterator[tuple[str, list[Event], CaseRecord | None]]:
    """(case id, events, case row) for every case (see :func:`_join`)."""
    return _join(self.store.list_cases(), self.store.all_events())


def digest_anchor(self: Engine) -> str:
    """The anchor of the builds before the transparency log (``shouhu-anchor-v1``): a digest
    over every case's head and the journal's as of now, with the time; ``verify(anchor=...)``
    still checks one. :meth:`Engine.anchor` now gives a signed tree head."""
    from shouhu.engine.audit import format_anchor, heads_digest

    now = self.clock.now()
    digest, count = heads_digest(self.store.heads(now), self.store.journal_head(now))
    return format_anchor(now, digest, count)


def compliance_report(
    self: Engine, date_from: str | date, date_to: str | date, *, replay: bool = False
) -> ComplianceReport:
    """Over the cases reported in ``[date_from, date_to]`` (local dates, inclusive).

    Counted by the store from its tables where it can (:class:`~shouhu.engine.compliance.
    TalliesCompliance`: the case and deadline rows, the late reports' notices and the few
    events the report dates — tables ``audit verify`` recomputes from the events), else, or
    with ``replay``, built from every case's replay, which also names the cases whose
    history does not replay (``cases_failing_replay``; None when counted from the tables)."""
    from shouhu.engine.audit import ComplianceReport
    from shouhu.engine.audit import replay as _replay
    from shouhu.engine.compliance import ReportWindow, TalliesCompliance, from_tally

    start = parse_day(date_from, field="from")
    end = parse_day(date_to, field="to")
    if end < start:
        raise InvalidInput(_("--to is before --from"), field="to")
    out = ComplianceReport(start.isoformat(), end.isoformat())
    # the reports and the ledger's watches; not a township's submissions (township_return)
    counted = set(self.workflows.types()) | set(self.workflows.watch_types())
    if not replay and isinstance(self.store, TalliesCompliance):
        window = ReportWindow(
            day_start(start, self.zone),
            day_start(end + timedelta(days=1), self.zone),
            tuple(sorted(counted)),
        )
        return from_tally(out, self.store.compliance_tally(window), window, self.zone)
    for record in self.store.list_cases():
        day = local_date(record.reported_at, self.zone)
        if not start <= day <= end or record.type not in counted:
            continue
        events = self.store.events(record.id)
        out.add(
            record,
            _replay(events, zone=self.zone, projection=record, wfs=self.workflows),
            self.zone,
            events,
        )
    return out


_Row = TypeVar("_Row", CaseRecord, CaseRecord | CaseHead)


_Ev = TypeVar("_Ev", Event, Link)


def _join(
    cases: Iterable[_Row], events: Iterable[_Ev]
) -> Iterator[tuple[str, list[_Ev], _Row | None]]:
    """(case id, events, case row) for every case, joining two streams ordered by case id; a
    case with events but no row, or a row without events, comes out too."""
    rows = iter(cases)
    groups = itertools.groupby(events, key=_case_of)
    case = next(rows, None)
    group = next(groups, None)
    while case is not None or group is not None:
        if group is not None and (case is None or group[0] < case.id):
            yield group[0], list(group[1]), None
            group = next(groups, None)
        elif case is not None and (group is None or case.id < group[0]):
            yield case.id, [], case
            case = next(rows, None)
        elif case is not None and group is not None:
            yield case.id, list(group[1]), case
            case = next(rows, None)
            group = next(groups, None)


def _case_of(e: Event | Link) -> str:
    return e.case_id
