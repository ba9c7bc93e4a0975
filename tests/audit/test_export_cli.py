"""``audit export``: one self-contained printable HTML page, or JSON to re-verify the chain.

The page must need no network (no http(s):// anywhere, no external script or stylesheet) and
must render in a real headless browser; the JSON's events must recompute with hashlib and json
alone, following the algorithm the export itself documents.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from auditkit import CHILD, CIVIL, TOWNSHIP, Cli, Dba, file_report, fire

from shouhu import Engine
from tests.operatorkit import as_operator


def who(cli: Cli) -> tuple[str, ...]:
    """The county procuratorate's auditor (an operator: ``--as``), and why they read."""
    return (*as_operator(cli.db, "县检察院 刘检察官", "auditor"), "--reason", "专项监督")


CHROMIUM = Path("/usr/bin/chromium")


def seed(engine: Engine) -> str:
    """A guardian_nonperformance case that went as far as a petition, one duty done late."""
    case_id = file_report(
        engine,
        "guardian_nonperformance",
        at="2026-03-02T08:30:00",
        discovered_at="2026-03-02T08:00:00",
        data={"nonperformance_since": "2025-08-31"},
    )
    fire(engine, case_id, "2026-03-02T09:50:00", "dispatch")  # 20 minutes late
    engine.run_due("2026-03-02T09:55:00")  # the six-month ground: matured since 03-01
    fire(engine, case_id, "2026-03-02T10:30:00", "order_parents_return")
    fire(
        engine,
        case_id,
        "2026-03-02T11:00:00",
        "place_in_temporary_care",
        placement="close_relative",
    )
    fire(engine, case_id, "2026-03-02T11:30:00", "complete_emergency")
    fire(engine, case_id, "2026-03-02T14:00:00", "notify_township")
    fire(engine, case_id, "2026-03-03T09:00:00", "start_assessment", TOWNSHIP)
    fire(
        engine,
        case_id,
        "2026-03-09T16:00:00",
        "complete_assessment",
        TOWNSHIP,
        safety="high",
        guardianship="high",
        health="medium",
        participants="civil_affairs,police",
    )
    fire(engine, case_id, "2026-03-10T10:00:00", "start_intervention", CIVIL)
    fire(
        engine, case_id, "2026-03-10T10:00:00", "record_no_means_of_living", TOWNSHIP
    )  # ground (b): 生活无着
    fire(
        engine,
        case_id,
        "2026-03-11T10:00:00",
        "petition_revocation",
        CIVIL,
        ground="nonperformance_six_months",
    )
    return case_id


@pytest.fixture
def case_id(lib: Engine) -> str:
    case = seed(lib)
    lib.close()
    return case


def export(cli: Cli, case_id: str, out: Path, fmt: str, *extra: str) -> str:
    result = cli.ok("audit", "export", case_id, "--format", fmt, "--output", str(out), *extra)
    assert result.stdout.startswith(f"wrote {out} ({fmt}, ")
    return out.read_text(encoding="utf-8")


def test_html_export_is_one_self_contained_page(cli: Cli, case_id: str, tmp_path: Path) -> None:
    """No http(s):// anywhere, no external script, no <link>, no remote image: the page
    needs no network; it names the case, its states and its events."""
    page = export(cli, case_id, tmp_path / "case.html", "html")
    lowered = page.lower()
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in lowered
    assert "https://" not in lowered
    assert "<script src" not in lowered
    assert "<link" not in lowered
    assert not re.search(r"<img[^>]+src=[\"'](?!data:)", lowered)
    assert "@import" not in lowered
    assert not re.search(r"url\(\s*['\"]?(?!#)", lowered), "a url() that is not in the page"
    assert "<svg" in lowered  # the state diagram, drawn inline
    assert case_id in page
    for trigger in ("dispatch", "nonperformance_six_months", "petition_revocation"):
        assert trigger in page
    assert CHILD["name"] not in page
    assert CHILD["birthdate"] not in page


def test_html_export_with_identity_names_the_child(cli: Cli, case_id: str, tmp_path: Path) -> None:
    """With --include-identity (and who, role, why) the page shows the child's name."""
    page = export(cli, case_id, tmp_path / "case.html", "html", "--include-identity", *who(cli))
    assert CHILD["name"] in page


def recompute(doc: dict[str, Any]) -> str:
    """The page's documented algorithm with hashlib and json alone; returns the head."""
    algorithm = doc["algorithm"]
    assert algorithm["hash"] == "sha256"
    fields = algorithm["fields"]
    prev = algorithm["genesis_prev_hash"]
    assert prev == "0" * 64
    for n, event in enumerate(doc["events"], start=1):
        assert event["seq"] == n
        content = {k: event[k] for k in fields if k in event}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert event["prev_hash"] == prev, f"seq {n} does not link"
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == event["hash"], f"seq {n}"
        prev = event["hash"]
    return str(prev)


def test_json_export_with_identity_recomputes_with_hashlib_and_json(
    cli: Cli, case_id: str, tmp_path: Path
) -> None:
    """Every event's hash recomputes per the export's own algorithm block, and the last hash is
    the case's head hash; the export says it is verifiable."""
    doc = json.loads(
        export(cli, case_id, tmp_path / "case.json", "json", "--include-identity", *who(cli))
    )
    assert doc["identity"] is True
    assert doc["verifiable"] is True
    assert doc["reason"] is None
    assert recompute(doc) == doc["verification"]["head_hash"]
    assert doc["verification"]["chain"] == "verified"
    assert doc["verification"]["replay_ok"] is True
    assert doc["events"][0]["data"]["child"]["name"] == CHILD["name"]
    assert all(e["redacted"] is False for e in doc["events"])
    assert doc["algorithm"]["fields"] == [
        "case_id", "seq", "workflow", "workflow_version", "policy_version", "trigger", "from",
        "to", "actor", "role", "occurred_at", "recorded_at", "data", "effects", "prev_hash",
    ]  # fmt: skip


def test_json_export_recompute_fails_on_a_changed_event(
    cli: Cli, case_id: str, tmp_path: Path
) -> None:
    """The recomputation is a real check: one character changed in event 4 fails it."""
    doc = json.loads(
        export(cli, case_id, tmp_path / "case.json", "json", "--include-identity", *who(cli))
    )
    doc["events"][3]["actor"] += "."
    with pytest.raises(AssertionError, match="seq 4"):
        recompute(doc)


def test_json_export_without_identity_withholds_and_says_it_cannot_verify_event_1(
    cli: Cli, case_id: str, tmp_path: Path
) -> None:
    """Without identity, event 1's child is withheld, the export is marked not verifiable,
    and events 2… still link from event 1's recorded hash."""
    text = export(cli, case_id, tmp_path / "case.json", "json")
    doc = json.loads(text)
    assert CHILD["name"] not in text
    assert doc["identity"] is False
    assert doc["verifiable"] is False
    assert "--include-identity" in doc["reason"]
    assert doc["events"][0]["redacted"] is True
    for before, event in zip(doc["events"], doc["events"][1:], strict=False):
        assert event["prev_hash"] == before["hash"]
        content = {k: event[k] for k in doc["algorithm"]["fields"] if k in event}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode()).hexdigest() == event["hash"]


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_a_bad_output_directory_is_exit_2_and_writes_nothing(
    cli: Cli, dba: Dba, case_id: str, tmp_path: Path, fmt: str
) -> None:
    """``--output`` into a missing directory: one error line, exit 2, no file, no access row
    (even with --include-identity)."""
    target = tmp_path / "no" / "such" / f"case.{fmt}"
    result = cli(
        "audit",
        "export",
        case_id,
        "--format",
        fmt,
        "--output",
        str(target),
        "--include-identity",
        *who(cli),
    )
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("shouhu: error: --output")
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()
    assert dba.rows("SELECT * FROM access_log") == []


def test_an_unknown_format_or_case_is_exit_2(cli: Cli, case_id: str, tmp_path: Path) -> None:
    """``--format pdf`` and an unknown case are bad input; nothing is written."""
    out = tmp_path / "case.pdf"
    bad = cli("audit", "export", case_id, "--format", "pdf", "--output", str(out))
    assert bad.exit_code == 2
    assert "--format" in bad.stderr
    unknown = cli("audit", "export", "0000000000000000", "--output", str(out))
    assert unknown.exit_code == 2
    assert not out.exists()


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def screenshot(
    page: Path, out: Path, profile: Path, size: str = "1200,2400"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={size}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_the_html_export_renders_in_a_headless_browser(
    cli: Cli, case_id: str, tmp_path: Path
) -> None:
    """Chromium renders the page to a screenshot of the full window that is not blank."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install chromium to run this check")
    page = tmp_path / "case.html"
    export(cli, case_id, page, "html")
    shot = tmp_path / "page.png"
    done = screenshot(page, shot, tmp_path / "profile")
    assert shot.is_file(), (done.returncode, done.stderr[-2000:])
    assert png_size(shot) == (1200, 2400)
    assert shot.stat().st_size > 30_000, "the screenshot is nearly empty"
