"""Clock trouble: the wall clock stepping back an hour between sweeps.

Deadlines are absolute instants on durable rows; a sweep fires the rows still ``pending`` whose
due instant is at or before its horizon, and each in the same transaction that marks its row.
So a clock that steps back cannot fire a row twice (it is no longer pending) nor skip one (a
later sweep still finds it pending). The daemon also never sweeps behind the horizon it reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shouhu import Engine, FakeClock, InvalidInput
from shouhu.adapters.scheduler import Daemon

CST = timezone(timedelta(hours=8))
ZONE = "Asia/Shanghai"


def at(hhmm: str) -> datetime:
    """2 March 2026 at HH:MM, Beijing time."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 3, 2, hours, minutes, tzinfo=CST)


class Log:
    """Records what the daemon logs (the engine logs through its own logger)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **kw: self.lines.append((level, event, kw))


def file_at(engine: Engine, clock: FakeClock, hhmm: str) -> str:
    """A solo_living report filed at HH:MM: its dispatch deadline is due an hour later."""
    clock.set(at(hhmm))
    return engine.report(
        "solo_living",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        new_case=True,
    ).id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at("09:00"))


@pytest.fixture
def engine(clock: FakeClock, tmp_path: Path) -> Any:
    with Engine.open(f"sqlite:///{tmp_path / 'cases.db'}", clock=clock, zone=ZONE) as eng:
        yield eng


def test_the_clock_stepping_back_an_hour_between_sweeps_neither_refires_nor_skips_a_deadline(
    engine: Engine, clock: FakeClock
) -> None:
    a = file_at(engine, clock, "09:00")  # due 10:00
    b = file_at(engine, clock, "09:40")  # due 10:40
    c = file_at(engine, clock, "09:55")  # due 10:55
    daemon = Daemon(engine)
    swept: list[list[tuple[str, datetime]]] = []

    def sweep(hhmm: str) -> None:
        clock.set(at(hhmm))
        swept.append([(f.case_id, f.due_at) for f in daemon.sweep()])

    sweep("10:45")  # a and b are due
    sweep("09:45")  # the wall clock stepped back an hour
    sweep("10:50")  # forward again, c not yet due
    sweep("11:00")  # c is due
    sweep("11:00")
    assert swept == [
        [(a, at("10:00")), (b, at("10:40"))],
        [],
        [],
        [(c, at("10:55"))],
        [],
    ]
    for case_id, due in ((a, "10:00"), (b, "10:40"), (c, "10:55")):
        missed = [h.event for h in engine.history(case_id) if h.trigger == "deadline_missed"]
        assert len(missed) == 1, f"{case_id}: {len(missed)} escalations"
        assert missed[0].occurred_at == at(due)  # at the instant it fell due, not at a sweep
        assert missed[0].data["due_at"] == at(due).isoformat()
    assert engine.verify().ok


def test_a_sweep_records_its_horizon_and_the_daemon_never_sweeps_behind_it(
    engine: Engine, clock: FakeClock
) -> None:
    """The horizon each sweep used is kept (and logged with each firing); when the clock steps
    back the daemon keeps its horizon (warned once), so what that horizon passed stays passed;
    an operator's sweep is still refused a horizon the engine has not reached."""
    log = Log()
    daemon = Daemon(_WithLog(engine, log))  # the daemon's own log lines, recorded
    clock.set(at("10:30"))
    daemon.sweep()
    assert daemon.horizon == at("10:30")
    assert engine.swept_to == at("10:30")

    clock.set(at("09:30"))  # back an hour
    d = file_at(engine, clock, "09:30")  # due 10:30 — an instant the daemon has swept past
    clock.set(at("09:35"))
    fired = daemon.sweep()
    daemon.sweep()
    assert daemon.horizon == at("10:30")  # not moved back
    assert [(f.case_id, f.due_at) for f in fired] == [(d, at("10:30"))]
    behind = [kw for level, event, kw in log.lines if event == "clock_behind_horizon"]
    assert len(behind) == 1  # warned once, not at every sweep
    assert datetime.fromisoformat(behind[0]["horizon"]) == at("10:30")
    assert behind[0]["behind_seconds"] == 3300.0

    clock.set(at("10:45"))
    daemon.sweep()
    assert daemon.horizon == at("10:45")
    assert engine.swept_to == at("10:45")
    with pytest.raises(InvalidInput, match="deadlines cannot be fired early"):
        engine.run_due(at("11:30"))  # the clock says 10:45: 11:30 has not come


class _WithLog:
    """The engine, with the daemon's log lines sent to ``log`` as well."""

    def __init__(self, engine: Engine, log: Log) -> None:
        self._engine = engine
        self.log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
