"""The conventions operators and scripts expect of a command line (gh, kubectl, git): a
version, shell completion, examples in every help, global options anywhere, ``-o -``,
``--json`` on every read, plain flags in help, ``NO_COLOR``, a pager on a terminal, tables
that line up with Chinese, and "did you mean" for a mistyped name."""

from __future__ import annotations

import json
import os
import pty
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner, Result

import shouhu
from shouhu.cli import app
from shouhu.cli.common import HOISTED, HOISTED_FLAGS, _hoisted
from tests.clikit import report_argv
from tests.operatorkit import as_operator

ROOT = Path(shouhu.__file__).resolve().parents[1]
ESC = "\x1b["

#: Every command that only reads, as the tree names it (``deadlines`` is a group that lists).
READ_COMMANDS = (
    "info",
    "deadlines",
    "case show",
    "case list",
    "case next",
    "workflow list",
    "workflow show",
    "policy show",
    "audit replay",
    "audit verify",
    "audit access",
    "audit check-proof",
    "audit report",
    "outbox list",
    "db current",
    "registry report",
    "registry screening",
    "operator list",
    "operator show",
)


def tree() -> Any:
    return typer.main.get_command(app)


def commands() -> Iterator[tuple[str, Any]]:
    """Every command below the root, by its path (``case list``)."""

    def below(cmd: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        for name, sub in getattr(cmd, "commands", {}).items():
            yield " ".join((*path, name)), sub
            yield from below(sub, (*path, name))

    yield from below(tree(), ())


def leaves() -> list[tuple[str, Any]]:
    """The commands a user runs: every command without subcommands, and a group that acts
    itself (``deadlines`` lists deadlines)."""
    return [
        (path, cmd)
        for path, cmd in commands()
        if not getattr(cmd, "commands", None) or getattr(cmd, "invoke_without_command", False)
    ]


def examples(cmd: Any) -> list[str]:
    return [
        line.strip()
        for line in (cmd.epilog or "").splitlines()
        if line.strip().startswith("shouhu ")
    ]


def parse(argv: list[str]) -> str:
    """The command ``argv`` (without ``shouhu``) names, its arguments parsed as a run would
    parse them (unknown options, missing arguments, bad values raise), nothing run."""
    args = _hoisted(argv)
    assert args is not None
    cmd = tree()
    ctx = cmd.make_context("shouhu", args)
    while getattr(cmd, "commands", None):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        assert cmd is not None
        ctx = cmd.make_context(name, rest, parent=ctx)
    return ctx.command_path.removeprefix("shouhu ")


class Shouhu:
    """Runs ``shouhu`` on one database file, in process (CliRunner) or as a process."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.url = f"sqlite:///{db}"
        self.runner = CliRunner()

    def env(self, **extra: str | None) -> dict[str, str | None]:
        return {
            "SHOUHU_DB": self.url,
            "SHOUHU_ZONE": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "COLUMNS": "80",
            **extra,
        }

    def __call__(self, *args: str, **env: str | None) -> Result:
        return self.runner.invoke(app, list(args), env=self.env(**env), prog_name="shouhu")

    def ok(self, *args: str, **env: str | None) -> Result:
        result = self(*args, **env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result

    def who(self, role: str = "police") -> tuple[str, str]:
        return as_operator(self.url, "李警官", role, folder=self.db.parent)

    def report(self, village: str = "石桥村", township: str = "青山镇") -> str:
        return self.ok(
            *report_argv(location=f"{village}, {township}"),
            "--new-case",
            "-q",
        ).stdout.strip()


@pytest.fixture
def sh(tmp_path: Path) -> Shouhu:
    return Shouhu(tmp_path / "cases.db")


def run(
    *args: str, tty: bool = False, **env: str
) -> subprocess.CompletedProcess[bytes] | tuple[int, bytes]:
    """``shouhu ARGS`` as a process; with ``tty``, its standard output is a terminal (a
    pseudo-terminal) and the answer is (exit code, what the terminal received)."""
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SHOUHU_", "PAGER", "LESS"))},
        "PYTHONPATH": str(ROOT),
        "SHOUHU_LANG": "en",
        "COLUMNS": "80",
        **env,
    }
    for name in [k for k, v in full.items() if v == "<unset>"]:
        del full[name]
    argv = [sys.executable, "-m", "shouhu", *args]
    if not tty:
        return subprocess.run(argv, env=full, capture_output=True, timeout=60, check=False)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, env=full, stdout=follower, stderr=subprocess.DEVNULL)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done writing
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return proc.wait(timeout=60), received


# --- version and completion ---------------------------------------------------------------------


def test_version_prints_the_package_version_and_exits_0(sh: Shouhu) -> None:
    result = sh.ok("--version")
    assert result.stdout == f"shouhu {shouhu.__version__}\n"
    assert result.stdout == "shouhu 0.1.0\n"


def test_show_completion_prints_a_script_that_asks_shouhu_for_its_words(
    sh: Shouhu, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``--show-completion`` is a flag: typer asks which shell runs the tests (shellingham walks
    # the parent processes), and a suite started from ``sh -c`` got "Shell sh not supported".
    # The user's shell is fixed here to bash, so the test does not depend on who started it.
    import typer.completion

    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    script = sh.ok("--show-completion").stdout
    assert "_SHOUHU_COMPLETE" in script
    assert "complete" in script


def test_completion_offers_the_commands_and_options_of_what_is_typed() -> None:
    done = run(_SHOUHU_COMPLETE="complete_bash", COMP_WORDS="shouhu ca", COMP_CWORD="1")
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["case"]
    done = run(_SHOUHU_COMPLETE="complete_bash", COMP_WORDS="shouhu case list --ov", COMP_CWORD="3")
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.stdout.decode().split() == ["--overdue"]


# --- examples in every help -----------------------------------------------------------------------


def test_every_command_a_user_runs_has_examples_in_its_help() -> None:
    missing = [path for path, cmd in leaves() if not examples(cmd)]
    assert missing == []
    assert all(cmd.epilog.startswith("Examples:\n") for _, cmd in leaves())
    assert len(leaves()) > 30


def test_every_example_runs_the_command_it_documents_and_parses() -> None:
    """Each example line names its own command, and its options and arguments parse."""
    for path, cmd in leaves():
        for line in examples(cmd):
            argv = shlex.split(line)[1:]
            assert parse(argv) == path, line


def test_an_example_with_a_wrong_option_would_fail_the_parse() -> None:
    with pytest.raises(Exception, match="No such option"):
        parse(["case", "list", "--no-such-option"])


def test_the_examples_show_in_the_help(sh: Shouhu) -> None:
    shown = sh.ok("case", "list", "--help").stdout
    assert "Examples:" in shown
    assert "shouhu case list --state reported" in shown


# --- global options anywhere --------------------------------------------------------------------


def test_no_command_has_an_option_named_as_a_global_one() -> None:
    """A global option given after the subcommand goes to the root: no command may have an
    option of its own by that name (it would be taken from it)."""
    global_names = set(HOISTED) | set(HOISTED_FLAGS)
    clashes = [
        (path, opt)
        for path, cmd in commands()
        for param in cmd.params
        for opt in (*param.opts, *param.secondary_opts)
        if opt in global_names
    ]
    assert clashes == []
    root_opts = {o for p in tree().params for o in p.opts}
    assert global_names <= root_opts


def test_global_options_are_accepted_after_the_subcommand(sh: Shouhu, tmp_path: Path) -> None:
    case_id = sh.report()
    other = tmp_path / "other.db"
    listed = sh.ok(
        "case",
        "list",
        "--json",
        "--db",
        sh.url,
        "--zone",
        "UTC",
        "--log-level",
        "error",
        "--json-logs",
        "--no-pager",
        "--policy",
        str(ROOT / "shouhu" / "policies" / "national-2026.2.toml"),
        SHOUHU_DB=f"sqlite:///{other}",
    )
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [case_id]
    assert rows[0]["reported_at"].endswith("+00:00")  # --zone UTC, given last
    assert not other.exists()  # --db given after the subcommand won over SHOUHU_DB


def test_hoisting_leaves_what_follows_a_double_dash_alone() -> None:
    assert _hoisted(["case", "show", "X", "--", "--db", "y"]) == [
        "case",
        "show",
        "X",
        "--",
        "--db",
        "y",
    ]
    assert _hoisted(["case", "show", "X", "--zone=UTC", "--no-pager"]) == [
        "--zone=UTC",
        "--no-pager",
        "case",
        "show",
        "X",
    ]


def test_json_before_the_subcommand_is_the_commands_own_json(sh: Shouhu) -> None:
    sh.report()
    before = sh.ok("--json", "case", "list").stdout
    after = sh.ok("case", "list", "--json").stdout
    assert json.loads(before) == json.loads(after)
    assert json.loads(sh.ok("--db", sh.url, "--json", "workflow", "list").stdout)
    assert _hoisted(["--json", "case", "show", "X", "--", "-y"]) == [
        "case",
        "show",
        "X",
        "--json",
        "--",
        "-y",
    ]


# --- -o - -----------------------------------------------------------------------------------------


def test_dash_output_writes_to_standard_output_and_never_a_file_named_dash(
    sh: Shouhu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    case_id = sh.report()
    police = sh.who()
    exported = sh.ok("audit", "export", case_id, "--format", "json", "-o", "-", *police)
    assert json.loads(exported.stdout)["case"]["id"] == case_id
    anchor = sh.ok("audit", "anchor", *sh.who("admin")).stdout.strip()
    proved = sh.ok(
        "audit", "prove", case_id, "--anchor", anchor, "-o", "-", "--reason", "法院调阅", *police
    )
    assert json.loads(proved.stdout)["case_id"] == case_id
    assert not (tmp_path / "-").exists()
    # what is written to standard output is a proof that checks
    (tmp_path / "proof.json").write_text(proved.stdout, encoding="utf-8")
    assert json.loads(sh.ok("audit", "check-proof", "proof.json", "--json").stdout)["holds"]


def test_every_option_that_takes_an_output_file_documents_dash() -> None:
    takers = [
        (path, param)
        for path, cmd in commands()
        for param in cmd.params
        if "--output" in param.opts
    ]
    assert {path for path, _ in takers} == {"audit prove", "audit export"}
    for path, param in takers:
        assert "-o" in param.opts
        assert "'-': standard output" in param.help, path


# --- --json on every read -----------------------------------------------------------------------


def test_every_read_command_has_json() -> None:
    found = dict(commands())
    missing = [
        p for p in READ_COMMANDS if "--json" not in {o for x in found[p].params for o in x.opts}
    ]
    assert missing == []


def test_every_read_command_prints_json_that_parses(sh: Shouhu, tmp_path: Path) -> None:
    case_id = sh.report()
    police, admin = sh.who(), sh.who("admin")
    operator_id = json.loads(sh.ok("operator", "list", "--json", *admin).stdout)[0]["id"]
    anchor = sh.ok("audit", "anchor", *admin).stdout.strip()
    proof = tmp_path / "proof.json"
    sh.ok(
        "audit", "prove", case_id, "--anchor", anchor, "-o", str(proof), "--reason", "核实", *police
    )
    runs = {
        "info": ["info"],
        "deadlines": ["deadlines", *police],
        "case show": ["case", "show", case_id, *police],
        "case list": ["case", "list", *police],
        "case next": ["case", "next", case_id, *police],
        "workflow list": ["workflow", "list"],
        "workflow show": ["workflow", "show", "solo_living"],
        "policy show": ["policy", "show"],
        "audit replay": ["audit", "replay", case_id, *police],
        "audit verify": ["audit", "verify"],
        "audit access": ["audit", "access"],
        "audit check-proof": ["audit", "check-proof", str(proof)],
        "audit report": ["audit", "report", "--from", "2026-03-01", "--to", "2026-03-31"],
        "outbox list": ["outbox", "list"],
        "db current": ["db", "current"],
        "registry report": ["registry", "report", "--quarter", "2026Q1", "--now", "2026-03-10"],
        "registry screening": [
            "registry",
            "screening",
            "--before",
            "2026-04-04",
            "--now",
            "2026-03-10",
        ],
        "operator list": ["operator", "list", *admin],
        "operator show": ["operator", "show", operator_id, *admin],
    }
    assert set(runs) == set(READ_COMMANDS)
    for path, args in runs.items():
        result = sh.ok(*args, "--json")
        assert isinstance(json.loads(result.stdout), (dict, list)), path


def test_policy_show_keeps_format_json_as_an_alias_of_json(sh: Shouhu) -> None:
    assert json.loads(sh.ok("policy", "show", "--json").stdout) == json.loads(
        sh.ok("policy", "show", "--format", "json").stdout
    )
    assert json.loads(sh.ok("workflow", "show", "solo_living", "--json").stdout) == json.loads(
        sh.ok("workflow", "show", "solo_living", "--format", "json").stdout
    )


# --- help: plain flags, NO_COLOR ------------------------------------------------------------------


def test_flags_show_no_value_placeholder_in_help(sh: Shouhu) -> None:
    for path, _cmd in commands():
        shown = sh.ok(*path.split(), "--help", COLUMNS="200").stdout
        assert "<bool>" not in shown, path
    shown = sh.ok("case", "fire", "--help", COLUMNS="200").stdout
    assert "<int>" in shown  # a value still shows its type
    assert "--json   " in shown


def test_no_color_means_no_escape_sequences_even_on_a_forced_terminal(sh: Shouhu) -> None:
    for forcing in ({"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}):
        for args in (
            ("case", "fire", "--help"),
            ("workflow", "list"),
            ("workflow", "show", "solo_living"),
        ):
            coloured = run(*args, **forcing)
            assert isinstance(coloured, subprocess.CompletedProcess)
            assert coloured.returncode == 0, coloured.stderr
            assert ESC in coloured.stdout.decode(), (forcing, args)  # the test can fail
            plain = run(*args, **forcing, NO_COLOR="1")
            assert isinstance(plain, subprocess.CompletedProcess)
            assert plain.returncode == 0
            assert ESC not in plain.stdout.decode(), (forcing, args)
            assert plain.stdout.strip()


# --- the pager ------------------------------------------------------------------------------------


@pytest.fixture
def pager(tmp_path: Path) -> tuple[str, Path]:
    """A pager that keeps what it is given in a file (the marker that it ran)."""
    script = tmp_path / "pager.py"
    marker = tmp_path / "paged.txt"
    script.write_text(
        "import sys\nopen(sys.argv[1], 'w', encoding='utf-8').write(sys.stdin.read())\n",
        encoding="utf-8",
    )
    return (
        f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(marker))}",
        marker,
    )


LONG = ("workflow", "show", "solo_living")  # far longer than a screen of 20 lines


def test_long_output_on_a_terminal_goes_through_the_pager(pager: tuple[str, Path]) -> None:
    command, marker = pager
    code, received = run(*LONG, tty=True, PAGER=command, LINES="20")
    assert code == 0
    assert marker.exists()
    paged = marker.read_text(encoding="utf-8")
    assert "Transitions" in paged
    assert "complete_emergency" in paged
    assert b"Transitions" not in received  # it went to the pager, not the terminal


def test_shouhu_pager_comes_before_pager(pager: tuple[str, Path]) -> None:
    command, marker = pager
    code, _ = run(*LONG, tty=True, SHOUHU_PAGER=command, PAGER="cat", LINES="20")
    assert code == 0
    assert marker.exists()


@pytest.mark.parametrize(
    ("extra", "env"),
    [
        ((), {"LINES": "5000"}),  # shorter than the screen
        (("--no-pager",), {"LINES": "20"}),
        ((), {"LINES": "20", "SHOUHU_PAGER": ""}),
        ((), {"LINES": "20", "PAGER": "cat", "SHOUHU_PAGER": "<unset>"}),
    ],
    ids=["short", "no-pager", "shouhu-pager-empty", "pager-cat"],
)
def test_output_is_written_to_the_terminal_when_not_paged(
    pager: tuple[str, Path], extra: tuple[str, ...], env: dict[str, str]
) -> None:
    command, marker = pager
    given = {"PAGER": command, **env}
    code, received = run(*LONG, *extra, tty=True, **given)
    assert code == 0
    assert not marker.exists()
    assert b"Transitions" in received


def test_output_to_a_pipe_is_never_paged(pager: tuple[str, Path]) -> None:
    command, marker = pager
    done = run(*LONG, PAGER=command, LINES="20")
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0
    assert not marker.exists()
    assert b"Transitions" in done.stdout


# --- tables with Chinese ------------------------------------------------------------------------


def test_case_list_lines_up_with_chinese_place_names(sh: Shouhu) -> None:
    sh.report("石桥村", "青山镇")
    sh.report("青山镇石桥村", "平安县青山镇")
    sh.report("Shiqiao", "Qingshan")
    shown = sh.ok("case", "list", *sh.who()).stdout
    table = [line for line in shown.splitlines() if line and line[0] in "┏┃┡│└"]
    assert len(table) >= 7
    assert "石桥村" in shown
    assert {cell_len(line) for line in table} == {cell_len(table[0])}
    assert cell_len(table[0]) <= 80


# --- did you mean -------------------------------------------------------------------------------


def test_a_mistyped_command_or_option_is_answered_with_the_close_names(sh: Shouhu) -> None:
    result = sh("cas", "list")
    assert result.exit_code == 2
    assert result.stderr == (
        "shouhu: error: No such command 'cas'; did you mean 'case'? (see `shouhu --help`)\n"
    )
    result = sh("case", "list", "--jsno")
    assert result.exit_code == 2
    assert "No such option: --jsno; did you mean --json?" in result.stderr


def test_did_you_mean_is_said_in_chinese(sh: Shouhu) -> None:
    result = sh("case", "lsit", SHOUHU_LANG="zh_CN")
    assert result.exit_code == 2
    assert "'list'" in result.stderr
    assert "did you mean" not in result.stderr
    assert "您是不是要" in result.stderr
