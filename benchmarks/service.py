"""Group ``service``: ``shouhu serve`` under load (issue 17), each figure from one run.

1. **Firing through the API at 32 concurrent clients.** 32 threads, each with its own HTTP
   connection, post ``POST /api/v1/cases/{id}/fire`` (the first step of figure 1's chain,
   ``collect_evidence``, on cases already dispatched) to a real ``shouhu serve`` (uvicorn, one
   worker) as a logged-in police operator; every act is signed with the operator's key, as
   through the library. Beside it, the same steps on an identical file through the library:
   32 threads, each with its own :class:`~shouhu.Engine`, calling ``fire`` with the operator's
   credential. The figure is the p99 latency of one acknowledged fire; goal: the API's ≤ 1.5 ×
   the library's. Throughput of both is in the detail. The load generator shares the machine
   (2 CPUs here) with the server: the API's side pays for its client too.
   A second figure from the same run (issue 18): the API's durable acknowledged fires per
   second beside raw one-commit-each ``sqlite3`` writing the rows the API's fires wrote
   (:func:`benchmarks.bench.raw_seconds`, on a third copy of the file): the service's threads
   share one store whose concurrent writes are group-committed; goal ≥ 0.75×.
2. **Case page and worklist under 50 concurrent users.** A file of ``page_cases`` reports
   (1,000,000 in the full run, 10,000 quick) in the police operator's scope; 50 users, each
   logged in to the desk, alternate ``GET /cases/{id}`` (a random case) and ``GET /`` (the
   worklist), each pausing 0.5–1.5 s before each page as a person does (about 50 pages a
   second in all). Goal: p99 under 300 ms — an absolute figure, reported with the machine.
   The detail also has the closed-loop figure (no pause: pages per second at saturation).
3. **The service's memory over a soak.** The server's resident set (``VmRSS``) while 8
   threads mix case pages, worklists, API reads and API fires for ``soak_seconds`` (600 in the
   full run, 20 quick), sampled each second; goal: the last sample ≤ 1.10 × the sample after
   the warm-up (the first fifth). The load is the same from start to end: the file holds
   more dispatched cases than the run fires (40 a second of soak; the detail says how many
   were left), so the fires never run out and change the mix half-way.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx

from benchmarks.common import Figure, open_engine, progress, report_request
from shouhu.engine.signing import Credential

SCOPE = "山城县"
PASSWORD = "the benchmark's long password"
GOAL_API_P99 = 1.5
GOAL_PAGE_P99_S = 0.300
GOAL_SOAK_RSS = 1.10
#: Durable acknowledged fires per second through the API, beside raw one-commit-each sqlite3
#: writing the same rows (issue 18: group commit in the service).
GOAL_API_RATE = 0.75
CLIENTS = 32
USERS = 50


def build(path: Path, cases: int, *, dispatched: bool = True) -> tuple[str, Credential]:
    """A file of ``cases`` reports by a police operator (scope :data:`SCOPE`), each dispatched
    when ``dispatched``; the operator's password set. Returns the operator's id and credential."""
    from shouhu.adapters.weblogins import WebLogins

    engine = open_engine(path)
    _, admin = engine.init_admin("县管理员")
    op, credential = engine.add_operator(admin, "李警官", role="police", scope=SCOPE)
    ids: list[str] = []
    for b in range(0, cases, 1_000):
        n = min(1_000, cases - b)
        ids += engine.report_many(
            (report_request(i) for i in range(b, b + n)), new_case=True, credential=credential
        )
        if b and b % 100_000 == 0:
            progress(f"service: {b:,} reports filed")
    if dispatched:
        for case_id in ids:
            engine.fire(case_id, "dispatch", actor=credential, occurred_at="2026-03-02T09:00")
    WebLogins(engine.store.engine).set(  # type: ignore[attr-defined]
        credential, PASSWORD, engine.clock.now()
    )
    engine.close()
    return op.id, credential


def case_ids(path: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT id FROM cases ORDER BY id")]
    finally:
        con.close()


def p99(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def hammer(
    work: Queue[Any],
    threads: int,
    make: Callable[[], Callable[[Any], None]],
    think: tuple[float, float] | None = None,
) -> list[float]:
    """Run ``threads`` workers, each built by ``make``, over the items of ``work``; returns
    every item's latency in seconds. ``think``: each worker pauses a random time in that
    range (seconds) before each item, as a person reading a page before the next (so the
    users' first pages, too, come at their own moments, not all in the same instant)."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            act = make()
            rng = random.Random(threading.get_ident())
            mine = []
            while True:
                if think is not None:
                    time.sleep(rng.uniform(*think))
                try:
                    item = work.get_nowait()
                except Empty:
                    break
                start = time.perf_counter()
                act(item)
                mine.append(time.perf_counter() - start)
            with lock:
                latencies.extend(mine)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return latencies


class Server:
    """``shouhu serve`` on a file, in a subprocess, on a free port."""

    def __init__(self, path: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._cookies: dict[str, dict[str, str]] = {}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shouhu",
                "serve",
                "--db",
                f"sqlite:///{path}",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ | {"SHOUHU_LANG": "en"},
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("shouhu serve did not start")
            time.sleep(0.2)

    def token(self, operator_id: str) -> str:
        r = httpx.post(
            f"{self.base}/api/v1/session", json={"login": operator_id, "password": PASSWORD}
        )
        r.raise_for_status()
        return str(r.json()["token"])

    def desk(self, operator_id: str) -> httpx.Client:
        """A browser of the desk, logged in once per operator (a login pays Argon2id: 50
        users logging in at once would measure the password hash, not the pages)."""
        if operator_id not in self._cookies:
            c = httpx.Client(base_url=self.base)
            r = c.post("/login", data={"login": operator_id, "password": PASSWORD, "next": "/"})
            if r.status_code >= 400:
                raise RuntimeError(f"desk login failed: {r.status_code}")
            self._cookies[operator_id] = dict(c.cookies)
            c.close()
        return httpx.Client(base_url=self.base, cookies=self._cookies[operator_id], timeout=120)

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def fire_figures(tmp: Path, cases: int) -> list[Figure]:
    import sqlite3

    from benchmarks.bench import CHAIN, raw_seconds

    trigger, data = CHAIN[0]
    lib_file, api_file = tmp / "service-lib.db", tmp / "service-api.db"
    raw_file = tmp / "service-raw.db"
    progress(f"service: building three files of {cases:,} dispatched cases")
    op_id, credential = build(lib_file, cases)
    shutil.copy2(lib_file, api_file)
    shutil.copy2(lib_file, raw_file)
    with closing(sqlite3.connect(raw_file)) as con:
        (setup_events,) = con.execute("SELECT max(id) FROM events").fetchone()
    ids = case_ids(lib_file)

    def queue() -> Queue[str]:
        q: Queue[str] = Queue()
        for case_id in ids:
            q.put(case_id)
        return q

    def library_worker() -> Callable[[str], None]:
        from shouhu import Engine

        engine = Engine.open(f"sqlite:///{lib_file}", create=False)

        def act(case_id: str) -> None:
            engine.fire(case_id, trigger, actor=credential, data=data)

        return act

    progress(f"service: {len(ids):,} fires through the library, {CLIENTS} threads")
    start = time.perf_counter()
    lib = hammer(queue(), CLIENTS, library_worker)
    lib_seconds = time.perf_counter() - start

    server = Server(api_file)
    try:
        token = server.token(op_id)

        def api_worker() -> Callable[[str], None]:
            client = httpx.Client(
                base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=120
            )

            def act(case_id: str) -> None:
                r = client.post(
                    f"/api/v1/cases/{case_id}/fire", json={"trigger": trigger, "data": data or {}}
                )
                if r.status_code != 200:
                    raise RuntimeError(f"fire through the API: {r.status_code} {r.text[:200]}")

            return act

        progress(f"service: {len(ids):,} fires through the API, {CLIENTS} clients")
        start = time.perf_counter()
        api = hammer(queue(), CLIENTS, api_worker)
        api_seconds = time.perf_counter() - start
    finally:
        server.stop()
    progress(f"service: the API's {len(ids):,} fires' rows by raw sqlite3, one commit each")
    raw_s = raw_seconds(api_file, raw_file, setup_events, len(ids))
    ours, base = p99(api), p99(lib)
    ratio = ours / base
    api_per_s, raw_per_s = len(api) / api_seconds, len(ids) / raw_s
    detail = {
        "api_per_s": api_per_s,
        "library_per_s": len(lib) / lib_seconds,
        "raw_per_s": raw_per_s,
        "api_median_s": statistics.median(api),
        "library_median_s": statistics.median(lib),
    }
    return [
        Figure(
            "api_fire_p99_s",
            f"fire p99 through the API vs the library ({CLIENTS} concurrent, {len(ids):,} fires)",
            "s",
            ours,
            base,
            ratio,
            f"≤ {GOAL_API_P99}×",
            ratio <= GOAL_API_P99,
            detail,
        ),
        Figure(
            "api_fires_per_s",
            f"durable fires/s through the API, {CLIENTS} clients ({len(ids):,}; "
            "raw: one commit each)",
            "/s",
            api_per_s,
            raw_per_s,
            api_per_s / raw_per_s,
            f"≥ {GOAL_API_RATE:g}×",
            api_per_s / raw_per_s >= GOAL_API_RATE,
            detail,
        ),
    ]


def page_figure(tmp: Path, cases: int, requests: int) -> Figure:
    path = tmp / "service-pages.db"
    progress(f"service: building a file of {cases:,} cases for the pages")
    op_id, _credential = build(path, cases, dispatched=False)
    ids = case_ids(path)
    rng = random.Random(17)
    server = Server(path)
    try:
        work: Queue[str] = Queue()
        for n in range(requests):
            work.put(f"/cases/{rng.choice(ids)}" if n % 2 == 0 else "/")

        def user() -> Callable[[str], None]:
            client = server.desk(op_id)

            def act(url: str) -> None:
                r = client.get(url)
                if r.status_code != 200:
                    raise RuntimeError(f"GET {url}: {r.status_code}")

            return act

        server.desk(op_id)  # the one login, before the clock starts
        progress(f"service: {requests:,} page views by {USERS} users")
        latencies = hammer(work, USERS, user, think=(0.5, 1.5))
        burst: Queue[str] = Queue()
        for n in range(min(requests, 1_000)):
            burst.put(f"/cases/{rng.choice(ids)}" if n % 2 == 0 else "/")
        start = time.perf_counter()
        saturated = hammer(burst, USERS, user)
        saturated_per_s = len(saturated) / (time.perf_counter() - start)
    finally:
        server.stop()
    worst = p99(latencies)
    return Figure(
        "desk_page_p99_s",
        f"case page and worklist p99, {USERS} users, {cases:,} cases",
        "s",
        worst,
        None,
        None,
        f"< {GOAL_PAGE_P99_S * 1000:.0f} ms",
        worst < GOAL_PAGE_P99_S,
        {
            "median_s": statistics.median(latencies),
            "requests": len(latencies),
            "closed_loop_pages_per_s": saturated_per_s,
            "closed_loop_p99_s": p99(saturated),
        },
    )


def soak_figure(tmp: Path, seconds: float) -> Figure:
    from benchmarks.bench import CHAIN

    path = tmp / "service-soak.db"
    op_id, _credential = build(path, max(5_000, int(seconds * 40)))
    ids = case_ids(path)
    server = Server(path)
    samples: list[int] = []
    stop = threading.Event()
    try:
        token = server.token(op_id)
        server.desk(op_id)

        def mix(n: int) -> None:
            rng = random.Random(n)
            api = httpx.Client(
                base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=120
            )
            desk = server.desk(op_id)
            todo = ids[n::8]
            while not stop.is_set():
                roll = rng.random()
                if roll < 0.3:
                    desk.get(f"/cases/{rng.choice(ids)}")
                elif roll < 0.45:
                    desk.get("/")
                elif roll < 0.8:
                    api.get(f"/api/v1/cases/{rng.choice(ids)}/history")
                elif todo:
                    api.post(
                        f"/api/v1/cases/{todo.pop()}/fire",
                        json={"trigger": CHAIN[0][0], "data": {}},
                    )
            left.append(len(todo))

        left: list[int] = []
        pool = [threading.Thread(target=mix, args=(n,)) for n in range(8)]
        for t in pool:
            t.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            samples.append(server.rss_kb())
            time.sleep(1)
        stop.set()
        for t in pool:
            t.join()
    finally:
        server.stop()
    warm = samples[max(0, len(samples) // 5)]
    last = samples[-1]
    ratio = last / warm
    return Figure(
        "service_soak_rss",
        f"service RSS after a {seconds:.0f} s soak of mixed reads and writes (end / warm-up)",
        "MB",
        last / 1024,
        warm / 1024,
        ratio,
        f"≤ {GOAL_SOAK_RSS}×",
        ratio <= GOAL_SOAK_RSS,
        {"samples_kb": samples, "cases_left_unfired": sum(left), "cases": len(ids)},
    )


def figures(tmp: Path, quick: bool) -> list[Figure]:
    if quick:
        return [
            *fire_figures(tmp, 300),
            page_figure(tmp, 10_000, 500),
            soak_figure(tmp, 20),
        ]
    return [
        *fire_figures(tmp, 3_000),
        page_figure(tmp, 1_000_000, 5_000),
        soak_figure(tmp, 600),
    ]
