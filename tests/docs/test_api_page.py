"""``docs/api.md`` runs as written against a real ``shouhu serve``, and says what the code does.

The page's first ``bash`` block (the demo database and the operators' passwords) runs as a
script in an empty directory; then a real ``shouhu serve`` starts there on a free port (the
command of the page's ``sh`` block), and the other ``bash`` blocks run in order as one script
with the page's ``BASE=http://127.0.0.1:8000`` pointed at it. Each ``text`` block under a
``bash`` block is what that block prints, ids, times, cursors and digests normalised
(:mod:`pagekit`). To rewrite the output blocks from a real run::

    python tests/docs/test_api_page.py --update
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

# run as a script too (--update): pagekit sits beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagekit import (
    DOCS,
    FENCE,
    Step,
    elided,
    mismatch,
    quoted,
    run_steps,
    steps,
    table_rows,
)

PAGE = DOCS / "api.md"
#: The address the page's commands name; the test's server listens elsewhere.
PAGE_ADDRESS = "127.0.0.1:8000"
SERVE = "shouhu serve --port 8000"
#: What differs on every run besides what :func:`pagekit.normalised` replaces.
VOLATILE = (
    (re.compile(r"cursor=[A-Za-z0-9_-]+"), "cursor=<CURSOR>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)"), "<TIME>"),
)


def text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fences(lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text()) if m.group(1) == lang]


def plain(block: str) -> str:
    for pattern, placeholder in VOLATILE:
        block = pattern.sub(placeholder, block)
    return block


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(cwd: Path) -> dict[str, str]:
    """The environment the page's reader has: no SHOUHU_* from outside, the virtualenv's
    ``shouhu`` first on PATH, English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHU_")}
    env.update(
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        SHOUHU_DB="sqlite:///demo.db",
        XDG_DATA_HOME=str(cwd / "xdg"),
    )
    return env


@dataclass(frozen=True)
class PageRun:
    setup_code: int
    setup_output: str
    returncode: int
    output: str
    steps: list[Step]
    #: What each step printed, in page order (the setup's first).
    outputs: list[str]
    server_log: str


def run(cwd: Path) -> PageRun:
    """The page's setup block, then a server, then the other blocks against it."""
    page_steps = steps(text())
    setup, *rest = page_steps
    first, setup_parts = run_steps(cwd, "api-setup.sh", [setup], {})
    if first.returncode != 0:
        return PageRun(first.returncode, first.output, -1, "", page_steps, setup_parts[:1], "")
    port = free_port()
    log = cwd / "serve.log"
    with open(log, "w", encoding="utf-8") as sink:
        server = subprocess.Popen(
            [*SERVE.split()[:2], "--port", str(port)],
            cwd=cwd,
            env=server_env(cwd),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, server, log)
        here = f"127.0.0.1:{port}"
        moved = [
            Step(s.number, s.script.replace(PAGE_ADDRESS, here), s.shown, s.span) for s in rest
        ]
        done, parts = run_steps(cwd, "api.sh", moved, {})
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return PageRun(
        0,
        first.output,
        done.returncode,
        done.output,
        page_steps,
        [setup_parts[0], *parts],
        log.read_text(encoding="utf-8"),
    )


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"shouhu serve stopped:\n{log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"shouhu serve did not answer:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def page_run(tmp_path_factory: pytest.TempPathFactory) -> PageRun:
    return run(tmp_path_factory.mktemp("api-page"))


# --- the walk-through -------------------------------------------------------------------------


def test_the_page_runs_to_the_end_against_a_real_server(page_run: PageRun) -> None:
    assert page_run.setup_code == 0, page_run.setup_output[-3000:]
    assert page_run.returncode == 0, page_run.output[-3000:] + page_run.server_log[-2000:]


def test_each_output_shown_is_what_its_block_prints(page_run: PageRun) -> None:
    problems = []
    for step in page_run.steps:
        if step.shown is None:
            continue
        printed = page_run.outputs[step.number - 1] if step.number <= len(page_run.outputs) else ""
        why = mismatch(plain(step.shown), plain(printed))
        if why is not None:
            problems.append(f"bash block {step.number}:\n{why}")
    assert not problems, "\n\n".join(problems)


def test_every_bash_block_shows_its_output(page_run: PageRun) -> None:
    assert [s.number for s in page_run.steps if s.shown is None] == []


def test_no_identity_leaves_the_service_but_in_the_proof(page_run: PageRun) -> None:
    """The child's name is in the report the page files; only the proof (an identity read,
    written to proof.json) holds it."""
    assert "王小明" in text()
    assert "王小明" not in "".join(page_run.outputs)


# --- what the page says -----------------------------------------------------------------------


def test_the_page_holds_only_blocks_the_test_runs_or_checks() -> None:
    kinds = [m.group(1) for m in FENCE.finditer(text())]
    # the one python block (section 13) runs in tests/docs/test_api_signed_client.py
    assert set(kinds) == {"bash", "text", "sh", "python"}
    assert kinds.count("python") == 1
    assert fences("sh") == [SERVE + "\n"]
    assert f"BASE=http://{PAGE_ADDRESS}\n" in fences("bash")[1]


def test_the_status_table_is_the_services_problem_map() -> None:
    from shouhu.errors import (
        Conflict,
        InvalidInput,
        NotAuthenticated,
        NotFound,
        StoreUnavailable,
        TransitionRefused,
    )
    from shouhu.service.httpsig import SignatureNeeded
    from shouhu.service.problems import KINDS

    section = text().split("## 10. Problems", 1)[1].split("\n## ", 1)[0]
    rows = table_rows(section)
    exits = {
        "invalid-input": InvalidInput.exit_code,
        "not-authenticated": NotAuthenticated.exit_code,
        "forbidden": TransitionRefused.exit_code,
        "not-found": NotFound.exit_code,
        "conflict": Conflict.exit_code,
        "refused": TransitionRefused.exit_code,
        "signature-needed": SignatureNeeded.exit_code,
        "too-many-logins": NotAuthenticated.exit_code,
        "store-unavailable": StoreUnavailable.exit_code,
    }
    shown = [(int(r[0]), quoted(r[1])[0], int(r[3])) for r in rows]
    assert shown == [(KINDS[k][0], k, exits[k]) for k in exits]


def update() -> int:
    """Rewrite the page's output blocks that a real run no longer matches."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        done = run(Path(tmp))
    if done.setup_code != 0 or done.returncode != 0:
        print(done.setup_output[-3000:], done.output[-3000:], done.server_log[-2000:])
        return 1
    body = text()
    changed = 0
    for step in reversed(done.steps):
        if step.shown is None or step.span is None:
            continue
        printed = done.outputs[step.number - 1].strip("\n")
        if mismatch(plain(step.shown), plain(printed)) is None:
            continue
        block = "\n".join(elided(step.shown, printed.splitlines())) + "\n"
        start, end = step.span
        body = body[:start] + block + body[end:]
        changed += 1
    PAGE.write_text(body, encoding="utf-8")
    print(f"docs/api.md: {changed} output block(s) rewritten")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        print("usage: python tests/docs/test_api_page.py --update")
        raise SystemExit(2)
    raise SystemExit(update())
