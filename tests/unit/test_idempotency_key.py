"""``Engine.report(..., key=...)``: a call retried with its key returns the first case.

The key is recorded in the ``intake`` table under the reserved source ``idempotency-key``
(unique per source, so a racing twin's insert fails and it returns the winner's case) and in
the report event's data, ``intake: {source, external_id}``, hashed with the event — as is the
``(source, external_id)`` of an imported report.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from shouhu import Conflict, Engine, FakeClock, InvalidInput, ReportRequest
from shouhu.engine import core
from shouhu.engine.core import IDEMPOTENCY_SOURCE

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
KEY = "hotline-call-20260302-0042"


def report(engine: core.Engine, type_: str = "solo_living", **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "child": {"name": "王小明", "birthdate": "2016-02-01"},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": "2026-03-02T08:10",
        "occurred_at": "2026-03-02T08:30",
    }
    args.update(overrides)
    return engine.report(type_, **args)


def test_a_report_made_again_with_its_key_returns_the_first_case_and_writes_nothing(
    store_engine: Engine,
) -> None:
    """Same key, same type: the first case back (even with other details), no new case,
    event or deadline; the key is recorded once under the reserved source."""
    first = report(store_engine, key=KEY)
    again = report(store_engine, key=KEY, occurred_at="2026-03-02T09:00")
    other_child = report(store_engine, key=KEY, child={"name": "李小红", "birthdate": "2014-09-12"})
    assert again.id == other_child.id == first.id
    assert (again.version, again.state) == (1, "reported")
    assert [c.id for c in store_engine.cases()] == [first.id]
    assert len(store_engine.history(first.id)) == 1
    assert [d["kind"] for d in store_engine.deadlines()] == ["dispatch"]
    assert store_engine.known_external(IDEMPOTENCY_SOURCE, [KEY]) == {KEY: first.id}
    second = report(store_engine, key="another-call", new_case=True)
    assert second.id != first.id


def test_a_key_used_for_another_type_is_a_conflict_naming_the_key(store_engine: Engine) -> None:
    """The key of a solo_living report given with missing_child: Conflict (exit 4) naming the
    key and the case, nothing written."""
    first = report(store_engine, key=KEY)
    with pytest.raises(Conflict) as conflict:
        report(store_engine, "missing_child", key=KEY)
    message = str(conflict.value)
    assert KEY in message
    assert first.id in message
    assert "solo_living" in message
    assert "王小明" not in message
    assert conflict.value.exit_code == 4
    assert [c.id for c in store_engine.cases()] == [first.id]


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("k" * 101, "longer than 100 characters"),
        ("a\x00b", "control characters"),
        (42, "expected text"),
    ],
    ids=["empty", "blank", "too long", "control character", "not text"],
)
def test_a_bad_key_is_bad_input_and_writes_nothing(engine: Engine, key: Any, words: str) -> None:
    """Empty, blank, over 100 characters, control characters or not text: InvalidInput on
    the key."""
    with pytest.raises(InvalidInput) as bad:
        report(engine, key=key)
    assert bad.value.field == "key"
    assert words in str(bad.value)
    assert list(engine.cases()) == []


def test_a_key_of_100_characters_is_kept_stripped(engine: Engine) -> None:
    """Surrounding spaces are not part of the key: " K " finds the case filed under "K"."""
    key = "k" * 100
    first = report(engine, key=f" {key} ")
    assert report(engine, key=key).id == first.id


def test_the_key_and_an_imports_external_id_are_recorded_in_the_hashed_report_event(
    store_engine: Engine,
) -> None:
    """event 1's data holds intake {source, external_id} for a keyed and an imported report
    (none for a plain one); the chain verifies."""
    keyed = report(store_engine, key=KEY)
    (imported,) = store_engine.report_many(
        [
            ReportRequest(
                "missing_child",
                {"name": "李小红", "birthdate": "2014-09-12"},
                "河口村, 青山镇",
                {"kind": "citizen", "name": "张大山"},
                occurred_at="2026-03-02T19:20",
                external_id="12345-0002",
            )
        ],
        source="12345",
    )
    plain = report(store_engine, "suspected_harm")
    first_events = {c: store_engine.history(c)[0] for c in (keyed.id, imported, plain.id)}
    assert first_events[keyed.id].data["intake"] == {
        "source": "idempotency-key",
        "external_id": KEY,
    }
    assert first_events[imported].data["intake"] == {"source": "12345", "external_id": "12345-0002"}
    assert "intake" not in first_events[plain.id].data
    assert store_engine.verify().ok


def test_report_many_refuses_the_reserved_source(engine: Engine) -> None:
    """Batch intake may not write into the idempotency keys' namespace."""
    req = ReportRequest(
        "solo_living",
        {"name": "王小明", "birthdate": "2016-02-01"},
        "石桥村, 青山镇",
        {"kind": "school", "name": "青山镇中心小学"},
        external_id=KEY,
    )
    with pytest.raises(InvalidInput) as bad:
        engine.report_many([req], source=IDEMPOTENCY_SOURCE)
    assert bad.value.field == "source"
    assert "reserved" in str(bad.value)
    assert list(engine.cases()) == []


def test_eight_racing_calls_with_one_key_on_postgresql_return_one_case(pg_url: str) -> None:
    """Eight threads, each its own engine, file with the same key at once: all get the one
    case filed; the database holds one case and one intake row."""
    engines = [Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) for _ in range(8)]
    start = threading.Barrier(len(engines))
    results: list[Any] = []
    lock = threading.Lock()

    def file(engine: Engine, i: int) -> None:
        engine.next_due()  # connected before the start line
        start.wait(timeout=60)
        try:
            # half say it is a new case: the key, not the duplicate check, must answer them
            got: Any = report(engine, key=KEY, new_case=i % 2 == 0).id
        except Exception as exc:
            got = exc
        with lock:
            results.append(got)

    threads = [threading.Thread(target=file, args=(e, i)) for i, e in enumerate(engines)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for e in engines:
            e.close()
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        assert [c.id for c in engine.cases()] == results[:1]
        assert engine.known_external(IDEMPOTENCY_SOURCE, [KEY]) == {KEY: results[0]}
