"""Engine.worklist: what waits on an operator, found without reading every case — the same
answer as walking every case in scope and asking the engine's next steps."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from servicekit import Desk

from shouhu.adapters.credentials import load


def walked(desk: Desk, key: str) -> tuple[set[str], dict[tuple[str, str], int]]:
    """The slow, obvious answer: every case in scope, its next steps for the role."""
    with desk.engine() as engine:
        cred = load(desk.credential_path(key))
        role = engine.authenticate(cred).role
        waiting, counts = set(), {}
        for c in engine.cases(reader=cred):
            counts[c.type, c.state] = counts.get((c.type, c.state), 0) + 1
            if any(role in o.roles for o in engine.next(c.id, reader=cred)):
                waiting.add(c.id)
    return waiting, counts


def test_the_worklist_is_what_walking_every_case_in_scope_finds(desk: Desk) -> None:
    for key in ("police", "township", "police-2", "civil_affairs", "court", "village_committee"):
        waiting, counts = walked(desk, key)
        with desk.engine() as engine:
            found = engine.worklist(load(desk.credential_path(key)))
        assert {w.case.id for w in found.waiting} == waiting, key
        assert found.counts == counts, key
        role = engine.authenticate(load(desk.credential_path(key))).role
        for w in found.waiting:
            assert w.steps
            assert all(role in s.roles for s in w.steps)


def test_the_worklist_shows_the_soonest_deadline_first_and_stops_at_its_limit(
    desk: Desk,
) -> None:
    cred = load(desk.credential_path("police"))
    with desk.engine() as engine:
        for _ in range(3):
            engine.report(
                "solo_living",
                child={"name": "王小红", "birthdate": "2015-05-05"},
                location="柳树村, 青山镇",
                reporter={"kind": "school", "name": "青山镇中心小学"},
                new_case=True,
            )
        found = engine.worklist(cred)
        dues = [w.due["due_at"] for w in found.waiting if w.due is not None]
        assert dues == sorted(dues, key=datetime.fromisoformat)
        assert len(dues) >= 3
        short = engine.worklist(cred, limit=2)
    assert [w.case.id for w in short.waiting] == [w.case.id for w in found.waiting][:2]
    assert short.waiting_total == found.waiting_total >= 3


def test_the_desks_counts_are_recounted_in_the_background_once_thirty_seconds_old(
    desk: Desk, monkeypatch: Any
) -> None:
    from shouhu.service import core

    now = [1000.0]
    monkeypatch.setattr(core.time, "monotonic", lambda: now[0])
    svc = desk.app().state.service
    first = svc.counted()
    with desk.engine() as engine:
        engine.report(
            "solo_living",
            child={"name": "王小红", "birthdate": "2015-05-05"},
            location="柳树村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            new_case=True,
        )
    now[0] += 30
    assert svc.counted() is first  # not yet thirty seconds old: no count, no wait
    now[0] += 0.5
    assert svc.counted() is first  # stale: served as is while it is counted again
    for _ in range(100):  # the background count lands
        if svc.counted() is not first:
            break
        threading.Event().wait(0.05)
    fresh = svc.counted()
    assert sum(r[-1] for r in fresh) == sum(r[-1] for r in first) + 1


def test_a_shorter_worklist_is_the_head_of_the_full_one_for_every_role(desk: Desk) -> None:
    """The soonest deadlines are read a page (``limit``) at a time with their cases: a page of
    deadlines of cases waiting on others is passed over for the next, never ends the list."""
    for key in ("police", "township", "police-2", "civil_affairs", "court", "village_committee"):
        cred = load(desk.credential_path(key))
        with desk.engine() as engine:
            full = [w.case.id for w in engine.worklist(cred).waiting]
            for limit in (1, 2, 3):
                short = engine.worklist(cred, limit=limit)
                assert [w.case.id for w in short.waiting] == full[:limit], (key, limit)
