"""``shouhu import reports``: CSV and JSON Lines files checked row by row, filed in batches.

Each refused row is named by its line and external id; the good rows are imported each with
its own report event and deadlines; running a file again imports nothing twice.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from intakekit import BIRTHDATE, CHILD, TYPES, Intake, row, write_csv, write_jsonl

from shouhu import Engine, ReportRequest
from shouhu.adapters.importer import COLUMNS, ReportFile, import_reports


@pytest.fixture
def intake(tmp_path: Path) -> Intake:
    return Intake(tmp_path / "cases.db")


def typed_rows(n: int, prefix: str = "H-") -> list[dict[str, Any]]:
    """``n`` valid rows cycling through the six types (with the data some types take)."""
    extra: dict[str, dict[str, Any]] = {
        "missing_child": {"data": {"last_seen_place": "村口", "last_seen_at": "2026-03-01T18:00"}},
        "guardian_nonperformance": {"data": {"nonperformance_since": "2025-06-01"}},
        "suspected_abuse": {"data": {"description": "邻居听到哭喊"}},
    }
    out = []
    for i in range(n):
        type_ = TYPES[i % len(TYPES)]
        out.append(row(f"{prefix}{i:04d}", type=type_, **extra.get(type_, {})))
    return out


def as_csv_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with ``data`` as a JSON text, as a CSV cell carries it."""
    return [
        {**r, "data": json.dumps(r["data"], ensure_ascii=False) if "data" in r else ""}
        for r in rows
    ]


# --- importing ------------------------------------------------------------------------------


def test_a_csv_file_is_imported_one_case_per_row_and_exits_0(
    intake: Intake, tmp_path: Path
) -> None:
    """Every row of a valid CSV becomes a case of its type; exit 0; the summary counts them."""
    rows = typed_rows(12)
    file = write_csv(tmp_path / "in.csv", as_csv_rows(rows), header=(*COLUMNS, "data"))
    result = intake("import", "reports", file)
    assert result.exit_code == 0, result.stderr
    assert "read 12 rows: imported 12, already imported 0, refused 0" in result.stdout
    assert result.stderr == f"shouhu: created database {intake.db}\n"  # nothing else
    assert intake.count("cases") == 12
    assert intake.count("intake") == 12
    with Engine.open(intake.url) as engine:
        known = engine.known_external("12345", [r["external_id"] for r in rows])
        assert sorted(known) == [r["external_id"] for r in rows]
        for r in rows:
            assert engine.case(known[r["external_id"]]).type == r["type"]


def test_a_jsonl_file_is_imported_with_data_as_an_object(intake: Intake, tmp_path: Path) -> None:
    """JSON Lines rows (``data`` an object) are imported; ``case_ids`` maps each external id."""
    rows = typed_rows(6)
    file = write_jsonl(tmp_path / "in.jsonl", rows)
    result, out = intake.imports(file)
    assert result.exit_code == 0, result.stderr
    assert out["read"] == 6
    assert out["imported"] == 6
    assert out["already_imported"] == 0
    assert out["refused"] == []
    assert sorted(out["case_ids"]) == [r["external_id"] for r in rows]
    with Engine.open(intake.url) as engine:
        missing = engine.case(out["case_ids"]["H-0001"])
        assert missing.type == "missing_child"
        (report,) = missing.history
        assert report.data["report"]["last_seen_place"] == "村口"


def test_ndjson_and_format_option_choose_the_reader(intake: Intake, tmp_path: Path) -> None:
    """``.ndjson`` is JSON Lines; ``--format`` overrides the name; an unknown suffix is refused."""
    assert intake.imports(write_jsonl(tmp_path / "a.ndjson", [row("A")]))[1]["imported"] == 1
    odd = write_jsonl(tmp_path / "b.txt", [row("B")])
    refused = intake("import", "reports", odd)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("shouhu: error: ")
    assert "--format" in refused.stderr
    assert intake.imports(odd, "--format", "jsonl")[1]["imported"] == 1


def test_reported_at_is_the_report_time_and_discovered_at_is_kept(
    intake: Intake, tmp_path: Path
) -> None:
    """``reported_at`` maps to the report's occurred_at; ``discovered_at`` to discovery."""
    file = write_jsonl(
        tmp_path / "in.jsonl",
        [row("T", discovered_at="2026-03-01T07:00", reported_at="2026-03-01T09:15")],
    )
    _, out = intake.imports(file)
    with Engine.open(intake.url) as engine:
        data = engine.case(out["case_ids"]["T"]).to_dict(engine.zone)
    assert data["reported_at"] == "2026-03-01T09:15:00+08:00"
    assert data["discovered_at"] == "2026-03-01T07:00:00+08:00"


def test_imported_cases_have_the_event_and_deadlines_of_a_single_report(
    intake: Intake, tmp_path: Path
) -> None:
    """Each imported case has its report event and the deadlines ``Engine.report`` would start."""
    rows = typed_rows(6)
    _, out = intake.imports(write_jsonl(tmp_path / "in.jsonl", rows))
    with Engine.in_memory() as single, Engine.open(intake.url) as engine:
        for r in rows:
            case = engine.case(out["case_ids"][r["external_id"]])
            assert [e.trigger for e in case.history] == ["report"]
            assert case.deadlines, f"{r['type']}: no deadlines"
            filed = single.report(
                r["type"],
                child={"name": CHILD, "birthdate": BIRTHDATE},
                location=r["location"],
                reporter={"kind": r["reporter_kind"], "name": r["reporter"]},
                discovered_at=r["discovered_at"],
                occurred_at=r["reported_at"],
                data=r.get("data"),
            )

            def key(ds: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
                return sorted((d["kind"], d["due_at"], d["status"]) for d in ds)

            assert key(case.deadlines) == key(filed.deadlines)
            assert case.state == filed.state


def test_a_bom_and_blank_lines_are_accepted(intake: Intake, tmp_path: Path) -> None:
    """A UTF-8 byte-order mark before the header and blank lines between rows are fine."""
    plain = write_csv(tmp_path / "plain.csv", [row("A"), row("B")])
    lines = plain.read_text(encoding="utf-8").splitlines()
    text = "\ufeff" + lines[0] + "\n" + lines[1] + "\n\n" + lines[2] + "\n"
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8"))
    _, out = intake.imports(tmp_path / "bom.csv")
    assert (out["read"], out["imported"], out["refused"]) == (2, 2, [])


# --- bad rows -------------------------------------------------------------------------------

BAD_CSV: list[tuple[str, list[Any], str]] = [
    ("missing column", list(row("X").values())[:-1], "expected 9 columns"),
    ("extra column", [*row("X").values(), "surplus"], "expected 9 columns"),
    ("bad date", list(row("X", child_birthdate="2026-02-30").values()), "child_birthdate"),
    ("unknown type", list(row("X", type="lost_dog").values()), "unknown report type"),
    (
        "unknown reporter kind",
        list(row("X", reporter_kind="police_station").values()),
        "unknown reporter kind",
    ),
    ("child 18+", list(row("X", child_birthdate="2008-03-01").values()), "18 or older"),
]


@pytest.mark.parametrize(("what", "cells", "reason"), BAD_CSV, ids=[b[0] for b in BAD_CSV])
def test_each_bad_csv_row_is_named_by_line_and_external_id(
    intake: Intake, tmp_path: Path, what: str, cells: list[Any], reason: str
) -> None:
    """A bad row between good ones is refused with its line and id; the good ones are imported."""
    file = write_csv(tmp_path / "in.csv", [row("G1"), cells, row("G2")])
    result = intake("import", "reports", file)
    assert result.exit_code == 2, what
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("line ")]
    assert line.startswith("line 3 (external_id X): "), line
    assert reason in line
    assert "imported 2, already imported 0, refused 1" in result.stdout
    assert intake.count("cases") == 2


def test_bad_data_json_in_a_csv_row_is_refused(intake: Intake, tmp_path: Path) -> None:
    """A ``data`` cell that is not a JSON object names the row; valid ``data`` is used."""
    header = (*COLUMNS, "data")
    good = {**row("G", type="suspected_harm"), "data": '{"description": "摔伤"}'}
    rows = [good, {**row("B"), "data": "{not json"}, {**row("L"), "data": "[1, 2]"}]
    _, out = intake.imports(write_csv(tmp_path / "in.csv", rows, header=header))
    assert out["imported"] == 1
    assert [(b["line"], b["external_id"]) for b in out["refused"]] == [(3, "B"), (4, "L")]
    assert out["refused"][0]["reason"].startswith("data: not valid JSON")
    assert out["refused"][1]["reason"].startswith("data: expected a JSON object")


def test_a_duplicate_external_id_in_the_file_is_refused_after_its_first_line(
    intake: Intake, tmp_path: Path
) -> None:
    """The first row with an id is imported; a later row with the same id is refused."""
    _, out = intake.imports(write_csv(tmp_path / "in.csv", [row("D"), row("E"), row(" D ")]))
    assert out["imported"] == 2
    assert out["refused"] == [
        {"line": 4, "external_id": "D", "reason": "duplicate external_id: already on line 2"}
    ]


def test_an_empty_external_id_is_refused(intake: Intake, tmp_path: Path) -> None:
    """A row without an external id cannot be imported idempotently: it is refused."""
    result = intake("import", "reports", write_csv(tmp_path / "in.csv", [row("A"), row("  ")]))
    assert result.exit_code == 2
    assert "line 3 (no external_id): external_id: must not be empty" in result.stderr


def test_bad_jsonl_lines_are_named_by_line(intake: Intake, tmp_path: Path) -> None:
    """Not JSON, not an object, a missing or unknown key, bad values: each named by its line."""
    no_type = {k: v for k, v in row("M").items() if k != "type"}
    lines: list[dict[str, Any] | str] = [
        row("A"),
        '{"external_id": "N", oops}',
        "[1, 2]",
        no_type,
        {**row("U"), "colour": "red"},
        row("K", reporter_kind="police_station"),
        row("Y", child_birthdate="2008-03-01"),
        row("J", data="{bad"),
        row("A"),
        row("Z"),
    ]
    result, out = intake.imports(write_jsonl(tmp_path / "in.jsonl", lines))
    assert result.exit_code == 2
    got = [(b["line"], b["external_id"]) for b in out["refused"]]
    assert got == [(2, None), (3, None), (4, "M"), (5, "U"), (6, "K"), (7, "Y"), (8, "J"), (9, "A")]
    reasons = [b["reason"] for b in out["refused"]]
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == "not a JSON object"
    assert reasons[2] == "missing column type"
    assert reasons[3] == "unknown column 'colour'"
    assert out["imported"] == 2


def test_invalid_utf8_is_a_bad_row_not_a_crash(intake: Intake, tmp_path: Path) -> None:
    """A row with bytes that are not UTF-8 is refused by line; the others are imported."""
    good = write_csv(tmp_path / "good.csv", [row("A"), row("B")]).read_bytes()
    lines = good.split(b"\n")
    lines[2] = lines[2].replace("青山镇中心小学".encode(), b"\xff\xfe school")
    (tmp_path / "bad.csv").write_bytes(b"\n".join(lines))
    _, out = intake.imports(tmp_path / "bad.csv")
    assert out["imported"] == 1
    assert out["refused"] == [{"line": 3, "external_id": "B", "reason": "not valid UTF-8"}]


def test_a_quoted_multiline_cell_counts_lines_from_where_the_row_starts(
    intake: Intake, tmp_path: Path
) -> None:
    """Line numbers are the file's lines: a row after a two-line cell is named correctly."""
    header = (*COLUMNS, "data")
    rows = [
        {**row("A", type="suspected_harm"), "data": '{"description": "第一行\\n第二行"}'},
        {**row("B"), "location": "石桥村,\n青山镇"},
        {**row("C"), "type": "nope"},
    ]
    file = write_csv(tmp_path / "in.csv", rows, header=header)
    _, out = intake.imports(file)
    assert [(b["line"], b["external_id"]) for b in out["refused"]] == [(5, "C")]
    assert out["imported"] == 2


def test_no_child_name_is_printed_or_logged(intake: Intake, tmp_path: Path) -> None:
    """Neither the summary, the refusals nor the logs (at debug) carry a child's name."""
    rows = [
        row("A"),
        row("B", child_name="赵小芳", child_birthdate="2026-02-30"),
        row("C", child_name="赵小芳", child_birthdate="2008-01-01"),
        row("D", child_name=""),
        row("E", child_name="赵小芳\x01"),
    ]
    file = write_csv(tmp_path / "in.csv", rows)
    for args in ((), ("--json",)):
        result = intake("--log-level", "debug", "import", "reports", file, *args)
        assert result.exit_code == 2
        assert "line 6 (external_id E)" in result.stderr or "--json" in args
        assert CHILD not in result.stdout + result.stderr
        assert "赵小芳" not in result.stdout + result.stderr


# --- exit codes and file errors -------------------------------------------------------------


def test_exit_0_when_all_imported_and_2_when_any_refused(intake: Intake, tmp_path: Path) -> None:
    """All rows imported: 0. One row refused: 2 (the rest still imported)."""
    assert intake("import", "reports", write_csv(tmp_path / "ok.csv", [row("A")])).exit_code == 0
    bad = write_csv(tmp_path / "bad.csv", [row("B"), row("C", type="nope")])
    assert intake("import", "reports", bad).exit_code == 2
    assert intake.count("cases") == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "cannot read the file"),
        ("empty.csv", b"", "no header row"),
        ("nohead.csv", b"external_id,type\nA,solo_living\n", "the header lacks"),
        ("odd.csv", ",".join((*COLUMNS, "colour")).encode() + b"\n", "unknown column 'colour'"),
        ("twice.csv", ",".join((*COLUMNS, "type")).encode() + b"\n", "named twice"),
        ("dir.csv", "dir", "cannot read the file"),
    ],
)
def test_an_unreadable_file_or_bad_header_is_one_error_line_and_writes_nothing(
    intake: Intake, tmp_path: Path, name: str, content: bytes | str | None, message: str
) -> None:
    """A missing, unreadable or headerless file: one ``shouhu: error:`` line, exit 2, no DB."""
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = intake("import", "reports", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("shouhu: error: ")
    assert message in line
    assert not intake.db.exists()


def test_bad_options_are_usage_errors(intake: Intake, tmp_path: Path) -> None:
    """``--batch-size 0``, ``--format xml`` and an empty ``--source`` exit 2, importing nothing."""
    file = write_csv(tmp_path / "in.csv", [row("A")])
    for args in (("--batch-size", "0"), ("--format", "xml"), ("--source", " ")):
        result = intake("import", "reports", file, *args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("shouhu: error: "), args
    assert intake.count("cases") == 0


# --- all or nothing, idempotency ------------------------------------------------------------


def test_all_or_nothing_imports_nothing_when_any_row_is_bad(intake: Intake, tmp_path: Path) -> None:
    """With ``--all-or-nothing`` one bad row means no case at all, exit 2, the row named."""
    file = write_csv(tmp_path / "in.csv", [row("A"), row("B"), row("C", type="nope")])
    result = intake("import", "reports", file, "--all-or-nothing")
    assert result.exit_code == 2
    assert "line 4 (external_id C): unknown report type" in result.stderr
    assert "imported 0" in result.stdout
    assert "nothing was imported" in result.stdout
    assert intake.count("cases") == 0
    assert intake.count("intake") == 0


def test_all_or_nothing_imports_everything_when_every_row_is_good(
    intake: Intake, tmp_path: Path
) -> None:
    """With ``--all-or-nothing`` and no bad row, every row is imported (across batches)."""
    file = write_csv(tmp_path / "in.csv", [row(f"A{i}") for i in range(7)])
    result, out = intake.imports(file, "--all-or-nothing", "--batch-size", "3")
    assert result.exit_code == 0
    assert out["imported"] == 7
    assert intake.count("cases") == 7


def test_running_the_same_file_again_imports_nothing_new_and_exits_0(
    intake: Intake, tmp_path: Path
) -> None:
    """A second run counts every row as already imported, with the same case ids, exit 0."""
    file = write_csv(tmp_path / "in.csv", [row(f"R{i}") for i in range(5)])
    first, out1 = intake.imports(file, "--batch-size", "2")
    second, out2 = intake.imports(file, "--batch-size", "2")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert (out2["imported"], out2["already_imported"], out2["refused"]) == (0, 5, [])
    assert out2["case_ids"] == out1["case_ids"]
    assert intake.count("cases") == 5
    assert "imported 0, already imported 5, refused 0" in intake("import", "reports", file).stdout


def test_a_partly_imported_file_imports_only_the_rest(intake: Intake, tmp_path: Path) -> None:
    """After a run that refused a row, fixing it and running again imports only that row."""
    rows = [row("A"), row("B", type="nope"), row("C")]
    assert intake("import", "reports", write_csv(tmp_path / "in.csv", rows)).exit_code == 2
    rows[1] = row("B")
    _, out = intake.imports(write_csv(tmp_path / "in.csv", rows))
    assert (out["imported"], out["already_imported"], out["refused"]) == (1, 2, [])
    assert intake.count("cases") == 3


def test_external_ids_are_unique_per_source(intake: Intake, tmp_path: Path) -> None:
    """The same ids from another ``--source`` are other reports; from the same, repeats."""
    file = write_csv(tmp_path / "in.csv", [row("A"), row("B")])
    assert intake.imports(file)[1]["imported"] == 2
    assert intake.imports(file, "--source", "school-system")[1]["imported"] == 2
    assert intake.imports(file, "--source", "school-system")[1]["already_imported"] == 2
    assert intake.count("cases") == 4


def test_case_ids_are_left_out_above_1000_rows(intake: Intake, tmp_path: Path) -> None:
    """``--json`` omits ``case_ids`` for files of more than 1,000 rows."""
    file = write_csv(tmp_path / "in.csv", [row(f"N{i:04d}") for i in range(1001)])
    result, out = intake.imports(file, "--batch-size", "500")
    assert result.exit_code == 0
    assert out["imported"] == 1001
    assert "case_ids" not in out


def test_a_batch_that_meets_a_concurrent_import_falls_back_to_one_by_one(
    tmp_path: Path,
) -> None:
    """A row imported by someone else between the lookup and the batch counts as already
    imported; the batch's other rows are still imported, each once."""
    file = ReportFile(write_csv(tmp_path / "in.csv", [row(f"C{i}") for i in range(4)]))

    class Racing(Engine):
        raced = False

        def known_external(self, source: str, ids: Sequence[str]) -> dict[str, str]:
            found = super().known_external(source, ids)
            if not self.raced:  # another importer files C2 right after our lookup
                self.raced = True
                req = ReportRequest(
                    "solo_living",
                    child={"name": CHILD, "birthdate": BIRTHDATE},
                    location="石桥村, 青山镇",
                    reporter={"kind": "school", "name": "青山镇中心小学"},
                    occurred_at="2026-03-02T08:30",
                    external_id="C2",
                )
                self.report_many([req], source=source)
            return found

    with Racing.open("sqlite:///" + str(tmp_path / "race.db")) as engine:
        result = import_reports(engine, file, batch_size=10)
        assert (result.imported, result.already_imported, result.refused) == (3, 1, [])
        assert engine.store.known_external("12345", ["C2"]) == {"C2": result.case_ids["C2"]}
        assert len(list(engine.cases())) == 4


def test_progress_is_told_both_passes(tmp_path: Path) -> None:
    """A progress object sees the checking pass (bytes) and the importing pass (rows)."""
    file = ReportFile(write_csv(tmp_path / "in.csv", [row(f"P{i}") for i in range(5)]))
    seen: list[tuple[str, int, int]] = []

    class Recorder:
        phase = ""

        def start(self, description: str, total: int) -> None:
            self.phase = description
            seen.append((description, total, -1))

        def update(self, completed: int, rows: int) -> None:
            seen.append((self.phase, completed, rows))

    with Engine.in_memory() as engine:
        import_reports(engine, file, batch_size=2, progress=Recorder())
    assert seen[0] == ("checking", file.size, -1)
    assert ("checking", file.size, 5) in seen
    assert ("importing", 5, -1) in seen
    assert seen[-1] == ("importing", 5, 5)


def test_the_progress_bar_is_shown_only_on_a_terminal(intake: Intake, tmp_path: Path) -> None:
    """A terminal on stderr shows both passes' bars; without one, stderr holds no bar."""
    file = write_csv(tmp_path / "in.csv", [row(f"T{i}") for i in range(3)])
    result = intake("import", "reports", file)
    assert result.exit_code == 0
    assert result.stderr == f"shouhu: created database {intake.db}\n"  # and no bar
    db = tmp_path / "tty.db"
    primary, secondary = pty.openpty()
    shown = b""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shouhu", "--db", f"sqlite:///{db}", "import", "reports", file],
            stdout=subprocess.PIPE,
            stderr=secondary,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
        os.close(secondary)
        while True:  # read as it comes: a full pty would block the child
            if select.select([primary], [], [], 0.2)[0]:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # EIO: the child has gone and closed the terminal
                    chunk = b""
                shown += chunk
                if chunk:
                    continue
            if proc.poll() is not None:
                break
        out = proc.communicate(timeout=120)[0]
    finally:
        os.close(primary)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out)
    assert done.returncode == 0
    assert b"imported 3" in done.stdout
    text = shown.decode("utf-8", "replace")
    assert "checking" in text
    assert "importing" in text
    assert "100%" in text


def test_import_frees_each_batchs_reference_cycles_before_the_next_batch_is_filed(
    intake: Intake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command pauses the cyclic collector while it files, and collects the young
    generations after each batch: garbage in a reference cycle — which a driver may leave with
    every batch — is freed batch by batch, not held until a million-row file ends."""
    import gc
    import weakref

    from shouhu.adapters import importer

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    filed = importer._file_batch
    left: list[weakref.ref[Cycle]] = []
    alive_at_next: list[bool] = []

    def file_batch(*args: Any) -> None:
        assert not gc.isenabled()  # paused while it files …
        if left:
            alive_at_next.append(left[-1]() is not None)
        left.append(weakref.ref(Cycle()))  # … and this batch leaves one cycle behind
        filed(*args)

    monkeypatch.setattr(importer, "_file_batch", file_batch)
    rows = typed_rows(40)
    file = write_csv(tmp_path / "in.csv", as_csv_rows(rows), header=(*COLUMNS, "data"))
    result, out = intake.imports(file, "--batch-size", "10")
    assert result.exit_code == 0, result.stderr
    assert out["imported"] == 40
    assert alive_at_next == [False, False, False]
    assert gc.isenabled()  # restored
