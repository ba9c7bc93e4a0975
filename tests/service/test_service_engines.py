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
