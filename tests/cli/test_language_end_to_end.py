"""Issue 16's "done when": a new user drives a case end to end in Chinese under
``LANG=zh_CN.UTF-8`` — help, inputs, refusals, tables — and in English under ``LANG=C``.

The real console script runs as a user would start it, with nothing of the suite's own
settings (no ``SHOUHU_LANG``): the language comes from the locale alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len

SHOUHU = str(Path(sys.executable).parent / "shouhu")


@dataclass
class Desk:
    """A shell at one desk: a working directory, a locale, a database."""

    cwd: Path
    lang: str

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHU_", "LC_"))}
        env.update(
            LANG=self.lang,
            SHOUHU_DB=f"sqlite:///{self.cwd / 'desk.db'}",
            XDG_DATA_HOME=str(self.cwd / "xdg"),
            COLUMNS="120",
        )
        done = subprocess.run(
            [SHOUHU, *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done


def _staff(desk: Desk, police_role: str, township_role: str) -> None:
    desk("init", "--admin", "咸安区 系统管理员", "--credential-out", "admin.json")
    for name, role, out in (
        ("王警官", police_role, "police.json"),
        ("张敏", township_role, "township.json"),
    ):
        desk(
            "--as", "admin.json", "operator", "add", name, "--role", role,
            "--scope", "桂花镇, 咸安区", "--credential-out", out,
        )  # fmt: skip


@pytest.mark.slow
def test_a_new_user_drives_a_case_end_to_end_in_chinese(tmp_path: Path) -> None:
    desk = Desk(tmp_path, "zh_CN.UTF-8")

    helped = desk("case", "fire", "--help").stdout
    assert "用法" in helped
    assert "选项" in helped
    assert "Usage" not in helped

    _staff(desk, "公安", "乡镇")  # roles by their Chinese names
    listed = json.loads(desk("--as", "admin.json", "operator", "list", "--json").stdout)
    roles = {o["name"]: o["role"] for o in listed}
    assert (roles["王警官"], roles["张敏"]) == ("police", "township")

    case_id = desk(
        "report", "独居",
        "--child-name", "李小明", "--child-birthdate", "2015年6月1日",
        "--location", "石桥村, 桂花镇, 咸安区",
        "--reporter-kind", "医疗机构", "--reporter", "桂花镇卫生院",
        "--discovered-at", "2026年3月2日 8:30", "--at", "2026年3月2日 9:00", "-q",
    ).stdout.strip()  # fmt: skip
    shown = json.loads(desk("case", "show", case_id, "--as", "police.json", "--json").stdout)
    assert shown["type"] == "solo_living"
    assert shown["reporter"]["kind"] == "medical"

    dispatched = desk("case", "fire", case_id, "dispatch", "--as", "police.json",
                      "--at", "2026年3月2日 9:20").stdout  # fmt: skip
    assert "已出警" in dispatched

    early = desk("case", "fire", case_id, "complete_emergency", "--as", "police.json",
                 "--at", "2026年3月2日 9:30", ok=False)  # fmt: skip
    assert early.returncode == 3
    assert early.stdout == ""
    assert early.stderr.count("\n") == 1
    assert "child_in_care" in early.stderr
    assert "001 §四(三)2" in early.stderr
    assert "refused" not in early.stderr  # said in Chinese, rule and clause kept
    assert "拒绝" in early.stderr

    wrong_role = desk("case", "fire", case_id, "order_parents_return", "--as", "township.json",
                      "--at", "2026年3月2日 9:40", ok=False)  # fmt: skip
    assert wrong_role.returncode == 3
    assert "拒绝" in wrong_role.stderr

    bad_date = desk("report", "独居", "--child-name", "李小红", "--child-birthdate",
                    "2015年13月1日", "--location", "石桥村, 桂花镇, 咸安区",
                    "--reporter-kind", "学校", "--reporter", "桂花镇中心小学",
                    ok=False)  # fmt: skip
    assert bad_date.returncode == 2
    assert "2016年4月10日" in bad_date.stderr
    assert "Invalid isoformat" not in bad_date.stderr

    table = desk("case", "list", "--as", "police.json").stdout
    assert "状态" in table or "类型" in table
    lines = [ln for ln in table.splitlines() if ln.strip()]
    ruled = [ln for ln in lines if ln.startswith(("┃", "│", "┏", "┡", "└", "┌", "├"))]
    assert ruled, table
    assert len({cell_len(ln) for ln in ruled}) == 1, table  # East Asian widths line up


@pytest.mark.slow
def test_the_same_desk_under_lang_c_speaks_english(tmp_path: Path) -> None:
    desk = Desk(tmp_path, "C")
    helped = desk("case", "fire", "--help").stdout
    assert "Usage" in helped
    assert "用法" not in helped

    _staff(desk, "police", "township")
    case_id = desk(
        "report", "solo_living",
        "--child-name", "李小明", "--child-birthdate", "2015-06-01",
        "--location", "石桥村, 桂花镇, 咸安区",
        "--reporter-kind", "medical", "--reporter", "桂花镇卫生院",
        "--discovered-at", "2026-03-02T08:30", "--at", "2026-03-02T09:00", "-q",
    ).stdout.strip()  # fmt: skip
    desk("case", "fire", case_id, "dispatch", "--as", "police.json", "--at", "2026-03-02T09:20")
    early = desk("case", "fire", case_id, "complete_emergency", "--as", "police.json",
                 "--at", "2026-03-02T09:30", ok=False)  # fmt: skip
    assert early.returncode == 3
    assert early.stderr.startswith(
        "shouhu: error: refused by rule guard child_in_care (001 §四(三)2):"
    )


def test_with_json_every_word_is_english_whatever_the_locale(tmp_path: Path) -> None:
    """JSON is for machines: a reader of ``--json`` gets English text and keys, an error too."""
    desk = Desk(tmp_path, "zh_CN.UTF-8")
    missing = desk("--db", f"sqlite:///{tmp_path / 'none.db'}", "case", "list", "--json",
                   ok=False)  # fmt: skip
    assert missing.returncode == 5
    assert missing.stderr.startswith("shouhu: error: no database at ")
    said = desk("--db", f"sqlite:///{tmp_path / 'none.db'}", "case", "list", ok=False)
    assert "没有数据库" in said.stderr
    assert not (tmp_path / "none.db").exists()
