"""``shouhu import reports`` under broken files: generated CSV and JSON Lines files (rows with
missing or extra cells, odd values, quotes, BOMs, wrong delimiters, undecodable bytes), and a
table of files broken in every way we could think of.

A file that cannot be used at all is one error naming the file (and the line, where there is
one), with nothing written. A usable file is read row by row: each refused row is named by its
line, with a reason naming the column or key at fault; exactly the other rows are filed.
Budgets: ``fuzzkit.BUDGETS["import_library"]`` and ``["import_cli"]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import fuzzkit as fk
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, InvalidInput
from shouhu.adapters import importer
from shouhu.cli import app

HEADER = list(importer.COLUMNS)
GOOD = {
    "external_id": "12345-0001",
    "type": "solo_living",
    "child_name": "王小明",
    "child_birthdate": "2016-02-01",
    "location": "石桥村, 青山镇",
    "reporter_kind": "school",
    "reporter": "青山镇中心小学",
    "discovered_at": "2026-03-02T08:10",
    "reported_at": "2026-03-02T08:30",
}
#: Words a row's reason uses to say what is wrong with it: a column, a key, or the encoding.
NAMES = (*importer.COLUMNS, *importer.OPTIONAL_COLUMNS, "column", "CSV", "JSON", "UTF-8", "type")


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def csv_file(draw: st.DrawFn) -> bytes:
    header = list(HEADER)
    if draw(st.integers(0, 5)) == 0:
        header = draw(st.permutations(header))
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.sampled_from(["child_id_number", "data", "colour", "type"])))
    if draw(st.integers(0, 9)) == 0:
        del header[draw(st.integers(0, len(header) - 1))]
    sep = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    lines = [sep.join(header)]
    for n in range(draw(st.integers(0, 5))):
        row = dict(GOOD, external_id=f"12345-{draw(st.integers(0, 20)):04d}")
        for _ in range(draw(st.integers(0, 2))):
            key = draw(st.sampled_from(header))
            row[key] = draw(st.one_of(fk.text_junk, fk.day_text, fk.instant_text))
        cells = [csv_cell(str(row.get(h, ""))) for h in header]
        if draw(st.integers(0, 6)) == 0:
            cells = cells[: draw(st.integers(0, len(cells)))]
        if draw(st.integers(0, 6)) == 0:
            cells.append(draw(fk.ascii_junk))
        lines.append(sep.join(cells))
        if draw(st.integers(0, 8)) == 0:
            lines.append("")
        del n
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 8)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.integers(0, 8)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b'"'])) + raw[at:]
    return raw


@st.composite
def jsonl_file(draw: st.DrawFn) -> bytes:
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 5))):
        row: dict[str, object] = dict(GOOD, external_id=f"12345-{draw(st.integers(0, 20)):04d}")
        for _ in range(draw(st.integers(0, 2))):
            key = draw(
                st.one_of(st.sampled_from([*HEADER, "data", "child_id_number"]), fk.text_junk)
            )
            if draw(st.booleans()):
                row.pop(key, None)
            else:
                row[key] = draw(fk.any_value)
        line = json.dumps(row, ensure_ascii=draw(st.booleans()), default=str)
        if draw(st.integers(0, 8)) == 0:
            line = draw(st.sampled_from(["[1, 2]", "{", "null", '"text"', "{" * 3000]))
        lines.append(line.encode("utf-8", "surrogatepass"))
    return b"\n".join(lines)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "import.db"


@pytest.fixture
def lib(db: Path) -> Iterator[Engine]:
    with Engine.open("sqlite:///" + str(db), clock=FakeClock(fk.NOW), zone=fk.ZONE) as eng:
        yield eng


def test_any_import_file_files_exactly_its_good_rows_and_names_each_bad_one(
    lib: Engine, db: Path, tmp_path: Path
) -> None:
    """File-level errors write nothing; each refused row is named by line with its column."""
    ran = fk.Counter("import_library")

    @fk.campaign_settings("import_library")
    @given(
        st.one_of(csv_file().map(lambda b: ("csv", b)), jsonl_file().map(lambda b: ("jsonl", b)))
    )
    def run(file: tuple[str, bytes]) -> None:
        ran()
        fmt, raw = file
        path = tmp_path / f"batch.{fmt}"
        path.write_bytes(raw)
        before, cases = fk.snapshot(db), fk.count_rows(db, "cases")
        try:
            result = importer.import_reports(lib, importer.ReportFile(path))
        except InvalidInput as exc:
            message = str(exc)
        else:
            message = ""
        if message:  # the file cannot be used at all
            ran.saw(message)
            assert str(path) in message
            assert len(message.splitlines()) == 1
            assert fk.snapshot(db) == before
            return
        ran.saw(None if result.imported else result)
        lines = max(len(raw.splitlines()), 1)
        assert result.read == result.imported + result.already_imported + len(result.refused)
        assert fk.count_rows(db, "cases") == cases + result.imported
        for bad in result.refused:
            assert 1 <= bad.line <= lines, (bad, lines)
            assert len(bad.reason.splitlines()) == 1, bad.reason
            assert any(name in bad.reason for name in NAMES), bad.reason
            assert "王小明" not in bad.reason

    run()
    ran.check()


def test_any_import_file_from_the_cli_exits_0_or_2_and_names_what_is_wrong(
    db: Path, tmp_path: Path
) -> None:
    """Exit 0 when all is imported; 2 with one line per refused row, or one error line."""
    ran = fk.Counter("import_cli")
    env = {"SHOUHU_DB": "sqlite:///" + str(db), "SHOUHU_LOG_LEVEL": None}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0  # the database

    @fk.campaign_settings("import_cli")
    @given(csv_file())
    def run(raw: bytes) -> None:
        ran()
        path = tmp_path / "batch.csv"
        path.write_bytes(raw)
        before = fk.snapshot(db)
        result = CliRunner().invoke(app, ["import", "reports", str(path)], env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stderr
        ran.saw(None if result.exit_code == 0 else result)
        if result.exit_code == 0:
            assert result.stderr == ""
        elif result.stdout == "":  # the file cannot be used at all
            assert result.exit_code == 2
            assert result.stderr.startswith("shouhu: error: ")
            assert result.stderr.count("\n") == 1
            assert fk.snapshot(db) == before
        else:  # refused rows, one line each, then the summary on stdout
            assert result.exit_code == 2
            assert result.stdout.startswith("read ")
            for line in result.stderr.splitlines():
                assert line.startswith("line "), line

    run()
    ran.check()
