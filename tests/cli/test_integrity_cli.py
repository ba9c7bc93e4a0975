"""No command may destroy, hide or invent a record (issue 12).

* ``audit export -o FILE`` writes a new file: an existing one only with ``--force``, the
  database in use and its ``-journal``/``-wal``/``-shm`` never (however the path is spelled),
  nothing through a symbolic link; ``-o -`` is standard output.
* A command that only reads never creates a database (nor its directory): exit 5, naming it.
  A command that files something says once, on stderr, when it created one.
* A database URL that dies with the process (in memory) is refused before anything is filed.
* ``case list`` shows a page of 50 unless ``--limit N`` or ``--all``, and says how to see more.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shouhu import Engine, InvalidInput, ReportRequest, StoreUnavailable
from shouhu.cli import app
from tests.clikit import CliShell, report_argv
from tests.operatorkit import as_operator

REPORT = report_argv(discovered_at="2026-03-02T08:30", at="2026-03-02T09:00")


@dataclass
class Shell(CliShell):
    """``shouhu`` commands in one working directory, with ``SHOUHU_DB`` set to ``url`` (or
    unset), the user's data directory inside the sandbox."""

    home: Path
    url: str | None
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": self.url,
            "SHOUHU_ZONE": None,
            "SHOUHU_POLICY": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "XDG_DATA_HOME": str(self.home / "xdg"),
            "COLUMNS": "120",
        }

    def reader(self) -> tuple[str, str]:
        """``--as`` an auditor of ``s.db`` (once a database has operators, reads need one)."""
        assert self.url is not None
        return as_operator(self.url, "县检察院 刘检察官", "auditor")

    def who(self) -> tuple[str, ...]:
        """Who reads a child's identity, and why."""
        return (*self.reader(), "--reason", "专项监督")


def one_error_line(result: Result, code: int) -> str:
    """The one ``shouhu: error:`` line of a failed command (nothing on stdout)."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("shouhu: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


def snapshot(db: Path) -> dict[str, bytes]:
    """The bytes of the database file and of each companion that exists."""
    files = [db, *(db.with_name(db.name + s) for s in ("-journal", "-wal", "-shm"))]
    return {p.name: p.read_bytes() for p in files if p.exists()}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, left for the test's own."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def shell(sandbox: Path) -> Shell:
    return Shell(sandbox, f"sqlite:///{sandbox / 's.db'}")


@pytest.fixture
def case_id(shell: Shell) -> str:
    """One filed report in ``s.db`` (the database in use)."""
    return shell.ok(*REPORT, "-q").stdout.strip()


# --- audit export -o ---------------------------------------------------------------------------


def test_export_never_overwrites_an_existing_file_without_force(
    shell: Shell, sandbox: Path, case_id: str
) -> None:
    """An existing file: exit 2, one line naming it and --force; the file is untouched."""
    kept = sandbox / "case.html"
    kept.write_text("an earlier export\n", encoding="utf-8")
    message = one_error_line(shell("audit", "export", case_id, "-o", str(kept)), 2)
    assert str(kept) in message
    assert "--force" in message
    assert kept.read_text(encoding="utf-8") == "an earlier export\n"


def test_export_with_force_replaces_an_existing_file(
    shell: Shell, sandbox: Path, case_id: str
) -> None:
    """--force over an existing regular file replaces it with the export; no temporary file
    is left beside it."""
    out = sandbox / "case.json"
    out.write_text("old\n", encoding="utf-8")
    done = shell.ok("audit", "export", case_id, "--format", "json", "-o", str(out), "--force")
    assert done.stdout.startswith(f"wrote {out} (json, ")
    assert json.loads(out.read_text(encoding="utf-8"))["case"]["id"] == case_id
    assert sorted(p.name for p in sandbox.iterdir() if p.name.startswith(".")) == []


SPELLINGS = {
    "relative": lambda w: "s.db",
    "dot-slash": lambda w: "./s.db",
    "dot-dot": lambda w: "../work/s.db",
    "absolute": lambda w: str(w / "s.db"),
    "through-a-linked-directory": lambda w: "linked/s.db",
    "a-hard-link": lambda w: "hard.db",
    "a-symbolic-link-to-it": lambda w: "soft.db",
    "its-wal": lambda w: "s.db-wal",
    "its-shm": lambda w: "./s.db-shm",
    "its-journal": lambda w: "s.db-journal",
}


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("spelling", list(SPELLINGS), ids=list(SPELLINGS))
def test_export_never_overwrites_the_database_in_use(
    shell: Shell, sandbox: Path, case_id: str, spelling: str, force: bool
) -> None:
    """The issue's ``audit export CASE -o s.db`` and every other way of naming the database
    or its journal, WAL or shared-memory file: exit 2 even with --force; the database and
    its companions are byte for byte the same and still verify."""
    (sandbox / "linked").symlink_to(sandbox, target_is_directory=True)
    os.link(sandbox / "s.db", sandbox / "hard.db")
    (sandbox / "soft.db").symlink_to(sandbox / "s.db")
    before = snapshot(sandbox / "s.db")
    target = SPELLINGS[spelling](sandbox)
    argv = ["audit", "export", case_id, "-o", target, *(["--force"] if force else [])]
    message = one_error_line(shell(*argv), 2)
    assert target in message
    assert "database in use" in message or "symbolic link" in message
    assert snapshot(sandbox / "s.db") == before
    assert shell.ok("audit", "verify").stdout.endswith("verified 1 cases, 1 events: ok\n")


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_export_never_writes_through_a_symbolic_link(
    shell: Shell, sandbox: Path, case_id: str, dangling: bool, force: bool
) -> None:
    """A symbolic link as --output is refused, with --force too: the file it points to is
    neither changed nor created."""
    pointed = sandbox / "elsewhere.txt"
    if not dangling:
        pointed.write_text("someone else's file\n", encoding="utf-8")
    (sandbox / "out.html").symlink_to(pointed)
    argv = ["audit", "export", case_id, "-o", "out.html", *(["--force"] if force else [])]
    message = one_error_line(shell(*argv), 2)
    assert "out.html" in message
    assert "symbolic link" in message
    if dangling:
        assert not pointed.exists()
    else:
        assert pointed.read_text(encoding="utf-8") == "someone else's file\n"


def test_export_to_a_dash_writes_the_export_on_standard_output(
    shell: Shell, sandbox: Path, case_id: str
) -> None:
    """``-o -`` prints the export itself (no ``wrote`` line) and writes no file."""
    done = shell.ok("audit", "export", case_id, "--format", "json", "-o", "-")
    assert json.loads(done.stdout)["case"]["id"] == case_id
    assert not (sandbox / "-").exists()


def test_an_export_with_identity_is_readable_by_its_owner_only(
    shell: Shell, sandbox: Path, case_id: str
) -> None:
    """With --include-identity the new file is 0600; without, 0644 less the umask."""
    old = os.umask(0o022)
    try:
        shell.ok("audit", "export", case_id, "-o", "named.html", "--include-identity", *shell.who())
        shell.ok("audit", "export", case_id, "-o", "withheld.html", *shell.reader())
    finally:
        os.umask(old)
    assert stat.S_IMODE((sandbox / "named.html").stat().st_mode) == 0o600
    assert stat.S_IMODE((sandbox / "withheld.html").stat().st_mode) == 0o644


def test_a_refused_export_records_no_identity_read(
    shell: Shell, sandbox: Path, case_id: str
) -> None:
    """Refused for its --output before the database is read: the access log stays empty."""
    (sandbox / "case.html").write_text("kept\n", encoding="utf-8")
    one_error_line(
        shell("audit", "export", case_id, "-o", "case.html", "--include-identity", *shell.who()), 2
    )
    with sqlite3.connect(sandbox / "s.db") as con:
        assert con.execute("SELECT count(*) FROM access_log").fetchone() == (0,)


# --- a read never creates a database -----------------------------------------------------------

ANY_CASE = "0000000000000000"
READS = {
    "audit-verify": ["audit", "verify"],
    "audit-anchor": ["audit", "anchor"],
    "audit-replay": ["audit", "replay", ANY_CASE],
    "audit-report": ["audit", "report", "--from", "2026-03-01", "--to", "2026-03-31"],
    "audit-access": ["audit", "access"],
    "audit-export": ["audit", "export", ANY_CASE, "-o", "case.html"],
    "case-show": ["case", "show", ANY_CASE],
    "case-list": ["case", "list"],
    "case-next": ["case", "next", ANY_CASE],
    "case-fire": ["case", "fire", ANY_CASE, "dispatch"],  # --as: see the test
    "deadlines": ["deadlines"],
    "outbox-list": ["outbox", "list"],
    "registry-report": ["registry", "report", "--quarter", "2026Q1"],
    "registry-screening": ["registry", "screening", "--before", "2026-07-01"],
    "db-current": ["db", "current"],
}


@pytest.mark.parametrize("argv", list(READS.values()), ids=list(READS))
def test_a_read_on_a_mistyped_database_path_creates_nothing(sandbox: Path, argv: list[str]) -> None:
    """``--db sqlite:///typo.db`` on a command that does not file anything: exit 5, one line
    naming the file, and no file (nor any other) is created."""
    shell = Shell(sandbox, None)
    if argv[:2] == ["case", "fire"]:
        # an act needs a credential (exit 6 without): one of another database, kept outside
        argv = [*argv, *as_operator(sandbox.parent / "other.db", "王警官", "police")]
    message = one_error_line(shell("--db", "sqlite:///typo.db", *argv), 5)
    assert str(sandbox / "typo.db") in message
    assert sorted(p.name for p in sandbox.iterdir()) == []


@pytest.mark.parametrize("argv", [["case", "list"], ["audit", "verify"], ["info"]])
def test_a_read_without_a_database_creates_no_data_directory(
    sandbox: Path, argv: list[str]
) -> None:
    """With no --db, a read neither creates the default database nor its directory."""
    shell = Shell(sandbox, None)
    result = shell(*argv)
    assert result.exit_code in {0, 5}, result.stderr
    assert not (sandbox / "xdg").exists()


def test_the_first_write_creates_the_database_and_says_so_once(shell: Shell, sandbox: Path) -> None:
    """The report that creates s.db says so in one line on stderr; the next report is silent."""
    first = shell.ok(*REPORT, "-q")
    assert first.stderr == f"shouhu: created database {sandbox / 's.db'}\n"
    assert (sandbox / "s.db").is_file()
    other = [*REPORT]
    other[other.index("王小明")] = "李小红"
    second = shell.ok(*other, "-q")
    assert second.stderr == ""


def test_a_write_that_fails_after_creating_the_database_still_says_so_on_one_line(
    shell: Shell, sandbox: Path
) -> None:
    """A refused report on a new file: its one error line also names the file it created."""
    argv = [*REPORT]
    argv[1] = "lost_pet"
    message = one_error_line(shell(*argv), 2)
    assert message.endswith(f"(created database {sandbox / 's.db'})")


def test_the_library_opens_without_creating_when_asked(tmp_path: Path) -> None:
    """``Engine.open(url, create=False)`` on a missing file raises StoreUnavailable and
    creates nothing; the default still creates."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    with pytest.raises(StoreUnavailable, match="no database at"):
        Engine.open(url, create=False)
    assert list(tmp_path.iterdir()) == []
    Engine.open(url).close()
    assert (tmp_path / "cases.db").is_file()
    Engine.open(url, create=False).close()


@pytest.fixture
def pg_without_schema(pg_database: Any) -> Iterator[str]:
    """The session's PostgreSQL database with nothing in it, not even ``alembic_version``;
    skips without a server. Its schema is made again afterwards."""
    pg_database.drop_schema()
    try:
        yield str(pg_database.url)
    finally:
        Engine.open(str(pg_database.url)).close()


def test_a_read_on_postgresql_without_the_schema_creates_no_schema(pg_without_schema: str) -> None:
    """``case list`` on a server database without shouhu's tables: exit 5, no table made."""
    result = CliRunner().invoke(app, ["--db", pg_without_schema, "case", "list"])
    assert "has no shouhu schema" in one_error_line(result, 5)
    import sqlalchemy as sa

    engine = sa.create_engine(pg_without_schema)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


# --- a database that dies with the process -----------------------------------------------------

IN_MEMORY = [
    "sqlite://",
    "sqlite:///",
    "sqlite:///:memory:",
    "sqlite:///file::memory:?cache=shared&uri=true",
    "sqlite:///file:cases?mode=memory&cache=shared&uri=true",
]


@pytest.mark.parametrize("url", IN_MEMORY)
def test_an_in_memory_database_url_is_refused_before_a_report_is_acknowledged(
    sandbox: Path, url: str
) -> None:
    """``shouhu --db sqlite:// report …`` would print "Filed case" and lose it: exit 2, one
    line saying why, nothing printed on stdout."""
    message = one_error_line(Shell(sandbox, None)("--db", url, *REPORT), 2)
    assert f"--db {url}: an in-memory database is lost when the command ends" in message


@pytest.mark.parametrize("url", IN_MEMORY)
def test_the_library_refuses_an_in_memory_url_unless_told(url: str) -> None:
    """``Engine.open`` refuses an in-memory URL: what is filed there is lost at close."""
    with pytest.raises(InvalidInput, match="in memory"):
        Engine.open(url)


@pytest.mark.parametrize("url", IN_MEMORY[:3])
def test_the_library_opens_an_in_memory_url_with_ephemeral_true(url: str) -> None:
    """``Engine.open(url, ephemeral=True)`` is the explicit way to a throw-away database."""
    with Engine.open(url, ephemeral=True) as engine:
        assert list(engine.cases()) == []


def test_an_empty_database_url_is_bad_input_not_the_default(sandbox: Path) -> None:
    """``--db ""`` and ``SHOUHU_DB=""`` are exit 2; the default database is not touched."""
    shell = Shell(sandbox, None)
    assert "--db is empty" in one_error_line(shell("--db", "", *REPORT), 2)
    empty = Shell(sandbox, "")
    assert "SHOUHU_DB is set but empty" in one_error_line(empty(*REPORT), 2)
    assert not (sandbox / "xdg").exists()


# --- case list pages ---------------------------------------------------------------------------


@pytest.fixture
def sixty(shell: Shell, sandbox: Path) -> list[str]:
    """60 reports (different children) in s.db; their ids in filing order."""
    with Engine.open(shell.url) as engine:
        engine.report_many(
            ReportRequest(
                "solo_living",
                {"name": f"王小明{i}", "birthdate": "2016-02-01"},
                "石桥村, 青山镇",
                {"kind": "school", "name": "青山镇中心小学"},
                occurred_at="2026-03-02T08:30",
            )
            for i in range(60)
        )
        return [c.id for c in engine.cases()]


def test_case_list_shows_a_page_of_50_and_says_how_to_see_more(
    shell: Shell, sixty: list[str]
) -> None:
    """No --limit: the first 50 cases, then one line on stderr giving the next page's command
    (--after the last id shown) and --all; that command shows the other 10, and says no more."""
    first = shell.ok("case", "list")
    assert [i for i in sixty if i in first.stdout] == sixty[:50]
    hint = first.stderr.strip()
    assert first.stderr.count("\n") == 1
    assert f"shouhu case list --after {sixty[49]}" in hint
    assert "--all" in hint
    rest = shell.ok("case", "list", "--after", sixty[49])
    assert [i for i in sixty if i in rest.stdout] == sixty[50:]
    assert rest.stderr == ""


def test_case_list_json_is_paged_the_same_way(shell: Shell, sixty: list[str]) -> None:
    """--json: a JSON array of 50 and the hint on stderr; --all: all 60, no hint; --limit N:
    N, no hint."""
    page = shell.ok("case", "list", "--json")
    assert [c["id"] for c in json.loads(page.stdout)] == sixty[:50]
    assert f"--json --after {sixty[49]}" in page.stderr
    every = shell.ok("case", "list", "--json", "--all")
    assert [c["id"] for c in json.loads(every.stdout)] == sixty
    assert every.stderr == ""
    limited = shell.ok("case", "list", "--json", "--limit", "55")
    assert [c["id"] for c in json.loads(limited.stdout)] == sixty[:55]
    assert limited.stderr == ""


def test_case_list_all_with_limit_is_bad_input(shell: Shell, case_id: str) -> None:
    """--all and --limit together: exit 2, one line naming both."""
    message = one_error_line(shell("case", "list", "--all", "--limit", "5"), 2)
    assert "--all" in message
    assert "--limit" in message
