"""The workflows' reasons, the adapters' messages and the demo's story in both languages.

With ``SHOUHU_LANG=zh_CN`` an operator reads a guard's refusal, a credential file's refusal
and an import's refused row in Chinese, and ``make demo`` tells its story in Chinese; with
``en`` each reads as it always did (the rule's name and its citation stay as they are).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shouhu import Engine, FakeClock
from shouhu.adapters.credentials import load
from shouhu.adapters.importer import ReportFile, import_reports
from shouhu.errors import NotAuthenticated, TransitionRefused

CARE_EN = (
    "the child is not yet in anyone's care: record parents_returned or "
    "designate_entrusted_guardian, or — if the parents cannot be reached — "
    "place_in_temporary_care"
)
CARE_ZH = "儿童尚未处于任何人的照料之下"


@pytest.mark.parametrize(("lang", "words"), [("zh_CN", CARE_ZH), ("en", CARE_EN)])
def test_completing_the_emergency_too_early_is_refused_with_the_guards_reason_in_the_language(
    driver: Any, monkeypatch: pytest.MonkeyPatch, lang: str, words: str
) -> None:
    driver.report("solo_living")
    driver.fire("dispatch")
    monkeypatch.setenv("SHOUHU_LANG", lang)
    with pytest.raises(TransitionRefused) as exc:
        driver.fire("complete_emergency")
    assert exc.value.data["guard"] == "child_in_care"
    assert "001 §四(三)2" in str(exc.value)  # the citation is the law's, in any language
    assert words in str(exc.value)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN", "可被他人读取（权限 644）：请执行 chmod 600"),
        ("en", "is readable by others (mode 644): chmod 600"),
    ],
)
def test_a_credential_file_readable_by_others_is_refused_in_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, words: str
) -> None:
    path = tmp_path / "police.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    monkeypatch.setenv("SHOUHU_LANG", lang)
    with pytest.raises(NotAuthenticated) as exc:
        load(path)
    assert words in str(exc.value)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    ("lang", "reason"),
    [
        ("zh_CN", "external_id 重复：已出现在第 2 行"),
        ("en", "duplicate external_id: already on line 2"),
    ],
)
def test_an_imported_files_refused_row_says_why_in_the_language(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, lang: str, reason: str
) -> None:
    row = (
        'X-1,solo_living,王小明,2016-02-01,"石桥村, 青山镇",school,青山镇中心小学,'
        "2026-03-02T08:10,2026-03-02T08:30\n"
    )
    path = tmp_path / "reports.csv"
    path.write_text(
        "external_id,type,child_name,child_birthdate,location,reporter_kind,reporter,"
        "discovered_at,reported_at\n" + row + row,
        encoding="utf-8",
    )
    monkeypatch.setenv("SHOUHU_LANG", lang)
    with Engine.open(f"sqlite:///{tmp_path / 'c.db'}", clock=clock) as lib:
        result = import_reports(lib, ReportFile(path))
    assert [b.reason for b in result.refused] == [reason]
    assert result.imported == 1


def test_the_demo_tells_its_story_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The English story is held by tests/test_demo.py; here the same run, in Chinese."""
    from shouhu.demo import run

    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    out = io.StringIO()
    run(f"sqlite:///{tmp_path / 'demo.db'}", Console(file=out, width=250))
    text = out.getvalue()
    assert "十岁儿童被发现独自居住；责令父母返回，由祖母受委托监护" in text
    assert "A ten-year-old found living alone" not in text
    assert "已拒绝，未写入任何内容" in text
    assert "现行策略包：" in text


def test_the_descriptions_built_from_the_vocabulary_are_the_ids_the_catalogs_hold() -> None:
    """child_watch v2's category and handover descriptions are built from the vocabulary; the
    catalogs hold them as they read today, so a change of the vocabulary shows here."""
    from shouhu.workflows.child_watch2 import _BUILT_DESCRIPTIONS, CHILD_WATCH_V2

    category = next(f for f in CHILD_WATCH_V2.report_data if f.name == "category")
    to = next(f for f in CHILD_WATCH_V2.rows("record_handover")[0].data if f.name == "to")
    assert (category.description, to.description) == _BUILT_DESCRIPTIONS
