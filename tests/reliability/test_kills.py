"""The kill test: a mixed workload SIGKILLed at random moments and restarted, on both stores.

The workload (``workload.py``, its own process) files reports one by one and in batches, moves
cases along, sweeps due deadlines, delivers the outbox to a file and imports CSV files; it
acknowledges each write in a side file only after the engine returned. The parent kills it
(``SIGKILL``: no handler, no cleanup, no flush) at a moment drawn from a seeded RNG — mostly
while it works, sometimes while it starts — and after every kill checks the store
(``storecheck.py``): ``audit verify`` passes, every acknowledged write is there, no case,
deadline, notice or intake row is half written. After the last kill the workload runs to its
end once more, then a sweep at an instant 400 days on fires every deadline still pending, each
exactly once, and a second sweep fires nothing.

``SHOUHU_SOAK=1`` (``make soak``) runs the long version: 60 kills per store instead of 8.
``SHOUHU_KILL_SEED`` picks another seed (the default is fixed, so a failure can be rerun).
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import storecheck
from workload import ZONE

from shouhu import Engine, FakeClock

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = Path(__file__).with_name("workload.py")
SOAK = os.environ.get("SHOUHU_SOAK") == "1"
SOAK_KILLS, SHORT_KILLS = 60, 8
KILLS = SOAK_KILLS if SOAK else SHORT_KILLS
SEED = int(os.environ.get("SHOUHU_KILL_SEED", "20260307"))
#: How long a workload may take to say ``ready`` (a loaded CI machine is slow to import).
READY_TIMEOUT = 60.0
#: The longest a workload runs after ``ready`` before it is killed.
MAX_RUN = 1.2


def child_env() -> dict[str, str]:
    """The environment of a child process: this checkout's ``shouhu`` first on the path."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


@dataclass
class KillRun:
    url: str
    tmp: Path
    rng: random.Random
    kills: int = 0
    ready_kills: int = 0
    figures: list[tuple[int, int, int]] = field(default_factory=list)  # cases, events, acks

    @property
    def acks(self) -> Path:
        return self.tmp / "acks.txt"

    @property
    def outbox(self) -> Path:
        return self.tmp / "outbox.jsonl"

    @property
    def imports(self) -> Path:
        return self.tmp / "imports"

    def command(self, seed: int, steps: int | None = None) -> list[str]:
        cmd = [
            sys.executable,
            str(WORKLOAD),
            "--db",
            self.url,
            "--ack",
            str(self.acks),
            "--outbox",
            str(self.outbox),
            "--imports",
            str(self.imports),
            "--seed",
            str(seed),
        ]
        return cmd if steps is None else [*cmd, "--steps", str(steps)]

    def kill_once(self, seed: int) -> None:
        """Start the workload, SIGKILL it at a random moment, and wait for it to be gone."""
        log = (self.tmp / "workload.log").open("ab")
        proc = subprocess.Popen(
            self.command(seed), stdout=subprocess.PIPE, stderr=log, env=child_env()
        )
        try:
            if self.rng.random() < 0.15:  # while it starts: opening, catching up an import
                time.sleep(self.rng.uniform(0.0, 0.6))
            else:
                assert proc.stdout is not None
                ready, _, _ = select.select([proc.stdout], [], [], READY_TIMEOUT)
                line = proc.stdout.readline() if ready else b""
                assert line == b"ready\n", f"the workload did not start: {self.log_tail()}"
                self.ready_kills += 1
                time.sleep(self.rng.uniform(0.0, MAX_RUN))
            assert proc.poll() is None, f"the workload ended by itself: {self.log_tail()}"
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            log.close()
        self.kills += 1

    def finish(self, seed: int) -> None:
        """The last restart: the workload runs to its end (and exits 0)."""
        with (self.tmp / "workload.log").open("ab") as log:
            done = subprocess.run(
                self.command(seed, steps=60),
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=child_env(),
                timeout=300,
            )
        assert done.returncode == 0, f"the last restart failed: {self.log_tail()}"

    def check(self) -> None:
        """Everything that must hold after a crash (see ``storecheck``)."""
        storecheck.check_verify(self.url)
        snap = storecheck.snapshot(self.url)
        storecheck.check_whole(snap)
        acks = storecheck.check_acks(snap, self.acks, self.outbox, self.imports)
        self.figures.append((len(snap.cases), snap.event_count, acks))

    def log_tail(self) -> str:
        path = self.tmp / "workload.log"
        return path.read_text("utf-8", "replace")[-2000:] if path.exists() else ""


def far_future_sweeps(url: str) -> None:
    """A sweep 400 days on fires each deadline still pending exactly once; a second, none."""
    later = datetime.now(UTC) + timedelta(days=400)
    with Engine.open(url, zone=ZONE, clock=FakeClock(later)) as engine:
        pending = list(engine.deadlines(status="pending"))
        assert pending, "the workload left no deadline pending: the final sweep proves nothing"
        fired = engine.run_due()
        assert engine.run_due() == [], "a second sweep at the same instant fired again"
        assert list(engine.deadlines(status="pending")) == []
    keys = Counter((f.case_id, f.kind, f.due_at) for f in fired)
    assert max(keys.values()) == 1, "the sweep fired a deadline twice"
    expected = {(d["case_id"], d["kind"], datetime.fromisoformat(d["due_at"])) for d in pending}
    assert set(keys) == expected, "the sweep did not fire exactly the pending deadlines"


def kill_and_restart(url: str, tmp: Path) -> KillRun:
    Engine.open(url, zone=ZONE).close()  # the schema first: the kills are of the workload
    run = KillRun(url, tmp, random.Random(f"{SEED}:{url.split(':')[0]}"))
    started = time.monotonic()
    for n in range(KILLS):
        run.kill_once(SEED + n)
        run.check()
    run.finish(SEED + KILLS)
    run.check()
    far_future_sweeps(url)
    run.check()
    cases, events, acks = run.figures[-1]
    print(
        f"\nkill test on {url.split(':')[0]}: {run.kills} kills ({run.ready_kills} while "
        f"working), {len(run.figures)} checks, finally {cases} cases, {events} events, "
        f"{acks} acknowledgements, {time.monotonic() - started:.1f} s (seed {SEED})"
    )
    assert run.ready_kills >= run.kills // 2, "too few kills landed while the workload worked"
    assert acks > 0
    return run


@pytest.mark.soak
def test_a_kill_at_any_moment_on_sqlite_leaves_every_acknowledged_write_and_no_half_case(
    tmp_path: Path,
) -> None:
    kill_and_restart(f"sqlite:///{tmp_path / 'cases.db'}", tmp_path)


@pytest.mark.soak
def test_a_kill_at_any_moment_on_postgresql_leaves_every_acknowledged_write_and_no_half_case(
    pg_url: str, tmp_path: Path
) -> None:
    kill_and_restart(pg_url, tmp_path)
