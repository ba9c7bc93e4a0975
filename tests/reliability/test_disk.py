"""A read-only database and a full disk: exit 5 with one clear line, nothing partial.

Root ignores file permissions, and CI runs as root: there the CLI runs under ``setpriv``
(util-linux) without the capabilities that override them (``CAP_DAC_OVERRIDE``,
``CAP_DAC_READ_SEARCH``), so a mode of 0444 binds it as it binds any operator. A full disk is
a tiny tmpfs when this process may mount one (root on a VM, as CI), else — and always in the
second test — the file-size limit (``RLIMIT_FSIZE``) of the CLI's process, with ``SIGXFSZ``
ignored so that the write fails instead of killing it.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_kills import child_env

from shouhu import Engine
from tests.operatorkit import as_operator

ZONE = "Asia/Shanghai"
HANG_S = 120


def report(n: int, description_chars: int = 0) -> list[str]:
    args = [
        "report",
        "suspected_harm",
        *("--child-name", f"王小{n}", "--child-birthdate", "2016-02-01"),
        *(
            "--location",
            "石桥村, 青山镇",
            "--reporter-kind",
            "school",
            "--reporter",
            "青山镇中心小学",
        ),
        "-q",
    ]
    if description_chars:
        args += ["--data", "description=" + "左臂骨折" * (description_chars // 4)]
    return args


def unprivileged() -> list[str]:
    """A prefix that makes the command subject to file permissions, even as root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE"
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def shouhu(
    db: Path, *args: str, prefix: list[str] | None = None, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "shouhu", "--db", f"sqlite:///{db}", *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=HANG_S,
        preexec_fn=preexec,
    )


def a_database(path: Path, cases: int = 3) -> list[str]:
    with Engine.open(f"sqlite:///{path}", zone=ZONE) as engine:
        return [
            engine.report(
                "suspected_harm",
                child={"name": "周小军", "birthdate": "2013-04-20"},
                location="石桥村, 桂花镇",
                reporter={"kind": "medical", "name": "桂花镇卫生院"},
                new_case=True,
            ).id
            for _ in range(cases)
        ]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_exit_5(done: subprocess.CompletedProcess[str], says: str) -> None:
    lines = done.stderr.splitlines()
    assert done.returncode == 5, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("shouhu: error: database "), lines[0]
    assert says in lines[0], lines[0]
    assert done.stdout == ""


def cases_in(db: Path) -> list[str]:
    with Engine.open(f"sqlite:///{db}", zone=ZONE) as engine:
        assert engine.verify().ok
        return [c.id for c in engine.cases()]


@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_a_read_only_database_refuses_every_write_with_exit_5_and_stays_as_it_was(
    tmp_path: Path, read_only: str
) -> None:
    """Mode 0444 on the file (or 0555 on its directory): a report and a fire are refused, one
    line each, and the file is unchanged; once writable again it holds exactly what it held."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "cases.db"
    ids = a_database(db)
    police = as_operator(db, "李警官", "police")  # made (a write) before the file is measured
    before = digest(db)
    target = db if read_only == "file" else folder
    target.chmod(0o444 if read_only == "file" else 0o555)
    try:
        for args in (
            report(1),
            ["case", "fire", ids[0], "dispatch", *police],
        ):
            done = shouhu(db, *args, prefix=unprivileged())
            assert_one_line_exit_5(done, "is read-only")
        if read_only == "file":  # an auditor can still read a read-only copy
            done = shouhu(db, "audit", "verify", prefix=unprivileged())
            assert done.returncode == 0, done.stderr
            assert "verified 3 cases, 3 events: ok" in done.stdout
    finally:
        target.chmod(0o600 if read_only == "file" else 0o700)
    assert digest(db) == before
    assert cases_in(db) == ids


@contextmanager
def tiny_disk(where: Path) -> Iterator[bool]:
    """A 512 KiB tmpfs at ``where`` if this process may mount one (yields whether it did)."""
    where.mkdir()
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(where)],
            capture_output=True,
            timeout=30,
        )
        mounted = done.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], check=True, timeout=30)


def limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def fill_until_refused(
    db: Path, preexec: Callable[[], None] | None
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Report until the store refuses: the acknowledged case ids, and the refusal."""
    acknowledged: list[str] = []
    for n in range(200):
        done = shouhu(db, *report(n, description_chars=2000), preexec=preexec)
        if done.returncode != 0:
            return acknowledged, done
        acknowledged.append(done.stdout.strip())
    raise AssertionError("the disk never filled up")


def test_a_full_disk_is_exit_5_with_one_line_and_leaves_every_acknowledged_case_and_no_other(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "disk"
    with tiny_disk(disk) as mounted:
        db = disk / "cases.db"
        ids = a_database(db)
        preexec = None
        if mounted:  # leave 128 KiB free: a few reports fit, then the disk is full
            free = shutil.disk_usage(disk).free
            (disk / "filler").write_bytes(b"\0" * max(free - 128 * 1024, 0))
        else:
            preexec = limit_file_size(db.stat().st_size + 24 * 1024)
        acknowledged, refusal = fill_until_refused(db, preexec)
        assert acknowledged, "the disk was full from the start: the test proves nothing"
        # SQLite says "database or disk is full" (SQLITE_FULL) when a page write fails, a disk
        # I/O error when growing the WAL's index or a file fails: either way, one clear line.
        assert refusal.stderr.count("disk") >= 1, refusal.stderr
        assert_one_line_exit_5(refusal, "nothing was written")
        if mounted:
            (disk / "filler").unlink()  # room again: the store must be whole and exact
        assert cases_in(db) == sorted([*ids, *acknowledged])
        done = shouhu(db, *report(999))
        assert done.returncode == 0, done.stderr


def test_a_file_size_limit_is_exit_5_with_one_line_and_leaves_every_acknowledged_case_and_no_other(
    tmp_path: Path,
) -> None:
    """The same as a full disk where no tmpfs can be mounted: writes past the process's file
    size limit fail (EFBIG: SQLite's "disk I/O error")."""
    db = tmp_path / "cases.db"
    ids = a_database(db)
    acknowledged, refusal = fill_until_refused(db, limit_file_size(db.stat().st_size + 24 * 1024))
    assert acknowledged, "the limit was reached from the start: the test proves nothing"
    assert_one_line_exit_5(refusal, "cannot be used: disk I/O error (SQLITE_IOERR")
    assert "nothing was written" in refusal.stderr
    assert cases_in(db) == sorted([*ids, *acknowledged])
    done = shouhu(db, *report(999))
    assert done.returncode == 0, done.stderr
