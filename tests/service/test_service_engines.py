"""The service's engines over a long run: threads come and go (uvicorn's worker threads end
when idle; the desk's counts run on a thread of their own every half minute), and an engine
is a connection pool and the loaded workflows — a service that opened one per thread it ever
ran would grow without end (the soak in ``make bench``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from shouhu.engine.clock import FakeClock
from shouhu.service.core import Service
from tests.servicekit import Desk


def _in_a_thread(service: Service, out: list[object]) -> None:
    t = threading.Thread(target=lambda: out.append(service.engine()))
    t.start()
    t.join()


def test_a_service_whose_threads_come_and_go_reuses_their_engines(desk: Desk) -> None:
    service = Service(desk.settings())
    try:
        seen: list[object] = []
        for _ in range(25):
            _in_a_thread(service, seen)
        # the service's own first engine, and one more for the threads that ran one at a time
        assert service.engines_open == 2
        assert len({id(e) for e in seen}) == 1
    finally:
        service.close()


def test_threads_running_at_once_each_hold_their_own_engine(desk: Desk) -> None:
    service = Service(desk.settings())
    try:
        ready, go = threading.Barrier(4), threading.Event()
        held: list[object] = []

        def work() -> None:
            held.append(service.engine())
            ready.wait()
            go.wait()

        pool = [threading.Thread(target=work) for _ in range(3)]
        for t in pool:
            t.start()
        ready.wait()
        assert len({id(e) for e in held}) == 3
        go.set()
        for t in pool:
            t.join()
        assert service.engines_open == 4
    finally:
        service.close()


def test_an_engine_handed_on_has_the_services_clock_not_a_signed_requests(desk: Desk) -> None:
    from shouhu.service.core import REQUEST_STATE

    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    desk.clock = clock
    service = Service(desk.settings())
    try:
        signed_at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

        def signed() -> None:
            token = REQUEST_STATE.set({"signed_at": signed_at})
            try:
                assert service.engine().clock.now() == signed_at
            finally:
                REQUEST_STATE.reset(token)

        t = threading.Thread(target=signed)
        t.start()
        t.join()
        seen: list[object] = []
        _in_a_thread(service, seen)
        assert seen[0].clock.now() == clock.now()  # type: ignore[attr-defined]
    finally:
        service.close()


def test_the_threads_engines_share_one_store_that_group_commits_their_writes(
    desk: Desk,
) -> None:
    """Issue 18: on a SQLite file the threads' concurrent writes go through one store's group
    commit (one transaction and one fsync for those that arrive together); each lands."""
    from shouhu.adapters.credentials import load

    police = load(desk.credential_path("police"))
    service = Service(desk.settings())
    threads, each = 8, 5
    try:
        engines: list[object] = []
        filed: list[str] = []
        failed: list[BaseException] = []
        start = threading.Barrier(threads)

        def work(k: int) -> None:
            engine = service.engine()
            engines.append(engine)
            start.wait()
            try:
                for i in range(each):
                    case = engine.report(
                        "solo_living",
                        child={
                            "name": f"张小{'明红刚燕涵然怡轩'[k]}{i}",
                            "birthdate": "2016-05-01",
                        },
                        location="石桥村, 青山镇",
                        reporter={"kind": "school", "name": "青山镇中心小学"},
                        new_case=True,
                        credential=police,
                    )
                    filed.append(case.id)
            except BaseException as exc:  # reported below, by the test
                failed.append(exc)

        pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert failed == []
        stores = {id(e.store) for e in engines}  # type: ignore[attr-defined]
        assert len(stores) == 1
        group = service._base.store._group  # type: ignore[attr-defined]
        assert group is not None
        assert group.writes >= threads * each
        assert group.batches <= group.writes
    finally:
        service.close()
    with desk.engine() as engine:
        assert all(engine.case(case_id).type == "solo_living" for case_id in filed)
        assert len(set(filed)) == threads * each
        assert engine.verify().ok
