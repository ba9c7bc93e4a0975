"""The daemon delivers pending notices after every sweep; its delivery failures are logged.

Unit tests use a fake engine behind the daemon's port (run_due, next_due, clock, log); the last
test runs the real `shouhu scheduler run` against a real local webhook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from outboxkit import Answer, Endpoint

from shouhu import Engine, StoreUnavailable
from shouhu.adapters.scheduler import Daemon


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        def emit(event: str, **fields: Any) -> None:
            self.lines.append((level, event, fields))

        return emit

    def events(self, event: str) -> list[tuple[str, dict[str, Any]]]:
        return [(lv, f) for lv, e, f in self.lines if e == event]


class FakeEngine:
    """run_due records the call order; it may raise StoreUnavailable a number of times."""

    def __init__(self, failures: int = 0) -> None:
        self.clock = WallClock()
        self.log = RecordingLog()
        self.failures = failures
        self.order: list[str] = []

    def rejudge(self) -> list[Any]:
        """Civil Code Art. 203's re-judging when a daemon starts: nothing flagged here."""
        return []

    def run_due(self, now: datetime | None = None) -> list[Any]:
        self.order.append("run_due")
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("database is locked")
        return []

    def next_due(self) -> datetime | None:
        return None


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_each_sweep_delivers_after_firing_deadlines() -> None:
    """sweep(): run_due first, then deliver, every time."""
    engine = FakeEngine()
    daemon = Daemon(engine, deliver=lambda: engine.order.append("deliver"))
    daemon.sweep()
    daemon.sweep()
    assert engine.order == ["run_due", "deliver", "run_due", "deliver"]


def test_without_deliver_the_daemon_only_sweeps() -> None:
    """No deliver given (no channels): sweeps as before."""
    engine = FakeEngine()
    Daemon(engine).sweep()
    assert engine.order == ["run_due"]


def test_notices_are_delivered_even_when_the_sweep_fails() -> None:
    """A sweep that raises still delivers, then the sweep's error propagates."""
    engine = FakeEngine(failures=1)
    daemon = Daemon(engine, deliver=lambda: engine.order.append("deliver"))
    with pytest.raises(StoreUnavailable):
        daemon.sweep()
    assert engine.order == ["run_due", "deliver"]


def test_a_failing_delivery_is_logged_on_one_line_and_the_daemon_keeps_running() -> None:
    """A ShouhuError from deliver: warning deliver_failed; a bug: error deliver_crashed."""
    engine = FakeEngine()
    errors: list[Exception] = [StoreUnavailable("database is locked"), RuntimeError("bug")]

    def deliver() -> None:
        raise errors.pop(0)

    daemon = Daemon(engine, deliver=deliver)
    assert daemon.sweep() == []
    assert daemon.sweep() == []
    assert engine.log.events("deliver_failed") == [
        ("warning", {"error": "StoreUnavailable", "detail": "database is locked"})
    ]
    assert engine.log.events("deliver_crashed") == [
        ("error", {"error": "RuntimeError", "exc_info": True})
    ]


def test_the_running_daemon_delivers_on_every_wake_up() -> None:
    """run(): the catch-up sweep and each interval sweep deliver."""
    engine = FakeEngine()
    delivered: list[float] = []
    daemon = Daemon(engine, interval=0.2, deliver=lambda: delivered.append(time.monotonic()))
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: len(delivered) >= 3, timeout=3)
    finally:
        daemon.stop()
        thread.join(5)
    assert not thread.is_alive()
    assert engine.order.count("run_due") >= 3


@pytest.mark.slow
def test_scheduler_run_delivers_a_missed_deadline_notice_to_the_webhook(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    """The real daemon: a deadline missed while it was down is escalated and POSTed, once."""
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    with Engine.open(db) as engine:
        case = engine.report(
            "missing_child",
            child={"name": "刘欣怡", "birthdate": "2018-05-20"},
            location="河口村, 青山镇",
            reporter={"kind": "village_committee", "name": "河口村委会"},
            occurred_at="2026-01-02T09:00",
        )
    endpoint.answer(Answer(503, "warming up"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")},
        "SHOUHU_DB": db,
        "SHOUHU_WEBHOOK_URL": endpoint.url,
        "SHOUHU_LOG_FORMAT": "json",
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "shouhu", "scheduler", "run", "--interval", "0.3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The first POST gets 503; the retry comes after the 10 s backoff.
        assert wait_for(lambda: len(endpoint.seen()) >= 2, timeout=20), "no retry reached us"
        with Engine.open(db) as engine:
            assert wait_for(
                lambda: [n.status for n in engine.notices(case_id=case.id)] == ["delivered"],
                timeout=5,
            )
            (notice,) = engine.notices(case_id=case.id)
        time.sleep(0.7)  # more sweeps: nothing sent again
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            _out, err = daemon.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _out, err = daemon.communicate()
            pytest.fail(f"the daemon did not stop on SIGTERM: {err[-2000:]}")
    assert daemon.returncode == 0, err[-2000:]
    seen = endpoint.seen()
    assert [s.key for s in seen] == [notice.key, notice.key]
    assert seen[0].json()["notice"] == "deadline_missed"
    assert (notice.attempts, notice.channel) == (2, "webhook,log")
    assert "Traceback" not in err
    for text in [err, *(s.text() for s in seen)]:
        assert "刘欣怡" not in text
        assert "2018-05-20" not in text
