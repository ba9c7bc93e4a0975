"""The machinery every command shares: the group that turns failures into one line on
stderr and an exit code, the global settings, the engine on ``--db``, JSON printers and the
common option types. Heavy modules (the store, the engine) are imported only when used."""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on
# each start (even for ``--help``), and objects cost it less than strings to compile and eval.
# Names imported only for type checking are therefore quoted.

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from shouhu.errors import InvalidInput, ShouhuError

if TYPE_CHECKING:
    from pathlib import Path

    from shouhu.api import Engine
    from shouhu.workflows import WorkflowSet

EXIT_USAGE = 2


class ShouhuGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit code."""

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
        try:
            rv = super().main(
                args=_hoisted(args),
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
            from shouhu.i18n import _

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
            _fail("interrupted", 130)
        _announce_created()
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


#: Global options a user may also give after the subcommand (``shouhu case fire … --as P``).
HOISTED = ("--as",)


def _hoisted(args: Sequence[str] | None) -> list[str] | None:
    """``args`` with each :data:`HOISTED` option (and its value) moved to the front, where
    the root group reads it; what follows ``--`` is left alone."""
    if args is None:
        args = sys.argv[1:]
    rest, front = list(args), []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "--":
            break
        name = a.split("=", 1)[0]
        if name in HOISTED and i > 0:
            take = 1 if "=" in a else 2
            front += rest[i : i + take]
            del rest[i : i + take]
            continue
        i += 1
    return front + rest


def _fail(message: str, code: int) -> NoReturn:
    line = " ".join(str(message).split())
    if SETTINGS.created:  # still one line: the error, and the new file it leaves behind
        line += f" (created database {SETTINGS.created})"
        SETTINGS.created = None
    typer.echo(f"shouhu: error: {line}", err=True)
    sys.exit(code)


def _announce_created() -> None:
    """Say once, on stderr, that this command created a new database file."""
    if SETTINGS.created:
        path, SETTINGS.created = SETTINGS.created, None
        _notice(f"created database {path}", "database_created", path=path)


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


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def parse_data(items: list[str] | None) -> dict[str, str]:
    """``k=v`` pairs into a dict; a key given twice or a pair without ``=`` is bad input."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"--data {item[:60]!r}: expected KEY=VALUE", field="data")
        if key in out:
            raise InvalidInput(f"--data {key[:60]!r} given twice", field=key[:60])
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
NEED_AS = (
    "act as an operator with --as PATH (or SHOUHU_CREDENTIAL=PATH): the credential file "
    "shouhu init or shouhu operator add wrote"
)


def _gone(actor: str | None, role: str | None) -> None:
    """Refuse ``--actor``/``--role`` (issue 15), pointing to ``--as``."""
    given = [n for n, v in (("--actor", actor), ("--role", role)) if v is not None]
    if given:
        raise InvalidInput(
            f"{' and '.join(given)} {'are' if len(given) > 1 else 'is'} gone: the operator "
            f"and role are the credential's; {NEED_AS}",
            field="actor",
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
            raise NotAuthenticated(f"no credential: {NEED_AS}")
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
            "this database has operators: reading its cases needs a credential (--as PATH or "
            "SHOUHU_CREDENTIAL)"
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
            f"--include-identity needs {', '.join(missing)}: reading a child's identity is "
            "recorded (who, role, when, why)",
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


class TypesHelp(TyperCommand):
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
            f"{DEFAULT_DB_ENV} is set but empty: give a database URL, or unset it for the default",
            field="db",
        )
    url = SETTINGS.db or default_db_url()
    if dburl.ephemeral(url):
        raise InvalidInput(
            f"--db {url[:80]}: an in-memory database is lost when the command ends; give a "
            "file (sqlite:///cases.db) or a server",
            field="db",
        )
    return url
