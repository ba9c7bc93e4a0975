"""Chinese input through the CLI (issue 16): an operator types Chinese names and dates as they
write them, and the case stores the keys and ISO dates; a bad date is one line naming the
forms, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from shouhu.cli import app
from tests.cli.test_cli import READER, Cli, assert_one_error_line, table_rows

#: ``shouhu report solo_living`` as a township desk in Chinese would type it.
REPORT_IN_CHINESE = (
    "report",
    "solo_living",
    "--child-name",
    "王小明",
    "--child-birthdate",
    "2016年4月10日",
    "--location",
    "石桥村，青山镇",
    "--reporter-kind",
    "学校",
    "--reporter",
    "青山镇中心小学",
    "--discovered-at",
    "2026年3月2日 8:10",
    "--at",
    "2026年3月2日 8:30",
)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cases.db")


def shown(cli: Cli, case_id: str) -> dict[str, object]:
    """The case as ``case show --json`` gives it, with the child's identity."""
    out = cli.ok("case", "show", case_id, "--json", *cli.who(), *READER).stdout
    case: dict[str, object] = json.loads(out)
    return case


def test_a_report_typed_in_chinese_stores_the_keys_and_iso_dates(cli: Cli) -> None:
    case_id = cli.ok(*REPORT_IN_CHINESE, "-q").stdout.strip()
    case = shown(cli, case_id)
    text = json.dumps(case, ensure_ascii=False)
    assert case["type"] == "solo_living"
    assert '"kind": "school"' in text
    assert '"birthdate": "2016-04-10"' in text
    assert "2026-03-02T08:10:00+08:00" in text  # discovered
    assert "2026-03-02T08:30:00+08:00" in text  # reported
    assert "学校" not in text
    assert "年" not in text


def test_a_report_type_typed_in_chinese_files_that_type(cli: Cli) -> None:
    args = list(REPORT_IN_CHINESE)
    args[1] = "独居"
    case_id = cli.ok(*args, "-q").stdout.strip()
    assert shown(cli, case_id)["type"] == "solo_living"


def test_a_choice_given_in_chinese_is_stored_as_its_key(cli: Cli) -> None:
    case_id = cli.ok(*REPORT_IN_CHINESE, "-q").stdout.strip()
    assert cli.fire(case_id, "dispatch").exit_code == 0
    fired = cli.fire(case_id, "record_psychological_assessment", "police", "severity=严重")
    assert fired.exit_code == 0, (fired.stdout, fired.stderr)
    text = json.dumps(shown(cli, case_id), ensure_ascii=False)
    assert '"severity": "serious"' in text
    assert "严重" not in text


def test_an_operator_added_with_a_chinese_role_has_the_key(cli: Cli) -> None:
    cli.who()  # makes the database's admin, kept beside it
    admin = next(cli.db.parent.glob("operators-*/admin.json"))
    made = cli.ok(
        "--as",
        str(admin),
        "operator",
        "add",
        "张乡长",
        "--role",
        "乡镇",
        "--scope",
        "青山镇, 安平县",
        "--credential-out",
        str(cli.db.parent / "township.json"),
        "--json",
    )
    assert json.loads(made.stdout)["role"] == "township"


def bad(cli: Cli, option: str, value: str) -> Result:
    args = list(REPORT_IN_CHINESE)
    args[args.index(option) + 1] = value
    return cli(*args)


def test_a_bad_date_is_one_line_naming_the_forms_and_nothing_is_written(cli: Cli) -> None:
    cli.ok(*REPORT_IN_CHINESE, "-q")
    before = table_rows(cli.db)
    line = assert_one_error_line(bad(cli, "--child-birthdate", "2016年13月1日"), 2)
    assert line == (
        "shouhu: error: child_birthdate: '2016年13月1日' is not a valid date; "
        "use 2016-04-10, 2016年4月10日, 2016/4/10 or 20160410\n"
    )
    assert table_rows(cli.db) == before


def test_a_bad_time_is_one_line_naming_the_forms(cli: Cli) -> None:
    line = assert_one_error_line(bad(cli, "--at", "3月2日早上"), 2)
    assert "is not a valid date-time; use 2026-03-02 08:30, 2026年3月2日 8:30" in line
    assert "isoformat" not in line


def test_a_bad_date_is_named_in_chinese(cli: Cli) -> None:
    env = {**cli.env, "SHOUHU_LANG": "zh_CN"}
    args = list(REPORT_IN_CHINESE)
    args[args.index("--child-birthdate") + 1] = "2016年13月1日"
    result = cli.runner.invoke(app, args, env=env, prog_name="shouhu")
    assert result.exit_code == 2
    assert "'2016年13月1日' 不是有效的日期；请写作 2016-04-10、2016年4月10日" in result.stderr


def test_an_unknown_reporter_kind_names_the_closest(cli: Cli) -> None:
    line = assert_one_error_line(bad(cli, "--reporter-kind", "scool"), 2)
    assert "unknown reporter kind 'scool': did you mean school?" in line


def test_an_unknown_trigger_names_the_closest(cli: Cli) -> None:
    case_id = cli.ok(*REPORT_IN_CHINESE, "-q").stdout.strip()
    line = assert_one_error_line(cli.fire(case_id, "dispach"), 2)
    assert "unknown trigger 'dispach' for solo_living: did you mean dispatch?" in line


def test_a_child_registered_in_chinese_is_on_the_ledger_with_the_keys(cli: Cli) -> None:
    """``shouhu register 儿童 … --category 孤儿 --father 死亡 --mother 服刑在押``: the child
    watch, with its category and the parents' situations stored as keys."""
    made = cli.ok(
        "register",
        "儿童",
        "--name",
        "张三",
        "--birthdate",
        "2012年1月1日",
        "--location",
        "石桥村，青山镇",
        *cli.who("village_committee"),
        "--at",
        "2026年1月5日 9:00",
        "--category",
        "孤儿",
        "--father",
        "死亡",
        "--mother",
        "死亡",
        "--json",
    )
    case = json.loads(made.stdout)
    assert case["type"] == "child_watch"
    assert case["facts"]["category"] == "orphan"
    assert "死亡" not in made.stdout


def test_case_list_filters_by_a_type_and_a_state_in_chinese(cli: Cli) -> None:
    reported = cli.ok(*REPORT_IN_CHINESE, "-q").stdout.strip()
    dispatched = cli.ok(*REPORT_IN_CHINESE, "-q", "--new-case").stdout.strip()
    assert cli.fire(dispatched, "dispatch").exit_code == 0

    def listed(*filters: str) -> list[str]:
        out = cli.ok("case", "list", *cli.who(), "--json", *filters).stdout
        return [row["id"] for row in json.loads(out)]

    assert listed("--type", "独居", "--state", "已报告") == [reported]
    assert listed("--type", "脱离监护单独居住生活", "--state", "已出警") == [dispatched]


def test_an_unknown_state_names_the_closest(cli: Cli) -> None:
    cli.ok(*REPORT_IN_CHINESE, "-q")
    line = assert_one_error_line(cli("case", "list", *cli.who(), "--state", "dispached"), 2)
    assert "unknown state 'dispached': did you mean dispatched?" in line
