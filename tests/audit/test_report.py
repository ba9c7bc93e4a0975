"""``audit report``: what happened to the cases reported in a window, with exact numbers.

The seeded week (local dates 2026-03-01 … 2026-03-05) holds seven cases; two more fall just
outside it (one on 02-20, one at 03-06T00:00:00). Every number below is counted by hand from
the seeding.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from auditkit import CIVIL, POLICE, TOWNSHIP, Cli, file_report, fire

from shouhu import Engine

VILLAGE_COMMITTEE = {"kind": "village_committee", "name": "河口村委会"}
CITIZEN = {"kind": "citizen", "name": "村民 周大伟"}
MEDICAL = {"kind": "medical", "name": "白石乡卫生院"}
SOCIAL_WORK = {"kind": "social_work", "name": "春苗社工服务中心"}


def seed(engine: Engine) -> dict[str, str]:
    """The cases, in the order things happened (the scheduler sweeps every case at once)."""
    ids: dict[str, str] = {}
    # G (outside): reported 02-20, two days after discovery (late), never dispatched
    ids["G"] = file_report(
        engine, at="2026-02-20T09:00:00", discovered_at="2026-02-18T08:00:00", reporter=CITIZEN
    )
    # A: school, on time, dispatched on time
    ids["A"] = file_report(engine, at="2026-03-02T08:30:00", discovered_at="2026-03-02T08:10:00")
    fire(engine, ids["A"], "2026-03-02T08:50:00", "dispatch")
    # B: village committee, reported three days after discovery (late); dispatch 30 min late
    ids["B"] = file_report(
        engine,
        "missing_child",
        at="2026-03-02T10:00:00",
        discovered_at="2026-02-27T09:00:00",
        reporter=VILLAGE_COMMITTEE,
    )
    fire(engine, ids["B"], "2026-03-02T11:30:00", "dispatch")
    # C: citizen; the dispatch is missed at the 10:30 sweep, then done two hours late
    ids["C"] = file_report(engine, at="2026-03-03T09:00:00", reporter=CITIZEN)
    engine.run_due("2026-03-03T10:30:00")  # misses C's dispatch (and G's)
    fire(engine, ids["C"], "2026-03-03T12:00:00", "dispatch")
    # D: a clinic's report nobody dispatched to: missed and still open
    ids["D"] = file_report(
        engine, "guardian_incapacity", at="2026-03-04T09:00:00", reporter=MEDICAL
    )
    # E: six-month ground already run at the report; matured by the sweep; petition follows
    ids["E"] = file_report(
        engine,
        "guardian_nonperformance",
        at="2026-03-04T14:00:00",
        reporter=VILLAGE_COMMITTEE,
        data={"nonperformance_since": "2025-08-31"},
    )
    engine.run_due("2026-03-04T14:05:00")  # D's dispatch missed; E's maturity fired
    fire(engine, ids["E"], "2026-03-04T14:20:00", "dispatch")
    fire(
        engine,
        ids["E"],
        "2026-03-04T14:30:00",
        "place_in_temporary_care",
        placement="close_relative",
    )
    fire(engine, ids["E"], "2026-03-04T14:40:00", "complete_emergency")
    fire(engine, ids["E"], "2026-03-04T15:00:00", "notify_township")
    fire(engine, ids["E"], "2026-03-05T09:00:00", "start_assessment", TOWNSHIP)
    # F: matured too (since 2025-09-02: holds from 03-03), never petitioned
    ids["F"] = file_report(
        engine,
        "guardian_nonperformance",
        at="2026-03-05T09:30:00",
        data={"nonperformance_since": "2025-09-02"},
    )
    fire(engine, ids["F"], "2026-03-05T09:40:00", "dispatch")
    engine.run_due("2026-03-05T09:45:00")  # F's maturity fired
    fire(
        engine,
        ids["E"],
        "2026-03-06T10:00:00",
        "complete_assessment",
        TOWNSHIP,
        safety="high",
        guardianship="high",
        health="medium",
        participants="civil_affairs,police",
    )
    fire(engine, ids["E"], "2026-03-06T11:00:00", "start_intervention", CIVIL)
    fire(
        engine, ids["E"], "2026-03-06T11:00:00", "record_no_means_of_living", TOWNSHIP
    )  # ground (b): 生活无着
    fire(
        engine,
        ids["E"],
        "2026-03-07T09:00:00",
        "petition_revocation",
        CIVIL,
        ground="nonperformance_six_months",
    )
    # I: the last second of the window; dispatched 10 minutes late
    ids["I"] = file_report(engine, "suspected_harm", at="2026-03-05T23:59:59", reporter=SOCIAL_WORK)
    fire(engine, ids["I"], "2026-03-06T01:09:59", "dispatch")
    # H (outside): the first second after the window
    ids["H"] = file_report(engine, "missing_child", at="2026-03-06T00:00:00")
    fire(engine, ids["H"], "2026-03-06T00:30:00", "dispatch", POLICE)
    return ids


@pytest.fixture
def seeded(lib: Engine) -> dict[str, str]:
    ids = seed(lib)
    lib.close()
    return ids


def report(cli: Cli, *extra: str) -> Any:
    return cli.json("audit", "report", "--from", "2026-03-01", "--to", "2026-03-05", *extra)


def test_counts_by_type_and_state(cli: Cli, seeded: dict[str, str]) -> None:
    """Seven cases reported in the window, by type and by state now."""
    out = report(cli)
    assert (out["from"], out["to"], out["cases"]) == ("2026-03-01", "2026-03-05", 7)
    assert out["by_type"] == {
        "guardian_incapacity": 1,
        "guardian_nonperformance": 2,
        "missing_child": 1,
        "solo_living": 2,
        "suspected_harm": 1,
    }
    assert out["by_state"] == {"dispatched": 5, "petitioned": 1, "reported": 1}
    assert out["cases_failing_replay"] is None  # counted from the tables: nothing replayed
    assert out["counted_from"] == "tables"


def test_deadlines_met_late_missed_and_open_with_median_and_worst_lateness(
    cli: Cli, seeded: dict[str, str]
) -> None:
    """Dispatch: 3 on time, 2 late (600 s, 1800 s), 1 missed then done 7200 s late, 1 missed
    and still open — median lateness 1800 s, worst 7200 s; the six-month maturities fired."""
    deadlines = report(cli)["deadlines"]
    empty = {
        "met_on_time": 0,
        "met_late": 0,
        "missed_done_late": 0,
        "missed_still_open": 0,
        "open": 0,
        "fired": 0,
        "cancelled": 0,
        "not_extended_no_calendar": 0,
        "median_lateness_seconds": None,
        "worst_lateness_seconds": None,
    }
    assert deadlines["dispatch"] == {
        **empty,
        "met_on_time": 3,
        "met_late": 2,
        "missed_done_late": 1,
        "missed_still_open": 1,
        "median_lateness_seconds": 1800,
        "worst_lateness_seconds": 7200,
    }
    assert deadlines["nonperformance_six_months"] == {**empty, "fired": 2}
    assert deadlines["township_notice"] == {**empty, "met_on_time": 1}
    assert deadlines["assessment_start"] == {**empty, "met_on_time": 1}
    assert deadlines["assessment"] == {**empty, "met_on_time": 1}
    assert set(deadlines) == {
        "dispatch",
        "nonperformance_six_months",
        "township_notice",
        "assessment_start",
        "assessment",
        "guardian_redesignation",  # 2026.2: temporary care is not a guardian restored
        "missing_child_township",  # 2026.2: a missing child still reaches the township
    }


def test_late_reports_by_reporter_kind(cli: Cli, seeded: dict[str, str]) -> None:
    """Only B was reported more than 24 hours after discovery; G (late too) is outside."""
    who = report(cli)["late_reports_by_reporter_kind"]
    assert who == {
        "citizen": {"mandatory": False, "reports": 1, "late": 0, "late_cases": []},
        "medical": {"mandatory": True, "reports": 1, "late": 0, "late_cases": []},
        "school": {"mandatory": True, "reports": 2, "late": 0, "late_cases": []},
        "social_work": {"mandatory": True, "reports": 1, "late": 0, "late_cases": []},
        "village_committee": {
            "mandatory": True,
            "reports": 2,
            "late": 1,
            "late_cases": [seeded["B"]],
        },
    }


def test_six_month_ground_with_petition_followed_or_not(cli: Cli, seeded: dict[str, str]) -> None:
    """E matured and civil affairs petitioned; F matured and nobody petitioned."""
    six = {item["case_id"]: item for item in report(cli)["six_month_ground"]}
    assert six == {
        seeded["E"]: {
            "case_id": seeded["E"],
            "matured_at": "2026-03-04T14:00:00+08:00",
            "petitioned": True,
            "petitioned_at": "2026-03-07T09:00:00+08:00",
        },
        seeded["F"]: {
            "case_id": seeded["F"],
            "matured_at": "2026-03-05T09:40:00+08:00",
            "petitioned": False,
            "petitioned_at": None,
        },
    }


def test_cases_outside_the_window_are_not_counted(cli: Cli, seeded: dict[str, str]) -> None:
    """G (02-20) and H (03-06T00:00:00) are outside; a window of 03-06 alone holds only H."""
    out = report(cli)
    text = json.dumps(out)
    assert seeded["G"] not in text
    assert seeded["H"] not in text
    day = cli.json("audit", "report", "--from", "2026-03-06", "--to", "2026-03-06")
    assert day["cases"] == 1
    assert day["by_type"] == {"missing_child": 1}
    assert day["deadlines"]["dispatch"]["met_on_time"] == 1
    feb = cli.json("audit", "report", "--from", "2026-02-01", "--to", "2026-02-28")
    assert feb["cases"] == 1
    assert feb["late_reports_by_reporter_kind"]["citizen"]["late_cases"] == [seeded["G"]]
    assert feb["deadlines"]["dispatch"]["missed_still_open"] == 1
    empty = cli.json("audit", "report", "--from", "2025-01-01", "--to", "2025-12-31")
    assert empty["cases"] == 0
    assert empty["deadlines"] == {}


def test_format_json_is_the_same_as_json(cli: Cli, seeded: dict[str, str]) -> None:
    """``--format json`` prints what ``--json`` prints."""
    by_format = cli.ok(
        "audit", "report", "--from", "2026-03-01", "--to", "2026-03-05", "--format", "json"
    )
    assert json.loads(by_format.stdout) == report(cli)


def test_csv_parses_with_the_csv_module_and_carries_the_numbers(
    cli: Cli, seeded: dict[str, str]
) -> None:
    """``--format csv``: a header and rows (section, key, metric, value) with the same numbers."""
    text = cli.ok(
        "audit", "report", "--from", "2026-03-01", "--to", "2026-03-05", "--format", "csv"
    ).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["section", "key", "metric", "value"]
    table = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert table[("window", "", "from")] == "2026-03-01"
    assert table[("cases", "", "count")] == "7"
    assert table[("by_type", "solo_living", "cases")] == "2"
    assert table[("by_state", "dispatched", "cases")] == "5"
    assert table[("deadline", "dispatch", "met_late")] == "2"
    assert table[("deadline", "dispatch", "missed_still_open")] == "1"
    assert table[("deadline", "dispatch", "median_lateness_seconds")] == "1800"
    assert table[("deadline", "dispatch", "worst_lateness_seconds")] == "7200"
    assert table[("reporter", "village_committee", "late")] == "1"
    assert table[("six_month", seeded["E"], "petitioned")] == "True"
    assert table[("six_month", seeded["F"], "petitioned")] == "False"
    assert len(rows) == len(table), "a row is repeated"


def test_table_format_prints_the_totals(cli: Cli, seeded: dict[str, str]) -> None:
    """The default table names the window, the case count and each deadline kind."""
    text = cli.ok("audit", "report", "--from", "2026-03-01", "--to", "2026-03-05").stdout
    assert "2026-03-01" in text
    assert "2026-03-05" in text
    assert "7" in text
    for kind in ("dispatch", "nonperformance_six_months", "township_notice"):
        assert kind in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2026-03-05", "--to", "2026-03-01"), "--to is before --from"),
        (("--from", "2026-3-32", "--to", "2026-03-05"), "from"),
        (("--from", "2026-03-01", "--to", "2026-03-05", "--format", "xml"), "--format"),
    ],
)
def test_bad_report_arguments_are_exit_2(
    cli: Cli, seeded: dict[str, str], args: tuple[str, ...], says: str
) -> None:
    """A reversed window, a bad date or an unknown format: one error line, exit 2."""
    result = cli("audit", "report", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("shouhu: error: ")
    assert says in result.stderr
    assert result.stdout == ""
