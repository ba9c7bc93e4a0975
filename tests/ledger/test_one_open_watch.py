"""One open watch per person (一人一档), held by the database as well as by the engine.

The engine looks for the person before it registers them; two registrations racing on
PostgreSQL could both look before either writes. The partial unique indexes of migration 0004
refuse the second, and the engine names the first, as it does when it finds it itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shouhu import Engine, FakeClock
from shouhu.engine import ledger
from shouhu.errors import Conflict

VC = {"name": "村儿童主任", "role": "village_committee"}
PLACE = "青山村, 白水镇"
CHILD = {"parents_away": "both"}


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_engine(request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Any) -> Iterator[Engine]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = "sqlite:///" + str(tmp_path / "watch.db")
    with Engine.open(url, clock=clock) as eng:
        yield eng


def race(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The engine's look-up misses once, as if the twin committed just after it looked."""
    calls: list[int] = []
    real = ledger._same_person

    def first_misses(tx: Any, case: Any) -> str | None:
        calls.append(1)
        return None if len(calls) == 1 else real(tx, case)

    monkeypatch.setattr(ledger, "_same_person", first_misses)
    return calls


@pytest.mark.parametrize(
    "person",
    [
        {"name": "张三", "birthdate": "2015-04-30"},
        {"name": "张三丰", "birthdate": "2015-04-30", "id_number": "430726201504300027"},
    ],
    ids=["same name, birthdate and village", "same id number"],
)
def test_a_twin_registration_that_races_past_the_look_up_is_refused_by_the_database(
    sql_engine: Engine, monkeypatch: pytest.MonkeyPatch, person: dict[str, str]
) -> None:
    first = sql_engine.register(
        "child",
        person={"name": "张三", "birthdate": "2015-04-30", "id_number": "430726201504300027"},
        location=PLACE,
        actor=VC,
        data=CHILD,
    )
    calls = race(monkeypatch)
    with pytest.raises(
        Conflict, match=rf"rule duplicate .*already on the ledger as case {first.id}"
    ):
        sql_engine.register("child", person=person, location=PLACE, actor=VC, data=CHILD)
    assert len(calls) == 2  # the look-up missed, the index refused, the engine looked again
    assert [c.id for c in sql_engine.cases(type="child_watch")] == [first.id]
    assert sql_engine.verify().ok


def test_the_same_person_may_be_registered_again_once_their_watch_is_closed(
    sql_engine: Engine,
) -> None:
    """The indexes cover open watches only: back on the ledger after leaving it."""
    first = sql_engine.register(
        "child",
        person={"name": "张三", "birthdate": "2015-04-30"},
        location=PLACE,
        actor=VC,
        data=CHILD,
    )
    sql_engine.fire(first.id, "parents_returned", actor=VC, data={"notes": "返乡"})
    again = sql_engine.register(
        "child",
        person={"name": "张三", "birthdate": "2015-04-30"},
        location=PLACE,
        actor=VC,
        data=CHILD,
    )
    assert again.id != first.id
    assert again.state == "on_ledger"


def test_open_reports_about_one_child_are_not_held_to_one(sql_engine: Engine) -> None:
    """Two reports of one type about one child may be open at once (two reporters, the
    second a new situation): the database's one-open-watch index does not hold reports."""
    from tests.conftest import report_args

    a = sql_engine.report("solo_living", **report_args())
    b = sql_engine.report("solo_living", **report_args(), new_case=True)
    assert a.id != b.id
    assert a.type == b.type
