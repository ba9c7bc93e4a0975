"""``shouhu import reports`` destroys, hides and invents no record (issue 12).

* A report file may come down a pipe — ``-``, ``<(…)``, ``/dev/stdin`` — read once into a
  private copy (owner-only, deleted afterwards, also when interrupted).
* Both passes read that copy: a file changed while it is imported is imported as it was read,
  and ``--all-or-nothing`` files every row in one transaction, so its summary is the truth.
* A CSV quote that is never closed is named by the line where its cell began, and the rows
  after it are read as rows, each counted and named.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from intakekit import BIRTHDATE, Intake, fail_on, row, write_csv

from shouhu import Engine, ReportRequest
from shouhu.adapters import importer
from shouhu.cli import app

SHOUHU = Path(sys.executable).with_name("shouhu")  # the venv's console script
ROWS = [row(f"P-{i}") for i in range(1, 5)]
HEADER_LINE = ",".join(importer.COLUMNS)
GOOD_LINE = (
    '{},solo_living,王小明,2016-02-01,"石桥村, 青山镇",school,青山镇中心小学,'
    "2026-03-02T08:10,2026-03-02T08:30"
)


@pytest.fixture
def intake(tmp_path: Path) -> Intake:
    """``shouhu`` on a database that exists already (one the test's commands do not create)."""
    Engine.open(f"sqlite:///{tmp_path / 'cases.db'}").close()
    return Intake(tmp_path / "cases.db")


@pytest.fixture
def nowhere(tmp_path: Path) -> Intake:
    """``shouhu`` on a database that does not exist yet: a command that writes nothing
    leaves it so."""
    return Intake(tmp_path / "none.db")


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory the command uses (empty at the start)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run(argv: list[str] | str, db: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The installed ``shouhu`` in a child process (a string: run by bash) on ``db``."""
    env = {**os.environ, "SHOUHU_DB": f"sqlite:///{db}"}
    for name in ("SHOUHU_ZONE", "SHOUHU_POLICY", "SHOUHU_LOG_LEVEL", "SHOUHU_LOG_FORMAT"):
        env.pop(name, None)
    if isinstance(argv, str):
        argv = ["bash", "-c", argv]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, **kwargs)


def imported_ids(intake: Intake, ids: list[str]) -> list[str]:
    """Which of ``ids`` the database holds as imported from the hotline."""
    with Engine.open(intake.url) as engine:
        return sorted(engine.known_external("12345", ids))


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def feed(intake: Intake, data: bytes | str, *args: str) -> Any:
    """``shouhu import reports - ARGS`` with ``data`` on standard input (in this process)."""
    return intake.runner.invoke(
        app, ["import", "reports", "-", *args], input=data, env=intake.env, prog_name="shouhu"
    )


# --- 6. pipes and standard input ------------------------------------------------------------


def test_import_reads_reports_from_a_pipe(intake: Intake, tmp_path: Path) -> None:
    """``shouhu import reports <(cat f.csv) --format csv`` imports every row (it crashed)."""
    file = write_csv(tmp_path / "in.csv", ROWS)
    done = run(f"{SHOUHU} import reports <(cat {file}) --format csv", intake.db)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "read 4 rows: imported 4, already imported 0, refused 0\n"
    assert intake.count("cases") == 4


def test_import_reads_dev_stdin_fed_by_a_pipe(intake: Intake, tmp_path: Path) -> None:
    """``… | shouhu import reports /dev/stdin --format csv`` imports every row (it crashed)."""
    data = write_csv(tmp_path / "in.csv", ROWS).read_text(encoding="utf-8")
    argv = [str(SHOUHU), "import", "reports", "/dev/stdin", "--format", "csv"]
    done = run(argv, intake.db, input=data)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "read 4 rows: imported 4, already imported 0, refused 0\n"
    assert imported_ids(intake, [r["external_id"] for r in ROWS]) == ["P-1", "P-2", "P-3", "P-4"]


def test_a_dash_reads_the_reports_from_standard_input(intake: Intake, tmp_path: Path) -> None:
    """``-`` is standard input: CSV or JSON Lines as ``--format`` says; a bad row is named."""
    data = write_csv(tmp_path / "in.csv", [*ROWS, row("P-5", type="lost_dog")]).read_bytes()
    result = feed(intake, data, "--format", "csv")
    assert result.exit_code == 2
    assert result.stderr.startswith("line 6 (external_id P-5): unknown report type 'lost_dog'")
    assert result.stdout == "read 5 rows: imported 4, already imported 0, refused 1\n"
    result = feed(intake, json.dumps(row("J-1"), ensure_ascii=False) + "\n", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert intake.count("cases") == 5


@pytest.mark.parametrize("how", ["dash", "process substitution"])
def test_a_name_that_tells_no_format_needs_the_format_option(
    nowhere: Intake, tmp_path: Path, how: str
) -> None:
    """``-`` or ``/dev/fd/63`` without ``--format``: one error line, exit 2, nothing written."""
    file = write_csv(tmp_path / "in.csv", ROWS)
    if how == "dash":
        done = run([str(SHOUHU), "import", "reports", "-"], nowhere.db, input=file.read_text())
    else:
        done = run(f"{SHOUHU} import reports <(cat {file})", nowhere.db)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("shouhu: error: ")
    assert "--format csv or --format jsonl" in line
    assert not nowhere.db.exists()


@pytest.mark.parametrize("kind", ["directory", "socket"])
def test_a_directory_or_a_socket_is_one_error_line_and_writes_nothing(
    nowhere: Intake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spool: Path, kind: str
) -> None:
    """What is neither a file nor a pipe nor a terminal: ``shouhu: error:``, exit 2, no DB."""
    monkeypatch.chdir(tmp_path)  # a socket's path must be short
    name = "in.csv"
    listener = None
    if kind == "directory":
        (tmp_path / name).mkdir()
    else:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(name)
    try:
        result = nowhere("import", "reports", name)
    finally:
        if listener is not None:
            listener.close()
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"shouhu: error: {name}: cannot read the file: ")
    assert ("socket" if kind == "socket" else "directory") in line
    assert not nowhere.db.exists()
    assert files_in(spool) == []


def test_the_copy_of_a_piped_file_is_private_and_deleted_afterwards(
    intake: Intake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spool: Path
) -> None:
    """While the rows are checked the copy is a 0600 file in a 0700 directory; then gone."""
    data = write_csv(tmp_path / "in.csv", ROWS).read_bytes()
    dirs: list[int] = []
    copies: list[tuple[int, bytes]] = []
    check = importer._check

    def watching(*args: Any, **kwargs: Any) -> Any:
        for path in files_in(spool):
            mode = stat.S_IMODE(path.stat().st_mode)
            if path.is_dir():
                dirs.append(mode)
            else:
                copies.append((mode, path.read_bytes()))
        return check(*args, **kwargs)

    monkeypatch.setattr(importer, "_check", watching)
    result = feed(intake, data, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert dirs
    assert all(mode == 0o700 for mode in dirs)
    assert copies == [(0o600, data)]
    assert files_in(spool) == []


@pytest.mark.parametrize("when", ["interrupted", "bad header"])
def test_the_copy_is_deleted_when_the_import_is_interrupted_or_refused(
    intake: Intake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spool: Path, when: str
) -> None:
    """Ctrl-C while checking (exit 130) or a file refused whole (exit 2) leaves no copy."""
    data = write_csv(tmp_path / "in.csv", ROWS).read_bytes()
    if when == "interrupted":

        def interrupt(*args: Any, **kwargs: Any) -> Any:
            assert files_in(spool)  # the copy exists by now
            raise KeyboardInterrupt

        monkeypatch.setattr(importer, "_check", interrupt)
    else:
        data = b"external_id,colour\n" + data
    result = feed(intake, data, "--format", "csv")
    assert result.exit_code == (130 if when == "interrupted" else 2)
    assert "Traceback" not in result.stderr
    if when == "bad header":
        assert result.stderr.startswith("shouhu: error: stdin: line 1: ")
        assert len(result.stderr.splitlines()) == 1
    assert files_in(spool) == []
    assert intake.count("cases") == 0


# --- 7. a snapshot, and one transaction for --all-or-nothing --------------------------------


@pytest.fixture
def changes_after_the_check(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, bytes], None]:
    """Once the check pass has read ``path``, its content becomes ``later``."""

    def arrange(path: Path, later: bytes) -> None:
        check = importer._check

        def then_change(*args: Any, **kwargs: Any) -> Any:
            out = check(*args, **kwargs)
            path.write_bytes(later)
            return out

        monkeypatch.setattr(importer, "_check", then_change)

    return arrange


@pytest.mark.parametrize("mode", [(), ("--all-or-nothing",)], ids=["rows", "all-or-nothing"])
def test_a_file_changed_between_the_passes_is_imported_as_it_was_read(
    intake: Intake,
    tmp_path: Path,
    changes_after_the_check: Callable[[Path, bytes], None],
    mode: tuple[str, ...],
) -> None:
    """The rows checked are the rows filed: the summary and the database say the same."""
    rows = [row(f"S-{i}") for i in range(6)]
    file = write_csv(tmp_path / "in.csv", rows)
    later = [*rows[:3], row("S-3", type="lost_dog"), row("X-4"), row("X-5"), row("X-6")]
    changes_after_the_check(file, write_csv(tmp_path / "later.csv", later).read_bytes())
    result = intake("import", "reports", file, "--batch-size", "2", *mode)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "read 6 rows: imported 6, already imported 0, refused 0\n"
    assert intake.count("cases") == 6
    assert imported_ids(intake, [f"{p}-{i}" for p in "SX" for i in range(7)]) == [
        f"S-{i}" for i in range(6)
    ]


@pytest.fixture
def six_rows(intake: Intake, tmp_path: Path) -> Path:
    """A file of rows A0…A5 (the database exists: it can be made to fail)."""
    return write_csv(tmp_path / "in.csv", [row(f"A{i}") for i in range(6)])


def test_all_or_nothing_leaves_nothing_filed_when_the_database_fails_half_way(
    intake: Intake, six_rows: Path
) -> None:
    """The database fails at the third batch: the two batches before it are not kept."""
    fail_on(intake.db, "A5", "broken")
    result = intake("import", "reports", six_rows, "--batch-size", "2", "--all-or-nothing")
    assert result.exit_code == 5
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("shouhu: error: database ")
    assert line.endswith("nothing was imported (--all-or-nothing)")
    assert intake.count("cases") == 0
    assert intake.count("intake") == 0


def test_all_or_nothing_never_says_nothing_was_imported_while_rows_were_filed(
    intake: Intake, six_rows: Path
) -> None:
    """A row the store refuses while filing: no row is kept, and no line says otherwise (it
    filed five rows and printed ``nothing was imported``)."""
    fail_on(intake.db, "A5", "refused")
    result = intake("import", "reports", six_rows, "--batch-size", "2", "--all-or-nothing")
    assert result.exit_code == 4
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("shouhu: error: ")
    assert line.endswith("nothing was imported (--all-or-nothing)")
    assert intake.count("cases") == 0


def test_all_or_nothing_that_imports_nothing_counts_the_rows_imported_before(
    intake: Intake, tmp_path: Path
) -> None:
    """A refused ``--all-or-nothing`` file whose other rows an earlier run imported says so:
    ``already imported 2``, not 0."""
    assert intake("import", "reports", write_csv(tmp_path / "a.csv", ROWS[:2])).exit_code == 0
    file = write_csv(tmp_path / "b.csv", [*ROWS[:3], row("P-9", type="lost_dog")])
    result = intake("import", "reports", file, "--all-or-nothing")
    assert result.exit_code == 2
    assert result.stdout == (
        "read 4 rows: imported 0, already imported 2, refused 1 "
        "(--all-or-nothing: nothing was imported)\n"
    )
    assert intake.count("cases") == 2


def request(i: int) -> ReportRequest:
    """A report of child number ``i`` (each its own child), external id ``E{i}``."""
    return ReportRequest(
        "solo_living",
        child={"name": f"王小{'一二三四五六七八九'[i]}", "birthdate": BIRTHDATE},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
        occurred_at="2026-03-02T08:30",
        external_id=f"E{i}",
    )


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_batches_filed_in_one_transaction_land_together_or_not_at_all(
    tmp_path: Path, store: str
) -> None:
    """``Engine.reporting``: the batches filed in its block are all kept when it ends, and
    none of them when it ends in an error."""
    with (
        Engine.in_memory() if store == "memory" else Engine.open(f"sqlite:///{tmp_path / 'e.db'}")
    ) as engine:

        def fail_after_two_batches() -> None:
            with engine.reporting(source="test") as file_batch:
                assert len(file_batch([request(0), request(1)])) == 2
                file_batch([request(2)])
                raise RuntimeError("the third batch failed")

        with pytest.raises(RuntimeError, match="third batch"):
            fail_after_two_batches()
        assert list(engine.cases()) == []
        assert engine.known_external("test", ["E0", "E1", "E2"]) == {}
        with engine.reporting(source="test") as file_batch:
            ids = file_batch([request(3), request(4)]) + file_batch([request(5)])
        assert sorted(c.id for c in engine.cases()) == sorted(ids)
        assert sorted(engine.known_external("test", ["E3", "E4", "E5"])) == ["E3", "E4", "E5"]


def test_a_database_failure_says_how_many_rows_were_imported_before_it(
    intake: Intake, six_rows: Path
) -> None:
    """Without ``--all-or-nothing`` the batches before the failure stay, and the error line
    says how many rows they hold: the database has exactly those."""
    fail_on(intake.db, "A5", "broken")
    result = intake("import", "reports", six_rows, "--batch-size", "2")
    assert result.exit_code == 5
    (line,) = result.stderr.splitlines()
    assert line.startswith("shouhu: error: database ")
    assert line.endswith("4 rows were imported before it; running the file again imports the rest")
    assert intake.count("cases") == 4


# --- 8. a quote that is never closed --------------------------------------------------------


def csv_file(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER_LINE, *lines]) + "\n", encoding="utf-8")
    return path


def test_an_unclosed_quote_is_named_by_the_line_where_its_field_began(
    intake: Intake, tmp_path: Path
) -> None:
    """Line 3 opens a quote it never closes: line 3 is named, and line 4 — which the broken
    cell ran into — is read as its own row and imported; ``read`` counts all four."""
    broken = GOOD_LINE.format("P-2").replace('青山镇",', "青山镇,")
    file = csv_file(
        tmp_path / "in.csv",
        GOOD_LINE.format("P-1"),
        broken,
        GOOD_LINE.format("P-3"),
        GOOD_LINE.format("P-4"),
    )
    result = intake("import", "reports", file)
    assert result.exit_code == 2
    assert result.stderr == (
        "line 3 (external_id P-2): location: an opening quote is never closed "
        "(the cell runs on into line 4)\n"
    )
    assert result.stdout == "read 4 rows: imported 3, already imported 0, refused 1\n"
    assert imported_ids(intake, ["P-1", "P-2", "P-3", "P-4"]) == ["P-1", "P-3", "P-4"]


def test_a_quote_open_to_the_end_of_the_file_hides_no_row_after_it(
    intake: Intake, tmp_path: Path
) -> None:
    """A quote on line 2 that nothing closes: every later line is still read as a row."""
    plain = GOOD_LINE.replace('"石桥村, 青山镇"', "石桥村，青山镇")  # a full-width comma: no quotes
    file = csv_file(
        tmp_path / "in.csv",
        plain.format("Q-1").replace(",school,", ',"school,'),
        plain.format("Q-2"),
        "",
        plain.format("Q-3"),
    )
    _, out = intake.imports(file)
    assert out["refused"] == [
        {
            "line": 2,
            "external_id": "Q-1",
            "reason": "reporter_kind: an opening quote is never closed "
            "(the cell runs on to the end of the file)",
        }
    ]
    assert (out["read"], out["imported"]) == (3, 2)
    assert sorted(out["case_ids"]) == ["Q-2", "Q-3"]


def test_a_quote_opened_on_a_later_line_of_a_row_is_named_by_that_line(
    intake: Intake, tmp_path: Path
) -> None:
    """A row whose quoted cell rightly spans lines 2–3, then opens a quote on line 3 that is
    never closed: the row is line 2, the quote line 3; line 4 is a row of its own."""
    spanning = GOOD_LINE.format("M-1").replace("石桥村, 青山镇", "石桥村,\n青山镇")
    broken = spanning.replace(",青山镇中心小学,", ',"青山镇中心小学,')
    file = csv_file(tmp_path / "in.csv", broken, GOOD_LINE.format("M-2"))
    _, out = intake.imports(file)
    assert out["refused"] == [
        {
            "line": 2,
            "external_id": "M-1",
            "reason": "reporter: an opening quote on line 3 is never closed "
            "(the cell runs on into line 4)",
        }
    ]
    assert (out["read"], out["imported"]) == (2, 1)
    assert sorted(out["case_ids"]) == ["M-2"]


def test_a_quoted_cell_spanning_lines_is_still_one_cell(intake: Intake, tmp_path: Path) -> None:
    """A newline inside a quoted cell that is closed later stays part of the cell."""
    spanning = GOOD_LINE.replace("石桥村, 青山镇", "石桥村,\n青山镇")
    file = csv_file(tmp_path / "in.csv", spanning.format("L-1"), GOOD_LINE.format("L-2"))
    _, out = intake.imports(file)
    assert (out["read"], out["imported"], out["refused"]) == (2, 2, [])
    with Engine.open(intake.url) as engine:
        assert engine.case(out["case_ids"]["L-1"]).record.location.township == "青山镇"


def test_text_after_a_closing_quote_refuses_that_row_alone(intake: Intake, tmp_path: Path) -> None:
    """``"石桥村, 青山镇"x``: the row is refused, naming the cell; the next row is read."""
    odd = GOOD_LINE.format("T-1").replace('青山镇",', '青山镇"x,')
    file = csv_file(tmp_path / "in.csv", odd, GOOD_LINE.format("T-2"))
    _, out = intake.imports(file)
    assert [(b["line"], b["external_id"]) for b in out["refused"]] == [(2, "T-1")]
    assert out["refused"][0]["reason"].startswith("location: text after the closing quote")
    assert (out["read"], out["imported"]) == (2, 1)
