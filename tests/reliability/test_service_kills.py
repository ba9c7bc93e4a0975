"""``shouhu serve`` under SIGKILL (issue 18): its worker threads' writes are group-committed on a
SQLite file, each request answered only once its write is durable. Clients file reports
through the API while the server is killed mid-load; afterwards every report the API
acknowledged (201) is on the file, ``audit verify`` holds and no case is half written."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import storecheck
from servicekit import PASSWORD, Desk, Server, build

from shouhu import Engine

CLIENTS = 8
ACKED_BEFORE_THE_KILL = 40


def test_a_killed_server_loses_no_acknowledged_report_and_leaves_no_half_case(
    tmp_path: Path,
) -> None:
    build(tmp_path)
    desk = Desk(tmp_path)
    server = Server(desk.url, tmp_path, tmp_path / "serve.log", "--threads", "8").start()
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        session = httpx.post(
            f"{server.url}/api/v1/session",
            json={"login": desk.operator_id("police"), "password": PASSWORD},
            timeout=30,
        )
        assert session.status_code == 200, session.text
        token = session.json()["token"]

        def client(k: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
                i = 0
                while not stop.is_set():
                    body = {
                        "type": "solo_living",
                        "child": {"name": f"赵小{k}号{i}", "birthdate": "2016-05-01"},
                        "location": "石桥村, 青山镇",
                        "reporter": {"kind": "school", "name": "青山镇中心小学"},
                        "new_case": True,
                    }
                    try:
                        r = c.post("/api/v1/reports", json=body)
                    except httpx.TransportError:
                        return  # the server is gone: what it acknowledged is below
                    if r.status_code == 201:
                        with lock:
                            acked.append(r.json()["id"])
                    i += 1

        pool = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in pool:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < ACKED_BEFORE_THE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        process = server._process
        assert process is not None
        process.kill()  # SIGKILL, mid-load: the clients still have requests in flight
        process.wait(timeout=30)
        stop.set()
        for t in pool:
            t.join(timeout=60)
    finally:
        stop.set()
        server.stop()
    assert len(acked) >= ACKED_BEFORE_THE_KILL, server.output()
    storecheck.check_verify(desk.url)
    storecheck.check_whole(storecheck.snapshot(desk.url))
    with Engine.open(desk.url, create=False) as engine:
        missing = [case_id for case_id in acked if engine.store.load(case_id) is None]
    assert missing == []
