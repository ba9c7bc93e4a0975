"""The daemon that wakes the engine when deadlines fall due.

Deadlines are durable rows in the database, not scheduler jobs: measured here, APScheduler's own
SQLite job store at its default settings silently dropped 88% of 10,000 simultaneously-due jobs.
So the engine fires every due deadline itself, exactly once, claiming each row in the same
transaction as the event it appends; APScheduler (in memory) only *wakes* the engine:

* at once on start, to catch up on everything that fell due while the daemon was down;
* every ``interval`` seconds, so a deadline written by another process is fired within seconds;
* at the next due time the engine reports (one one-shot job, id ``next-due``, replaced after
  every sweep; a time already past is scheduled for now).

Every wake-up is the same thing: "run a sweep now". A sweep's horizon is the clock's now, but
never earlier than the daemon's last one (:attr:`Daemon.horizon`): if the wall clock steps
back, the daemon keeps sweeping at the horizon it reached, warns once (``clock_behind_horizon``)
and moves on when the clock catches up. A deadline fires by its row's status, not by a window
since the last sweep, so a clock that jumps either way neither fires one twice nor skips one.

Nothing relies on APScheduler's misfire
handling (grace is unlimited and runs coalesce). Sweeps never overlap: all wake-ups run on one
worker thread and a lock also guards :meth:`Daemon.sweep` when called directly. A sweep that
fails is logged on one line and retried at the next wake-up; the daemon does not die of it.

After every sweep (even one that failed) the daemon calls ``deliver``, if given — e.g. the
engine's ``deliver(channels)``, which sends the outbox's due notices. Its failures are logged
the same way (``deliver_failed`` / ``deliver_crashed``) and never stop the daemon.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from shouhu.errors import ShouhuError

if TYPE_CHECKING:
    from shouhu.engine.core import Fired

#: The id of the one-shot job that wakes the engine at its next due time.
NEXT_DUE_JOB = "next-due"
#: The id of the job that sweeps every ``interval`` seconds (its first run is the catch-up).
INTERVAL_JOB = "sweep-interval"
#: How often ``run()`` looks at the stop flag (a signal handler may only set a flag).
_STOP_POLL_SECONDS = 0.1
#: The signals that stop a daemon running in the main thread.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Daemon:
    """Wakes ``engine`` to fire due deadlines: at start, every ``interval`` s, and when due."""

    def __init__(
        self,
        engine: Any,
        *,
        interval: float = 2.0,
        on_fired: Callable[[list[Fired]], None] | None = None,
        deliver: Callable[[], object] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be a positive number of seconds")
        self._engine = engine
        self._interval = interval
        self._on_fired = on_fired
        self._deliver = deliver
        self._lock = threading.RLock()  # one sweep at a time; guards self._scheduler
        self._scheduler: BackgroundScheduler | None = None
        self._stop_requested = False  # the only thing a signal handler touches
        self._stop_event = threading.Event()  # wakes run() promptly when stop() is called
        self._warned_overdue: datetime | None = None
        self._horizon: datetime | None = None  # the latest instant a sweep fired up to
        self._warned_behind: datetime | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def run(self) -> None:
        """Sweep at once, then on every wake-up, until :meth:`stop` (or SIGTERM/SIGINT)."""
        previous = self._install_signal_handlers()
        scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        try:
            with self._lock:
                self._scheduler = scheduler
            scheduler.add_job(
                self._wake,
                IntervalTrigger(seconds=self._interval, timezone=UTC),
                id=INTERVAL_JOB,
                next_run_time=datetime.now(UTC),  # the catch-up sweep, at once
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
            # Civil Code Art. 203: the pack this daemon runs under may add a year that pending
            # duties were flagged for; they are judged anew once, now (each sweep after judges
            # only what it is about to fire)
            with self._lock:
                try:
                    self._engine.rejudge()
                except ShouhuError as exc:  # e.g. the store is away: the sweeps still judge
                    self._engine.log.warning("rejudge_failed", error=str(exc)[:200])
            scheduler.start()
            self._engine.log.info("daemon_started", interval=self._interval)
            while not self._stop_requested:
                self._stop_event.wait(_STOP_POLL_SECONDS)
        finally:
            # Detach first, under the sweep lock: a sweep in flight finishes its rescheduling,
            # and no later sweep touches the scheduler. (APScheduler's shutdown(wait=True) holds
            # its job-store lock while it waits for running jobs, so a job that tried to add a
            # job then would deadlock.)
            with self._lock:
                self._scheduler = None
            if scheduler.running:
                scheduler.shutdown(wait=True)
            self._restore_signal_handlers(previous)
            self._engine.log.info("daemon_stopped")

    def stop(self) -> None:
        """Ask :meth:`run` to return; safe from any thread. A sweep in flight completes first."""
        self._stop_requested = True
        self._stop_event.set()

    # -- sweeping --------------------------------------------------------------------------------

    @property
    def horizon(self) -> datetime | None:
        """The instant the last sweep fired up to (never moves back), or None before one."""
        return self._horizon

    def sweep(self) -> list[Fired]:
        """Fire every due deadline now, reschedule the next-due wake-up, tell on_fired; then
        deliver (if given), also when the sweep failed.

        The engine logs each firing (``deadline_fired``); the daemon does not repeat it.
        """
        with self._lock:
            try:
                now = self._next_horizon()
                fired: list[Fired] = self._engine.run_due(now)
                self._horizon = now
                self._reschedule(swept_at=now)
                if fired and self._on_fired is not None:
                    self._on_fired(fired)
            finally:
                self._deliver_notices()
            return fired

    def _next_horizon(self) -> datetime:
        """The clock's now, or the last horizon if the clock is behind it (warned once)."""
        now: datetime = self._engine.clock.now()
        last = self._horizon
        if last is None or now >= last:
            return now
        if last != self._warned_behind:
            self._warned_behind = last
            self._engine.log.warning(
                "clock_behind_horizon",
                clock=now.isoformat(),
                horizon=last.isoformat(),
                behind_seconds=round((last - now).total_seconds(), 3),
            )
        return last

    def _deliver_notices(self) -> None:
        """Call ``deliver``; a failure is logged on one line (a bug with its traceback)."""
        if self._deliver is None:
            return
        try:
            self._deliver()
        except ShouhuError as exc:
            self._engine.log.warning("deliver_failed", error=type(exc).__name__, detail=str(exc))
        except Exception as exc:
            self._engine.log.error("deliver_crashed", error=type(exc).__name__, exc_info=True)

    def _wake(self) -> None:
        """What every APScheduler job runs: a sweep whose failure is logged, never raised."""
        if self._stop_requested:
            return
        try:
            self.sweep()
        except ShouhuError as exc:
            # Transient (e.g. the store is busy): one line, and the next wake-up retries.
            self._engine.log.warning("sweep_failed", error=type(exc).__name__, detail=str(exc))
        except Exception as exc:
            # A bug, not weather: keep the traceback, but keep the daemon alive as well.
            self._engine.log.error("sweep_crashed", error=type(exc).__name__, exc_info=True)

    def _reschedule(self, *, swept_at: datetime) -> None:
        """Point the one-shot ``next-due`` job at the engine's earliest pending due time."""
        scheduler = self._scheduler
        if scheduler is None:  # sweep() called outside run(), or the daemon is stopping
            return
        due: datetime | None = self._engine.next_due()
        if due is not None and due <= swept_at:
            # run_due(swept_at) should have fired it. Waking "now" again would spin; the
            # interval sweep retries it instead.
            if due != self._warned_overdue:
                self._warned_overdue = due
                self._engine.log.warning("deadline_overdue_not_fired", due_at=due.isoformat())
            due = None
        if due is None:
            with contextlib.suppress(JobLookupError):
                scheduler.remove_job(NEXT_DUE_JOB)
            return
        # Engine time may be a fake clock: wake after the same delay on the wall clock.
        delay = max(due - self._engine.clock.now(), timedelta(0))
        scheduler.add_job(
            self._wake,
            DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
            id=NEXT_DUE_JOB,
            replace_existing=True,
            coalesce=True,
            # This job is usually re-added from inside its own run (the sweep reschedules it,
            # then notices are delivered): with one instance allowed, a new due time falling
            # while the old run still delivers would be refused by APScheduler ("maximum
            # number of running instances reached") and, a one-shot job, dropped until the
            # next interval sweep. A second instance waits for the one worker thread instead.
            max_instances=2,
            misfire_grace_time=None,
        )

    # -- signals ---------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only a flag: taking a lock here (Event.set does) could deadlock the interrupted thread.
        self._stop_requested = True

    def _install_signal_handlers(self) -> dict[signal.Signals, _Handler]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[signal.Signals, _Handler] = {}
        for sig in _STOP_SIGNALS:
            previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[signal.Signals, _Handler]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
