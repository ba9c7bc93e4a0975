"""Policy packs: the national defaults, a city's own pack, and packs refused at load.

A pack is TOML; a bad one is refused with the line and the key (``policy FILE: line N:
deadlines.K.key: …``). A city pack changes the due times of deadlines started under it, and
every event records the pack's ``name@version``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest

from shouhu import Engine, FakeClock, InvalidInput
from shouhu.adapters.policyfile import POLICY_ENV, load_pack
from shouhu.engine.periods import parse_period
from shouhu.engine.policy import DEFAULT_FILE, default_pack, describe, known_triggers, parse_pack

CST = timezone(timedelta(hours=8))
ZONE = "Asia/Shanghai"
DEFAULT_ID = "cn-national-default@2026.2"
CITY_ID = "cn-national-default@2026.2-xianning"


def default_text() -> str:
    return resources.files("shouhu.policies").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


def city_text() -> str:
    """default.toml with dispatch at PT30M and another [pack] version."""
    text = default_text()
    head = '[deadlines.dispatch]\nkind = "duty"\nperiod = "PT1H"'
    assert head in text
    text = text.replace(head, '[deadlines.dispatch]\nkind = "duty"\nperiod = "PT30M"')
    return text.replace('version = "2026.2"', 'version = "2026.2-xianning"')


def line_of(text: str, needle: str, after: str | None = None) -> int:
    """The 1-based number of the first line holding ``needle`` (after the line holding
    ``after``)."""
    lines = text.splitlines()
    start = 0 if after is None else next(i for i, ln in enumerate(lines) if after in ln) + 1
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def report(engine: Engine, at: str = "2026-03-02T09:00") -> str:
    return engine.report(
        "solo_living",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        occurred_at=at,
        new_case=True,  # the same child under each pack
    ).id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=CST))


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    path = tmp_path / "xianning.toml"
    path.write_text(city_text(), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_policy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)


# --- the default pack -------------------------------------------------------------------------


def test_the_default_pack_is_the_shipped_toml_with_its_id() -> None:
    """default_pack() parses shouhu/policies/default.toml; its id is name@version."""
    pack = default_pack()
    assert pack.id == DEFAULT_ID
    assert pack.text == default_text()
    assert [r.name for r in pack.rules] == list(tomllib.loads(default_text())["deadlines"])


def test_the_default_pack_names_the_deadlines_of_the_mechanism() -> None:
    """Dispatch at once (PT1H, local), six months of refused duties (P6M, law), and the rest."""
    pack = default_pack()
    rows = {r["kind"]: (r["type"], r["period"], r["basis"]) for r in describe(pack)}
    assert rows == {
        "dispatch": ("duty", "PT1H", "local"),
        "township_notice": ("duty", "PT24H", "local"),
        "assessment_start": ("duty", "P3D", "local"),
        "assessment": ("duty", "P15D", "local"),
        "guardian_restored": ("duty", "P7D", "local"),
        "guardian_redesignation": ("duty", "P30D", "local"),
        "missing_child_township": ("duty", "P3D", "local"),
        "petition_by_others": ("duty", "P30D", "local"),
        "holiday_handover": ("duty", "P14D", "local"),
        "quarterly_submission": ("duty", "P15D", "local"),
        "turns_18": ("maturity", "P18Y", "law"),
        "nonperformance_six_months": ("maturity", "P6M", "law"),
        "report_delay": ("check", "PT24H", "local"),
        "duplicate_window": ("check", "PT24H", "local"),
        "monthly_visit": ("duty", "P1M", "law"),
        "quarterly_update": ("duty", "P3M", "law"),
        "regular_visit": ("duty", "P1M", "local"),
        "turns_16": ("maturity", "P16Y", "law"),
        "screening_visit": ("check", "P1M", "local"),
    }
    six = pack.rule("nonperformance_six_months")
    assert six.restart is True
    assert six.fact == "nonperformance_matures_at"
    assert [str(s) for s in six.starts_on] == [
        "record_nonperformance:since",
        "report:nonperformance_since",
    ]
    assert six.cancelled_by == ("guardian_resumed_duties",)
    assert pack.rule("dispatch").met_by == ("dispatch", "dismiss")
    assert pack.check("report_delay") is not None
    assert pack.check("dispatch") is None
    assert "report_delay" not in {r.name for r in pack.tracked()}


LEDGER_CITATIONS = {
    "monthly_visit": "001 §四(二)2",
    "quarterly_update": "001 §四(二)2",
    "regular_visit": "000 §三五",
    "turns_16": "001, opening paragraph",
    "screening_visit": "001 §四(三)5",
    "missing_child_township": "001 §四(三)2",
    "holiday_handover": "001 §四(二)3",
    "quarterly_submission": "001 §四(二)2",
    "turns_18": "Civil Code Art. 17",
}


def test_every_default_rule_names_only_known_triggers_and_has_a_citation() -> None:
    """Starts, meets and cancels name triggers of the workflows; every rule cites its clause."""
    known = known_triggers()
    for rule in default_pack().rules:
        assert {s.trigger for s in rule.starts_on} <= known
        assert set(rule.met_by) <= known
        assert set(rule.cancelled_by) <= known
        if rule.applies_to:  # the ledger's standing duties (001 §四(二)2; 000 §三五)
            assert rule.citation.startswith(LEDGER_CITATIONS[rule.name])
        else:  # the seed's clause, or the Civil Code article that completes it (Art. 36)
            assert rule.citation.startswith(("001 §四(三)", "Civil Code Art. 36"))
        if rule.basis == "local":
            assert rule.kind != "maturity"  # a legal ground's period is the law's, not ours


# --- loading ----------------------------------------------------------------------------------


def test_a_pack_file_is_loaded_by_path(city_file: Path) -> None:
    """load_pack(path): the city's pack, with its text and its file name as source."""
    pack = load_pack(city_file)
    assert pack.id == CITY_ID
    assert pack.source == "xianning.toml"
    assert pack.rule("dispatch").period == parse_period("PT30M")
    assert pack.text == city_text()


def test_without_a_path_the_environment_names_the_pack(
    city_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHOUHU_POLICY when no path is given; the default when neither is."""
    assert load_pack().id == DEFAULT_ID
    monkeypatch.setenv(POLICY_ENV, str(city_file))
    assert load_pack().id == CITY_ID
    monkeypatch.setenv(POLICY_ENV, "")
    assert load_pack().id == DEFAULT_ID


def test_a_path_given_wins_over_the_environment(
    city_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_pack(path) ignores SHOUHU_POLICY."""
    other = tmp_path / "other.toml"
    other.write_text(city_text().replace("2026.2-xianning", "2026.9"), encoding="utf-8")
    monkeypatch.setenv(POLICY_ENV, str(other))
    assert load_pack(city_file).id == CITY_ID
    assert load_pack().id == "cn-national-default@2026.9"


def test_a_missing_pack_file_is_bad_input(tmp_path: Path) -> None:
    """No such file: InvalidInput naming the path."""
    with pytest.raises(InvalidInput, match="no such file") as bad:
        load_pack(tmp_path / "nowhere.toml")
    assert bad.value.field == "policy"


# --- a city's pack in force -------------------------------------------------------------------


def test_a_city_pack_changes_the_due_times_of_new_cases(
    city_file: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """dispatch = PT30M: a report at 09:00 is due at 09:30, and fires at 09:30, not before."""
    with Engine.open(f"sqlite:///{tmp_path / 'c.db'}", clock=clock, policy=city_file) as engine:
        case_id = report(engine)
        (row,) = engine.deadlines(case_id=case_id)
        assert (row["kind"], row["due_at"]) == ("dispatch", "2026-03-02T09:30:00+08:00")
        assert row["policy_version"] == CITY_ID
        assert engine.run_due("2026-03-02T09:29:59") == []
        assert [f.case_id for f in engine.run_due("2026-03-02T09:30:00")] == [case_id]
        events = engine.history(case_id)
    assert [e.trigger for e in events] == ["report", "deadline_missed"]
    assert {e.policy_version for e in events} == {CITY_ID}


def test_the_pack_named_in_the_environment_is_in_force(
    city_file: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Engine.open without policy= uses SHOUHU_POLICY: due 09:30, events record the city's id."""
    monkeypatch.setenv(POLICY_ENV, str(city_file))
    with Engine.open(f"sqlite:///{tmp_path / 'c.db'}", clock=clock) as engine:
        assert engine.policy.id == CITY_ID
        case_id = report(engine)
        (row,) = engine.deadlines(case_id=case_id)
        assert row["due_at"] == "2026-03-02T09:30:00+08:00"
        assert engine.history(case_id)[0].event.policy_version == CITY_ID


def test_a_new_pack_leaves_deadlines_already_running_as_they_were(
    city_file: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """A deadline keeps the due time and pack it started under; new cases get the new pack."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with Engine.open(url, clock=clock) as national:
        old = report(national, "2026-03-02T09:00")
    with Engine.open(url, clock=clock, policy=city_file) as city:
        new = report(city, "2026-03-02T09:10")
        rows = {r["case_id"]: r for r in city.deadlines()}
        fired = city.run_due("2026-03-02T09:40")
    assert (rows[old]["due_at"], rows[old]["policy_version"]) == (
        "2026-03-02T10:00:00+08:00",
        DEFAULT_ID,
    )
    assert (rows[new]["due_at"], rows[new]["policy_version"]) == (
        "2026-03-02T09:40:00+08:00",
        CITY_ID,
    )
    assert [f.case_id for f in fired] == [new]


def test_an_in_memory_engine_takes_a_pack_file_too(city_file: Path, clock: FakeClock) -> None:
    """Engine.in_memory(policy=path) loads the file like Engine.open does."""
    with Engine.in_memory(clock=clock, zone=ZONE, policy=city_file) as engine:
        case_id = report(engine)
        assert next(iter(engine.deadlines(case_id=case_id)))["due_at"].endswith("09:30:00+08:00")


# --- packs refused at load --------------------------------------------------------------------

#: (name, change to default.toml, (needle, after) locating the offending line, where, message).
Mutation = Callable[[str], str]
BAD: list[tuple[str, Mutation, tuple[str, str | None], str, str]] = [
    (
        "unknown trigger in met_by",
        lambda t: t.replace('met_by = ["dispatch", "dismiss"]', 'met_by = ["dispatched"]'),
        ("met_by", "[deadlines.dispatch]"),
        "deadlines.dispatch.met_by",
        "unknown trigger 'dispatched'",
    ),
    (
        "unknown trigger in starts_on",
        lambda t: t.replace('starts_on = ["report"]', 'starts_on = ["reprot"]'),
        ("starts_on", "[deadlines.dispatch]"),
        "deadlines.dispatch.starts_on",
        "unknown trigger 'reprot'",
    ),
    (
        "unknown trigger in cancelled_by",
        lambda t: t.replace(
            'cancelled_by = ["guardian_resumed_duties"]', 'cancelled_by = ["guardian_resumed"]'
        ),
        ("cancelled_by", "[deadlines.nonperformance_six_months]"),
        "deadlines.nonperformance_six_months.cancelled_by",
        "unknown trigger 'guardian_resumed'",
    ),
    (
        "mixed period",
        lambda t: t.replace('period = "PT1H"', 'period = "P1DT2H"'),
        ("period", "[deadlines.dispatch]"),
        "deadlines.dispatch.period",
        "mixes calendar units",
    ),
    (
        "not a duration",
        lambda t: t.replace('period = "P15D"', 'period = "15 days"'),
        ("period", "[deadlines.assessment]"),
        "deadlines.assessment.period",
        "not an ISO 8601 duration",
    ),
    (
        "zero period",
        lambda t: t.replace('period = "P6M"', 'period = "P0M"'),
        ("period", "[deadlines.nonperformance_six_months]"),
        "deadlines.nonperformance_six_months.period",
        "is zero",
    ),
    (
        "period not text",
        lambda t: t.replace('period = "P7D"', "period = 7"),
        ("period", "[deadlines.guardian_restored]"),
        "deadlines.guardian_restored.period",
        "ISO 8601 duration",
    ),
    (
        "unknown key",
        lambda t: t.replace('period = "PT1H"', 'period = "PT1H"\ncolour = "red"'),
        ("colour", "[deadlines.dispatch]"),
        "deadlines.dispatch.colour",
        "unknown key 'colour'",
    ),
    (
        "unknown key in [pack]",
        lambda t: t.replace('version = "2026.2"', 'version = "2026.2"\nowner = "咸宁市"'),
        ("owner", "[pack]"),
        "pack.owner",
        "unknown key 'owner'",
    ),
    (
        "missing key",
        lambda t: t.replace('citation = "001 §四(三)3 — 建立评估档案"\n', ""),
        ("[deadlines.assessment]", None),
        "deadlines.assessment",
        "missing key 'citation'",
    ),
    (
        "missing pack version",
        lambda t: t.replace('version = "2026.2"\n', ""),
        ("[pack]", None),
        "pack.version",
        "version",
    ),
    (
        "bad basis",
        lambda t: t.replace(
            'period = "P6M"\nstarts_on = ["record_nonperformance:since", '
            '"report:nonperformance_since"]\nmet_by = []\ncancelled_by = '
            '["guardian_resumed_duties"]\nbasis = "law"',
            'period = "P6M"\nstarts_on = ["record_nonperformance:since", '
            '"report:nonperformance_since"]\nmet_by = []\ncancelled_by = '
            '["guardian_resumed_duties"]\nbasis = "statute"',
        ),
        ("basis", "[deadlines.nonperformance_six_months]"),
        "deadlines.nonperformance_six_months.basis",
        "basis must be law or local",
    ),
    (
        "bad kind",
        lambda t: t.replace(
            '[deadlines.assessment]\nkind = "duty"', '[deadlines.assessment]\nkind = "task"'
        ),
        ("kind", "[deadlines.assessment]"),
        "deadlines.assessment.kind",
        "kind must be one of duty, maturity, check",
    ),
    (
        "a duty nothing meets",
        lambda t: t.replace('met_by = ["start_assessment"]', "met_by = []"),
        ("met_by", "[deadlines.assessment_start]"),
        "deadlines.assessment_start.met_by",
        "needs at least one trigger that meets it",
    ),
    (
        "a maturity that is no system trigger",
        lambda t: t.replace(
            "[deadlines.nonperformance_six_months]", "[deadlines.nonperformance_half_year]"
        ),
        ("[deadlines.nonperformance_half_year]", None),
        "deadlines.nonperformance_half_year",
        "system trigger",
    ),
    (
        "restart not a boolean",
        lambda t: t.replace("restart = true", 'restart = "yes"'),
        ("restart", "[deadlines.nonperformance_six_months]"),
        "deadlines.nonperformance_six_months.restart",
        "restart must be true or false",
    ),
    (
        "bad data field",
        lambda t: t.replace('"record_nonperformance:since"', '"record_nonperformance:Since"'),
        ("starts_on", "[deadlines.nonperformance_six_months]"),
        "deadlines.nonperformance_six_months.starts_on",
        "bad data field",
    ),
]


@pytest.mark.parametrize(
    ("change", "locate", "where", "message"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_a_bad_pack_is_refused_with_the_line_and_the_key(
    change: Mutation, locate: tuple[str, str | None], where: str, message: str
) -> None:
    """InvalidInput: ``policy city.toml: line N: KEY: …``, with field = KEY."""
    text = change(default_text())
    assert text != default_text(), "the mutation did not apply"
    line = line_of(text, *locate)
    with pytest.raises(InvalidInput) as bad:
        parse_pack(text, "city.toml")
    assert str(bad.value).startswith(f"policy city.toml: line {line}: {where}: "), str(bad.value)
    assert message in str(bad.value)
    assert bad.value.field == where
    assert bad.value.data["line"] == line
    assert "\n" not in str(bad.value)


def test_a_pack_that_is_not_toml_is_refused_with_the_line() -> None:
    """A broken table header: 'not valid TOML' and the line tomllib found it on."""
    text = default_text().replace("[deadlines.assessment]", "[deadlines.assessment")
    line = text.splitlines().index("[deadlines.assessment") + 1
    with pytest.raises(InvalidInput) as bad:
        parse_pack(text, "city.toml")
    assert str(bad.value).startswith("policy city.toml: not valid TOML")
    assert f"line {line}" in str(bad.value)
    assert bad.value.field == "policy"


def test_an_unknown_table_is_refused_with_its_line_and_name() -> None:
    """[vacations] is not part of a pack: ``policy city.toml: line N: vacations: unknown …``."""
    text = default_text() + '\n[vacations]\ncalendar = "cn"\n'
    line = line_of(text, "[vacations]")
    with pytest.raises(InvalidInput) as bad:
        parse_pack(text, "city.toml")
    assert str(bad.value).startswith(f"policy city.toml: line {line}: vacations: "), str(bad.value)
    assert "unknown table or key 'vacations'" in str(bad.value)


def test_a_pack_without_its_pack_table_or_deadlines_is_refused() -> None:
    """No [pack], or no [deadlines.*]: refused, naming what is missing."""
    text = default_text()
    no_pack = text.replace('[pack]\nname = "cn-national-default"\nversion = "2026.2"\n', "")
    no_pack = "\n".join(ln for ln in no_pack.splitlines() if not ln.startswith("description"))
    with pytest.raises(InvalidInput, match=r"missing \[pack\] table"):
        parse_pack(no_pack, "city.toml")
    with pytest.raises(InvalidInput, match=r"no \[deadlines\.KIND\] tables"):
        parse_pack('[pack]\nname = "x"\nversion = "1"\n', "city.toml")


def test_a_small_pack_of_valid_rules_is_accepted() -> None:
    """A pack need not copy the defaults: one duty of PT1H30M is a complete pack."""
    pack = parse_pack(
        "[pack]\n"
        'name = "pilot"\n'
        'version = "1"\n'
        "[deadlines.dispatch]\n"
        'period = "PT1H30M"\n'
        'starts_on = ["report"]\n'
        'met_by = ["dispatch"]\n'
        "cancelled_by = []\n"
        'basis = "local"\n'
        'citation = "001 §四(三)2"\n',
        "pilot.toml",
    )
    assert pack.id == "pilot@1"
    (rule,) = pack.rules
    assert (rule.kind, str(rule.period)) == ("duty", "PT1H30M")


def test_a_maturity_started_under_another_pack_still_matures_as_its_ground(
    clock: FakeClock, tmp_path: Path
) -> None:
    """A pending six-month row fires its ground under a pack without the rule, not a missed duty."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    clock.set(datetime(2026, 2, 20, 9, 0, tzinfo=CST))
    with Engine.open(url, clock=clock) as national:
        case_id = national.report(
            "guardian_nonperformance",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            data={"nonperformance_since": "2025-08-31"},
        ).id
        national.fire(case_id, "dispatch", actor={"name": "李警官", "role": "police"})
    text = default_text()
    cut = text[
        text.index("[deadlines.nonperformance_six_months]") : text.index("[deadlines.report_delay]")
    ]
    pack = parse_pack(text.replace(cut, "").replace('"2026.2"', '"2026.2-no-six-months"'), "c.toml")
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=CST))
    with Engine.open(url, clock=clock, policy=pack) as city:
        fired = city.run_due()
        case = city.case(case_id)
        overdue = [c.id for c in city.cases(overdue=True)]
        rows = [
            r for r in city.deadlines(case_id=case_id) if r["kind"] == "nonperformance_six_months"
        ]
    assert [(f.kind, f.trigger) for f in fired] == [
        ("nonperformance_six_months", "nonperformance_six_months")
    ]
    assert [r["status"] for r in rows] == ["fired"]
    assert case.facts["nonperformance_matured"] is True
    assert overdue == []
