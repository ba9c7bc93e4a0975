"""A batch of steps on PostgreSQL (``Engine.fire_many``, issue 18): its cases and their deadline
rows are read in one query each before it fires, its updates go as one ``executemany``, and
the operator registry is read once a batch — a round trip costs more than a row there. What a
batch writes, and what it refuses, stay those of firing the steps one by one: a case another
writer moved after the batch read it still conflicts, and nothing of the batch is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shouhu import Conflict, Engine, FakeClock, FireRequest, NotAuthenticated
from shouhu.engine import staged

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICE = {"name": "李警官", "role": "police"}
STEPS = ("collect_evidence", "arrange_medical_care", "stop_harm")


def _file(engine: Engine, n: int) -> list[str]:
    ids = []
    for i in range(n):
        case = engine.report(
            "suspected_harm",
            child={
                "name": f"王小{'明红刚燕涵然怡轩'[i % 8]}",
                "birthdate": f"201{i % 9}-02-0{1 + i % 9}",
            },
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
            new_case=True,
        )
        ids.append(case.id)
    return ids


def _batch(ids: list[str], versions: dict[str, int] | None = None) -> list[FireRequest]:
    return [
        FireRequest(
            case_id,
            trigger,
            POLICE,
            f"2026-03-02T09:{10 * (k + 1):02d}",
            None,
            None if versions is None or k else versions[case_id],
        )
        for case_id in ids
        for k, trigger in enumerate(("dispatch", *STEPS))
    ]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []
    db = engine.store.engine  # type: ignore[attr-defined]

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(db, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db, "before_cursor_execute", record)


def test_a_batch_on_postgresql_reads_its_cases_once_not_once_a_case(pg_url: str) -> None:
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        ids = _file(engine, 25)
        with _statements(engine) as seen:
            summaries = engine.fire_many(_batch(ids))
        assert len(summaries) == 4 * len(ids)  # one a request
        assert {engine.case(i).version for i in ids} == {5}
        assert {s.state for s in summaries[3::4]} == {engine.case(ids[0]).state}
    from_cases = [s for s in seen if s.startswith("SELECT") and "FROM cases" in s]
    from_deadlines = [s for s in seen if s.startswith("SELECT") and "FROM deadlines" in s]
    from_registry = [s for s in seen if "FROM operator_log" in s]
    updates = [s for s in seen if s.startswith("UPDATE cases")]
    assert len(from_cases) == 1, from_cases
    assert len(from_deadlines) == 1, from_deadlines
    assert len(from_registry) <= 1, from_registry
    assert len(updates) == 1  # one executemany: 25 cases' rows


def test_a_case_moved_after_the_batch_read_it_conflicts_and_nothing_is_written(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        ids = _file(engine, 3)
        versions = {i: engine.case(i).version for i in ids}
        read = staged._Staged.prefetch

        def read_then_another_writer(self: staged._Staged, case_ids: Any) -> None:
            read(self, case_ids)
            with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as other:
                other.fire(ids[1], "dispatch", actor=POLICE, occurred_at="2026-03-02T09:05")

        monkeypatch.setattr(staged._Staged, "prefetch", read_then_another_writer)
        with pytest.raises(Conflict) as raised:
            engine.fire_many(_batch(ids, versions))
        monkeypatch.undo()
        assert ids[1] in str(raised.value)
        after = {i: engine.case(i) for i in ids}
    assert after[ids[0]].version == versions[ids[0]] == 1  # nothing of the batch was written
    assert after[ids[2]].version == 1
    assert after[ids[1]].version == 2
    assert after[ids[1]].state == "dispatched"


def test_a_batch_without_versions_on_a_moved_case_is_judged_again_and_lands(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        ids = _file(engine, 2)
        engine.fire(ids[1], "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
        read = staged._Staged.prefetch
        moved: list[bool] = []

        def read_then_another_writer(self: staged._Staged, case_ids: Any) -> None:
            read(self, case_ids)
            if not moved:
                moved.append(True)
                with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as other:
                    other.fire(
                        ids[1], "education_given", actor=POLICE, occurred_at="2026-03-02T09:05"
                    )

        monkeypatch.setattr(staged._Staged, "prefetch", read_then_another_writer)
        requests = [
            FireRequest(ids[0], "dispatch", POLICE, "2026-03-02T09:10"),
            FireRequest(ids[1], "collect_evidence", POLICE, "2026-03-02T09:10"),
        ]
        engine.fire_many(requests)
        monkeypatch.undo()
        triggers = [e.trigger for e in engine.history(ids[1])]
    assert triggers == ["report", "dispatch", "education_given", "collect_evidence"]


def test_a_batch_is_judged_against_the_registry_as_its_transaction_found_it(
    pg_url: str, tmp_path: Path
) -> None:
    from operatorkit import credential_file

    from shouhu import load_credential

    police = load_credential(credential_file(pg_url, "李警官", "police", folder=tmp_path))
    admin = load_credential(next(tmp_path.glob("operators-*/admin.json")))
    # the wall clock: the operators' keys were issued by it
    with Engine.open(pg_url, zone=ZONE) as engine:
        ids = []
        for i in range(2):
            case = engine.report(
                "suspected_harm",
                child={"name": f"李小{'明红'[i]}", "birthdate": "2016-02-01"},
                location="石桥村, 青山镇",
                reporter={"kind": "school", "name": "青山镇中心小学"},
                discovered_at="2026-03-02T08:10",
                occurred_at="2026-03-02T08:30",
                credential=police,
                new_case=True,
            )
            ids.append(case.id)
        with _statements(engine) as seen:
            engine.fire_many([FireRequest(i, "dispatch", police, "2026-03-02T09:00") for i in ids])
        assert len([s for s in seen if "FROM operator_log" in s]) <= 1
        engine.disable_operator(admin, police.operator_id)
        with pytest.raises(NotAuthenticated) as refused:
            engine.fire_many(
                [FireRequest(i, "collect_evidence", police, "2026-03-02T09:10") for i in ids]
            )
        assert "request 0" in str(refused.value)
        assert "disabled" in str(refused.value)
        assert [engine.case(i).version for i in ids] == [2, 2]
