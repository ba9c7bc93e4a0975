"""Eight operators fire on ONE case at the same moment, through the ``shouhu`` command.

Each is a separate process (forked from a fresh forkserver) running the CLI's entry point
(its exit codes and one-line errors) from a common start line. With ``--expect-version``
whoever loses gets ``Conflict``: exit 4 and one ``shouhu: error:`` line. Without it every
operator's fire lands. Nothing is lost: the case's version is 1 + the number of events,
which is 2 (report, dispatch) + the number of winners, ``seq`` has no gap and the hash chain
verifies.

On PostgreSQL the case row is updated ``WHERE version = <read>``: a writer that waited for
another's row lock finds the version moved; without an expected version the engine reads
the case again and fires again. On SQLite ``BEGIN IMMEDIATE`` serialises the writers, so
each reads the case after the previous one committed.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pgworkers
import pytest

from shouhu import Engine, FakeClock
from tests.operatorkit import as_operator

OPERATORS = 8
ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICE = {"name": "李警官", "role": "police"}


def fire_together(url: str, argv: list[str]) -> list[tuple[int, str, str]]:
    """``shouhu ARGV`` in eight processes at once: (exit code, stdout, stderr) of each."""
    env = {"SHOUHU_DB": url, "SHOUHU_ZONE": ZONE, "SHOUHU_LOG_LEVEL": "warning", "COLUMNS": "200"}
    ctx: Any = multiprocessing.get_context("forkserver")
    # Fresh processes forked from a server that has imported the CLI once: eight cold
    # interpreters importing it at once would take most of the test's time.
    ctx.set_forkserver_preload(["pgworkers", "shouhu.cli", "shouhu.adapters.sqlstore"])
    barrier, out = ctx.Barrier(OPERATORS), ctx.Queue()
    procs = [
        ctx.Process(target=pgworkers.cli, args=(argv, env, barrier, out)) for _ in range(OPERATORS)
    ]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=300) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    return [(code, stdout, stderr) for _, code, stdout, stderr in results]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'race.db'}"


@pytest.mark.slow
@pytest.mark.parametrize("expect_version", [True, False], ids=["expect-version", "no-expect"])
def test_eight_operators_firing_on_one_case_lose_with_exit_4_and_nothing_is_lost(
    db_url: str, expect_version: bool, tmp_path: Path
) -> None:
    """With ``--expect-version 2`` exactly one wins and every other exit is 4 with one error
    line; without, all eight win. The final version is 2 + winners; the chain verifies."""
    case_id = pgworkers.file_dispatched_case(db_url)
    police = as_operator(db_url, "李警官", "police", folder=tmp_path)
    argv = ["case", "fire", case_id, "education_given", *police]
    argv += ["--at", "2026-03-02T09:10"]
    if expect_version:
        argv += ["--expect-version", "2"]

    results = fire_together(db_url, argv)

    codes = sorted(code for code, _, _ in results)
    assert set(codes) <= {0, 4}, results
    winners = codes.count(0)
    assert winners == (1 if expect_version else OPERATORS), results
    for code, stdout, stderr in results:
        if code == 0:
            assert "education_given" in stdout, stdout
            assert stderr == ""
            continue
        assert stdout == ""
        assert stderr.startswith(f"shouhu: error: case {case_id} is at version ")
        assert stderr.endswith("someone else wrote first; look again and retry\n")
        assert stderr.count("\n") == 1, stderr

    with Engine.open(db_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        case = engine.case(case_id)
        events = engine.store.events(case_id)
        assert case.version == 2 + winners
        assert [e.seq for e in events] == list(range(1, case.version + 1))
        assert [e.trigger for e in events] == ["report", "dispatch", *["education_given"] * winners]
        assert engine.verify(case_id).ok
