"""What the spawned processes of the PostgreSQL concurrency tests run (imported by name in
each child, so it imports nothing of the tests)."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

ZONE = "Asia/Shanghai"
POLICE = {"name": "李警官", "role": "police"}


def file_dispatched_case(url: str) -> str:
    """A suspected_harm case the police have dispatched to (version 2), on the database at
    ``url`` (the race tests' common start)."""
    from shouhu import Engine, FakeClock

    with Engine.open(url, clock=FakeClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC)), zone=ZONE) as e:
        case = e.report(
            "suspected_harm",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
        )
        e.fire(case.id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00")
        assert e.case(case.id).version == 2
        return case.id


def sweep(url: str, now: datetime, batch: int, barrier: Any, out: Any) -> None:
    """A scheduler worker: its own ``Engine.open``; at the common start, one ``run_due``."""
    from shouhu import Conflict, Engine, FakeClock

    try:
        with Engine.open(url, clock=FakeClock(now), zone=ZONE) as engine:
            lost = _count_lost_races(engine, Conflict)
            engine.next_due()  # connected before the start line
            barrier.wait(timeout=120)
            fired = engine.run_due(now, batch=batch)
            out.put((os.getpid(), "ok", ([(f.case_id, f.kind, f.seq) for f in fired], lost[0])))
    except BaseException as exc:  # reported to the test, which fails naming it
        out.put((os.getpid(), "error", f"{type(exc).__name__}: {exc}"))


def _count_lost_races(engine: Any, conflict: type[Exception]) -> list[int]:
    """Counts the write transactions of ``engine`` that ended in a conflict (a lost race)."""
    lost = [0]
    write = engine.store.write

    @contextlib.contextmanager
    def counting() -> Iterator[Any]:
        try:
            with write() as tx:
                yield tx
        except conflict:
            lost[0] += 1
            raise

    engine.store.write = counting
    return lost


def cli(argv: list[str], env: dict[str, str], barrier: Any, out: Any) -> None:
    """An operator: the ``shouhu`` command (its real entry point and exit codes) in this
    process, started at the common start line; reports (exit code, stdout, stderr)."""
    os.environ.update(env)
    import shouhu.cli

    stdout, stderr = io.StringIO(), io.StringIO()
    code: Any = 0
    try:
        barrier.wait(timeout=120)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                shouhu.cli.main(argv)
            except SystemExit as exc:
                code = 0 if exc.code is None else exc.code
    except BaseException as exc:
        code, stderr = -1, io.StringIO(f"{type(exc).__name__}: {exc}")
    out.put(
        (os.getpid(), code if isinstance(code, int) else -1, stdout.getvalue(), stderr.getvalue())
    )
