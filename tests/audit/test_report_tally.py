"""``audit report`` counted from the tables (issue 18) gives the numbers a replay of every case
gives, on SQLite and on PostgreSQL; ``--replay`` still replays, and names the cases that fail.

The tables are the ones ``audit verify`` recomputes from the events: the report counts them in
SQL (seconds at a million cases) where it used to replay each case (minutes).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from auditkit import ZONE, Cli
from rich.console import Console
from test_report import seed

from shouhu import Engine, FakeClock
from shouhu.engine.timeutil import local_date


def both_ways(engine: Engine, start: str | date, end: str | date) -> tuple[dict[str, Any], ...]:
    """The report counted from the tables and built by replay, without the keys that say
    which it was."""
    out = []
    for replay in (False, True):
        d = engine.compliance_report(start, end, replay=replay).to_dict()
        assert d.pop("counted_from") == ("replay" if replay else "tables")
        failing = d.pop("cases_failing_replay")
        assert failing == ([] if replay else None)
        out.append(d)
    return tuple(out)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "cases.db")
    return str(request.getfixturevalue("pg_url"))


def windows(engine: Engine) -> Iterator[tuple[date, date]]:
    """The whole span of the cases, each month of it, and each single day with a report."""
    days = sorted({local_date(c.reported_at, ZONE) for c in engine.cases()})
    yield days[0], days[-1]
    for day in days:
        yield day.replace(day=1), (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        yield day, day


def test_the_demos_report_from_the_tables_is_its_report_by_replay_for_every_window(
    url: str,
) -> None:
    from shouhu.demo import run

    run(url, Console(file=io.StringIO()))
    with Engine.open(url, zone=ZONE) as engine:
        checked = 0
        for start, end in windows(engine):
            tables, replayed = both_ways(engine, start, end)
            assert tables == replayed, (start, end)
            checked += tables["cases"]
        assert checked > 0


def test_the_seeded_weeks_report_from_the_tables_is_its_report_by_replay(
    url: str, audit_clock: FakeClock
) -> None:
    """Late reports told to their superior organs, a dispatch met late, one missed then done,
    one missed and open, two six-month grounds (one petitioned), a praised citizen."""
    with Engine.open(url, clock=audit_clock, zone=ZONE) as engine:
        ids = seed(engine)
        engine.fire(
            ids["C"],
            "commend_reporter",
            actor={"name": "李警官", "role": "police"},
            occurred_at="2026-03-06T09:00:00",
            data={"note": "表扬信一封"},
        )
        for start, end in (("2026-03-01", "2026-03-05"), ("2026-02-01", "2026-03-31")):
            tables, replayed = both_ways(engine, start, end)
            assert tables == replayed
        tables, _ = both_ways(engine, "2026-03-01", "2026-03-05")
        assert tables["voluntary_reports_praised"]["praised"] == 1
        assert [s["petitioned"] for s in tables["six_month_ground"]] == [True, False]
        assert tables["deadlines"]["dispatch"]["missed_done_late"] == 1


def test_the_table_form_says_what_it_counted_and_replay_names_no_failing_case(
    cli: Cli, lib: Engine
) -> None:
    seed(lib)
    lib.close()
    shown = cli.ok("audit", "report", "--from", "2026-03-01", "--to", "2026-03-05").stdout
    assert "Counted from the tables audit verify checks" in shown
    replayed = cli.json(
        "audit", "report", "--from", "2026-03-01", "--to", "2026-03-05", "--replay", "--json"
    )
    assert (replayed["cases_failing_replay"], replayed["counted_from"]) == ([], "replay")
    shown = cli.ok(
        "audit", "report", "--from", "2026-03-01", "--to", "2026-03-05", "--replay"
    ).stdout
    assert "Counted from the tables" not in shown
