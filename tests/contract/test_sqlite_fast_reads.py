"""A transition reads its case row and deadline rows straight from SQLite's tuples
(:func:`~shouhu.adapters.sqlcodec.record_of`, :func:`~shouhu.adapters.sqlcodec.deadline_of`):
each must equal what the store's ``_record`` / ``_deadline`` make of the same row decoded
column by column by the column codecs, for every value a column can hold — NULLs, booleans,
dates, instants and JSON. Likewise the rows a record, an event and a deadline write
(:func:`~shouhu.adapters.sqlcodec.case_row`, ``event_row``, ``deadline_row``) must be the
generated codec's (:meth:`~shouhu.adapters.sqlcodec.Codec.encoded`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhu import Engine, FakeClock
from shouhu.adapters.sqlcodec import (
    CASE,
    CASE_COLUMNS,
    DEADLINE,
    DEADLINE_COLUMNS,
    EVENT,
    EVENT_COLUMNS,
    NOTICE,
    _deadline,
    _dec_dt,
    _record,
    case_row,
    deadline_of,
    deadline_row,
    dumps,
    event_row,
    record_of,
)
from shouhu.adapters.sqlite_fast import SqliteFast

FAST = SqliteFast()

TEXT = st.text(max_size=12)
#: Instants as the store writes them (naive UTC, microseconds), anywhere in the range it keeps.
INSTANTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)).map(
    lambda d: d.isoformat(" ", "microseconds")
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
#: A JSON column: objects as ``dumps`` writes them, with odd but readable texts besides.
FACTS = st.one_of(
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4).map(dumps),
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4).map(
        lambda d: json.dumps(d, indent=1)
    ),
    st.sampled_from(["{}", " {} ", "null", "[]", '{"a": 1} ', '{"王": "小明"}']),
    st.none(),
)
BOOLS = st.sampled_from([0, 1, None])


def case_rows() -> st.SearchStrategy[tuple[Any, ...]]:
    columns: dict[str, st.SearchStrategy[Any]] = dict.fromkeys(CASE_COLUMNS, TEXT)
    columns.update(
        workflow_version=st.integers(1, 5),
        version=st.integers(1, 10_000),
        outcome=st.none() | TEXT,
        child_birthdate=st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat),
        child_id_number=st.none() | st.from_regex(r"\A\d{17}[\dX]\Z"),
        left_behind=BOOLS,
        age_at_discovery=st.integers(0, 17),
        county=st.none() | TEXT,
        reporter_mandatory=BOOLS,
        discovered_at=INSTANTS,
        reported_at=INSTANTS,
        last_occurred_at=INSTANTS,
        created_at=INSTANTS,
        updated_at=INSTANTS,
        closed_at=st.none() | INSTANTS,
        late=BOOLS,
        report_delay_seconds=st.integers(0, 10**8),
        facts=FACTS,
    )
    return st.tuples(*(columns[name] for name in CASE_COLUMNS))


def deadline_rows() -> st.SearchStrategy[tuple[Any, ...]]:
    columns: dict[str, st.SearchStrategy[Any]] = dict.fromkeys(DEADLINE_COLUMNS, TEXT)
    columns.update(
        due_at=INSTANTS,
        started_at=INSTANTS,
        started_seq=st.integers(1, 1000),
        closed_at=st.none() | INSTANTS,
        closed_seq=st.none() | st.integers(1, 1000),
        met_at=st.none() | INSTANTS,
    )
    return st.tuples(st.integers(1, 10**9), *(columns[name] for name in DEADLINE_COLUMNS))


@settings(max_examples=300, deadline=None)
@given(row=case_rows())
def test_a_case_row_builds_the_record_its_column_decoders_give(row: tuple[Any, ...]) -> None:
    """Field for field, types included (bool not int, aware UTC instants, a date, a dict)."""
    fast, slow = record_of(row), _record(FAST.cases.decode(row))
    assert fast == slow
    for name in ("left_behind", "age_at_discovery", "birthdate"):
        assert type(getattr(fast.child, name)) is type(getattr(slow.child, name))
    assert type(fast.reporter.mandatory) is bool
    assert type(fast.late) is bool
    for name in ("discovered_at", "reported_at", "last_occurred_at", "updated_at", "closed_at"):
        assert getattr(fast, name) is None or getattr(fast, name).tzinfo is UTC
    assert type(fast.facts) is dict


@settings(max_examples=300, deadline=None)
@given(row=deadline_rows())
def test_a_deadline_row_builds_the_deadline_its_column_decoders_give(
    row: tuple[Any, ...],
) -> None:
    fast, slow = deadline_of(row), _deadline(FAST.deadlines_all.decode(row))
    assert fast == slow
    assert all(
        getattr(fast, n) is None or getattr(fast, n).tzinfo is UTC
        for n in ("due_at", "started_at", "closed_at", "met_at")
    )


def _reference_instant(text: Any) -> Any:
    """What ``_dec_dt`` always meant: parse, then take the instant to be UTC (or the error)."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        return type(exc)


def _decoded_instant(text: Any) -> Any:
    try:
        return _dec_dt(text)
    except (TypeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=500, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    form=st.sampled_from(["stored", "T", "seconds", "offset", "Z", "milliseconds"]),
)
def test_a_stored_instant_decodes_as_parsing_it_and_taking_it_as_utc(
    when: datetime, form: str
) -> None:
    """The stored form takes the quick parse; any other form the long way; same instant."""
    text = {
        "stored": when.isoformat(" ", "microseconds"),
        "T": when.isoformat("T", "microseconds"),
        "seconds": when.isoformat(" ", "seconds"),
        "offset": when.isoformat(" ", "microseconds") + "-05:00",
        "Z": when.isoformat(" ", "microseconds") + "Z",
        "milliseconds": when.isoformat(" ", "milliseconds") + "+08:00",
    }[form]
    decoded = _decoded_instant(text)
    assert decoded == _reference_instant(text)
    assert decoded.tzinfo is UTC


@settings(max_examples=1000, deadline=None)
@given(
    text=st.lists(st.sampled_from("0123456789-:+. TZW,"), min_size=26, max_size=26).map("".join)
    | st.text(min_size=25, max_size=27)
    | st.just("2026-03-02 00:30:00.123456").flatmap(
        lambda base: st.tuples(
            st.integers(0, 25), st.sampled_from("0123456789-:+. TZ,x\u0663")
        ).map(lambda p: base[: p[0]] + p[1] + base[p[0] + 1 :])
    )
)
def test_an_odd_text_decodes_or_fails_as_it_always_did(text: str) -> None:
    """Texts of the stored form's length that are not that form: same instant or same error."""
    assert _decoded_instant(text) == _reference_instant(text)


@pytest.mark.parametrize("value", [None, 5, b"2026-03-02 00:30:00.000000"])
def test_a_value_that_is_not_text_decodes_as_before(value: Any) -> None:
    assert _decoded_instant(value) == (None if value is None else _reference_instant(value))


def test_the_rows_of_a_real_file_read_back_as_the_slow_path_reads_them(tmp_path: Any) -> None:
    """Reports with and without id number and county, a closed case, deadlines met and
    pending: every case row and deadline row as a transition and a sweep read them."""
    clock = FakeClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    engine = Engine.open(f"sqlite:///{tmp_path / 'reads.db'}", clock=clock)
    police = {"name": "李警官", "role": "police"}
    try:
        plain = engine.report(
            "suspected_harm",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
            data={"description": "手臂有淤青"},
        )
        engine.report(
            "solo_living",
            child={"name": "李小红", "birthdate": "2014-05-06", "id_number": "110105201405060014"},
            location="柳树村, 白沙镇, 青山县",
            reporter={"kind": "citizen", "name": "张三"},
            discovered_at="2026-03-01T08:10",
            occurred_at="2026-03-05T08:30",
        )
        engine.fire(plain.id, "dispatch", actor=police, occurred_at="2026-03-02T09:00")
        engine.fire(
            plain.id,
            "record_injury_assessment",
            actor=police,
            occurred_at="2026-03-02T09:10",
            data={"severity": "minor"},
        )
        engine.fire(
            plain.id,
            "dismiss",
            actor=police,
            occurred_at="2026-03-02T09:20",
            data={"reason_kind": "unfounded", "reason": "查无实据"},
        )
        store = engine.store
        fast = store.fast
        assert fast is not None
        with store.write() as tx:
            cur = tx.cur  # type: ignore[attr-defined]
            ids = [r[0] for r in cur.execute("SELECT id FROM cases").fetchall()]
            for case_id in ids:
                slow = fast.load(cur, case_id)
                assert slow is not None
                assert fast.load_record(cur, case_id) == _record(slow)
                assert tx.load(case_id) == _record(slow)
                assert fast.case_deadline_records(cur, case_id) == [
                    _deadline(d) for d in fast.case_deadlines(cur, case_id)
                ]
            later = clock.now() + timedelta(days=400)
            assert fast.due_records(cur, later, 100) == [
                _deadline(d) for d in fast.due(cur, later, 100)
            ]
            assert fast.load_record(cur, "NO SUCH CASE") is None
        closed = engine.case(plain.id).record
        assert closed.closed_at is not None
        assert closed.outcome is not None
        rows = list(store.deadlines())
        assert {"met", "pending"} <= {d.status for d in rows}  # closed and open rows were read
        assert any(d.closed_at and d.closed_seq and d.met_at for d in rows)
    finally:
        engine.close()


def event_rows() -> st.SearchStrategy[tuple[Any, ...]]:
    columns: dict[str, st.SearchStrategy[Any]] = dict.fromkeys(EVENT_COLUMNS, TEXT)
    columns.update(
        seq=st.integers(1, 1000),
        workflow_version=st.integers(1, 5),
        policy_version=st.none() | TEXT,
        from_state=st.none() | TEXT,
        occurred_at=INSTANTS,
        recorded_at=INSTANTS,
        data=FACTS,
        effects=FACTS,
    )
    return st.tuples(st.integers(1, 10**9), *(columns[name] for name in EVENT_COLUMNS))


@settings(max_examples=300, deadline=None)
@given(row=case_rows())
def test_a_record_writes_the_row_its_column_encoders_give(row: tuple[Any, ...]) -> None:
    """The unrolled writer of the hot path is the generated codec's: encode(values(record))."""
    record = CASE.decoded(row)
    assert case_row(record) == CASE.encoded(record)
    assert CASE.row is case_row


@settings(max_examples=300, deadline=None)
@given(row=deadline_rows())
def test_a_deadline_writes_the_row_its_column_encoders_give(row: tuple[Any, ...]) -> None:
    deadline = DEADLINE.decoded(row)
    assert deadline_row(deadline) == DEADLINE.encoded(deadline)
    assert DEADLINE.row is deadline_row
    assert DEADLINE.of is deadline_of


@settings(max_examples=300, deadline=None)
@given(row=event_rows())
def test_an_event_writes_the_row_its_column_encoders_give(row: tuple[Any, ...]) -> None:
    event = EVENT.decoded(row)
    assert event_row(event) == EVENT.encoded(event)
    assert EVENT.row is event_row


def test_the_rows_of_a_real_file_are_what_the_codecs_write(tmp_path: Any) -> None:
    """Every stored row reads back to a record the codecs write as stored (an event's JSON
    columns: the same values; the hot path writes the text its hash sealed)."""
    clock = FakeClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    engine = Engine.open(f"sqlite:///{tmp_path / 'rows.db'}", clock=clock)
    try:
        case = engine.report(
            "suspected_harm",
            child={"name": "王小明", "birthdate": "2016-02-01", "id_number": "110105201602011238"},
            location="石桥村, 青山镇, 青山县",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at="2026-03-02T08:10",
            occurred_at="2026-03-02T08:30",
            data={"description": "手臂有淤青 “引号”"},
        )
        engine.fire(case.id, "dispatch", actor={"name": "李警官", "role": "police"})
        store = engine.store
        with store.write() as tx:
            cur = tx.cur  # type: ignore[attr-defined]
            for codec in (CASE, EVENT, DEADLINE, NOTICE):
                rows = cur.execute(codec.select).fetchall()
                assert rows or codec is NOTICE  # (no notice for this case)
                for raw in rows:
                    stored = [raw[codec.names.index(n)] for n in codec.insert_names]
                    record = codec.of(raw)
                    assert record == codec.decoded(raw)
                    written = list(codec.row(record))
                    assert written == list(codec.encoded(record))
                    if codec is EVENT:  # its JSON as the hash sealed it: the same values
                        for i in (EVENT.insert_names.index("data"), EVENT_COLUMNS.index("effects")):
                            stored[i], written[i] = json.loads(stored[i]), json.loads(written[i])
                    assert written == stored
    finally:
        engine.close()
