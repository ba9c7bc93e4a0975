"""docs/law.md holds to the code: the 21 obligations, each modelled or partial with a reason,
each with tests that exist, each naming only triggers, guards, grounds, notices and deadlines
that exist."""

from __future__ import annotations

import re
from pathlib import Path

from pagekit import DOCS

from shouhu import workflows
from shouhu.engine.policy import default_pack

PAGE = DOCS / "law.md"
TESTS = Path(__file__).resolve().parents[1]
NAME = re.compile(r"`([a-z_0-9]+)`")


def rows() -> list[list[str]]:
    out = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0].isdigit():
            out.append(cells)
    return out


def defined_tests() -> set[str]:
    found: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        found |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    return found


def known_names() -> set[str]:
    names: set[str] = set()
    for t in workflows.all_types():
        wf = workflows.latest(t)
        names |= {wf.type, wf.opening, *wf.triggers, *wf.state_names}
        names |= {g.name for g in wf.grounds}
        for f in wf.report_data:  # e.g. the ledger's categories
            names |= set(f.choices)
        for row in wf.transitions:
            names |= {g.name for g in row.guards} | {n.kind for n in row.notices}
            for f in row.data:
                names |= set(f.choices)
    return names | {r.name for r in default_pack().rules}


def test_the_page_has_the_21_obligations_in_order() -> None:
    assert [int(r[0]) for r in rows()] == list(range(1, 22))


def test_every_obligation_is_modelled_or_partial_with_the_reason() -> None:
    for r in rows():
        status = r[4]
        assert status == "modelled" or re.fullmatch(r"partial — .{40,}\.", status), r[0]


def test_every_test_the_page_names_exists() -> None:
    have = defined_tests()
    for r in rows():
        named = NAME.findall(r[5])
        assert named, f"row {r[0]} names no test"
        missing = [t for t in named if t not in have]
        assert not missing, f"row {r[0]}: {missing}"


def test_every_name_in_the_shouhu_column_exists_in_the_definitions_or_the_pack() -> None:
    known = known_names()
    for r in rows():
        unknown = [n for n in NAME.findall(r[3]) if n not in known]
        assert not unknown, f"row {r[0]}: {unknown}"
