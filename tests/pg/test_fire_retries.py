"""A fire without an expected version means "on the case as it is now": a race lost to another
writer is not the caller's conflict. The engine reads the case again, judges the trigger again
against it (refusing it by the rules if it is no longer allowed) and writes — up to
``FIRE_ATTEMPTS`` times. A version the caller gave still conflicts at once (exit 4).

On PostgreSQL a writer that waited for another's row lock finds the version moved; before
these retries most of a burst of concurrent fires failed with ``Conflict``. On SQLite
``BEGIN IMMEDIATE`` serialises writers, so the same burst never conflicted: both must now
land every fire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pgworkers import file_dispatched_case

from shouhu import Conflict, Engine, FakeClock, FireRequest, TransitionRefused
from shouhu.engine import core, transitions

THREADS = 8
FIRES_EACH = 40
ZONE = "Asia/Shanghai"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICE = {"name": "李警官", "role": "police"}


def together(url: str, work: Callable[[Engine], Any]) -> list[tuple[str, Any]]:
    """``work`` in eight threads at once, each on its own engine (its own connections):
    ("ok", result) or ("error", the exception) of each."""
    engines = [Engine.open(url, clock=FakeClock(NOW), zone=ZONE) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    out: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def run(engine: Engine) -> None:
        engine.next_due()  # connected before the start line
        start.wait(timeout=60)
        try:
            got: tuple[str, Any] = ("ok", work(engine))
        except Exception as exc:  # reported to the test, which names it
            got = ("error", exc)
        with lock:
            out.append(got)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        for e in engines:
            e.close()
    assert len(out) == THREADS, "a thread did not finish"
    return out


def fire_many_times(case_id: str) -> Callable[[Engine], int]:
    def work(engine: Engine) -> int:
        for _ in range(FIRES_EACH):
            engine.fire(case_id, "education_given", actor=POLICE, occurred_at="2026-03-02T09:10")
        return FIRES_EACH

    return work


def assert_every_fire_landed(url: str, case_id: str, results: list[tuple[str, Any]]) -> None:
    errors = [r for kind, r in results if kind == "error"]
    assert errors == [], [f"{type(e).__name__}: {e}" for e in errors[:3]]
    fires = THREADS * FIRES_EACH
    with Engine.open(url, clock=FakeClock(NOW), zone=ZONE) as engine:
        case = engine.case(case_id)
        events = engine.store.events(case_id)
        assert case.version == 2 + fires
        assert [e.seq for e in events] == list(range(1, 3 + fires))
        assert [e.trigger for e in events[2:]] == ["education_given"] * fires
        assert engine.verify(case_id, replay=False).ok


@pytest.mark.slow
def test_concurrent_fires_without_an_expected_version_all_land_on_postgresql(
    pg_url: str,
) -> None:
    """8 threads × 40 fires of a repeatable trigger, no version given: none raises Conflict,
    the case ends at version 2 + 320 with an unbroken chain."""
    case_id = file_dispatched_case(pg_url)
    results = together(pg_url, fire_many_times(case_id))
    assert_every_fire_landed(pg_url, case_id, results)


@pytest.mark.slow
def test_concurrent_fires_without_an_expected_version_all_land_on_sqlite(tmp_path: Path) -> None:
    """The same burst on SQLite: every one of the 320 fires lands."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    case_id = file_dispatched_case(url)
    results = together(url, fire_many_times(case_id))
    assert_every_fire_landed(url, case_id, results)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_given_expected_version_still_conflicts(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Eight fires all giving version 2: one lands, seven raise Conflict naming 2 and the
    version the case is at — the caller's own version, not one the engine made up."""
    url = (
        str(request.getfixturevalue("pg_url"))
        if database == "postgresql"
        else f"sqlite:///{tmp_path / 'race.db'}"
    )
    case_id = file_dispatched_case(url)

    def work(engine: Engine) -> int:
        view = engine.fire(
            case_id,
            "education_given",
            actor=POLICE,
            occurred_at="2026-03-02T09:10",
            expected_version=2,
        )
        return view.version

    results = together(url, work)
    landed = [r for kind, r in results if kind == "ok"]
    lost = [r for kind, r in results if kind == "error"]
    assert landed == [3]
    assert len(lost) == THREADS - 1
    for exc in lost:
        assert isinstance(exc, Conflict), exc
        assert (exc.expected, exc.actual) == (2, 3)
        assert str(exc) == (
            f"case {case_id} is at version 3, not 2: someone else wrote first; look again and retry"
        )


def test_racing_fires_of_a_one_time_trigger_are_refused_by_the_rules_not_conflicted(
    pg_url: str,
) -> None:
    """Eight dispatches of one reported case on PostgreSQL, no version given: one lands; the
    others, judged again against the dispatched case, are refused by rule state."""
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        case_id = engine.report(
            "solo_living",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            occurred_at="2026-03-02T08:30",
        ).id

    def work(engine: Engine) -> str:
        return engine.fire(case_id, "dispatch", actor=POLICE, occurred_at="2026-03-02T09:00").state

    results = together(pg_url, work)
    assert [r for kind, r in results if kind == "ok"] == ["dispatched"]
    refused = [r for kind, r in results if kind == "error"]
    assert len(refused) == THREADS - 1
    for exc in refused:
        assert isinstance(exc, TransitionRefused), exc
        assert (exc.rule, exc.citation) == ("state", "001 §四(三)2")
    with Engine.open(pg_url, clock=FakeClock(NOW), zone=ZONE) as engine:
        assert engine.case(case_id).version == 2


@contextmanager
def always_moved(engine: core.Engine) -> Iterator[list[int]]:
    """Every write of ``engine`` loses its race (as if another writer always came first);
    yields the count of writes tried. Pauses between attempts are skipped."""
    tries = [0]
    write = engine.store.write

    @contextmanager
    def losing() -> Iterator[Any]:
        with write() as tx:
            tries[0] += 1
            yield tx
            raise Conflict(
                "case moved", case_id="X", expected=None, actual=7
            )  # rolled back with the block

    original = transitions._backoff
    engine.store.write = losing  # type: ignore[method-assign]
    transitions._backoff = lambda attempt: None
    try:
        yield tries
    finally:
        transitions._backoff = original
        engine.store.write = write  # type: ignore[method-assign]


def test_a_fire_that_keeps_losing_gives_up_after_bounded_attempts_without_inventing_a_version(
    tmp_path: Path,
) -> None:
    """A case some other writer moves every time: Conflict after FIRE_ATTEMPTS tries, a
    message naming the case and no version, and nothing written."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    case_id = file_dispatched_case(url)
    with Engine.open(url, clock=FakeClock(NOW), zone=ZONE) as engine:
        with always_moved(engine) as tries, pytest.raises(Conflict) as lost:
            engine.fire(case_id, "education_given", actor=POLICE)
        assert tries[0] == transitions.FIRE_ATTEMPTS
        assert lost.value.expected is None
        message = str(lost.value)
        assert message.startswith(f"case {case_id} kept changing while education_given was")
        assert "version" not in message
        assert "\n" not in message
        assert engine.case(case_id).version == 2


def test_a_batch_without_versions_is_tried_again_and_one_with_a_version_is_not(
    tmp_path: Path,
) -> None:
    """fire_many with no expected versions retries the whole batch (bounded, then Conflict);
    a batch in which one request gave a version conflicts at the first lost race."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    case_id = file_dispatched_case(url)
    plain = [FireRequest(case_id, "education_given", POLICE)] * 2
    versioned = [FireRequest(case_id, "education_given", POLICE, expected_version=2)]
    with Engine.open(url, clock=FakeClock(NOW), zone=ZONE) as engine:
        with always_moved(engine) as tries, pytest.raises(Conflict) as lost:
            engine.fire_many(plain)
        assert tries[0] == transitions.FIRE_ATTEMPTS
        assert "version" not in str(lost.value)
        with always_moved(engine) as tries, pytest.raises(Conflict):
            engine.fire_many([*plain, *versioned])
        assert tries[0] == 1
        assert engine.case(case_id).version == 2
        after = engine.fire_many(plain)
    assert [c.version for c in after] == [3, 4]
