"""The same report typed twice files one case, not two with two dispatch deadlines.

A report about a child (same name and birthdate, or same id number) who already has an open
case of the same type reported within the policy pack's ``duplicate_window`` (default PT24H, a
local choice) is refused — rule ``duplicate``, citing 001 §四(三)1, naming the open case and
never the child — unless the caller says it is a new situation (``new_case=True``,
``--new-case``). The check runs inside the write transaction on every store.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import (
    Engine,
    FakeClock,
    FireRequest,
    ReportRequest,
    TransitionRefused,
)
from shouhu.engine import core
from shouhu.engine.policy import default_pack, parse_pack

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NAME, BIRTHDATE = "王小明", "2016-02-01"
ID_NUMBER = "110105201602010024"  # born 2016-02-01, check digit right
OTHER_ID = "110105201602010032"
POLICE = {"name": "李警官", "role": "police"}
VC = {"name": "村儿童主任", "role": "village_committee"}


def report(engine: core.Engine, type_: str = "solo_living", **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "child": {"name": NAME, "birthdate": BIRTHDATE},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": "2026-03-02T08:10",
        "occurred_at": "2026-03-02T08:30",
    }
    args.update(overrides)
    return engine.report(type_, **args)


def request(type_: str = "solo_living", **overrides: Any) -> ReportRequest:
    args: dict[str, Any] = {
        "child": {"name": NAME, "birthdate": BIRTHDATE},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "occurred_at": "2026-03-02T08:30",
    }
    args.update(overrides)
    return ReportRequest(type_, **args)


def assert_names_the_case_not_the_child(exc: TransitionRefused, case_id: str) -> None:
    assert (exc.rule, exc.citation) == ("duplicate", "001 §四(三)1")
    assert exc.data["case_id"] == case_id
    message = str(exc)
    assert f"case {case_id}" in message
    assert "\n" not in message
    assert "duplicate_window PT24H" in message
    assert "local" in message
    for personal in (NAME, BIRTHDATE, "2016", ID_NUMBER):
        assert personal not in message


def test_the_same_report_filed_twice_is_refused_naming_the_open_case_not_the_child(
    store_engine: Engine,
) -> None:
    """The second identical report: TransitionRefused (rule duplicate, 001 §四(三)1) naming
    the first case's id and not the child; nothing of it is written."""
    first = report(store_engine)
    with pytest.raises(TransitionRefused) as refused:
        report(store_engine, occurred_at="2026-03-02T09:15")
    assert_names_the_case_not_the_child(refused.value, first.id)
    assert refused.value.exit_code == 3
    assert [c.id for c in store_engine.cases()] == [first.id]
    assert [d["kind"] for d in store_engine.deadlines()] == ["dispatch"]


def test_new_case_files_a_second_report_about_the_same_child(store_engine: Engine) -> None:
    """new_case=True: a new situation gets a case of its own, with its own dispatch deadline."""
    first = report(store_engine)
    second = report(store_engine, occurred_at="2026-03-02T09:15", new_case=True)
    assert second.id != first.id
    assert len(list(store_engine.cases())) == 2
    assert [d["kind"] for d in store_engine.deadlines()] == ["dispatch", "dispatch"]


def test_the_same_id_number_under_another_written_name_is_the_same_child(
    store_engine: Engine,
) -> None:
    """An id number names the child whatever the name is written as."""
    first = report(
        store_engine, child={"name": NAME, "birthdate": BIRTHDATE, "id_number": ID_NUMBER}
    )
    with pytest.raises(TransitionRefused) as refused:
        report(
            store_engine, child={"name": "王晓明", "birthdate": BIRTHDATE, "id_number": ID_NUMBER}
        )
    assert_names_the_case_not_the_child(refused.value, first.id)


def test_namesakes_with_different_id_numbers_are_different_children(store_engine: Engine) -> None:
    """Same name and birthdate but two different id numbers: two children, two cases."""
    report(store_engine, child={"name": NAME, "birthdate": BIRTHDATE, "id_number": ID_NUMBER})
    report(store_engine, child={"name": NAME, "birthdate": BIRTHDATE, "id_number": OTHER_ID})
    assert len(list(store_engine.cases())) == 2


def test_the_same_name_and_birthdate_match_a_report_that_gave_no_id_number(
    store_engine: Engine,
) -> None:
    """Name and birthdate match a report without an id number, with or without one now."""
    first = report(store_engine)
    with pytest.raises(TransitionRefused) as refused:
        report(store_engine, child={"name": NAME, "birthdate": BIRTHDATE, "id_number": ID_NUMBER})
    assert_names_the_case_not_the_child(refused.value, first.id)


def test_another_type_another_child_or_a_closed_case_is_no_duplicate(
    store_engine: Engine,
) -> None:
    """A report of another type, about another child, or after the first case was closed
    (dismissed) is filed."""
    first = report(store_engine)
    report(store_engine, "missing_child")
    report(store_engine, child={"name": "李小红", "birthdate": BIRTHDATE})
    report(store_engine, child={"name": NAME, "birthdate": "2016-02-02"})
    store_engine.fire(
        first.id,
        "dismiss",
        actor=POLICE,
        occurred_at="2026-03-02T09:00",
        data={"reason_kind": "unfounded", "reason": "误报"},
    )
    again = report(store_engine, occurred_at="2026-03-02T09:30")
    assert again.id != first.id
    assert len(list(store_engine.cases())) == 5


def test_the_window_is_24_hours_either_side_by_default_and_a_city_pack_sets_its_own(
    clock: FakeClock,
) -> None:
    """Default: 24 h after the first report is a duplicate, 24 h 1 s is not, nor is a
    backdated report 24 h 1 s before; a pack with duplicate_window PT2H refuses only within
    2 h; a pack without one keeps the default's 24 h."""
    with Engine.in_memory(clock=clock, zone=ZONE) as engine:
        report(engine, occurred_at="2026-03-03T08:30")
        with pytest.raises(TransitionRefused):
            report(engine, occurred_at="2026-03-04T08:30")
        with pytest.raises(TransitionRefused):
            report(engine, occurred_at="2026-03-02T08:30", discovered_at="2026-03-02T08:10")
        report(engine, occurred_at="2026-03-04T08:30:01")
        report(engine, occurred_at="2026-03-02T08:29:59", discovered_at="2026-03-02T08:10")
    text = default_pack().text
    city = parse_pack(
        text.replace(
            '[deadlines.duplicate_window]\nkind = "check"\nperiod = "PT24H"',
            '[deadlines.duplicate_window]\nkind = "check"\nperiod = "PT2H"',
        ).replace('"2026.2"', '"2026.2-city"'),
        "city.toml",
    )
    assert str(city.rule("duplicate_window").period) == "PT2H"
    with Engine.in_memory(clock=clock, zone=ZONE, policy=city) as engine:
        report(engine, occurred_at="2026-03-02T08:30")
        with pytest.raises(TransitionRefused) as refused:
            report(engine, occurred_at="2026-03-02T10:30")
        assert "duplicate_window PT2H" in str(refused.value)
        report(engine, occurred_at="2026-03-02T10:30:01")
    start = text.index("[deadlines.duplicate_window]")
    without = text[:start] + text[text.index("[deadlines.", start + 1) :]
    bare = parse_pack(without.replace('"2026.2"', '"2026.2-bare"'), "bare.toml")
    assert bare.check("duplicate_window") is None
    with Engine.in_memory(clock=clock, zone=ZONE, policy=bare) as engine:
        report(engine, occurred_at="2026-03-02T08:30")
        with pytest.raises(TransitionRefused):
            report(engine, occurred_at="2026-03-03T08:00")


def test_report_many_refuses_a_duplicate_in_the_batch_or_of_an_open_case_and_files_nothing(
    store_engine: Engine,
) -> None:
    """A batch holding the same report twice, or one about a child with an open case:
    refused at the later request (its place in the message and data), nothing written;
    with new_case=True the batch is filed whole."""
    other = request(child={"name": "李小红", "birthdate": "2014-09-12"})
    with pytest.raises(TransitionRefused) as refused:
        store_engine.report_many([request(), other, request(occurred_at="2026-03-02T09:00")])
    exc = refused.value
    assert exc.rule == "duplicate"
    assert exc.data["index"] == 2
    assert str(exc).startswith("request 2: refused by rule duplicate (001 §四(三)1")
    assert "request 0 of this batch" in str(exc)
    assert NAME not in str(exc)
    assert list(store_engine.cases()) == []

    first = report(store_engine)
    with pytest.raises(TransitionRefused) as refused:
        store_engine.report_many([other, request(occurred_at="2026-03-02T09:00")])
    assert refused.value.data["index"] == 1
    assert_names_the_case_not_the_child(refused.value, first.id)
    assert [c.id for c in store_engine.cases()] == [first.id]

    ids = store_engine.report_many([other, request(), request()], new_case=True)
    assert len(ids) == 3
    assert len(list(store_engine.cases())) == 4


def test_a_raised_report_about_a_child_with_an_open_report_of_its_type_is_refused(
    clock: FakeClock,
) -> None:
    """raise_report from the ledger: refused by rule duplicate while the child's report of
    that type is open (fire and fire_many alike, also twice in one batch); another type is
    raised."""
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    with Engine.in_memory(clock=clock, zone=ZONE) as engine:
        watch = engine.register(
            "child",
            person={"name": NAME, "birthdate": BIRTHDATE},
            location="石桥村, 青山镇",
            actor=VC,
            data={"parents_away": "both", "guardian": "张奶奶", "agreement_signed": True},
        ).id
        open_report = report(engine, occurred_at="2026-03-02T08:30").id
        clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
        with pytest.raises(TransitionRefused) as refused:
            engine.fire(watch, "raise_report", actor=VC, data={"type": "solo_living"})
        exc = refused.value
        assert (exc.rule, exc.trigger, exc.citation) == (
            "duplicate",
            "raise_report",
            "001 §四(三)1",
        )
        assert f"case {open_report}" in str(exc)
        assert NAME not in str(exc)
        with pytest.raises(TransitionRefused) as refused:
            engine.fire_many([FireRequest(watch, "raise_report", VC, data={"type": "solo_living"})])
        assert refused.value.rule == "duplicate"
        with pytest.raises(TransitionRefused) as refused:
            engine.fire_many(
                [FireRequest(watch, "raise_report", VC, data={"type": "missing_child"})] * 2
            )
        assert str(refused.value).startswith("request 1: refused by rule duplicate")
        assert len(list(engine.cases())) == 2
        view = engine.fire(watch, "raise_report", actor=VC, data={"type": "missing_child"})
        assert len(view.facts["reports"]) == 1
        assert len(list(engine.cases())) == 3


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_eight_racing_twins_file_one_case(
    database: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    """The same report filed by eight threads at once, each on its own engine: one case;
    the seven others are refused as duplicates of it (PostgreSQL: the advisory lock)."""
    url = (
        str(request.getfixturevalue("pg_url"))
        if database == "postgresql"
        else f"sqlite:///{tmp_path / 'twins.db'}"
    )
    engines = [Engine.open(url, clock=FakeClock(NOW), zone=ZONE) for _ in range(8)]
    start = threading.Barrier(len(engines))
    results: list[Any] = []
    lock = threading.Lock()

    def file(engine: Engine) -> None:
        engine.next_due()  # connected before the start line
        start.wait(timeout=60)
        try:
            got: Any = report(engine).id
        except Exception as exc:
            got = exc
        with lock:
            results.append(got)

    threads = [threading.Thread(target=file, args=(e,)) for e in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for e in engines:
            e.close()
    filed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(filed) == 1, results
    assert len(refused) == 7
    for exc in refused:
        assert isinstance(exc, TransitionRefused), exc
        assert exc.rule == "duplicate"
        assert exc.data["case_id"] == filed[0]
    with Engine.open(url, clock=FakeClock(NOW), zone=ZONE) as engine:
        assert [c.id for c in engine.cases()] == filed


def test_new_case_must_be_true_or_false(engine: Engine) -> None:
    """new_case="yes" is bad input, not a truthy value."""
    from shouhu import InvalidInput

    with pytest.raises(InvalidInput) as bad:
        report(engine, new_case="yes")
    assert bad.value.field == "new_case"
    with pytest.raises(InvalidInput):
        engine.report_many([request()], new_case=1)  # type: ignore[arg-type]
    assert list(engine.cases()) == []
