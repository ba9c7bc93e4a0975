"""The machinery every command shares: the group that turns failures into one line on
stderr and an exit code, the global settings, the engine on ``--db``, JSON printers and the
common option types. Heavy modules (the store, the engine) are imported only when used."""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on
# each start (even for ``--help``), and objects cost it less than strings to compile and eval.
# Names imported only for type checking are therefore quoted.

import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from shouhu.errors import InvalidInput, ShouhuError
from shouhu.i18n import N_, _, using

if TYPE_CHECKING:
    from pathlib import Path

    from shouhu.api import Engine
    from shouhu.workflows import WorkflowSet

EXIT_USAGE = 2


def _help_setup(command: Any, ctx: Any) -> None:
    """Before ``command``'s help is written: flags show no value placeholder (typer writes
    ``<bool>`` for them), and with ``NO_COLOR`` typer's help has no escape sequences."""
    from typer import rich_utils

    rich_utils.COLOR_SYSTEM = None if _no_color() else "auto"
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


class ShouhuCommand(TyperCommand):
    """A command of shouhu: its help shows flags without a placeholder and honours NO_COLOR."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_setup(self, ctx)
        super().format_help(ctx, formatter)


class ShouhuGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit code."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_setup(self, ctx)
        super().format_help(ctx, formatter)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        SETTINGS.created = None
        from shouhu.cli.localise import localise

        localise(self)
        argv = _hoisted(args) or []
        # JSON is for machines: with --json every word is English and stable — the text a
        # document carries (a verifier's reasons, a guard's) and an error on stderr alike
        machine = "--json" in (argv[: argv.index("--")] if "--" in argv else argv)
        with using("en") if machine else nullcontext():
            return self._run(argv, prog_name, complete_var, standalone_mode, **extra)

    def _run(
        self,
        argv: list[str],
        prog_name: str | None,
        complete_var: str | None,
        standalone_mode: bool,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(
                args=argv,
                prog_name=prog_name or "shouhu",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except ShouhuError as exc:
            _fail(exc.message, exc.exit_code)
        except TyperException as exc:  # usage errors: unknown option, missing argument, …
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                text = ctx.get_help()  # typer's rich help prints itself and returns ""
                if text:
                    typer.echo(text)
                sys.exit(EXIT_USAGE)
            from shouhu.cli.localise import usage_error

            hint = (
                _(" (see `{command} --help`)").format(command=ctx.command_path)
                if ctx is not None
                else ""
            )
            code = exc.exit_code if exc.exit_code else EXIT_USAGE
            _fail(f"{usage_error(exc.format_message())}{hint}", code)
        except Exit as exc:
            _announce_created()
            sys.exit(exc.exit_code)
        except (Abort, KeyboardInterrupt):
            _fail(_("interrupted"), 130)
        _announce_created()
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


#: Global options a user may also give after the subcommand (``shouhu case fire … --as P``),
#: each with its value; no command has an option of the same name (a test holds it).
HOISTED = ("--as", "--db", "--zone", "--policy", "--log-level")
#: Global flags a user may also give after the subcommand.
HOISTED_FLAGS = ("--json-logs", "--no-pager")
#: Options of the commands a user may also give before the subcommand (``shouhu --json case
#: list`` is ``shouhu case list --json``).
LOWERED = ("--json",)


def _hoisted(args: Sequence[str] | None) -> list[str] | None:
    """``args`` with each :data:`HOISTED` option (and its value) and :data:`HOISTED_FLAGS`
    flag moved to the front, where the root group reads it, and each :data:`LOWERED` option
    given among the root options moved after the subcommand; what follows ``--`` is left
    alone."""
    if args is None:
        args = sys.argv[1:]
    rest: list[str] = list(args)
    lowered: list[str] = []
    i = 0
    while i < len(rest):  # the root options, up to the subcommand
        a = rest[i]
        if a in LOWERED:
            lowered.append(rest.pop(i))
            continue
        if not a.startswith("-") or a in ("-", "--"):
            break
        i += 2 if a in HOISTED else 1
    front: list[str] = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--":
            break
        name = a.split("=", 1)[0]
        if (name in HOISTED or a in HOISTED_FLAGS) and i > 0:
            take = 1 if "=" in a or a in HOISTED_FLAGS else 2
            front += rest[i : i + take]
            del rest[i : i + take]
            continue
        i += 1
    end = rest.index("--") if "--" in rest else len(rest)
    return front + rest[:end] + lowered + rest[end:]


def _fail(message: str, code: int) -> NoReturn:
    line = " ".join(str(message).split())
    if SETTINGS.created:  # still one line: the error, and the new file it leaves behind
        line += " " + _("(created database {path})").format(path=SETTINGS.created)
        SETTINGS.created = None
    typer.echo(_("shouhu: error: {message}").format(message=line), err=True)
    sys.exit(code)


def _announce_created() -> None:
    """Say once, on stderr, that this command created a new database file."""
    if SETTINGS.created:
        path, SETTINGS.created = SETTINGS.created, None
        _notice(_("created database {path}").format(path=path), "database_created", path=path)


def _notice(text: str, event: str, **fields: Any) -> None:
    """A line for the user on stderr: ``shouhu: TEXT``, or with JSON logs a JSON log line
    (``event`` and ``fields``, level warning) so that stderr stays JSON."""
    sys.stdout.flush()  # after the command's own output, where both go to one place
    if SETTINGS.json_logs:
        from shouhu.engine.logs import get_logger

        get_logger("shouhu.cli").warning(event, **fields)
    else:
        typer.echo(f"shouhu: {text}", err=True)


class _Settings:
    db: str | None = None
    zone: str | None = None
    policy: str | None = None
    credential: str | None = None  # --as / SHOUHU_CREDENTIAL: the file of who acts
    created: str | None = None  # a database file this command created (said once, at the end)
    json_logs: bool = False
    no_pager: bool = False  # --no-pager: long output is never paged


SETTINGS = _Settings()


def _engine(*, write: bool) -> "Engine":
    """The engine on the database of ``--db``. ``write``: the command files something, and
    may create the database (said on stderr); otherwise a missing database is exit 5 and
    nothing is created."""
    from shouhu.adapters.policyfile import load_pack
    from shouhu.api import Engine

    url = _db_url()
    wfs = _workflows()
    pack = load_pack(SETTINGS.policy, wfs=wfs)
    new = _new_sqlite_file(url) if write else None
    credential = _credential(required=False)  # a bad credential file: refused before opening
    try:
        engine = Engine.open(
            SETTINGS.db, zone=SETTINGS.zone, policy=pack, create=write, workflows=wfs
        )
        # the engine's own acts (the sweep, re-judging) are signed as --as: the scheduler's
        engine.credential = credential
        return engine
    finally:
        if new is not None and new.exists():
            SETTINGS.created = str(new)


def _new_sqlite_file(url: str) -> "Path | None":
    """The SQLite file ``url`` names if it does not exist yet (a write would create it)."""
    from shouhu.adapters import dburl

    path = dburl.sqlite_file(url)
    return path if path is not None and not os.path.lexists(path) else None


def _zone() -> str:
    from shouhu.adapters.config import default_zone

    return SETTINGS.zone or default_zone()


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _print_json_items(items: Iterable[Any]) -> None:
    """A JSON array written item by item: the same text as :func:`_print_json` of the list,
    without holding the list."""
    out = sys.stdout
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        out.write(("[\n  " if first else ",\n  ") + text)
        first = False
    out.write("[]\n" if first else "\n]\n")


def _no_color() -> bool:
    """``NO_COLOR`` is set (no-color.org): no colours, nor any other escape sequence."""
    return bool(os.environ.get("NO_COLOR"))


def _console(file: Any = None) -> Any:
    """A console for human output on standard output (or ``file``); with ``NO_COLOR``, plain
    text even on a terminal (rich alone would still write bold and underline)."""
    from rich.console import Console

    return Console(
        file=file,
        highlight=False,
        soft_wrap=False,
        color_system=None if _no_color() else "auto",
        width=shutil.get_terminal_size().columns if file is not None else None,
    )


#: The pager when neither SHOUHU_PAGER nor PAGER is set (as git: quit if one screen, colours).
DEFAULT_PAGER = "less -FRX"


def _pager_command() -> list[str] | None:
    """The pager for long output: ``$SHOUHU_PAGER``, else ``$PAGER``, else ``less -FRX``; None
    when standard output is no terminal (a pipe, a file, a test), with ``--no-pager``, or when
    the pager is set empty or to ``cat``."""
    import shlex

    if SETTINGS.no_pager or not sys.stdout.isatty():
        return None
    for var in ("SHOUHU_PAGER", "PAGER"):
        if var in os.environ:
            text = os.environ[var]
            break
    else:
        text = DEFAULT_PAGER
    try:
        command = shlex.split(text)
    except ValueError:
        return None
    return None if not command or command == ["cat"] else command


class _PagerOut:
    """Standard output through a pager once the text is longer than the screen: lines are
    held until they fill the screen, then the pager is started and everything goes to it
    (a long table streams on); shorter text is written as it is when closed."""

    def __init__(self, command: list[str], height: int) -> None:
        self.command = command
        self.height = max(height - 1, 1)  # a line is kept for the prompt
        self.held: list[str] = []
        self.lines = 0
        self.pager: Any = None
        self.gone = False  # the user quit the pager: the rest is not wanted

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return sys.stdout.fileno()

    def flush(self) -> None:
        pass

    def write(self, text: str) -> int:
        if self.pager is None:
            self.held.append(text)
            self.lines += text.count("\n")
            if self.lines > self.height:
                self._start()
        else:
            self._send(text)
        return len(text)

    def _start(self) -> None:
        import subprocess

        sys.stdout.flush()
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        try:
            self.pager = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, env=env, encoding="utf-8", errors="replace"
            )
        except OSError:  # no such pager: the text as it is
            self.command = []
            self.height = sys.maxsize
            return
        held, self.held = "".join(self.held), []
        self._send(held)

    def _send(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.pager.stdin.write(text)
        except (BrokenPipeError, OSError):
            self.gone = True

    def close(self) -> None:
        if self.pager is None:
            sys.stdout.write("".join(self.held))
            sys.stdout.flush()
            return
        with suppress(BrokenPipeError, OSError):
            self.pager.stdin.close()
        while True:
            try:
                self.pager.wait()
                return
            except KeyboardInterrupt:  # as git: the pager handles Ctrl-C itself
                continue


@contextmanager
def _paged() -> Iterator[Any]:
    """A console for long human output: through the pager (:func:`_pager_command`) when
    standard output is a terminal and the text is longer than the screen, as git does."""
    command = _pager_command()
    if command is None:
        yield _console()
        return
    out = _PagerOut(command, shutil.get_terminal_size().lines)
    try:
        yield _console(file=out)
    finally:
        out.close()


def parse_data(items: list[str] | None) -> dict[str, str]:
    """``k=v`` pairs into a dict; a key given twice or a pair without ``=`` is bad input."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(
                _("--data {item!r}: expected KEY=VALUE").format(item=item[:60]), field="data"
            )
        if key in out:
            raise InvalidInput(_("--data {key!r} given twice").format(key=key[:60]), field=key[:60])
        out[key] = value
    return out


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
IdentityOpt = Annotated[
    bool,
    typer.Option(
        "--include-identity",
        help="Show the child's name, birthdate and id number (recorded: needs --as and --reason).",
    ),
]
#: ``--actor`` and ``--role`` are gone: who acts is the credential's (``--as``). Kept hidden,
#: so that a script still passing them is told what to do instead.
GoneActorOpt = Annotated[str | None, typer.Option("--actor", hidden=True)]
GoneRoleOpt = Annotated[str | None, typer.Option("--role", hidden=True)]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why the identity is needed.")]

#: What a command that acts tells a user without a credential.
NEED_AS = N_(
    "act as an operator with --as PATH (or SHOUHU_CREDENTIAL=PATH): the credential file "
    "shouhu init or shouhu operator add wrote"
)


def _gone(actor: str | None, role: str | None) -> None:
    """Refuse ``--actor``/``--role`` (issue 15), pointing to ``--as``."""
    given = [n for n, v in (("--actor", actor), ("--role", role)) if v is not None]
    if given:
        words = (
            _("{options} are gone: the operator and role are the credential's; {need_as}")
            if len(given) > 1
            else _("{options} is gone: the operator and role are the credential's; {need_as}")
        )
        raise InvalidInput(
            words.format(options=_(" and ").join(given), need_as=_(NEED_AS)), field="actor"
        )


def _who(actor: str | None, role: str | None) -> Any:
    """Who acts: the credential of ``--as`` (exit 6 without one)."""
    _gone(actor, role)
    return _credential()


def _credential(*, required: bool = True) -> Any:
    """The credential of ``--as`` / ``SHOUHU_CREDENTIAL`` (None if none was given and it is
    not ``required``; exit 6 if it is)."""
    from shouhu.errors import NotAuthenticated

    path = SETTINGS.credential
    if not path:
        if required:
            raise NotAuthenticated(_("no credential: {need_as}").format(need_as=_(NEED_AS)))
        return None
    from shouhu.adapters.credentials import load

    return load(path)


def _reader(engine: Any) -> Any:
    """Who reads: the credential of ``--as`` (reads are then scoped to the operator's place);
    on a database with operators, one is needed (exit 6)."""
    from shouhu.errors import NotAuthenticated

    if engine.credential is not None:
        return engine.credential
    if engine.store.registry_entries(0):
        raise NotAuthenticated(
            _(
                "this database has operators: reading its cases needs a credential (--as PATH "
                "or SHOUHU_CREDENTIAL)"
            )
        )
    return None


def _read_identity(
    engine: Any, case_id: str, actor: str | None, role: str | None, reason: str | None, what: str
) -> Any:
    """Record the identity read in the access log, or refuse without who and why."""
    _need_reader(actor, role, reason)
    return engine.read_identity(case_id, actor=_who(actor, role), reason=reason, what=what)


def _need_reader(actor: str | None, role: str | None, reason: str | None) -> None:
    """An identity read says who (``--as``) and why (``--reason``)."""
    _gone(actor, role)
    missing = [n for n, v in (("--as", SETTINGS.credential), ("--reason", reason)) if not v]
    if missing:
        raise InvalidInput(
            _(
                "--include-identity needs {options}: reading a child's identity is recorded "
                "(who, role, when, why)"
            ).format(options=", ".join(missing)),
            field="identity",
        )


DataOpt = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="KEY=VALUE, repeatable; lists are comma-separated."),
]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="When it happened (ISO 8601; no offset = local time). Default: now."),
]


_WORKFLOWS: list["WorkflowSet"] = []


def _workflows() -> "WorkflowSet":
    """The workflow set of this command: ``$SHOUHU_WORKFLOWS``, else the default set (read
    once per process)."""
    if not _WORKFLOWS:
        from shouhu.adapters.config import default_workflows

        _WORKFLOWS.append(default_workflows())
    return _WORKFLOWS[0]


class TypesHelp(ShouhuCommand):
    """A command whose help names the workflow set's types: ``{report_types}``,
    ``{watch_types}`` and ``{roles}`` in a parameter's help are filled in from the set when
    the help is shown (not when the CLI starts: the set is read only when it is needed)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        wfs = _workflows()
        names = {
            "report_types": ", ".join(wfs.types()),
            "watch_types": ", ".join(wfs.watch_types()),
            "roles": ", ".join(r for r in wfs.roles if r != "system"),
        }
        for param in self.params:
            text = getattr(param, "help", None)
            if text and "{" in text:
                param.help = text.format(**names)  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)


def _db_url() -> str:
    """The database URL in use; bad input (exit 2) when it is empty or cannot outlive the
    command (an in-memory SQLite database would lose every report filed in it)."""
    from shouhu.adapters import dburl
    from shouhu.adapters.config import DEFAULT_DB_ENV, default_db_url

    if SETTINGS.db is None and DEFAULT_DB_ENV in os.environ:  # typer passes "" on as None
        raise InvalidInput(
            _("{var} is set but empty: give a database URL, or unset it for the default").format(
                var=DEFAULT_DB_ENV
            ),
            field="db",
        )
    url = SETTINGS.db or default_db_url()
    if dburl.ephemeral(url):
        raise InvalidInput(
            _(
                "--db {url}: an in-memory database is lost when the command ends; give a file "
                "(sqlite:///cases.db) or a server"
            ).format(url=url[:80]),
            field="db",
        )
    return url


def examples(*lines: str) -> str:
    """A command's epilog: ``Examples:`` and real command lines (the same in every language),
    a paragraph each (a long one wraps on a narrow terminal)."""
    return "Examples:\n\n" + "\n\n".join(lines)


def one_or_many(n: int, one: str, many: str) -> str:
    """The words for ``n`` things, ``one`` (for 1) or ``many`` (marked with ``N_``), in the
    user's language: English and Chinese need no more forms than these."""
    return _(one) if n == 1 else _(many)
