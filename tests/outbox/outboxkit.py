"""Outbox test kit: a real HTTP endpoint on 127.0.0.1 and a helper that drives a case to a notice.

The :class:`Endpoint` is ``http.server`` in a thread, on a free port. It records every request
(headers and raw body) and answers from a script: each scripted answer is used once, in order,
then every request gets the default 200.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shouhu import Engine
from shouhu.engine.validation import id_check_digit

GUARDIAN_NAME = "王大爷"
#: A child with a (valid) resident id number, to prove it is never sent either.
CHILD_WITH_ID = {
    "name": "王小明",
    "birthdate": "2016-02-01",
    "id_number": "11010520160201123" + id_check_digit("11010520160201123"),
}

#: solo_living from ``reported`` to ``township_notified``: the township is told twice — when
#: the police accept the report (``report_accepted``, at dispatch) and after the handling.
TO_TOWNSHIP: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dispatch", "police", {}),
    ("designate_entrusted_guardian", "police", {"guardian_name": GUARDIAN_NAME}),
    ("admonish_parents", "police", {}),
    ("complete_emergency", "police", {}),
    ("notify_township", "police", {}),
)
#: A missing child dispatched: one notice, ``report_accepted``, to the township, naming the
#: search's due time (the pack's ``missing_child_township``).
TO_DISPATCH: tuple[tuple[str, str, dict[str, Any]], ...] = (("dispatch", "police", {}),)


@dataclass(frozen=True)
class Seen:
    """One request as the endpoint received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        """Everything the request carried, as text a person's name could be found in."""
        raw = self.body.decode("utf-8", errors="replace")
        decoded = json.dumps(self.json(), ensure_ascii=False) if self.body else ""
        heads = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.path}\n{heads}\n{raw}\n{decoded}"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = '{"ok": true}'
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class Endpoint:
    """A scripted HTTP endpoint; ``url`` is where to POST."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order (then 200)."""
        with self.lock:
            self.script.extend(answers)

    def seen(self, key: str | None = None) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if key is None or r.key == key]

    def _next(self, seen: Seen) -> Answer:
        with self.lock:
            self.requests.append(seen)
            return self.script.pop(0) if self.script else Answer()


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                seen = Seen(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                answer = endpoint._next(seen)
                if answer.delay:
                    endpoint.release.wait(answer.delay)
                data = answer.body.encode("utf-8")
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout): nothing to answer
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


def serve(ep: Endpoint) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start ``ep`` on a free port of 127.0.0.1; sets ``ep.url``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ep))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    ep.url = f"http://{host!s}:{port}/notices"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return server, thread


def drive_to_township(engine: Engine, make_driver: Any, **report: Any) -> str:
    """File a missing_child report and dispatch: one notice, the township told that the police
    accepted it (``report_accepted``); the case id."""
    d = make_driver(engine)
    d.report("missing_child", **report)
    d.run(TO_DISPATCH)
    return str(d.case_id)


def identity_of(engine: Engine, *case_ids: str) -> list[str]:
    """What must never leave in a notice: each child's name, birthdate (two spellings), id
    number, and the entrusted guardian's name."""
    out = [GUARDIAN_NAME]
    for case_id in case_ids:
        case = engine.store.load(case_id)
        assert case is not None
        child = case.child
        out += [child.name, child.birthdate.isoformat(), child.birthdate.strftime("%Y%m%d")]
        if child.id_number:
            out.append(child.id_number)
    return out
