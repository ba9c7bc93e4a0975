"""The machinery every command shares: the group that turns failures into one line on
stderr and an exit code, the global options given anywhere, the engine on ``--db`` and the
common option types. Heavy modules (the store, the engine) are imported only when used.
What a command prints is in :mod:`shouhu.cli.output`; who acts and reads in
:mod:`shouhu.cli.who`; the global settings in :mod:`shouhu.cli.settings`."""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on
# each start (even for ``--help``), and objects cost it less than strings to compile and eval.
# Names imported only for type checking are therefore quoted.

import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from shouhu.cli.output import _no_color
from shouhu.cli.settings import SETTINGS
from shouhu.cli.who import _credential
from shouhu.errors import InvalidInput, ShouhuError
from shouhu.i18n import _, using

if TYPE_CHECKING:
    from pathlib import Path

    from shouhu.api import Engine
    from shouhu.workflows import WorkflowSet

EXIT_USAGE = 2


def _help_setup(command: Any, ctx: Any) -> None:
    """Before ``command``'s help is written: typer's own words in the user's language, flags
    show no value placeholder (typer writes ``<bool>`` for them), and with ``NO_COLOR``
    typer's help has no escape sequences."""
    from typer import rich_utils

    from shouhu.cli.localise import rich_words

    rich_words()
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
