"""docs/web.md says what ``shouhu serve`` does: its walk-through runs (the demo, a password, a
real server the township logs in to), the session secret it makes is one the service takes,
the nginx and systemd blocks name only what shouhu has, and its pictures are the ones
``make screenshots`` takes.

The ``bash`` blocks run as a reader would run them (tests/docs/pagekit.py: ``bash -euo
pipefail``, the virtualenv's ``shouhu`` first on ``PATH``, an empty directory); the serve block
runs as written, with ``--port`` added (a free port: 8000 may be taken on the machine).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pagekit import DOCS, FENCE, LINK, run_script

from shouhu.cli import serve as serve_command
from shouhu.service import Settings
from shouhu.service.auth import COOKIE, SECURE_COOKIE
from shouhu.service.sessions import secret_from_text

PAGE = DOCS / "web.md"
ROOT = DOCS.parent
PASSWORD = "correct horse battery staple"


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text()) if m.group(1) == lang]


def script_env() -> dict[str, str]:
    """What pagekit.run_script gives a page's script (for the server started beside it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["LANG"] = "C.UTF-8"
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The page's first block run in ``tmp_path``, then its serve block as a server there:
    its address, and the folder."""
    setup, serve_block = fences("bash")[:2]
    done = run_script(tmp_path, "web.sh", [setup], {})
    assert done.returncode == 0, done.output
    assert "password set; log in to shouhu serve with it" in done.output
    argv = shlex.split(serve_block.strip())
    assert argv[:2] == ["shouhu", "serve"]
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [*argv, "--port", str(port)],
        cwd=tmp_path,
        env=script_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text(encoding="utf-8"))
        yield url, tmp_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


# --- the page -------------------------------------------------------------------------------


def test_the_web_page_holds_only_blocks_the_tests_run_or_check() -> None:
    """Three bash blocks (run), the nginx server block and the systemd files (checked)."""
    kinds = [m.group(1) for m in FENCE.finditer(text())]
    assert kinds == ["bash", "bash", "nginx", "ini", "bash"]


def test_the_index_links_the_web_page_and_its_links_lead_to_files() -> None:
    assert "web.md" in LINK.findall((DOCS / "index.md").read_text(encoding="utf-8"))
    for target in LINK.findall(text()):
        if "://" not in target:
            assert (DOCS / target.partition("#")[0]).is_file(), target


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_page_shows_every_picture_make_screenshots_takes_at_1366_by_768() -> None:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "tools" / "screenshots.py")
    assert spec is not None
    assert spec.loader is not None
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    taken = {name for name, _who, _path in screenshots.SHOTS}
    shown = {Path(t).name for t in LINK.findall(text()) if t.startswith("images/web-")}
    assert shown == taken
    for name in taken:
        assert png_size(DOCS / "images" / name) == (1366, 768), name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^screenshots: .*\n\t\$\(BIN\)/python tools/screenshots.py$", makefile, re.M)
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert phony is not None
    assert "screenshots" in phony.group(1).split()


# --- the walk-through -----------------------------------------------------------------------


def test_the_walk_through_serves_a_desk_the_township_logs_in_to(
    served: tuple[str, Path],
) -> None:
    url, folder = served
    credential = json.loads((folder / "demo-credentials" / "township.json").read_text("utf-8"))
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        answer = client.post(
            "/login", data={"login": credential["operator"], "password": PASSWORD, "next": "/"}
        )
        assert answer.status_code == 303
        assert COOKIE in client.cookies
        desk = client.get("/")
        assert desk.status_code == 200
        assert '<html lang="zh-CN">' in desk.text
    log = (folder / "serve.log").read_text(encoding="utf-8")
    assert f"serving sqlite:///demo.db on {url}/" in log


def test_behind_a_tls_proxy_the_session_cookie_is_host_only_and_secure(
    served: tuple[str, Path],
) -> None:
    """What the page says of the proxy: X-Forwarded-Proto from 127.0.0.1 is trusted, and over
    https the cookie is ``__Host-shouhu_session`` with ``Secure``."""
    url, folder = served
    credential = json.loads((folder / "demo-credentials" / "township.json").read_text("utf-8"))
    proxied = {"Host": "desk.example.gov.cn", "X-Forwarded-Proto": "https"}
    answer = httpx.post(
        f"{url}/login",
        data={"login": credential["operator"], "password": PASSWORD, "next": "/"},
        headers=proxied,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_COOKIE}=")
    assert "; Secure" in cookie
    assert "Domain" not in cookie
    assert SECURE_COOKIE.startswith("__Host-")


def test_the_session_secret_block_makes_a_private_file_with_a_secret_the_service_takes(
    tmp_path: Path,
) -> None:
    done = run_script(tmp_path, "secret.sh", [fences("bash")[2]], {})
    assert done.returncode == 0, done.output
    env_file = tmp_path / "serve.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    (line,) = env_file.read_text(encoding="utf-8").splitlines()
    name, _sep, value = line.partition("=")
    assert name == "SHOUHU_SESSION_SECRET"
    assert len(secret_from_text(value)) == 32
    os.environ["SHOUHU_DB"] = "sqlite:///unused.db"
    os.environ[name] = value
    try:
        assert Settings.from_env().session_secret == secret_from_text(value)
    finally:
        del os.environ["SHOUHU_DB"], os.environ[name]


# --- the production files -------------------------------------------------------------------


def test_the_nginx_block_proxies_to_where_shouhu_serve_listens_by_default() -> None:
    (block,) = fences("nginx")
    defaults = inspect.signature(serve_command.serve).parameters
    where = f"{defaults['host'].default}:{defaults['port'].default}"
    assert f"proxy_pass http://{where};" in block
    assert re.search(r"proxy_set_header Host\s+\$host;", block)
    assert re.search(r"proxy_set_header X-Forwarded-Proto\s+\$scheme;", block)
    assert "add_header Strict-Transport-Security" in block
    assert "return 301 https://" in block


def ini(block: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in block.splitlines() if "=" in line and line[0].isalpha()
    )


def test_the_systemd_unit_runs_shouhu_serve_with_options_it_has_as_its_own_user() -> None:
    unit = ini(fences("ini")[0])
    assert unit["User"] == "shouhu"
    for option, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
    }.items():
        assert unit[option] == value, option
    argv = shlex.split(unit["ExecStart"])
    assert argv[0] == "/opt/shouhu/bin/shouhu"
    assert argv[1] == "serve"
    given = [a for a in argv[2:] if a.startswith("--")]
    assert given == ["--db", "--workers", "--host", "--port"]
    assert argv[argv.index("--db") + 1].startswith("postgresql+psycopg://")
    helped = subprocess.run(
        [sys.executable, "-m", "shouhu", "serve", "--help"],
        capture_output=True,
        text=True,
        env={**script_env(), "COLUMNS": "200"},
        check=True,
    ).stdout
    for option in ("--workers", "--host", "--port"):
        assert option in helped, option
    assert "shouhu serve --db" in helped  # the global --db, after the command, as the examples
    assert unit["EnvironmentFile"] == "/etc/shouhu/serve.env"
    assert "`/etc/shouhu/serve.env`" in text()
