"""Generated packs that extend the shipped one: a few deadline tables (inherited names, new names,
odd names) with a few keys given odd or valid values, sometimes a ``remove`` or a bad
``extends``. Each loads or is refused on one line naming the file; each that loads keeps every
deadline it does not name exactly as the default's, changes a named one only in the keys it
gives, and comes back equal from its own ``to_toml()``. Budget: ``fuzzkit.BUDGETS
["policy_inherit"]``.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields

import fuzzkit as fk
from hypothesis import given
from hypothesis import strategies as st

from shouhu.engine.policy import DeadlineRule, default_pack, parse_pack
from shouhu.errors import InvalidInput

NATIONAL = default_pack()
NAMES = [r.name for r in NATIONAL.rules]
KEYS = [
    "kind",
    "period",
    "starts_on",
    "met_by",
    "cancelled_by",
    "basis",
    "citation",
    "supervisor",
    "notify",
    "note",
    "restart",
    "fact",
    "align",
    "applies_to",
    "colour",
]
VALUES = [
    '"PT30M"',
    '"P2D"',
    '"P1M"',
    '"P3M"',
    '"P"',
    '"PT1.5H"',
    '"duty"',
    '"maturity"',
    '"check"',
    '"local"',
    '"law"',
    '"calendar"',
    '""',
    '"咸宁"',
    '["report"]',
    '["dispatch", "dismiss"]',
    '["register"]',
    '["child_watch"]',
    '["record_nonperformance:since"]',
    '["flee"]',
    "[]",
    "true",
    "false",
    "1",
    "{}",
]


@st.composite
def child_pack(draw: st.DrawFn) -> tuple[str, set[str]]:
    """A pack's text, and the deadline names it gives tables for."""
    extends = draw(
        st.sampled_from(
            [f'"{NATIONAL.id}"'] * 8 + ['"cn-national-default"', '"x@1"', "1", f'"{NATIONAL.id} "']
        )
    )
    lines = ["[pack]", 'name = "city"', 'version = "1"', f"extends = {extends}"]
    if draw(st.integers(0, 4)) == 0:
        removed = draw(st.lists(st.sampled_from([*NAMES, "holiday"]), max_size=3, unique=True))
        lines.append("remove = [" + ", ".join(f'"{n}"' for n in removed) + "]")
    named: set[str] = set()
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([*NAMES, *NAMES, "dispatch_review", "Dispatch"]))
        if name in named:
            continue
        named.add(name)
        lines += ["", f"[deadlines.{name}]"]
        for key in draw(st.lists(st.sampled_from(KEYS), min_size=0, max_size=3, unique=True)):
            lines.append(f"{key} = {draw(st.sampled_from(VALUES))}")
    return "\n".join(lines) + "\n", named


def _unchanged(rule: DeadlineRule, given: dict[str, object]) -> None:
    """Every field of ``rule`` whose key the child did not give is the default's."""
    national = NATIONAL.rule(rule.name)
    for f in fields(DeadlineRule):
        if f.name not in given and f.name != "name":
            assert getattr(rule, f.name) == getattr(national, f.name), (rule.name, f.name)


def test_any_inheriting_pack_loads_whole_or_is_refused_on_one_line() -> None:
    ran = fk.Counter("policy_inherit")

    @fk.campaign_settings("policy_inherit")
    @given(child_pack())
    def run(drawn: tuple[str, set[str]]) -> None:
        text, named = drawn
        ran()
        try:
            pack = parse_pack(text, "city.toml")
        except InvalidInput as exc:
            message = str(exc)
            ran.saw(message)
            assert message.startswith("policy city.toml: "), message
            assert len(message.splitlines()) == 1, message
            return
        ran.saw(None)
        doc = tomllib.loads(text)
        removed = set(doc["pack"].get("remove", []))
        tables = doc.get("deadlines", {})
        assert pack.id == "city@1"
        assert [r.name for r in pack.rules] == [
            *(n for n in NAMES if n not in removed),
            *(n for n in tables if n not in NAMES),
        ]
        for rule in pack.rules:
            if rule.name in NAMES:
                _unchanged(rule, tables.get(rule.name, {}))
        assert not named - {r.name for r in pack.rules}
        assert parse_pack(pack.to_toml(), "effective.toml") == pack

    run()
    ran.check()
