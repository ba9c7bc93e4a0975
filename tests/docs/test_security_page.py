"""docs/security.md names the tests that prove each guarantee: every one of them exists."""

from __future__ import annotations

import re
from pathlib import Path

from pagekit import DOCS

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_the_security_page_names_exists() -> None:
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    named = set(re.findall(r"::(test_\w+)", text))
    assert len(named) > 30
    defined: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert sorted(named - defined) == []
