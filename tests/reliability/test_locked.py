"""A locked or busy SQLite file: a bounded wait, then success or one clear line — never a hang,
never corruption.

Writers take SQLite's write lock with ``BEGIN IMMEDIATE`` and wait for it up to the busy
timeout (``BUSY_TIMEOUT_MS``, 5 s). Several writer processes on one file queue within it and
all succeed; a writer kept out longer gives up with exit code 5 and one line on stderr, having
written nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from test_kills import child_env

from shouhu import Engine
from shouhu.adapters.sqlstore import BUSY_TIMEOUT_MS
from tests.operatorkit import as_operator

ZONE = "Asia/Shanghai"
BUSY_S = BUSY_TIMEOUT_MS / 1000
#: A hung process fails the test after this long instead of hanging it.
HANG_S = 120
REPORT = [
    "report",
    "solo_living",
    *("--child-name", "王小明", "--child-birthdate", "2016-02-01"),
    *("--location", "石桥村, 青山镇", "--reporter-kind", "school", "--reporter", "青山镇中心小学"),
    "-q",
    "--new-case",  # filed again once the lock is gone, and by several writers
]

#: One writer process: 25 reports and 25 dispatches through the library, as fast as it can.
WRITER = """
import sys
from shouhu import Engine
with Engine.open(sys.argv[1], zone="Asia/Shanghai") as engine:
    for n in range(25):
        case = engine.report(
            "missing_child",
            child={"name": "刘欣怡", "birthdate": "2018-05-20"},
            location="河口村, 青山镇",
            reporter={"kind": "village_committee", "name": "河口村委会"},
            new_case=True,
        )
        engine.fire(case.id, "dispatch", actor={"name": "李警官", "role": "police"})
        print(case.id, flush=True)
"""


def shouhu(db: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``shouhu --db sqlite:///DB ARGS…`` in its own process: the result and its seconds."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "shouhu", "--db", f"sqlite:///{db}", *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=HANG_S,
    )
    return done, time.monotonic() - started


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_several_writer_processes_on_one_file_wait_their_turn_and_all_succeed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "cases.db"
    Engine.open(f"sqlite:///{db}", zone=ZONE).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"sqlite:///{db}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=HANG_S) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert "Traceback" not in err
        assert len(out.split()) == 25
    with Engine.open(f"sqlite:///{db}", zone=ZONE) as engine:
        assert engine.verify().ok
        cases = list(engine.cases())
        assert len(cases) == 100
        assert {c.state for c in cases} == {"dispatched"}


def test_a_writer_locked_out_longer_than_the_busy_timeout_exits_5_with_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    """A report, a fire and a sweep, each in its own process, while another process holds the
    write lock for longer than the busy timeout: each waits its bound, then exit 5, one line;
    the file is byte for byte what it was; once the lock is gone the same report succeeds."""
    db = tmp_path / "cases.db"
    done, _ = shouhu(db, *REPORT)
    assert done.returncode == 0, done.stderr
    case_id = done.stdout.strip()
    # the operators are made (writes) before the file is measured; once there are operators,
    # the sweep is the scheduler's system operator's
    police = as_operator(db, "李警官", "police")
    system = as_operator(db, "守护 调度程序", "system")
    before = file_digest(db)  # the engine has closed: everything is checkpointed into the file

    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding the lock
    try:
        commands = [
            REPORT,
            ["case", "fire", case_id, "dispatch", *police],
            ["scheduler", "run", "--once", *system],
        ]
        with ThreadPoolExecutor(len(commands)) as pool:
            results = list(pool.map(lambda args: shouhu(db, *args), commands))
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    for (done, seconds), args in zip(results, commands, strict=True):
        lines = done.stderr.splitlines()
        assert done.returncode == 5, (args, done.stderr)
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("shouhu: error: database "), lines[0]
        assert f"is busy (locked longer than {BUSY_TIMEOUT_MS} ms); try again" in lines[0]
        assert done.stdout == ""
        assert BUSY_S <= seconds < BUSY_S + 30, f"{args[0]} gave up after {seconds:.1f} s"
    assert file_digest(db) == before, "a writer that was refused changed the file"
    assert not Path(f"{db}-wal").exists()

    done, _ = shouhu(db, *REPORT)
    assert done.returncode == 0, done.stderr
    with Engine.open(f"sqlite:///{db}", zone=ZONE) as engine:
        assert engine.verify().ok
        assert [c.version for c in engine.cases()] == [1, 1]
