"""The web service under test: a demo database whose operators have passwords, and clients
logged in as them (the API with a bearer token, the desk with its cookie).

``desk`` builds the database once per test session (the demo: every report type, two
townships, the ledger, operators scoped to their places); each test gets a private copy. The
operators are named by the demo's keys: ``police``, ``township``, ``police-2``,
``township-2`` (the second township, 白石乡), ``village_committee``, ``civil_affairs``,
``court``, ``auditor``, ``admin``, ``system``. Each one's password is ``PASSWORD``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi.testclient import TestClient
from rich.console import Console

from shouhu.adapters.credentials import load
from shouhu.adapters.weblogins import WebLogins
from shouhu.api import Engine
from shouhu.engine.clock import Clock
from shouhu.service import Settings, create_app
from shouhu.service.auth import COOKIE, SECURE_COOKIE

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
#: Argon2id's memory in tests (KiB): the parameters are stored per row, so this only makes
#: the tests quick; tests/service/test_service_security.py checks the default is RFC 9106's.
TEST_MEMORY_KIB = 1024


def build(folder: Path) -> Path:
    """The demo into ``folder/desk.db``, with every operator's password set."""
    from shouhu.demo import run

    db = folder / "desk.db"
    url = f"sqlite:///{db}"
    run(url, Console(file=io.StringIO(), width=200))
    os.environ["SHOUHU_ARGON2_MEMORY_KIB"] = str(TEST_MEMORY_KIB)
    try:
        with Engine.open(url, create=False) as engine:
            logins = WebLogins(engine.store.engine)  # type: ignore[attr-defined]
            for path in sorted((folder / "desk-credentials").glob("*.json")):
                logins.set(load(path), PASSWORD, engine.clock.now())
    finally:
        del os.environ["SHOUHU_ARGON2_MEMORY_KIB"]
    return db


@dataclass
class Desk:
    """One test's copy of the desk database, and clients on it."""

    folder: Path
    clock: Clock | None = None
    settings_changes: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.folder / "desk.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def credential_path(self, key: str) -> Path:
        return self.folder / "desk-credentials" / f"{key}.json"

    def operator_id(self, key: str) -> str:
        doc = json.loads(self.credential_path(key).read_text(encoding="utf-8"))
        return str(doc["operator"])

    def settings(self) -> Settings:
        return Settings(db=self.url, clock=self.clock, **self.settings_changes)

    def app(self) -> Any:
        return create_app(self.settings())

    def client(self, app: Any = None) -> TestClient:
        """A client of the service, over https (so the cookie is the ``__Host-`` one)."""
        return TestClient(app or self.app(), base_url="https://testserver")

    def api(self, key: str, app: Any = None) -> TestClient:
        """A client whose every request carries ``key``'s bearer token."""
        c = self.client(app)
        r = c.post("/api/v1/session", json={"login": self.operator_id(key), "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return c

    def web(self, key: str, app: Any = None) -> TestClient:
        """A client logged in to the desk as ``key`` (the session cookie is kept)."""
        c = self.client(app)
        r = c.post(
            "/login",
            data={"login": self.operator_id(key), "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert SECURE_COOKIE in c.cookies or COOKIE in c.cookies
        return c

    def engine(self) -> Engine:
        return Engine.open(self.url, create=False)


def csrf_of(page: str) -> str:
    """The CSRF value of the first form on a desk page."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no csrf field on the page"
    return found.group(1)


def copy_desk(source: Path, target: Path) -> Desk:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "desk.db", target / "desk.db")
    shutil.copytree(source / "desk-credentials", target / "desk-credentials")
    return Desk(target)


class _ClientKeys:
    def __init__(self, key: Any) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> Any:
        return self.key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.key.public_key()


def signed_headers(
    method: str,
    url: str,
    credential_path: Path,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    created: Any = None,
    tag: str = "shouhu-api-v1",
) -> dict[str, str]:
    """The headers of a request signed as RFC 9421 says, as an API client holding
    ``credential_path``'s key sends them (``http-message-signatures``, the client's side)."""
    from http_message_signatures import HTTPMessageSigner, algorithms

    credential = load(credential_path)
    message = _Outgoing(method, url, dict(headers or {}))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_ClientKeys(credential.key)
    )
    covered = [
        "@method",
        "@target-uri",
        *(h.lower() for h in (headers or {}) if h.lower().startswith("shouhu-")),
    ]
    signer.sign(
        message,
        key_id=credential.operator_id,
        created=created,
        tag=tag,
        covered_component_ids=covered,
        body=body or None,
    )
    return message.headers


@dataclass
class _Outgoing:
    method: str
    url: str
    headers: dict[str, str]


def sign_statement(credential_path: Path, statement: str) -> str:
    """The client's signature over an event statement the service asked it to sign."""
    return load(credential_path).sign(statement.encode())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``shouhu serve --db URL --port …`` as a subprocess of this one (the checkout's shouhu:
    ``-m shouhu`` with this interpreter and its ``PYTHONPATH``), run in ``folder``, its output
    in ``log``; ``args``: more options of ``shouhu serve``."""

    def __init__(self, db_url: str, folder: Path, log: Path, *args: str) -> None:
        self.db_url = db_url
        self.folder = folder
        self.args = args
        self.log_path = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_") or k == "SHOUHU_LANG"
        }
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        command = [sys.executable, "-m", "shouhu", "serve", "--db", self.db_url]
        command += ["--port", str(self.port), *self.args]
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, cwd=self.folder, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"shouhu serve did not answer /healthz:\n{self.output()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def output(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        """Terminate (uvicorn shuts down cleanly), then kill if it has not within 10 s."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
