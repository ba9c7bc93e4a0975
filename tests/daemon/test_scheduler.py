"""The scheduler daemon wakes the engine; the engine here is a fake behind the same port.

The fake keeps pending deadlines as a list of due times on the wall clock and fires those due
when ``run_due`` is called, recording every call; tests script failures and slowness into it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shouhu import StoreUnavailable
from shouhu.adapters.scheduler import NEXT_DUE_JOB, Daemon


@dataclass(frozen=True)
class FakeFired:
    case_id: str
    kind: str
    due_at: datetime
    trigger: str
    seq: int


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RecordingLog:
    """Stands in for the structlog logger: records (level, event, fields)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str) -> Callable[..., None]:
        def emit(event: str, **fields: Any) -> None:
            self.lines.append((level, event, fields))

        return emit

    def __getattr__(self, level: str) -> Callable[..., None]:
        return self._record(level)

    def events(self, event: str) -> list[tuple[str, dict[str, Any]]]:
        return [(level, fields) for level, e, fields in self.lines if e == event]


class FakeEngine:
    """The port the daemon depends on: rejudge (once, at its start), run_due, next_due, clock
    and log."""

    def __init__(self, *, slow: float = 0.0, failures: int = 0) -> None:
        self.clock = WallClock()
        self.log = RecordingLog()
        self.slow = slow
        self.failures = failures  # how many run_due calls raise StoreUnavailable first
        self.pending: list[datetime] = []
        self.calls: list[float] = []  # time.monotonic() of each run_due call
        self.fired: list[tuple[FakeFired, float]] = []
        self.active = 0
        self.max_active = 0
        self.after_run_due: Callable[[datetime], None] | None = None
        self.next_due_override: Callable[[], datetime | None] | None = None
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, due_at: datetime) -> None:
        """A deadline written by 'another process': the daemon is not told."""
        with self._lock:
            self.pending.append(due_at)

    def rejudge(self) -> list[Any]:
        """Civil Code Art. 203's re-judging at the daemon's start: nothing flagged here."""
        self.calls_rejudge = getattr(self, "calls_rejudge", 0) + 1
        return []

    def run_due(self, now: datetime | None = None) -> list[FakeFired]:
        now = now or self.clock.now()
        with self._lock:
            self.calls.append(time.monotonic())
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.slow)
            with self._lock:
                if self.failures:
                    self.failures -= 1
                    raise StoreUnavailable("database is locked")
                due = sorted(d for d in self.pending if d <= now)
                self.pending = [d for d in self.pending if d > now]
                out = []
                for due_at in due:
                    self._seq += 1
                    item = FakeFired(f"case-{self._seq}", "first_response", due_at, "tick", 1)
                    out.append(item)
                    self.fired.append((item, time.monotonic()))
        finally:
            with self._lock:
                self.active -= 1
        if self.after_run_due is not None:
            self.after_run_due(now)
        return out

    def next_due(self) -> datetime | None:
        if self.next_due_override is not None:
            return self.next_due_override()
        with self._lock:
            return min(self.pending, default=None)


def wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def running() -> Iterator[Callable[[Daemon], threading.Thread]]:
    """Runs daemons in background threads; stops and joins them after the test."""
    started: list[tuple[Daemon, threading.Thread]] = []

    def start(daemon: Daemon) -> threading.Thread:
        thread = threading.Thread(target=daemon.run, name="daemon-under-test", daemon=True)
        thread.start()
        started.append((daemon, thread))
        return thread

    yield start
    for daemon, thread in started:
        daemon.stop()
        thread.join(5)
        assert not thread.is_alive(), "the daemon did not stop"


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_the_daemon_sweeps_at_once_on_start_to_catch_up(running: Any) -> None:
    """run() sweeps immediately, firing what fell due while down, before any interval elapses."""
    engine = FakeEngine()
    engine.add(soon(-3600))  # fell due an hour ago, while the daemon was down
    started = time.monotonic()
    running(Daemon(engine, interval=30))

    assert wait_for(lambda: len(engine.fired) == 1, timeout=2)
    assert engine.calls[0] - started < 1.0
    assert engine.pending == []


def test_the_daemon_judges_flagged_rest_days_anew_once_when_it_starts(running: Any) -> None:
    """Civil Code Art. 203: the pack a daemon starts under may add a year pending duties were
    flagged for; it re-judges them once, before its first sweep, not on every sweep."""
    engine = FakeEngine()
    engine.add(soon(-60))
    engine.add(soon(0.3))
    running(Daemon(engine, interval=30))
    assert wait_for(lambda: len(engine.fired) == 2, timeout=3)
    assert engine.calls_rejudge == 1


def test_the_daemon_wakes_at_the_next_due_time_not_only_on_the_interval(running: Any) -> None:
    """With a 30 s interval, a deadline due in 0.5 s is fired at its due time, not 30 s later."""
    engine = FakeEngine()
    due_at = soon(0.5)
    engine.add(due_at)
    started = time.monotonic()
    running(Daemon(engine, interval=30))

    assert wait_for(lambda: len(engine.fired) == 1, timeout=3)
    (item, fired_at) = engine.fired[0]
    assert item.due_at == due_at
    assert 0.4 <= fired_at - started < 1.5
    assert len(engine.calls) == 2  # the catch-up sweep and the next-due wake-up, nothing else


def test_a_deadline_created_after_start_is_swept_within_the_interval(running: Any) -> None:
    """A deadline another process writes after start (no next-due known) fires within interval."""
    engine = FakeEngine()
    running(Daemon(engine, interval=0.5))
    assert wait_for(lambda: len(engine.calls) >= 1)
    time.sleep(0.1)  # the catch-up sweep is over and found nothing due, ever
    assert engine.next_due() is None

    engine.add(soon(0))
    written = time.monotonic()
    assert wait_for(lambda: len(engine.fired) == 1, timeout=3)
    # Found by the interval sweep at ~0.5 s after start, not by any wake-up of its own.
    assert 0.2 < engine.fired[0][1] - written < 1.0


def test_a_deadline_falling_due_during_a_sweep_is_fired_straight_after(running: Any) -> None:
    """A next due time already past when the sweep reschedules is scheduled for now."""
    engine = FakeEngine()

    def create_one_just_after(now: datetime) -> None:
        engine.after_run_due = None
        engine.add(now + timedelta(milliseconds=20))
        time.sleep(0.05)  # by the time next_due() is read, it is in the past

    engine.after_run_due = create_one_just_after
    running(Daemon(engine, interval=30))

    assert wait_for(lambda: len(engine.fired) == 1, timeout=2)
    assert engine.fired[0][1] - engine.calls[0] < 0.5


def test_deadlines_due_while_the_last_wake_up_delivers_notices_still_fire_when_due(
    running: Any,
) -> None:
    """Deadlines 50 ms apart, a delivery of notices after each sweep taking 80 ms: each
    next-due wake-up that falls due while the previous one is still delivering waits for it
    and fires then — none is dropped until the next interval sweep, 30 s on."""
    engine = FakeEngine()
    first = soon(0.5)
    dues = [first + timedelta(milliseconds=50 * i) for i in range(20)]
    for due_at in dues:
        engine.add(due_at)
    running(Daemon(engine, interval=30, deliver=lambda: time.sleep(0.08)))

    assert wait_for(lambda: len(engine.fired) == len(dues), timeout=10)
    assert engine.log.events("sweep_crashed") == []
    started = time.monotonic() - (datetime.now(UTC) - first).total_seconds()
    lateness = [
        fired_at - started - (item.due_at - first).total_seconds()
        for item, fired_at in engine.fired
    ]
    assert max(lateness) < 1.0, f"a wake-up was dropped: {max(lateness):.2f} s late"


def test_a_failing_sweep_is_logged_and_retried_not_fatal(running: Any) -> None:
    """StoreUnavailable from run_due is logged on one line; the next wake-up fires the deadline."""
    engine = FakeEngine(failures=1)
    engine.add(soon(-1))
    thread = running(Daemon(engine, interval=0.3))

    assert wait_for(lambda: len(engine.fired) == 1, timeout=3)
    assert thread.is_alive()
    failures = engine.log.events("sweep_failed")
    assert failures == [("warning", {"error": "StoreUnavailable", "detail": "database is locked"})]
    assert engine.log.events("sweep_crashed") == []


def test_an_unexpected_error_is_logged_with_its_traceback_and_not_fatal(running: Any) -> None:
    """A bug in a sweep (not a ShouhuError) is logged with exc_info; the daemon keeps sweeping."""
    engine = FakeEngine()
    engine.add(soon(-1))
    calls: list[int] = []

    def on_fired(fired: list[Any]) -> None:
        calls.append(len(fired))
        if len(calls) == 1:
            raise RuntimeError("notice channel down")

    thread = running(Daemon(engine, interval=0.3, on_fired=on_fired))
    assert wait_for(lambda: len(engine.log.events("sweep_crashed")) == 1, timeout=2)
    engine.add(soon(-1))
    assert wait_for(lambda: len(calls) == 2, timeout=3)
    assert thread.is_alive()
    assert engine.log.events("sweep_crashed")[0] == (
        "error",
        {"error": "RuntimeError", "exc_info": True},
    )


def test_each_firing_is_passed_to_on_fired_and_not_logged_twice() -> None:
    """sweep() hands what fired to on_fired; the engine logs firings, the daemon does not."""
    engine = FakeEngine()
    first, second = soon(-20), soon(-10)
    engine.add(second)
    engine.add(first)
    seen: list[list[Any]] = []

    fired = Daemon(engine, on_fired=seen.append).sweep()

    assert [f.due_at for f in fired] == [first, second]
    assert seen == [fired]
    assert engine.log.events("deadline_fired") == []


def test_on_fired_is_not_called_when_nothing_fired() -> None:
    """An empty sweep returns [] and does not call on_fired."""
    engine = FakeEngine()
    seen: list[list[Any]] = []
    assert Daemon(engine, on_fired=seen.append).sweep() == []
    assert seen == []


def test_the_next_due_wake_up_is_one_job_replaced_after_each_sweep(running: Any) -> None:
    """After each sweep exactly one next-due job exists, at the engine's next due time."""
    engine = FakeEngine()
    engine.add(soon(20))
    engine.add(soon(10))
    daemon = Daemon(engine, interval=30)
    running(daemon)
    assert wait_for(lambda: len(engine.calls) == 1)

    def next_due_jobs() -> list[Any]:
        scheduler = daemon._scheduler
        assert scheduler is not None
        return [job for job in scheduler.get_jobs() if job.id == NEXT_DUE_JOB]

    assert wait_for(lambda: len(next_due_jobs()) == 1)
    (job,) = next_due_jobs()
    assert abs((job.next_run_time - soon(10)).total_seconds()) < 1.0

    engine.pending.clear()
    daemon.sweep()
    assert next_due_jobs() == []


def test_an_overdue_deadline_the_engine_did_not_fire_does_not_spin_the_daemon(
    running: Any,
) -> None:
    """A past next_due that run_due did not fire is left to the interval sweep, warned once."""
    engine = FakeEngine()
    stuck = soon(-60)
    engine.next_due_override = lambda: stuck
    running(Daemon(engine, interval=0.5))

    time.sleep(1.2)
    assert 2 <= len(engine.calls) <= 4  # catch-up plus interval sweeps, not a busy loop
    assert engine.log.events("deadline_overdue_not_fired") == [
        ("warning", {"due_at": stuck.isoformat()})
    ]


def test_stop_ends_run_promptly(running: Any) -> None:
    """stop() from another thread makes run() return well within 2 s, and sweeps then cease."""
    engine = FakeEngine()
    daemon = Daemon(engine, interval=0.2)
    thread = running(daemon)
    assert wait_for(lambda: len(engine.calls) >= 2)

    asked = time.monotonic()
    daemon.stop()
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 1.0
    swept = len(engine.calls)
    time.sleep(0.5)
    assert len(engine.calls) == swept
    assert engine.log.events("daemon_stopped") == [("info", {})]


def test_sigterm_stops_a_daemon_running_in_the_main_thread() -> None:
    """run() in the main thread installs a SIGTERM handler that stops it, then restores the old."""
    received: list[int] = []

    def guard(signum: int, frame: Any) -> None:
        received.append(signum)  # if the daemon's handler were missing, this would catch it

    previous = signal.signal(signal.SIGTERM, guard)
    try:
        engine = FakeEngine()
        daemon = Daemon(engine, interval=0.2)
        sent: list[float] = []

        def send() -> None:
            wait_for(lambda: len(engine.calls) >= 1)
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGTERM)

        killer = threading.Thread(target=send, daemon=True)
        killer.start()
        watchdog = threading.Timer(5, daemon.stop)  # never hang the suite
        watchdog.start()
        daemon.run()
        returned = time.monotonic()
        watchdog.cancel()
        killer.join(1)

        assert received == []
        assert sent
        assert returned - sent[0] < 2.0
        assert signal.getsignal(signal.SIGTERM) is guard
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sweeps_never_overlap(running: Any) -> None:
    """A slow run_due, a short interval, next-due wake-ups and direct calls: never two at once."""
    engine = FakeEngine(slow=0.15)
    engine.next_due_override = lambda: soon(0.05)  # always something due right away
    daemon = Daemon(engine, interval=0.05)
    running(daemon)

    callers = [threading.Thread(target=daemon.sweep) for _ in range(3)]
    for caller in callers:
        caller.start()
    time.sleep(1.0)
    for caller in callers:
        caller.join(3)

    assert len(engine.calls) >= 4
    assert engine.max_active == 1


def test_apscheduler_warnings_are_log_lines_in_the_chosen_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A warning from APScheduler (a skipped wake-up, say) is one JSON log line on stderr like
    the engine's own, not Python's bare last-resort text; its per-job INFO stays quiet."""
    import json
    import logging

    from shouhu.adapters.logging import configure

    aps = logging.getLogger("apscheduler")
    saved = (list(aps.handlers), aps.level, aps.propagate)
    try:
        configure(fmt="json", level="info")
        logging.getLogger("apscheduler.executors.default").info("Running job")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1
        line = json.loads(lines[0])
        assert (line["event"], line["level"]) == ("Run time of job was missed", "warning")
    finally:
        aps.handlers[:], aps.level, aps.propagate = saved
