"""The batch path's shortcuts give exactly what the general path gives.

``report_many`` builds thousands of records per call, so a few steps skip general machinery:
plain dicts for the child and reporter are read without pydantic, a new event carries the
canonical JSON it was hashed from (a store writes that text instead of encoding again), and
the instants and periods shown over and over are formatted once. Each shortcut must agree
with the path it replaces, or a stored record would say something other than what was hashed.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shouhu import Engine, InvalidInput
from shouhu.engine import intake
from shouhu.engine import validation as v
from shouhu.engine.clock import FakeClock
from shouhu.engine.core import ReportRequest
from shouhu.engine.hashing import canonical, event_hash, sealed
from shouhu.engine.periods import Period, period_end
from shouhu.engine.timeutil import local_iso, utc_iso
from shouhu.workflows.spec import FieldDef

ZONE = "Asia/Shanghai"  # as in tests/conftest.py


def report_args(**overrides: Any) -> dict[str, Any]:
    """A school reports 王小明, aged 10 (the values of tests/conftest.py's ``report_args``)."""
    args: dict[str, Any] = {
        "child": {"name": "王小明", "birthdate": "2016-02-01"},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": "2026-03-02T08:10",
        "occurred_at": "2026-03-02T08:30",
        "data": {},
    }
    args.update(overrides)
    return args


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text()
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
OBJECTS = st.dictionaries(st.text(), JSON, max_size=5)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3))])
INSTANTS = st.datetimes(
    min_value=datetime(1950, 1, 2), max_value=datetime(2150, 12, 30), timezones=ZONES
)


@settings(max_examples=300, deadline=None)
@given(
    data=OBJECTS,
    effects=OBJECTS,
    occurred=INSTANTS,
    recorded=INSTANTS,
    actor=st.text(),
    seq=st.integers(min_value=1, max_value=10**6),
    from_state=st.none() | st.text(),
)
def test_a_sealed_event_hashes_as_event_hash_and_its_json_is_the_canonical_text(
    data: dict[str, Any],
    effects: dict[str, Any],
    occurred: datetime,
    recorded: datetime,
    actor: str,
    seq: int,
    from_state: str | None,
) -> None:
    fields: dict[str, Any] = {
        "case_id": "01KJNXGE00JRRWA7",
        "seq": seq,
        "workflow": "suspected_harm",
        "workflow_version": 1,
        "policy_version": "cn-national-default@2026.2",
        "trigger": "report",
        "from_state": from_state,
        "to_state": "reported",
        "actor": actor,
        "role": "reporter",
        "occurred_at": occurred,
        "recorded_at": recorded,
        "data": data,
        "prev_hash": "0" * 64,
        "effects": effects,
    }
    digest, data_json, effects_json = sealed(**fields)
    assert digest == event_hash(**fields)
    assert data_json.encode() == canonical(data)
    assert effects_json.encode() == canonical(effects)


def test_the_events_a_batch_stores_hold_the_json_their_hashes_were_made_from(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    ids = sqlite_engine.report_many(
        [
            request(child={"name": "张小明", "birthdate": "2015-04-01"}),
            request(child={"name": "李小红", "birthdate": "2014-09-30"}),
        ]
    )
    report = sqlite_engine.verify()
    assert report.ok, report
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as con:
        rows = con.execute("SELECT case_id, data, effects FROM events ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ids
    for case_id, data_text, effects_text in rows:
        event = sqlite_engine.history(case_id)[0]
        assert json.loads(data_text) == event.data
        assert data_text.encode() == canonical(json.loads(data_text))  # the hashed text itself
        assert json.loads(effects_text)["deadlines"][0]["kind"] == "dispatch"


def request(**overrides: Any) -> ReportRequest:
    """A ``solo_living`` report request with :func:`report_args`' values."""
    args = report_args(**overrides)
    return ReportRequest(
        "solo_living",
        args["child"],
        args["location"],
        args["reporter"],
        args.get("discovered_at"),
        args.get("occurred_at"),
        args.get("data"),
    )


def test_replacing_a_field_of_an_event_drops_the_json_cached_from_the_old_values(
    engine: Engine,
) -> None:
    made = intake.report_commit(engine, request()).events[0]
    assert made.data_json is not None
    assert made.effects_json is not None
    forged = dataclasses.replace(made, data={"forged": True}, effects={})
    assert forged.data_json is None
    assert forged.effects_json is None


class TickingClock(FakeClock):
    """A clock one millisecond later each time it is read."""

    def now(self) -> datetime:
        self.advance(timedelta(milliseconds=1))
        return super().now()


def test_every_report_of_one_batch_is_recorded_at_the_one_instant_of_its_transaction() -> None:
    clock = TickingClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    with Engine.in_memory(clock=clock, zone=ZONE) as engine:
        ids = engine.report_many([request() for _ in range(3)], new_case=True)
        later = engine.report_many([request()], new_case=True)
        recorded = [engine.store.events(i)[0].recorded_at for i in ids + later]
    assert recorded[0] == recorded[1] == recorded[2] < recorded[3]


PLAIN_CHILDREN = [
    {"name": " 张小明 ", "birthdate": "2015-04-01"},
    {"name": "张小明", "birthdate": "2015-04-01", "id_number": None},
    {"name": "张小明", "birthdate": "2015-04-01", "id_number": "  "},
    {"name": "王芳", "birthdate": "2010-03-15", "id_number": "11010520100315002X"},
    {"name": "王芳", "birthdate": "2010-03-15", "id_number": "110105201003150021"},  # bad check
    {"name": "", "birthdate": "2015-04-01"},
    {"name": "张小明", "birthdate": "2015-02-30"},
    {"name": "张\x07小明", "birthdate": "2015-04-01"},
    {"name": "张小明", "birthdate": " 2015-04-01 "},
]


def _outcome(fn: Any, value: Any) -> Any:
    try:
        return ("ok", fn(value))
    except InvalidInput as exc:
        return ("error", str(exc), exc.field)


@pytest.mark.parametrize("child", PLAIN_CHILDREN)
def test_a_plain_child_dict_is_checked_as_the_model_would_check_it(child: dict[str, Any]) -> None:
    model = v.ChildIn.model_validate(child)
    assert _outcome(v.child, child) == _outcome(v.child, model)


@pytest.mark.parametrize(
    "reporter",
    [
        {"kind": "school", "name": "红星小学"},
        {"kind": " school ", "name": " 红星小学 "},
        {"kind": "astrologer", "name": "某人"},
        {"kind": "school", "name": ""},
    ],
)
def test_a_plain_reporter_dict_is_checked_as_the_model_would_check_it(
    reporter: dict[str, Any],
) -> None:
    model = v.ReporterIn.model_validate(reporter)
    assert _outcome(v.reporter, reporter) == _outcome(v.reporter, model)


@pytest.mark.parametrize(
    "child",
    [
        {"name": 5, "birthdate": "2015-04-01"},
        {"name": "张小明", "birthdate": date(2015, 4, 1)},
        {"name": "张小明", "birthdate": "2015-04-01", "extra": "x"},
        {"name": "张小明"},
    ],
)
def test_a_child_dict_that_is_not_plain_text_goes_through_the_model(
    child: dict[str, Any],
) -> None:
    """Anything but exactly the model's keys with text values takes the general path."""
    assert not v._plain(child, v._CHILD_KEYS, v._CHILD_OPTIONAL)
    try:
        model: Any = v.ChildIn.model_validate(child)
    except Exception:
        with pytest.raises(InvalidInput):
            v.child(child)
    else:
        assert _outcome(v.child, child) == _outcome(v.child, model)


@settings(max_examples=300, deadline=None)
@given(instant=INSTANTS)
def test_instants_formatted_from_the_cache_read_as_formatted_afresh(instant: datetime) -> None:
    for _ in range(2):  # the second call is served from the cache
        assert local_iso(instant, ZONE) == local_iso_uncached(instant)
        assert utc_iso(instant) == instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_iso_uncached(dt: datetime) -> str:
    from zoneinfo import ZoneInfo

    shown = dt.astimezone(ZoneInfo(ZONE))
    return shown.isoformat(timespec="seconds" if shown.microsecond == 0 else "microseconds")


def test_equal_instants_in_different_zones_share_one_utc_text() -> None:
    a = datetime(2026, 3, 2, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    b = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    assert utc_iso(a) == utc_iso(b) == "2026-03-02T00:30:00.000000Z"


def test_a_period_end_from_a_date_is_not_served_for_the_same_day_as_a_datetime() -> None:
    six = Period(months=6)
    as_day = period_end(date(2025, 8, 31), six, "Asia/Shanghai")
    late = period_end(datetime(2025, 8, 31, 23, 30, tzinfo=UTC), six, "Asia/Shanghai")
    assert as_day.isoformat() == "2026-03-01T00:00:00+08:00"
    assert late.isoformat() == "2026-03-02T00:00:00+08:00"  # 07:30 on 1 September locally
    assert period_end(date(2025, 8, 31), six, "Asia/Shanghai") == as_day


QUICK_FIELDS = (
    FieldDef("notes", "text", max_length=40),
    FieldDef("officer", "name", required=True),
    FieldDef("severity", "choice", choices=("minor", "serious")),
    FieldDef("present", "bool"),
)
VALUES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(["minor", "serious", "Minor", " minor", "", "  ", "a\x07b", "第一\n第二"])
    | st.text(max_size=60)
)


@settings(max_examples=500, deadline=None)
@given(data=st.dictionaries(st.sampled_from([f.name for f in QUICK_FIELDS]), VALUES))
def test_data_checked_without_the_model_is_what_the_model_makes_of_it(
    data: dict[str, Any],
) -> None:
    """Where the quick check answers, the model answers the same (key order included); where
    the model refuses, the quick check leaves the refusal to it."""
    quick = v._quick(QUICK_FIELDS, data)
    model = v._model("quick test", QUICK_FIELDS, ZONE)
    try:
        checked = model.model_validate(dict(data))
    except (InvalidInput, ValidationError):
        assert quick is None
        return
    expected = {k: x for k, x in checked.__dict__.items() if x is not None}
    if quick is not None:
        assert list(quick.items()) == list(expected.items())
    assert list(v.validate_data("t", QUICK_FIELDS, data, ZONE).items()) == list(expected.items())
