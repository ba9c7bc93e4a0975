"""``shouhu operator set-password`` and ``shouhu serve`` from the command line: bad input is
one line and exit 2 with nothing written, a missing database is exit 5 and is not created, and
a real server answers on its port."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
from servicekit import PASSWORD, Desk, Server
from typer.testing import CliRunner

from shouhu.cli import app

SHOUHU = [sys.executable, "-m", "shouhu"]


def shouhu(desk: Desk, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    env = {"SHOUHU_DB": desk.url, "SHOUHU_ARGON2_MEMORY_KIB": "1024", "SHOUHU_LANG": "en"}
    r = CliRunner().invoke(app, list(args), env=env, input=stdin, prog_name="shouhu")
    return r.exit_code, r.stdout, r.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_set_password_lets_the_operator_log_in_with_it(desk: Desk) -> None:
    code, out, err = shouhu(
        desk,
        "operator",
        "set-password",
        "--password-stdin",
        "--as",
        str(desk.credential_path("court")),
        stdin="the court's long password\n",
    )
    assert (code, err) == (0, "")
    assert out == f"{desk.operator_id('court')}: password set; log in to shouhu serve with it\n"
    r = desk.client().post(
        "/api/v1/session",
        json={"login": desk.operator_id("court"), "password": "the court's long password"},
    )
    assert r.status_code == 200


def test_a_short_password_is_exit_2_one_line_and_nothing_written(desk: Desk) -> None:
    before = digest(desk.db)
    code, _out, err = shouhu(
        desk,
        "operator",
        "set-password",
        "--password-stdin",
        "--as",
        str(desk.credential_path("court")),
        stdin="short\n",
    )
    assert code == 2
    assert err == "shouhu: error: a password needs at least 12 characters\n"
    assert digest(desk.db) == before


def test_set_password_needs_a_credential_the_registry_accepts(desk: Desk) -> None:
    code, _out, err = shouhu(
        desk, "operator", "set-password", "--password-stdin", stdin="a long password\n"
    )
    assert code == 6
    assert err.startswith("shouhu: error: no credential")
    from shouhu.adapters.credentials import load

    with desk.engine() as engine:
        engine.disable_operator(load(desk.credential_path("admin")), desk.operator_id("court"))
    before = digest(desk.db)
    code, _out, err = shouhu(
        desk,
        "operator",
        "set-password",
        "--password-stdin",
        "--as",
        str(desk.credential_path("court")),
        stdin="a long password\n",
    )
    assert code == 6
    assert "disabled" in err
    assert digest(desk.db) == before


def test_serve_on_a_missing_database_is_exit_5_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "nowhere.db"
    r = subprocess.run(
        [*SHOUHU, "serve", "--db", f"sqlite:///{db}", "--port", "8765"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"SHOUHU_LANG": "en"},
    )
    assert r.returncode == 5
    assert len(r.stderr.splitlines()) == 1
    assert not db.exists()


def test_serve_refuses_a_bad_port_or_worker_count_in_one_line(desk: Desk) -> None:
    for args, words in (
        (["--port", "0"], "--port must be 1 to 65535, not 0"),
        (["--workers", "0"], "--workers must be at least 1, not 0"),
        (["--session-idle", "0"], "--session-idle must be at least 1 minute"),
    ):
        code, _out, err = shouhu(desk, "serve", *args)
        assert code == 2, args
        assert err == f"shouhu: error: {words}\n"


def test_serve_answers_on_its_port_and_an_operator_logs_in(desk: Desk) -> None:
    log = desk.folder / "serve.log"
    with Server(desk.url, desk.folder, log, "--workers", "2") as server:
        body = {"login": desk.operator_id("township"), "password": PASSWORD}
        # two workers, one session secret: a token from one works on the other
        token = httpx.post(f"{server.url}/api/v1/session", json=body).json()["token"]
        for _ in range(6):
            r = httpx.get(
                f"{server.url}/api/v1/session", headers={"Authorization": f"Bearer {token}"}
            )
            assert r.json()["role"] == "township"
        page = httpx.get(f"{server.url}/login")
        assert '<html lang="zh-CN">' in page.text
        assert "登录" in page.text
    assert f"serving sqlite:///{desk.db} on http://127.0.0.1:{server.port}/" in server.output()
