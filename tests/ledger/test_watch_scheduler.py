"""The watches' standing duties fire through the scheduler daemon, on a SQLite file: the same
``Daemon`` that ``shouhu scheduler run`` runs, sweeping at the engine's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from shouhu import Engine, FakeClock
from shouhu.adapters.scheduler import Daemon

VC = {"name": "村儿童主任", "role": "village_committee"}
TOWNSHIP = {"name": "镇民政办", "role": "township"}
PLACE = "青山村, 白水镇"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_the_daemon_fires_each_watchs_duties_and_ages_a_child_out(tmp_path: Path) -> None:
    """A child, a woman and an elder registered in February: the daemon's sweeps record the
    months and the quarter that went by unmet, start the next ones, and close the child's
    watch at 00:00 after the 16th birthday — each once, however often it sweeps."""
    clock = FakeClock(local("2026-02-10T09:00"))
    engine = Engine.open(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    child = engine.register(
        "child",
        person={"name": "张三", "birthdate": "2010-04-20"},
        location=PLACE,
        actor=VC,
        data={"parents_away": "both", "guardian": "张奶奶", "agreement_signed": True},
    ).id
    woman = engine.register(
        "woman",
        person={"name": "李四", "birthdate": "1990-01-01"},
        location=PLACE,
        actor=TOWNSHIP,
        data={"husband_away_since": "2025-06-30"},
    ).id
    elder = engine.register(
        "elderly",
        person={"name": "王五", "birthdate": "1950-05-05"},
        location=PLACE,
        actor=VC,
    ).id
    fired: list[tuple[str, str, str]] = []
    daemon = Daemon(
        engine, on_fired=lambda f: fired.extend((x.case_id, x.kind, x.trigger) for x in f)
    )

    for at in ("2026-03-31T23:59:59", "2026-04-01T00:00:00", "2026-04-01T00:00:00"):
        clock.set(local(at))
        daemon.sweep()
    assert sorted(fired) == sorted(
        [
            (child, "monthly_visit", "deadline_missed"),  # March went by unvisited
            (elder, "regular_visit", "deadline_missed"),
        ]
    )
    assert daemon.horizon == local("2026-04-01T00:00:00")

    fired.clear()
    engine.fire(child, "record_visit", actor=VC, data={"guardian_present": True})
    clock.set(local("2026-04-20T23:59:59"))
    daemon.sweep()
    assert fired == []
    clock.set(local("2026-04-21T00:00:00"))  # the day after the 16th birthday
    daemon.sweep()
    assert fired == [(child, "turns_16", "turns_16")]
    view = engine.case(child)
    assert (view.state, view.outcome) == ("off_ledger", "aged_out")
    assert not [d for d in view.deadlines if d["status"] == "pending"]

    fired.clear()
    clock.set(local("2026-07-01T00:00:00"))  # three months and a quarter later, in one sweep
    daemon.sweep()
    daemon.sweep()
    assert sorted(fired) == sorted(
        [
            (elder, "regular_visit", "deadline_missed"),  # April
            (elder, "regular_visit", "deadline_missed"),  # May
            (elder, "regular_visit", "deadline_missed"),  # June
            (woman, "quarterly_update", "deadline_missed"),  # Q2, the first after registering
            (elder, "quarterly_update", "deadline_missed"),
        ]
    )
    assert {
        (d["kind"], d["due_at"])
        for d in engine.deadlines(status="pending")
        if d["case_id"] in (woman, elder)
    } == {
        ("regular_visit", "2026-08-01T00:00:00+08:00"),
        ("quarterly_update", "2026-10-01T00:00:00+08:00"),
    }
    assert engine.verify().ok
    engine.close()
