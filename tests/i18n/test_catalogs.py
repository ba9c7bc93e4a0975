"""The message catalogs: complete in both languages, compiled, and chosen as the user asks."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.pofile import read_po

from shouhu import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-zA-Z_][a-zA-Z0-9_]*)?(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def _messages_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["messages"] = module
    spec.loader.exec_module(module)
    return module


def test_every_message_id_is_translated_in_both_catalogs_and_compiled() -> None:
    """No message falls through to its id: every id the code, the CLI's help and typer's own
    words use has a translation in zh_CN and in en, and the shipped .mo files are current."""
    problems = _messages_tool().problems()
    assert problems == [], "\n".join(problems[:40]) + "\n(run make messages)"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_keep_the_placeholders_of_their_ids(lang: str) -> None:
    """A translation names the same ``{placeholders}`` as its id: the message can be filled."""
    path = ROOT / "shouhu" / "locale" / lang / "LC_MESSAGES" / "shouhu.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    wrong = []
    for msg in catalog:
        if not msg.id or not msg.string or isinstance(msg.id, tuple):
            continue
        if sorted(PLACEHOLDER.findall(msg.id)) != sorted(PLACEHOLDER.findall(str(msg.string))):
            wrong.append(f"{msg.id!r} -> {msg.string!r}")
    assert wrong == []


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SHOUHU_LANG": "zh_CN", "LANG": "C"}, "zh_CN"),
        ({"SHOUHU_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, "zh_CN"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "C"}, "zh_CN"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh_CN"),
        ({}, "en"),
    ],
)
def test_the_language_follows_shouhu_lang_else_the_locale(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var in i18n.LANGUAGE_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == expected


def test_a_message_comes_out_in_the_language_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    assert i18n._("Options") == "选项"
    monkeypatch.setenv("SHOUHU_LANG", "en")
    assert i18n._("Options") == "Options"


def test_using_a_language_overrides_the_environment_inside_the_block_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    with i18n.using("en"):
        assert i18n._("Options") == "Options"
    assert i18n._("Options") == "选项"
