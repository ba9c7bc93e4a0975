"""docs/api.md's signed client (section 13) runs as written against a real ``shouhu serve``:
it dispatches a case as the police officer, signing the request and the event with the
officer's key, and prints what the page shows; the event it recorded carries that signature."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pagekit import DOCS
from servicekit import Server, build

from shouhu.adapters.credentials import load
from shouhu.api import Engine


def page_block(lang: str, after: str) -> str:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    section = text[text.index(after) :]
    found = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert found, f"no {lang} block after {after!r}"
    return found.group(1)


def test_the_pages_signed_client_dispatches_a_case_with_the_officers_own_signature(
    tmp_path: Path,
) -> None:
    db = build(tmp_path)
    url = f"sqlite:///{db}"
    police = tmp_path / "desk-credentials" / "police.json"
    with Engine.open(url, create=False) as engine:
        case = engine.report(
            "solo_living",
            child={"name": "王小明", "birthdate": "2016-04-10"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
        )
    with Server(url, tmp_path, tmp_path / "serve.log") as server:
        script = tmp_path / "client.py"
        script.write_text(page_block("python", "## 13."), encoding="utf-8")
        run = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ | {"BASE": server.url, "CREDENTIAL": str(police), "CASE": case.id},
        )
    assert run.returncode == 0, run.stderr
    assert run.stdout == page_block("text", "## 13.")
    with Engine.open(url, create=False) as engine:
        event = engine.store.events(case.id)[-1]
        statement = f"shouhu-event-v1 {event.hash} {event.operator_id}".encode()
        assert event.signature == load(police).sign(statement)
        assert engine.verify().ok
