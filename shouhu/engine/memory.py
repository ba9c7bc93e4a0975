"""An in-memory :class:`~shouhu.engine.ports.Store` for unit tests and embedding experiments."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from shouhu.engine import columns
from shouhu.engine.columns import access_body, chain_entry, notice_body
from shouhu.engine.model import (
    Access,
    CaseRecord,
    Child,
    Deadline,
    Event,
    Intake,
    JournalEntry,
    Location,
    Notice,
    RegistryEntry,
)
from shouhu.engine.ports import Commit, same_child, summarised
from shouhu.engine.views import CaseSummary
from shouhu.errors import Conflict
from shouhu.i18n import _


class MemoryStore:
    """Keeps everything in dicts; same contract as the SQL store (one lock = one transaction)."""

    def __init__(self) -> None:
        self._cases: dict[str, CaseRecord] = {}
        self._events: dict[str, list[Event]] = {}
        self._deadlines: dict[int, Deadline] = {}
        self._accesses: list[Access] = []
        self._notices: dict[int, Notice] = {}
        self._intake: dict[tuple[str, str], str] = {}
        self._intake_rows: list[Intake] = []
        self._journal: list[JournalEntry] = []
        self._order: list[Event] = []  # every event in the order it was stored
        self._registry: list[RegistryEntry] = []
        self._leaves: list[tuple[int, str, int, str]] = []
        self._next_deadline_id = 1
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    def load(self, case_id: str) -> CaseRecord | None:
        with self._lock:
            return copy.deepcopy(self._cases.get(case_id))  # callers get copies, as from a DB

    def load_many(self, case_ids: Sequence[str]) -> dict[str, CaseRecord]:
        with self._lock:
            found = {i: self._cases[i] for i in case_ids if i in self._cases}
            return copy.deepcopy(found)

    def events(self, case_id: str) -> list[Event]:
        with self._lock:
            return copy.deepcopy(self._events.get(case_id, []))

    @contextmanager
    def write(self) -> Iterator[_MemoryTx]:
        with self._write_lock:
            snapshot = self._snapshot()
            try:
                yield _MemoryTx(self)
            except BaseException:
                self._restore(snapshot)  # all or nothing, as a database would
                raise

    def _snapshot(self) -> tuple[Any, ...]:
        with self._lock:
            return (
                dict(self._cases),
                {k: list(v) for k, v in self._events.items()},
                dict(self._deadlines),
                self._next_deadline_id,
                dict(self._notices),
                dict(self._intake),
                list(self._intake_rows),
                list(self._journal),
                list(self._order),
            )

    def _restore(self, snapshot: tuple[Any, ...]) -> None:
        with self._lock:
            (
                self._cases,
                self._events,
                self._deadlines,
                self._next_deadline_id,
                self._notices,
                self._intake,
                self._intake_rows,
                self._journal,
                self._order,
            ) = snapshot

    def commit(self, commit: Commit) -> None:
        self.commit_many([commit])

    def commit_many(self, commits: Sequence[Commit]) -> None:
        with self._lock:
            versions: dict[str, int | None] = {}
            statuses: dict[int, str] = {}
            seen: set[tuple[str, str]] = set()
            for c in commits:
                if c.external is not None:
                    if c.external in self._intake or c.external in seen:
                        raise Conflict(
                            _("{id} from {source} was imported already").format(
                                id=c.external[1], source=c.external[0]
                            ),
                            case_id=c.case.id,
                            expected=None,
                            actual=None,
                        )
                    seen.add(c.external)
            for c in commits:
                if c.external is not None:
                    self._intake[c.external] = c.case.id
                    self._intake_rows.append(
                        Intake(c.external[0], c.external[1], c.case.id, c.case.created_at)
                    )
                for w in c.deadlines:
                    d = w.deadline
                    if d.id is None:
                        continue
                    current_status = statuses.get(d.id) or (
                        self._deadlines[d.id].status if d.id in self._deadlines else None
                    )
                    if current_status != w.expected_status:
                        raise Conflict(
                            _(
                                "deadline {id} of case {case_id} is {status}, not {expected}: "
                                "someone else changed it first"
                            ).format(
                                id=d.id,
                                case_id=d.case_id,
                                status=current_status,
                                expected=w.expected_status,
                            ),
                            case_id=d.case_id,
                            expected=None,
                            actual=None,
                        )
                    statuses[d.id] = d.status
                cid = c.case.id
                current = versions[cid] if cid in versions else self._version(cid)
                if current != c.expected_version:
                    raise Conflict(
                        _conflict_message(cid, c.expected_version, current),
                        case_id=cid,
                        expected=c.expected_version,
                        actual=current,
                    )
                versions[cid] = c.case.version
            for c in commits:
                for w in c.deadlines:
                    d = w.deadline
                    if d.id is None:
                        d = replace(d, id=self._next_deadline_id)
                        self._next_deadline_id += 1
                    self._deadlines[d.id] = d  # type: ignore[index]
                for n in c.notices:
                    nid = len(self._notices) + 1
                    self._notices[nid] = replace(n, id=nid)
                self._cases[c.case.id] = copy.deepcopy(c.case)
                self._events.setdefault(c.case.id, []).extend(copy.deepcopy(list(c.events)))
                self._order.extend(c.events)

    # -- the operator registry and the transparency log's leaves ------------------------------

    def registry_entries(self, after: int = 0) -> list[RegistryEntry]:
        with self._lock:
            return [e for e in self._registry if e.seq > after]

    def append_registry(self, entry: RegistryEntry) -> None:
        with self._lock:
            if entry.seq != len(self._registry) + 1:
                raise Conflict(
                    _("the operator registry moved past entry {seq}: look again").format(
                        seq=entry.seq - 1
                    ),
                    case_id="",
                    expected=entry.seq - 1,
                    actual=len(self._registry),
                )
            self._registry.append(entry)

    def events_recorded(self) -> int:
        with self._lock:
            return len(self._order)

    def tree_leaves(self) -> list[tuple[int, str, int, str]]:
        with self._lock:
            return list(self._leaves)

    def stream_leaves(
        self, *, by_event: bool = False, case_id: str | None = None
    ) -> Iterator[tuple[int, str, int, str]]:
        rows = [r for r in self.tree_leaves() if case_id is None or r[1] == case_id]
        yield from sorted(rows, key=lambda r: (r[1], r[2])) if by_event else rows

    def unsequenced(self) -> list[Event]:
        with self._lock:
            done = {(c, s) for _, c, s, _ in self._leaves}
            return [copy.deepcopy(e) for e in self._order if (e.case_id, e.seq) not in done]

    def append_leaves(self, leaves: Sequence[tuple[int, str, int, str]]) -> None:
        with self._lock:
            if leaves and leaves[0][0] != len(self._leaves):
                raise Conflict(
                    _("another anchor took these events into the tree first: anchor again"),
                    case_id="",
                    expected=None,
                    actual=None,
                )
            self._leaves.extend(leaves)

    def count_cases(self) -> list[tuple[str, str, str | None, str, str, int]]:
        with self._lock:
            keys = [
                (c.type, c.state, c.location.county, c.location.township, c.location.village)
                for c in self._cases.values()
            ]
        counts: dict[tuple[str, str, str | None, str, str], int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        return [(*key, n) for key, n in counts.items()]

    def _version(self, case_id: str) -> int | None:
        case = self._cases.get(case_id)
        return None if case is None else case.version

    def list_summaries(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[tuple[CaseSummary, Location]]:
        """:meth:`list_cases`' cases as their lines (``ListsSummaries``)."""
        return summarised(
            self.list_cases(
                type=type,
                state=state,
                limit=limit,
                after=after,
                overdue=overdue,
                township=township,
            )
        )

    def list_cases(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        overdue: bool = False,
        township: str | None = None,
    ) -> Iterator[CaseRecord]:
        with self._lock:
            rows = [copy.deepcopy(c) for c in sorted(self._cases.values(), key=lambda c: c.id)]
        if township is not None:
            rows = [r for r in rows if r.location.township == township]
        with self._lock:
            late = {d.case_id for d in self._deadlines.values() if _overdue(d)}
        if overdue:
            rows = [r for r in rows if r.id in late]
        n = 0
        for case in rows:
            if after is not None and case.id <= after:
                continue
            if (type and case.type != type) or (state and case.state != state):
                continue
            if limit is not None and n >= limit:
                return
            n += 1
            yield case

    def deadlines(
        self,
        *,
        case_id: str | None = None,
        status: str | None = None,
        due_before: datetime | None = None,
        kind: str | None = None,
    ) -> Iterator[Deadline]:
        with self._lock:
            rows = sorted(self._deadlines.values(), key=lambda d: (d.due_at, d.id or 0))
        for d in rows:
            if case_id is not None and d.case_id != case_id:
                continue
            if kind is not None and d.kind != kind:
                continue
            if status is not None and d.status != status:
                continue
            if due_before is not None and d.due_at > due_before:
                continue
            yield d

    def all_events(self) -> Iterator[Event]:
        with self._lock:
            chains = sorted((k, copy.deepcopy(v)) for k, v in self._events.items())
        for _key, events in chains:
            yield from events

    def notices(self, *, status: str | None = None, case_id: str | None = None) -> list[Notice]:
        with self._lock:
            rows = sorted(self._notices.values(), key=lambda n: n.id or 0)
        return [
            n
            for n in rows
            if (status is None or n.status == status) and (case_id is None or n.case_id == case_id)
        ]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        with self._lock:
            self._notices[notice.id] = notice  # type: ignore[index]
            self._chain("notice", notice.case_id, notice_body(notice), at)

    def _chain(self, kind: str, case_id: str | None, body: dict[str, Any], at: datetime) -> None:
        """Append to the journal (the caller holds the lock)."""
        last = self._journal[-1] if self._journal else None
        head = None if last is None else (last.seq, last.hash)
        self._journal.append(chain_entry(head, kind, case_id, body, at))

    def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {i: self._intake[(source, i)] for i in ids if (source, i) in self._intake}

    def heads(self, at: datetime | None = None) -> Iterator[tuple[str, int, str]]:
        with self._lock:
            chains = {k: list(v) for k, v in self._events.items()}
        for case_id, events in sorted(chains.items()):
            kept = [e for e in events if at is None or e.recorded_at <= at]
            if kept:
                yield case_id, kept[-1].seq, kept[-1].hash

    def record_access(self, access: Access) -> None:
        with self._write_lock, self._lock:
            self._accesses.append(access)
            self._chain("access", access.case_id, access_body(access), access.at)

    def journal(self) -> Iterator[JournalEntry]:
        with self._lock:
            entries = list(self._journal)
        yield from entries

    def journal_head(self, at: datetime | None = None) -> tuple[int, str] | None:
        with self._lock:
            kept = [e for e in self._journal if at is None or e.recorded_at <= at]
        return (kept[-1].seq, kept[-1].hash) if kept else None

    def stored_cells(self, table: str, *, case_id: str | None = None) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            if table == "cases":
                rows = [
                    columns.cells(table, columns.case_columns(c))
                    for c in sorted(self._cases.values(), key=lambda c: c.id)
                ]
            elif table == "deadlines":
                rows = [
                    columns.cells(table, columns.deadline_columns(d))
                    for d in sorted(self._deadlines.values(), key=lambda d: (d.case_id, d.id or 0))
                ]
            elif table == "outbox":
                rows = [
                    columns.cells(table, columns.notice_columns(n))
                    for n in sorted(self._notices.values(), key=lambda n: (n.case_id, n.id or 0))
                ]
            elif table == "intake":
                ordered = sorted(enumerate(self._intake_rows, 1), key=lambda r: r[1].case_id)
                rows = [
                    columns.cells(table, {"id": i, **columns.intake_columns(r)}) for i, r in ordered
                ]
            elif table == "access_log":
                rows = [
                    columns.cells(table, {"id": i, **columns.access_columns(a)})
                    for i, a in enumerate(self._accesses, 1)
                ]
            else:
                raise KeyError(table)
        at = columns.CASE_ID_AT[table]
        yield from (r for r in rows if case_id is None or r[at] == case_id)

    def accesses(self, case_id: str | None = None) -> list[Access]:
        with self._lock:
            return [a for a in self._accesses if case_id is None or a.case_id == case_id]

    def next_due(self) -> datetime | None:
        with self._lock:
            pending = [d.due_at for d in self._deadlines.values() if d.status == "pending"]
        return min(pending, default=None)

    def close(self) -> None:
        return None


class _MemoryTx:
    """Reads through to the store; appends are applied together when the block ends."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def load(self, case_id: str) -> CaseRecord | None:
        return self.store.load(case_id)

    def registry_since(self, after: int) -> list[RegistryEntry]:
        return self.store.registry_entries(after)

    def append(self, commit: Commit) -> None:
        # Applied at once (under the write lock), so later reads in the block see it.
        self.store.commit_many([commit])

    def append_many(self, commits: Sequence[Commit]) -> None:
        self.store.commit_many(commits)

    def deadlines(self, case_id: str) -> list[Deadline]:
        rows = self.store.deadlines(case_id=case_id)
        return sorted(rows, key=lambda d: d.id or 0)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        rows = self.store.deadlines(status="pending", due_before=now)
        return list(rows)[:limit]

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        rows = self.store.notices(status="pending")
        return [n for n in rows if n.next_attempt_at is None or n.next_attempt_at <= now][:limit]

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        self.store.update_notice(notice, at=at)

    def same_person(self, types: Sequence[str], child: Child, village: str) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        with self.store._lock:
            for c in sorted(self.store._cases.values(), key=lambda c: c.id):
                if c.type not in types or c.closed_at is not None:
                    continue
                if (id_number and c.child.id_number == id_number) or (
                    c.child.name == name
                    and c.child.birthdate == birthdate
                    and c.location.village == village
                ):
                    return c.id
        return None

    def open_report(self, type: str, child: Child, since: datetime, until: datetime) -> str | None:
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        with self.store._lock:
            for c in sorted(self.store._cases.values(), key=lambda c: c.id):
                if c.type != type or c.closed_at is not None or c.child.birthdate != birthdate:
                    continue
                if not since <= c.reported_at <= until:
                    continue
                if same_child(c.child.id_number, c.child.name, id_number, name):
                    return c.id
        return None


def _overdue(d: Deadline) -> bool:
    return d.status == "missed" and d.met_at is None


def _conflict_message(case_id: str, expected: int | None, actual: int | None) -> str:
    if expected is None:
        return _("case {case_id} already exists").format(case_id=case_id)
    if actual is None:
        return _("case {case_id} does not exist (expected version {expected})").format(
            case_id=case_id, expected=expected
        )
    return _(
        "case {case_id} is at version {actual}, not {expected}: someone else wrote first"
    ).format(case_id=case_id, actual=actual, expected=expected)
