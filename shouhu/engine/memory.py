"""An in-memory :class:`~shouhu.engine.ports.Store` for unit tests and embedding experiments."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from shouhu.engine.model import CaseRecord, Event
from shouhu.engine.ports import Commit
from shouhu.errors import Conflict


class MemoryStore:
    """Keeps everything in dicts; same contract as the SQL store (one lock = one transaction)."""

    def __init__(self) -> None:
        self._cases: dict[str, CaseRecord] = {}
        self._events: dict[str, list[Event]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    def load(self, case_id: str) -> CaseRecord | None:
        with self._lock:
            return copy.deepcopy(self._cases.get(case_id))  # callers get copies, as from a DB

    def events(self, case_id: str) -> list[Event]:
        with self._lock:
            return copy.deepcopy(self._events.get(case_id, []))

    @contextmanager
    def write(self) -> Iterator[_MemoryTx]:
        with self._write_lock:
            tx = _MemoryTx(self)
            yield tx
            if tx.staged:
                self.commit_many(tx.staged)

    def commit(self, commit: Commit) -> None:
        self.commit_many([commit])

    def commit_many(self, commits: Sequence[Commit]) -> None:
        with self._lock:
            versions: dict[str, int | None] = {}
            for c in commits:
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
                self._cases[c.case.id] = copy.deepcopy(c.case)
                self._events.setdefault(c.case.id, []).extend(copy.deepcopy(list(c.events)))

    def _version(self, case_id: str) -> int | None:
        case = self._cases.get(case_id)
        return None if case is None else case.version

    def list_cases(
        self,
        *,
        type: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> Iterator[CaseRecord]:
        with self._lock:
            rows = [copy.deepcopy(c) for c in sorted(self._cases.values(), key=lambda c: c.id)]
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

    def close(self) -> None:
        return None


class _MemoryTx:
    """Reads through to the store; appends are applied together when the block ends."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.staged: list[Commit] = []

    def load(self, case_id: str) -> CaseRecord | None:
        return self.store.load(case_id)

    def append(self, commit: Commit) -> None:
        self.staged.append(commit)


def _conflict_message(case_id: str, expected: int | None, actual: int | None) -> str:
    if expected is None:
        return f"case {case_id} already exists"
    if actual is None:
        return f"case {case_id} does not exist (expected version {expected})"
    return f"case {case_id} is at version {actual}, not {expected}: someone else wrote first"
