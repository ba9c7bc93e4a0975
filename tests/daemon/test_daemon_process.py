"""The real daemon, as an operator starts it: `shouhu scheduler run` in its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shouhu import Engine
from shouhu.engine.policy import DEFAULT_FILE
from shouhu.policies import __file__ as policies_init

DEFAULT_PACK = Path(policies_init).with_name(DEFAULT_FILE)


def city_pack(tmp_path: Path, dispatch: str) -> Path:
    """The default pack with the dispatch period changed, as a city's own pack."""
    text = DEFAULT_PACK.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', 'version = "test-1"')
    text = text.replace('period = "PT1H"', f'period = "{dispatch}"', 1)
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_the_daemon_fires_a_deadline_created_while_it_runs_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """A report filed after the daemon started is escalated within seconds of due, once."""
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    pack = city_pack(tmp_path, "PT2S")
    env = {**os.environ, "SHOUHU_DB": db, "SHOUHU_POLICY": str(pack), "SHOUHU_LOG_FORMAT": "json"}
    Engine.open(db, policy=pack).close()  # schema first, so the daemon and we share the file
    daemon = subprocess.Popen(
        [sys.executable, "-m", "shouhu", "scheduler", "run", "--interval", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # the daemon is up and has swept once (nothing due)
        with Engine.open(db, policy=pack) as engine:
            case = engine.report(
                "solo_living",
                child={"name": "王小明", "birthdate": "2016-02-01"},
                location="石桥村, 青山镇",
                reporter={"kind": "school", "name": "青山镇中心小学"},
            )
            due = engine.case(case.id).deadlines[0]
            assert due["kind"] == "dispatch"

            def escalated() -> bool:
                return any(h.trigger == "deadline_missed" for h in engine.history(case.id))

            assert wait_for(escalated, timeout=10.0), "the daemon did not fire the deadline"
            time.sleep(1.5)  # more sweeps run: still exactly one escalation
            missed = [h for h in engine.history(case.id) if h.trigger == "deadline_missed"]
            assert len(missed) == 1
            assert missed[0].event.role == "system"
            assert engine.case(case.id).deadlines[0]["status"] == "missed"
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            _out, err = daemon.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _out, err = daemon.communicate()
            pytest.fail(f"the daemon did not stop on SIGTERM: {err[-2000:]}")
    assert daemon.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert "deadline_fired" in err  # the firing is logged (JSON lines on stderr)
    assert "王小明" not in err  # never the child's name


@pytest.mark.slow
def test_the_daemon_catches_up_on_start_what_was_due_while_it_was_down(tmp_path: Path) -> None:
    """Deadlines that fell due before the daemon started are fired at once on start."""
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    with Engine.open(db) as engine:
        ids = [
            engine.report(
                "missing_child",
                child={"name": "刘欣怡", "birthdate": "2018-05-20"},
                location="河口村, 青山镇",
                reporter={"kind": "village_committee", "name": "河口村委会"},
                occurred_at=f"2026-0{m}-02T09:00",
            ).id
            for m in range(1, 4)
        ]
    env = {**os.environ, "SHOUHU_DB": db}
    env.pop("SHOUHU_POLICY", None)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "shouhu", "scheduler", "run", "--interval", "30"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with Engine.open(db) as engine:

            def all_missed() -> bool:
                return all(engine.case(i).deadlines[0]["status"] == "missed" for i in ids)

            assert wait_for(all_missed, timeout=10.0)
    finally:
        daemon.send_signal(signal.SIGINT)
        _, err = daemon.communicate(timeout=10)
    assert daemon.returncode == 0, err[-2000:]
