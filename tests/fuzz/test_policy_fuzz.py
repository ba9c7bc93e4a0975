"""Policy packs broken in every way we could think of, each refused at load naming the line
(where the text has one) and the key; the CLI's ``--policy FILE`` turns each into one line and
exit 2. Then generated packs: lines of the shipped pack dropped, repeated or given odd values.
Budget: ``fuzzkit.BUDGETS["policy_pack"]``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import fuzzkit as fk
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from shouhu.cli import app
from shouhu.engine.policy import DEFAULT_FILE, parse_pack
from shouhu.errors import InvalidInput

DEFAULT = resources.files("shouhu.policies").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
DISPATCH = '[deadlines.dispatch]\nkind = "duty"\nperiod = "PT1H"'


def swap(old: str, new: str) -> str:
    assert old in DEFAULT, old
    return DEFAULT.replace(old, new, 1)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line holding ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth - 1]


def case(name: str, text: str, needle: str, key: str, nth: int = 1) -> tuple[str, str, int, str]:
    return name, text, line_of(text, needle, nth), key


MONTHLY = 'period = "P1M"\nalign = "calendar"\napplies_to = ["child_watch"]'
CITATION = 'citation = "001 §四(三)2 — 第一时间出警调查"'
SUPERVISOR = 'supervisor = "county public security bureau (县级公安机关)"'

#: (name, pack text, the line named, the key named).
BROKEN: list[tuple[str, str, int, str]] = [
    case(
        "empty period", swap('period = "PT1H"', 'period = "P"'), '"P"', "deadlines.dispatch.period"
    ),
    case(
        "negative period",
        swap('period = "PT1H"', 'period = "PT-1H"'),
        "PT-1H",
        "deadlines.dispatch.period",
    ),
    case(
        "period without P",
        swap('period = "PT1H"', 'period = "1H"'),
        '"1H"',
        "deadlines.dispatch.period",
    ),
    case(
        "period a table",
        swap('period = "PT1H"', "period = {h = 1}"),
        "{h = 1}",
        "deadlines.dispatch.period",
    ),
    case(
        "unknown kind",
        swap(DISPATCH, DISPATCH.replace('"duty"', '"chore"')),
        "chore",
        "deadlines.dispatch.kind",
    ),
    case(
        "kind a list",
        swap(DISPATCH, DISPATCH.replace('"duty"', '["duty"]')),
        '["duty"]',
        "deadlines.dispatch.kind",
    ),
    case(
        "empty citation",
        swap(CITATION, 'citation = " "'),
        'citation = " "',
        "deadlines.dispatch.citation",
    ),
    case(
        "citation a number",
        swap(CITATION, "citation = 2"),
        "citation = 2",
        "deadlines.dispatch.citation",
    ),
    case(
        "unknown trigger",
        swap('met_by = ["dispatch", "dismiss"]', 'met_by = ["flee"]'),
        "flee",
        "deadlines.dispatch.met_by",
    ),
    case(
        "met_by a string",
        swap('met_by = ["dispatch", "dismiss"]', 'met_by = "dispatch"'),
        'met_by = "dispatch"',
        "deadlines.dispatch.met_by",
    ),
    case(
        "align on a maturity",
        swap("restart = true", 'restart = true\nalign = "calendar"'),
        'align = "calendar"',
        "deadlines.nonperformance_six_months.align",
        nth=2,
    ),
    case(
        "align not calendar",
        swap(MONTHLY, MONTHLY.replace('"calendar"', '"lunar"')),
        "lunar",
        "deadlines.monthly_visit.align",
    ),
    case(
        "calendar period of 5 months",
        swap(MONTHLY, MONTHLY.replace("P1M", "P5M")),
        "P5M",
        "deadlines.monthly_visit.period",
    ),
    case(
        "applies_to an unknown workflow",
        swap(MONTHLY, MONTHLY.replace("child_watch", "pet")),
        '["pet"]',
        "deadlines.monthly_visit.applies_to",
    ),
    case(
        "applies_to a string",
        swap(MONTHLY, MONTHLY.replace('["child_watch"]', '"child_watch"')),
        'applies_to = "child_watch"',
        "deadlines.monthly_visit.applies_to",
    ),
    case(
        "supervisor a number",
        swap(SUPERVISOR, "supervisor = 110"),
        "supervisor = 110",
        "deadlines.dispatch.supervisor",
    ),
    case(
        "deadline name in capitals",
        swap("[deadlines.dispatch]", "[deadlines.Dispatch]"),
        "[deadlines.Dispatch]",
        "deadlines.Dispatch",
    ),
    case(
        "a deadline that is no table",
        DEFAULT + "\n[deadlines]\nlate = 1\n",
        "late = 1",
        "deadlines.late",
    ),
    case(
        "name not text", swap('name = "cn-national-default"', "name = 7"), "name = 7", "pack.name"
    ),
]
#: Broken TOML: tomllib names the line; the message names the key on it where there is one.
NOT_TOML: list[tuple[str, str, int, str]] = [
    case(
        "duplicate key",
        swap('period = "PT1H"', 'period = "PT1H"\nperiod = "PT2H"'),
        "PT2H",
        "period",
    ),
    case(
        "duplicate table",
        DEFAULT + '\n[deadlines.dispatch]\nkind = "duty"\n',
        "[deadlines.dispatch]",
        "deadlines.dispatch",
        nth=2,
    ),
    case("unclosed string", swap('period = "PT1H"', 'period = "PT1H'), '"PT1H', "period"),
    case("a bare word", swap('period = "PT1H"', "period = PT1H"), "= PT1H", "period"),
    ("a BOM", "\ufeff" + DEFAULT, 1, ""),
]


def _check(text: str, line: int, key: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as bad:
        parse_pack(text, "city.toml")
    message = str(bad.value)
    assert message.startswith("policy city.toml: "), message
    assert len(message.splitlines()) == 1, message
    assert f"line {line}: " in message, message
    assert key in message, message
    return bad.value


@pytest.mark.parametrize(
    ("text", "line", "key"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_broken_pack_is_refused_naming_its_line_and_key(
    text: str, line: int | None, key: str
) -> None:
    assert _check(text, line, key).field == key


@pytest.mark.parametrize(
    ("text", "line", "key"), [b[1:] for b in NOT_TOML], ids=[b[0] for b in NOT_TOML]
)
def test_a_pack_that_is_not_toml_names_the_line_and_the_key_on_it(
    text: str, line: int, key: str
) -> None:
    assert "not valid TOML" in str(_check(text, line, key))


def test_an_empty_or_undecodable_pack_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Through the CLI: --policy FILE with nothing in it, or bytes that are not UTF-8."""
    for name, raw in (("empty.toml", b""), ("latin1.toml", DEFAULT.encode("gb18030"))):
        pack = tmp_path / name
        pack.write_bytes(raw)
        result = CliRunner().invoke(app, ["--policy", str(pack), "policy", "show"])
        assert result.exit_code == 2, result.stdout
        assert result.stderr.startswith("shouhu: error: policy ")
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("broken", BROKEN[:6], ids=[b[0] for b in BROKEN[:6]])
def test_the_cli_refuses_a_broken_pack_on_one_line_with_exit_2(
    tmp_path: Path, broken: tuple[str, str, int, str]
) -> None:
    pack = tmp_path / "city.toml"
    pack.write_text(broken[1], encoding="utf-8")
    db = tmp_path / "c.db"
    result = CliRunner().invoke(
        app, ["--policy", str(pack), "--db", f"sqlite:///{db}", "case", "list"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("shouhu: error: policy city.toml: line ")
    assert broken[3] in result.stderr
    assert result.stderr.count("\n") == 1
    assert not db.exists()


@st.composite
def mutated_pack(draw: st.DrawFn) -> str:
    lines = DEFAULT.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(("drop", "repeat", "value", "value", "junk")))
        if how == "drop":
            del lines[i]
        elif how == "repeat":
            lines.insert(i, lines[i])
        elif how == "value" and "=" in lines[i]:
            key = lines[i].split("=")[0]
            value = draw(
                st.one_of(
                    st.sampled_from(
                        (
                            '"P"',
                            '"PT-1H"',
                            '"1H"',
                            '"P1M2D"',
                            "[]",
                            '["report:x"]',
                            "true",
                            "1",
                            "{}",
                            '"calendar"',
                            '"maturity"',
                            '""',
                        )
                    ),
                    fk.text_junk.map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
                )
            )
            lines[i] = f"{key}= {value}"
        else:
            lines.insert(i, draw(fk.ascii_junk))
    return "\n".join(lines)


def test_any_edited_pack_loads_or_is_refused_on_one_line_naming_where(tmp_path: Path) -> None:
    ran = fk.Counter("policy_pack")

    @fk.campaign_settings("policy_pack")
    @given(mutated_pack())
    def run(text: str) -> None:
        ran()
        try:
            parse_pack(text, "city.toml")
        except InvalidInput as exc:
            message = str(exc)
        else:
            message = ""
        ran.saw(message or None)
        if message:
            assert message.startswith("policy city.toml: "), message
            assert len(message.splitlines()) == 1, message

    run()
    ran.check()
