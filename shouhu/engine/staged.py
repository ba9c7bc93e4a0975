"""A write transaction seen through what a batch (:meth:`Engine.fire_many`) has staged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from shouhu.engine.model import (
    CaseRecord,
    Child,
    Deadline,
    DeadlineWrite,
    Notice,
    RegistryEntry,
)
from shouhu.engine.ports import Commit, LoadsMany, Transaction, same_child

#: Where the ids of deadline rows new in a batch start while it is staged (above any id a
#: store hands out, so they keep the rows' age order and cannot be taken for stored rows).
_STAGED_ID = 1 << 62


class _Staged:
    """A write transaction seen through what a batch (``fire_many``) has staged.

    Each case and its deadline rows are read from the store once, then served as the batch
    has left them; the batch's commits are merged per case — the last projection, every event,
    each deadline row's first and last state — and written together by :meth:`flush`: one
    update per case and every event in one insert, instead of one round of statements per
    step. What is written is what firing the steps one by one would write; the version and
    status checks are made against the store as it was read.
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.cases: dict[str, CaseRecord | None] = {}
        self.rows: dict[str, list[Deadline]] = {}
        self.commits: dict[str, list[Commit]] = {}
        self.read_status: dict[int, str | None] = {}  # of each stored row the batch moved
        self.next_id = _STAGED_ID
        self.registry_read: int | None = None  # the registry's length this batch read

    def prefetch(self, case_ids: Sequence[str]) -> None:
        """Read the batch's cases and their deadline rows in one query each, where the store
        can (:class:`~shouhu.engine.ports.LoadsMany`); else each is read on first use."""
        if not isinstance(self.tx, LoadsMany):
            return
        wanted = [c for c in dict.fromkeys(case_ids) if c not in self.cases]
        if not wanted:
            return
        found = self.tx.load_many(wanted)
        rows = self.tx.deadlines_many(list(found))
        for case_id, case in found.items():
            self.cases[case_id] = case
            self.rows.setdefault(case_id, rows.get(case_id, []))

    def load(self, case_id: str) -> CaseRecord | None:
        if case_id not in self.cases:
            self.cases[case_id] = self.tx.load(case_id)
        return self.cases[case_id]

    def registry_since(self, after: int) -> list[RegistryEntry]:
        # Read once a batch: the batch is one transaction, and nothing in it appends to the
        # registry, so every act in it is judged against the registry as its transaction
        # found it (as a single fire's is), not read again for each request.
        if self.registry_read is not None and after >= self.registry_read:
            return []
        more = self.tx.registry_since(after)
        self.registry_read = after + len(more)
        return more

    def deadlines(self, case_id: str) -> list[Deadline]:
        rows = self.rows.get(case_id)
        if rows is None:
            rows = self.rows[case_id] = self.tx.deadlines(case_id)
        return list(rows)

    def append(self, commit: Commit) -> None:
        cid = commit.case.id
        if cid not in self.rows:
            self.rows[cid] = [] if commit.expected_version is None else self.tx.deadlines(cid)
        rows = self.rows[cid]
        for w in commit.deadlines:
            d = w.deadline
            if d.id is None:
                rows.append(replace(d, id=self.next_id))
                self.next_id += 1
                continue
            if d.id < _STAGED_ID:
                self.read_status.setdefault(d.id, w.expected_status)
            rows[next(i for i, old in enumerate(rows) if old.id == d.id)] = d
        self.cases[cid] = commit.case
        self.commits.setdefault(cid, []).append(commit)

    def append_many(self, commits: Sequence[Commit]) -> None:
        for c in commits:
            self.append(c)

    def due(self, now: datetime, limit: int) -> list[Deadline]:
        return self.tx.due(now, limit)

    def notices_due(self, now: datetime, limit: int) -> list[Notice]:
        return self.tx.notices_due(now, limit)

    def update_notice(self, notice: Notice, *, at: datetime) -> None:
        self.tx.update_notice(notice, at=at)

    def same_person(self, types: Sequence[str], child: Child, village: str) -> str | None:
        return self.tx.same_person(types, child, village)

    def open_report(self, type: str, child: Child, since: datetime, until: datetime) -> str | None:
        """The store's answer, and the reports this batch has filed (``raise_report``) so far;
        a stored case this batch has closed is open no longer."""
        id_number, name, birthdate = child.id_number, child.name, child.birthdate
        found = [
            cid
            for cid, commits in self.commits.items()
            if commits[0].expected_version is None
            and (c := self.cases[cid]) is not None
            and c.type == type
            and c.closed_at is None
            and c.child.birthdate == birthdate
            and since <= c.reported_at <= until
            and same_child(c.child.id_number, c.child.name, id_number, name)
        ]
        stored = self.tx.open_report(type, child, since, until)
        if stored is not None and stored in self.cases:
            staged = self.cases[stored]
            if staged is not None and staged.closed_at is not None:
                stored = None
        return min([*found, *([stored] if stored is not None else [])], default=None)

    def flush(self) -> None:
        """Write what the batch staged, merged per case, in one go."""
        merged = []
        for cid, commits in self.commits.items():
            writes = [
                DeadlineWrite(replace(d, id=None))
                if d.id is not None and d.id >= _STAGED_ID
                else DeadlineWrite(d, self.read_status[d.id])
                for d in self.rows[cid]
                if d.id is not None and (d.id >= _STAGED_ID or d.id in self.read_status)
            ]
            case = self.cases[cid]
            assert case is not None  # a case the batch wrote
            merged.append(
                Commit(
                    case,
                    tuple(e for c in commits for e in c.events),
                    commits[0].expected_version,
                    tuple(writes),
                    tuple(n for c in commits for n in c.notices),
                    commits[0].external,
                )
            )
        if merged:
            self.tx.append_many(merged)
