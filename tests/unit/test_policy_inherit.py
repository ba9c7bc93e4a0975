"""Policy packs that inherit (issue 13): ``extends = "NAME@VERSION"`` in ``[pack]`` names a
shipped pack by its id; the child gives only what it changes. A child's table of an inherited
deadline changes only the keys it gives (field by field, a list replaced whole); a table of a new
name adds a complete deadline; ``remove`` drops inherited ones. The result is an ordinary,
complete pack, recorded on events by the child's own id, whose ``to_toml()`` loads back equal.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, InvalidInput
from shouhu.adapters.policyfile import POLICY_ENV, load_pack
from shouhu.cli import app
from shouhu.engine import policy
from shouhu.engine.periods import parse_period
from shouhu.engine.policy import default_pack, parse_pack, shipped_packs

CST = timezone(timedelta(hours=8))
DEFAULT_ID = "cn-national-default@2026.2"

#: A city that dispatches within 30 minutes and keeps every other national default.
TEN_LINES = """\
# 咸宁: dispatch within 30 minutes; everything else as the national defaults.
[pack]
name = "hubei-xianning"
version = "2026.1"
extends = "cn-national-default@2026.2"

[deadlines.dispatch]
period = "PT30M"
note = "Xianning: within 30 minutes."
"""


def head(extra: str = "", name: str = "city", version: str = "1") -> str:
    return f'[pack]\nname = "{name}"\nversion = "{version}"\nextends = "{DEFAULT_ID}"\n{extra}'


def refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as bad:
        parse_pack(text, "city.toml")
    message = str(bad.value)
    assert message.startswith("policy city.toml: line "), message
    assert "\n" not in message
    return bad.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines()) if needle in ln) + 1


@pytest.fixture(autouse=True)
def _no_policy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)


# --- inheriting ---------------------------------------------------------------------------------


def test_a_ten_line_city_pack_changes_one_period_and_inherits_the_rest(tmp_path: Path) -> None:
    """At most ten lines: dispatch at PT30M (and its note); every other rule is the default's,
    in the default's order; the pack is the city's own (its id, the parent it extends)."""
    path = tmp_path / "xianning.toml"
    path.write_text(TEN_LINES, encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 10
    pack = load_pack(path)
    national = default_pack()
    assert (pack.id, pack.extends, pack.source) == ("hubei-xianning@2026.1", DEFAULT_ID, path.name)
    assert pack.text == TEN_LINES
    assert [r.name for r in pack.rules] == [r.name for r in national.rules]
    dispatch = pack.rule("dispatch")
    assert dispatch.period == parse_period("PT30M")
    assert dispatch == replace(
        national.rule("dispatch"), period=parse_period("PT30M"), note="Xianning: within 30 minutes."
    )
    for rule in national.rules:
        if rule.name != "dispatch":
            assert pack.rule(rule.name) == rule


def test_a_changed_key_leaves_the_rule_s_other_keys_and_a_list_is_replaced_whole() -> None:
    """Field by field: met_by given is the new list (not added to); the rest is inherited."""
    pack = parse_pack(head('\n[deadlines.dispatch]\nmet_by = ["dispatch"]\n'), "city.toml")
    national = default_pack().rule("dispatch")
    assert pack.rule("dispatch") == replace(national, met_by=("dispatch",))


def test_an_empty_text_clears_an_optional_inherited_key() -> None:
    """note = "" (and supervisor, notify, fact = "", applies_to = []) clears what was inherited."""
    text = head(
        '\n[deadlines.dispatch]\nnote = ""\n'
        '\n[deadlines.nonperformance_six_months]\nfact = ""\nnotify = ""\n'
        "\n[deadlines.quarterly_update]\napplies_to = []\n"
    )
    pack = parse_pack(text, "city.toml")
    assert pack.rule("dispatch").note == ""
    assert pack.rule("nonperformance_six_months").fact is None
    assert pack.rule("nonperformance_six_months").notify == ""
    assert pack.rule("quarterly_update").applies_to == ()


def test_a_child_without_deadline_tables_is_its_parent_under_its_own_id() -> None:
    pack = parse_pack(head('description = "a county adopting the defaults"\n'), "county.toml")
    national = default_pack()
    assert pack.rules == national.rules
    assert (pack.id, pack.description) == ("city@1", "a county adopting the defaults")
    assert pack != national  # another name and version: another pack


def test_a_new_deadline_is_added_after_the_inherited_ones_and_must_be_complete() -> None:
    extra = (
        '\n[deadlines.assessment_review]\nperiod = "P30D"\nstarts_on = ["complete_assessment"]\n'
        'met_by = ["start_intervention"]\ncancelled_by = []\nbasis = "local"\n'
        'citation = "001 §四(三)3"\n'
    )
    pack = parse_pack(head(extra), "city.toml")
    assert [r.name for r in pack.rules] == [r.name for r in default_pack().rules] + [
        "assessment_review"
    ]
    assert pack.rule("assessment_review").period == parse_period("P30D")
    broken = head(extra.replace('basis = "local"\n', ""))
    bad = refused(broken)
    assert str(bad).startswith(
        f"policy city.toml: line {line_of(broken, '[deadlines.assessment_review]')}: "
        "deadlines.assessment_review: missing key 'basis'"
    )


def test_remove_drops_inherited_deadlines() -> None:
    pack = parse_pack(head('remove = ["regular_visit", "screening_visit"]\n'), "city.toml")
    names = [r.name for r in default_pack().rules]
    assert [r.name for r in pack.rules] == [
        n for n in names if n not in ("regular_visit", "screening_visit")
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('remove = ["holiday"]', f"'{DEFAULT_ID}' has no deadline 'holiday'"),
        ('remove = "regular_visit"', "remove must be a list of deadline names"),
        (
            'remove = ["dispatch"]\n[deadlines.dispatch]\nperiod = "PT30M"',
            "deadline 'dispatch' is both removed and given a [deadlines.dispatch] table",
        ),
    ],
    ids=["unknown", "not a list", "removed and changed"],
)
def test_a_bad_remove_is_refused_on_its_line(extra: str, message: str) -> None:
    text = head(extra + "\n")
    bad = refused(text)
    assert str(bad).startswith(f"policy city.toml: line {line_of(text, 'remove')}: pack.remove: ")
    assert message in str(bad)
    assert bad.field == "pack.remove"


def test_remove_without_extends_or_of_everything_is_refused() -> None:
    text = default_pack().text.replace('version = "2026.2"', 'version = "2"\nremove = ["dispatch"]')
    assert "remove needs extends" in str(refused(text))
    every = ", ".join(f'"{r.name}"' for r in default_pack().rules)
    assert "no deadlines left" in str(refused(head(f"remove = [{every}]\n")))


def test_an_error_in_a_changed_rule_names_the_child_s_line_and_key() -> None:
    """A bad value the child gives: its line; a bad combination with inherited keys: the
    child's table."""
    text = head('\n[deadlines.dispatch]\nperiod = "PT1.5H"\n')
    bad = refused(text)
    assert str(bad).startswith(
        f"policy city.toml: line {line_of(text, 'PT1.5H')}: deadlines.dispatch.period: "
    )
    text = head('\n[deadlines.assessment]\nkind = "maturity"\n')
    bad = refused(text)
    assert str(bad).startswith(
        f"policy city.toml: line {line_of(text, '[deadlines.assessment]')}: deadlines.assessment"
    )
    assert "system trigger" in str(bad)
    bad = refused(head('\n[deadlines.dispatch]\ncolour = "red"\n'))
    assert "unknown key 'colour'" in str(bad)


# --- what extends may name ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '"cn-national-default"',
            f"no shipped pack is 'cn-national-default'; name it by its id, '{DEFAULT_ID}'",
        ),
        (
            '"cn-national-default@2025.9"',
            f"no shipped pack is 'cn-national-default@2025.9'; name it by its id, '{DEFAULT_ID}'",
        ),
        (
            '"hubei-wuhan@2026.1"',
            f"a pack extends one of: cn-national-default@2026.1, {DEFAULT_ID}",
        ),
        ('"./national.toml"', "no shipped pack is './national.toml'"),
        ("3", f"extends must be a shipped pack's id (cn-national-default@2026.1, {DEFAULT_ID})"),
        ('""', "extends must be a shipped pack's id"),
    ],
    ids=["bare name", "other version", "unknown", "a path", "not text", "empty"],
)
def test_extends_names_a_shipped_pack_by_its_id(value: str, message: str) -> None:
    text = f'[pack]\nname = "city"\nversion = "1"\nextends = {value}\n'
    bad = refused(text)
    assert str(bad).startswith("policy city.toml: line 4: pack.extends: "), str(bad)
    assert message in str(bad)
    assert bad.field == "pack.extends"


def test_the_shipped_packs_are_the_default_by_its_id_and_its_successor_with_rest_days() -> None:
    assert list(shipped_packs()) == ["cn-national-default@2026.1", DEFAULT_ID]
    assert default_pack().id == DEFAULT_ID
    assert default_pack().extends is None


def test_a_child_may_not_take_its_parent_s_id() -> None:
    """The child's id is on every event: the parent's would name the parent's numbers."""
    text = head('\n[deadlines.dispatch]\nperiod = "PT30M"\n', "cn-national-default", "2026.2")
    bad = refused(text)
    assert str(bad).startswith("policy city.toml: line 3: pack.version: ")
    assert "needs an id of its own" in str(bad)
    same_name = parse_pack(head("", "cn-national-default", "2026.2-xianning"), "city.toml")
    assert same_name.id == "cn-national-default@2026.2-xianning"


def test_a_chain_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a shipped pack to extend another, extending it is refused: one level only (and so
    no cycle)."""
    hubei = '[pack]\nname = "hubei"\nversion = "1"\nextends = "cn-national-default@2026.2"\n'
    shipped = {**shipped_packs(), "hubei@1": hubei}
    monkeypatch.setattr(policy, "shipped_packs", lambda: shipped)
    text = '[pack]\nname = "xianning"\nversion = "1"\nextends = "hubei@1"\n'
    bad = refused(text)
    assert str(bad).startswith("policy city.toml: line 4: pack.extends: ")
    assert "'hubei@1' itself extends 'cn-national-default@2026.2'" in str(bad)
    assert "not a chain" in str(bad)


def test_the_cli_refuses_a_bad_extends_on_one_line_with_exit_2(tmp_path: Path) -> None:
    pack = tmp_path / "city.toml"
    pack.write_text('[pack]\nname = "city"\nversion = "1"\nextends = "nope@1"\n', "utf-8")
    db = tmp_path / "c.db"
    result = CliRunner().invoke(
        app, ["--policy", str(pack), "--db", f"sqlite:///{db}", "case", "list"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("shouhu: error: policy city.toml: line 4: pack.extends: ")
    assert result.stderr.count("\n") == 1
    assert not db.exists()


# --- the effective pack -------------------------------------------------------------------------


def test_the_default_pack_round_trips_through_to_toml() -> None:
    national = default_pack()
    text = national.to_toml()
    assert parse_pack(text) == national
    assert parse_pack(text, "effective.toml").id == DEFAULT_ID


def test_an_inheriting_pack_round_trips_through_to_toml_as_a_complete_pack() -> None:
    """The effective text names no parent: loaded alone it is the same pack, by the same id."""
    pack = parse_pack(TEN_LINES, "xianning.toml")
    text = pack.to_toml()
    assert "extends" not in tomllib.loads(text)["pack"]
    again = parse_pack(text, "effective.toml")
    assert again == pack
    assert again.id == "hubei-xianning@2026.1"
    assert again.extends is None
    assert text.startswith(f"# hubei-xianning@2026.1: the effective pack ({DEFAULT_ID} with ")


def test_to_toml_writes_any_text_a_pack_may_hold() -> None:
    """Quotes, backslashes, control characters and non-ASCII survive the round trip."""
    odd = 'a "quoted" \\ back\tslash\nnew line \x7f \x01 咸宁 ✓'
    pack = replace(
        parse_pack(head(), "c.toml"),
        description=odd,
        rules=tuple(replace(r, note=odd, citation=odd) for r in default_pack().rules),
    )
    assert parse_pack(pack.to_toml()) == pack
    named = replace(pack, name="咸宁\n# [pack]", version="1\x00")
    assert parse_pack(named.to_toml()) == named


def test_events_record_the_child_s_id_and_its_numbers(tmp_path: Path) -> None:
    """A report at 09:00 under the ten-line pack is due for dispatch at 09:30, under its id."""
    path = tmp_path / "xianning.toml"
    path.write_text(TEN_LINES, encoding="utf-8")
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=CST))
    with Engine.open(f"sqlite:///{tmp_path / 'c.db'}", clock=clock, policy=path) as engine:
        case = engine.report(
            "solo_living",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            occurred_at="2026-03-02T09:00",
        )
        (row,) = [r for r in engine.deadlines(case_id=case.id) if r["kind"] == "dispatch"]
        history = engine.case(case.id).history
    assert (row["due_at"], row["policy_version"]) == (
        "2026-03-02T09:30:00+08:00",
        "hubei-xianning@2026.1",
    )
    assert [h.event.policy_version for h in history] == ["hubei-xianning@2026.1"]


def test_policy_show_effective_prints_the_inherited_pack_whole(tmp_path: Path) -> None:
    """``shouhu --policy CITY policy show --effective`` prints the pack as it applies: every
    deadline the city inherits, with its own change, as TOML that loads to the same pack."""
    path = tmp_path / "xianning.toml"
    path.write_text(TEN_LINES, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--policy", str(path), "policy", "show", "--effective"], prog_name="shouhu"
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "extends" not in result.stdout
    shown = parse_pack(result.stdout, "effective.toml")
    assert shown == load_pack(path)
    assert [r.name for r in shown.rules] == [r.name for r in default_pack().rules]
    assert shown.rule("dispatch").period == parse_period("PT30M")
