"""The engine's messages in the user's language (issue 16): with ``SHOUHU_LANG=zh_CN`` its
refusals and errors read in Chinese — the rule's name and citation intact, as data and in the
text — and with ``SHOUHU_LANG=en`` the same English as before.

These need the engine's translations in the zh_CN catalog (``tools/messages.py --import``);
without them every test here fails, naming what is missing, rather than skipping.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from shouhu import Conflict, Engine, FakeClock, InvalidInput, NotAuthenticated, TransitionRefused
from shouhu.engine.operators import SCOPE_CITATION
from shouhu.i18n import catalog
from tests.conftest import report_args

POLICE = {"name": "李警官", "role": "police"}
#: A case in 白石乡, outside the officer's 青山镇.
BAISHI = "石桥村, 白石乡, 平安县"
#: The shared frame of every refusal, and one message each of the engine's own.
FRAME = "refused by rule {rule} ({citation}): {why}"


@pytest.fixture(autouse=True)
def _catalog_has_the_engine() -> None:
    """Fail (not skip) when the zh_CN catalog lacks the engine's messages."""
    zh = catalog("zh_CN")
    missing = [
        msgid
        for msgid in (
            FRAME,
            "case {case_id} is at {place}, outside {name}'s scope ({scope})",
            "event {i} does not link to event {prev}",
        )
        if zh.gettext(msgid) == msgid
    ]
    if missing:
        pytest.fail(
            "the zh_CN catalog lacks the engine's messages "
            f"({missing}): import them (tools/messages.py --import /work/i18n/engine.json)",
            pytrace=False,
        )


@pytest.fixture(params=["zh_CN", "en"])
def lang(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test in both languages; the language is read when the message is made."""
    monkeypatch.setenv("SHOUHU_LANG", request.param)
    return str(request.param)


def _report(engine: Engine, **overrides: Any) -> str:
    return engine.report("solo_living", **report_args(**overrides)).id


def _refusal(exc: pytest.ExceptionInfo[Any]) -> str:
    return str(exc.value)


def test_a_scope_refusal_is_in_the_users_language_with_its_rule_and_citation(
    engine: Engine, clock: FakeClock, lang: str
) -> None:
    case_id = _report(engine, location=BAISHI)
    clock.set(clock.now() + timedelta(seconds=1))
    _, admin = engine.init_admin("县民政局 管理员", scope="平安县")
    _, police = engine.add_operator(admin, "李警官", role="police", scope="青山镇, 平安县")
    with pytest.raises(TransitionRefused) as exc:
        engine.fire(case_id, "dispatch", actor=police)
    assert (exc.value.rule, exc.value.citation) == ("scope", SCOPE_CITATION)
    place = "石桥村, 白石乡, 平安县"
    if lang == "zh_CN":
        assert _refusal(exc) == (
            f"依规则 scope 拒绝（{SCOPE_CITATION}）：案件 {case_id} 位于 {place}，"
            "不在 李警官 的管辖范围（青山镇, 平安县）内"
        )
    else:
        assert _refusal(exc) == (
            f"refused by rule scope ({SCOPE_CITATION}): case {case_id} is at {place}, "
            "outside 李警官's scope (青山镇, 平安县)"
        )


def test_a_duplicate_refusal_is_in_the_users_language_naming_the_open_case(
    engine: Engine, lang: str
) -> None:
    first = _report(engine)
    with pytest.raises(TransitionRefused) as exc:
        _report(engine)
    assert exc.value.rule == "duplicate"
    clause = exc.value.citation
    assert clause.startswith("001 §四(三)")
    text = _refusal(exc)
    if lang == "zh_CN":
        assert text.startswith(f"依规则 duplicate 拒绝（{clause}；duplicate_window PT24H，")
        assert f"（案件 {first}）" in text
        assert "疑似重复报告" in text
        assert "--new-case" in text
        assert "refused" not in text
    else:
        assert text == (
            f"refused by rule duplicate ({clause}; duplicate_window PT24H, a local rule of the "
            f"policy pack): the same child has an open solo_living report, case {first}, made "
            "within PT24H of this one — a probable duplicate; add to that case; if this is a "
            "new situation, file it with new_case=True (CLI: --new-case)"
        )


def test_an_unknown_case_is_named_in_the_users_language(engine: Engine, lang: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        engine.case("C-NOPE")
    text = _refusal(exc)
    if lang == "zh_CN":
        # the message is engine/records.py's (helper H1 wraps it; the lead merges and imports)
        assert not text.startswith("no case"), f"not in Chinese: {text!r}"
        assert "'C-NOPE'" in text
        assert any("\u4e00" <= c <= "\u9fff" for c in text), text
    else:
        assert text == "no case 'C-NOPE'"


def test_a_conflict_is_in_the_users_language(engine: Engine, lang: str) -> None:
    case_id = _report(engine)
    with pytest.raises(Conflict) as exc:
        engine.fire(case_id, "dispatch", actor=POLICE, expected_version=7)
    assert (exc.value.expected, exc.value.actual) == (7, 1)
    if lang == "zh_CN":
        assert _refusal(exc) == (
            f"案件 {case_id} 当前为第 1 版，而不是第 7 版：已有他人先行写入；请重新查看后再试"
        )
    else:
        assert _refusal(exc) == (
            f"case {case_id} is at version 1, not 7: someone else wrote first; look again and retry"
        )


def test_acting_without_a_credential_is_refused_in_the_users_language(
    engine: Engine, clock: FakeClock, lang: str
) -> None:
    case_id = _report(engine)
    clock.set(clock.now() + timedelta(seconds=1))
    engine.init_admin("县民政局 管理员")
    with pytest.raises(NotAuthenticated) as exc:
        engine.fire(case_id, "dispatch", actor=POLICE)
    if lang == "zh_CN":
        assert _refusal(exc) == (
            "本数据库已有操作员：操作需要凭证，而不是姓名和角色"
            "（请使用操作员凭证操作（命令行：--as 路径 或 SHOUHU_CREDENTIAL））"
        )
    else:
        assert _refusal(exc) == (
            "this database has operators: acting needs a credential, not a name and role "
            "(act with an operator's credential (the CLI: --as PATH or SHOUHU_CREDENTIAL))"
        )


def test_a_broken_hash_chain_is_reported_by_verify_in_the_users_language(
    engine: Engine, lang: str
) -> None:
    case_id = _report(engine)
    engine.fire(case_id, "dispatch", actor=POLICE)
    events = engine.store._events[case_id]  # type: ignore[attr-defined]
    events[1] = dataclasses.replace(events[1], prev_hash="0" * 64)  # tampered with
    broken = engine.verify(case_id, replay=False).broken
    assert [(b.case_id, b.seq) for b in broken] == [(case_id, 2)]
    expected = {
        "zh_CN": "事件 2 未链接到事件 1（哈希链断裂）",
        "en": "event 2 does not link to event 1",
    }
    assert broken[0].reason == expected[lang]
