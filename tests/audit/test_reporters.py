"""001 §四(三)1: a late mandatory report is told to the reporter's superior organ (上级机关); a
citizen's or social organisation's report may be praised (表扬和奖励); both in ``audit report``.

Reports are filed through the library on the audit clock, against the 2026.2 pack; the
auditor's commands run through the CLI on the same SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from auditkit import CHILD, POLICE, TOWNSHIP, ZONE, Cli, Dba

from shouhu import Engine, FakeClock
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.engine.requests import ReportRequest
from shouhu.errors import InvalidInput, TransitionRefused
from tests.operatorkit import as_operator

PACK = parse_pack(shipped_packs()["cn-national-default@2026.2"])
SCHOOL = {"kind": "school", "name": "青山镇中心小学"}
CITIZEN = {"kind": "citizen", "name": "村民 周大伟"}
NGO = {"kind": "social_organisation", "name": "春苗公益协会"}


@pytest.fixture
def lib(db: Path, audit_clock: FakeClock) -> Iterator[Engine]:
    with Engine.open("sqlite:///" + str(db), clock=audit_clock, zone=ZONE, policy=PACK) as eng:
        yield eng


def report(
    engine: Engine,
    reporter: dict[str, str],
    *,
    discovered: str = "2026-03-01T08:00:00",
    at: str = "2026-03-02T09:00:00",
    type_: str = "solo_living",
) -> str:
    """A report filed at ``at`` about a child found at ``discovered`` (25 hours: late)."""
    return engine.report(
        type_,
        child=CHILD,
        location="石桥村, 青山镇",
        reporter=reporter,
        discovered_at=discovered,
        occurred_at=at,
        new_case=True,
    ).id


def test_a_late_school_report_tells_the_county_education_bureau(lib: Engine, cli: Cli) -> None:
    """The notice names the school and the delay, cites the clause, and never the child."""
    case_id = report(lib, SCHOOL)
    (notice,) = lib.notices(case_id=case_id)
    assert notice.kind == "late_report"
    assert notice.recipient == "county education bureau (县级教育行政部门)"
    assert notice.payload["late_report"] == {
        "reporting_body": "青山镇中心小学",
        "reporter_kind": "school",
        "delay_seconds": 25 * 3600,
        "bound": "PT24H",
    }
    assert "001 §四(三)1" in notice.payload["citation"]
    assert "上级机关" in notice.payload["citation"]
    shown = json.dumps(notice.payload, ensure_ascii=False)
    assert CHILD["name"] not in shown
    assert CHILD["birthdate"] not in shown
    # recorded with the report event, in its hash
    (event,) = [e for e in lib.history(case_id) if e.trigger == "report"]
    assert event.effects["report"]["superior"]["recipient"] == notice.recipient
    # and listed in the outbox an operator reads
    listed = cli.json("outbox", "list", "--case", case_id)
    assert [n["kind"] for n in listed] == ["late_report"]
    assert cli.json("audit", "verify")["ok"] is True


@pytest.mark.parametrize(
    ("kind", "organ"),
    [
        ("kindergarten", "county education bureau (县级教育行政部门)"),
        ("medical", "county health commission (县级卫生健康部门)"),
        ("village_committee", "青山镇 township government (乡镇人民政府/街道办事处)"),
        ("social_work", "county civil affairs (县级民政部门)"),
        ("relief_agency", "county civil affairs (县级民政部门)"),
        ("welfare_institution", "county civil affairs (县级民政部门)"),
    ],
)
def test_each_mandatory_reporter_kinds_late_report_tells_its_superior_organ(
    lib: Engine, kind: str, organ: str
) -> None:
    case_id = report(lib, {"kind": kind, "name": "某单位"})
    assert [(n.kind, n.recipient) for n in lib.notices(case_id=case_id)] == [("late_report", organ)]


def test_a_report_in_time_or_by_a_citizen_tells_no_superior_organ(lib: Engine) -> None:
    """In time (24 hours exactly) nobody is told; a citizen has no reporting duty to be late on."""
    in_time = report(lib, SCHOOL, discovered="2026-03-01T09:00:00")
    citizen = report(lib, CITIZEN)
    assert lib.case(citizen).late is True
    assert lib.notices(case_id=in_time) == []
    assert lib.notices(case_id=citizen) == []


def test_a_late_report_filed_in_a_batch_tells_the_superior_organ_too(
    lib: Engine, cli: Cli, tmp_path: Path
) -> None:
    """report_many, the all-or-nothing batch, and ``shouhu import`` write the same notice."""
    req = ReportRequest(
        "solo_living",
        CHILD,
        "石桥村, 青山镇",
        {"kind": "medical", "name": "青山镇卫生院"},
        "2026-03-01T08:00:00",
        "2026-03-02T09:00:00",
    )
    (one,) = lib.report_many([req], new_case=True)
    with lib.reporting(new_case=True) as file:
        (two,) = file([req])
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps(
            {
                "external_id": "x-1",
                "type": "solo_living",
                "child_name": CHILD["name"],
                "child_birthdate": CHILD["birthdate"],
                "location": "石桥村, 青山镇",
                "reporter_kind": "kindergarten",
                "reporter": "青山镇幼儿园",
                "discovered_at": "2026-03-01T08:00",
                "reported_at": "2026-03-02T09:00",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    cli.ok("import", "reports", str(rows), "--source", "register-2026")
    recipients = sorted(n.recipient for n in lib.notices() if n.kind == "late_report")
    assert recipients == [
        "county education bureau (县级教育行政部门)",
        "county health commission (县级卫生健康部门)",
        "county health commission (县级卫生健康部门)",
    ]
    assert {n.case_id for n in lib.notices()} >= {one, two}
    assert cli.json("audit", "verify")["ok"] is True


def test_verify_finds_a_late_report_notice_that_was_deleted(
    lib: Engine, cli: Cli, dba: Dba
) -> None:
    report(lib, SCHOOL)
    assert dba.execute("DELETE FROM outbox WHERE kind = 'late_report'") == 1
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert "late_report" in result.stdout


def test_a_citizens_report_can_be_praised_and_a_schools_cannot(lib: Engine, cli: Cli) -> None:
    citizen, school = report(lib, CITIZEN), report(lib, SCHOOL)
    praised = lib.fire(citizen, "commend_reporter", actor=POLICE, data={"note": "表扬信一封"})
    assert praised.facts["reporter_commended"] is True
    assert praised.state == "reported"  # a fact: the case stays where it is
    with pytest.raises(TransitionRefused) as refused:
        lib.fire(school, "commend_reporter", actor=POLICE)
    assert refused.value.data["guard"] == "voluntary_reporter"
    assert "001 §四(三)1" in refused.value.data["citation"]
    assert "mandatory reporter" in refused.value.message
    # from the command line: one line, exit 3, nothing written
    before = len(lib.history(school))
    result = cli(
        "case", "fire", school, "commend_reporter", *as_operator(cli.db, POLICE["name"], "police")
    )
    assert result.exit_code == 3
    assert "voluntary_reporter" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(lib.history(school)) == before
    assert cli.json("audit", "verify")["ok"] is True


def test_praise_is_given_once_by_the_police_in_any_open_state(lib: Engine) -> None:
    ngo = report(lib, NGO)
    with pytest.raises(TransitionRefused):
        lib.fire(ngo, "commend_reporter", actor=TOWNSHIP)
    lib.fire(ngo, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:30:00")
    lib.fire(ngo, "commend_reporter", actor=POLICE, occurred_at="2026-03-05T10:00:00")
    with pytest.raises(TransitionRefused) as again:
        lib.fire(ngo, "commend_reporter", actor=POLICE)
    assert again.value.data["guard"] == "not_yet_commended"


def test_the_reporters_kind_is_the_engines_to_fill_not_the_callers(lib: Engine) -> None:
    school = report(lib, SCHOOL)
    with pytest.raises(InvalidInput) as bad:
        lib.fire(school, "commend_reporter", actor=POLICE, data={"reporter_kind": "citizen"})
    assert bad.value.field == "reporter_kind"


def test_the_compliance_report_lists_late_report_notices_and_praised_reports(
    lib: Engine, cli: Cli
) -> None:
    late_school = report(lib, SCHOOL)
    report(lib, SCHOOL, discovered="2026-03-02T08:00:00")  # in time
    late_clinic = report(lib, {"kind": "medical", "name": "青山镇卫生院"})
    citizen = report(lib, CITIZEN)
    report(lib, NGO)
    lib.fire(citizen, "commend_reporter", actor=POLICE, occurred_at="2026-03-03T10:00:00")
    d = cli.json("audit", "report", "--from", "2026-03-01", "--to", "2026-03-31")
    assert d["late_report_notices_by_superior_organ"] == {
        "county education bureau (县级教育行政部门)": {
            "notices": 1,
            "reporter_kinds": {"school": 1},
            "reporting_bodies": {"青山镇中心小学": 1},
            "cases": [late_school],
        },
        "county health commission (县级卫生健康部门)": {
            "notices": 1,
            "reporter_kinds": {"medical": 1},
            "reporting_bodies": {"青山镇卫生院": 1},
            "cases": [late_clinic],
        },
    }
    assert d["voluntary_reports_praised"] == {
        "reports": 2,
        "praised": 1,
        "praised_cases": [
            {
                "case_id": citizen,
                "reporter_kind": "citizen",
                "praised_at": "2026-03-03T10:00:00+08:00",
            }
        ],
    }
    table = cli.ok("audit", "report", "--from", "2026-03-01", "--to", "2026-03-31").stdout
    assert "county education bureau" in table
    assert "青山镇中心小学 (1)" in table
    assert "Voluntary reports (citizens, social organisations): 2, praised" in table
    csv_out = cli.ok(
        "audit", "report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv"
    ).stdout
    assert "voluntary_reports,,praised,1" in csv_out
    assert CITIZEN["name"] not in table + csv_out + json.dumps(d, ensure_ascii=False)
