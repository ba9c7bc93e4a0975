"""The operator CLI: ``shouhu report``, ``shouhu case …``, ``shouhu workflow …``, ``shouhu info``.

Exit codes: 0 done; 2 bad input; 3 refused by the rules (the message names the rule and its
citation); 4 conflict; 5 the database cannot be used. Every error is one line on stderr and
writes nothing. Heavy modules (the store, the engine) are imported only by commands using them.
"""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on
# each start (even for ``--help``), and objects cost it less than strings to compile and eval.
# Names imported only for type checking are therefore quoted.

import atexit
import gc
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from shouhu.errors import InvalidInput, ShouhuError

if TYPE_CHECKING:
    from pathlib import Path

    from shouhu.api import Engine

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
        try:
            rv = super().main(
                args=args,
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
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            code = exc.exit_code if exc.exit_code else EXIT_USAGE
            _fail(f"{exc.format_message()}{hint}", code)
        except Exit as exc:
            _announce_created()
            sys.exit(exc.exit_code)
        except (Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        _announce_created()
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


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


app = typer.Typer(
    cls=ShouhuGroup,
    help="守护 shouhu — the mandatory-reporting and rescue mechanism for left-behind children.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
case_app = typer.Typer(cls=ShouhuGroup, help="Show, list and move cases.", no_args_is_help=True)
workflow_app = typer.Typer(
    cls=ShouhuGroup, help="The six report workflows, as the law sets them.", no_args_is_help=True
)
policy_app = typer.Typer(
    cls=ShouhuGroup,
    help="The policy pack in force: deadlines and their basis.",
    no_args_is_help=True,
)
scheduler_app = typer.Typer(
    cls=ShouhuGroup, help="Fire due deadlines: once, or as a daemon.", no_args_is_help=True
)
app.add_typer(case_app, name="case")
app.add_typer(workflow_app, name="workflow")
app.add_typer(policy_app, name="policy")
audit_app = typer.Typer(
    cls=ShouhuGroup,
    help="For auditors: replay, verify, anchor, report, export.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
app.add_typer(scheduler_app, name="scheduler")
outbox_app = typer.Typer(
    cls=ShouhuGroup,
    help="Notices for other bodies (township, civil affairs…): deliver them, list them.",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")
db_app = typer.Typer(
    cls=ShouhuGroup,
    help="The database schema: bring it to the newest revision, or see where it is.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
import_app = typer.Typer(
    cls=ShouhuGroup,
    help="Batch intake: reports from another system's file (CSV or JSON Lines).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")
registry_app = typer.Typer(
    cls=ShouhuGroup,
    help="The ledger's returns: the quarterly report and the holiday screening plan.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")


class _Settings:
    db: str | None = None
    zone: str | None = None
    policy: str | None = None
    created: str | None = None  # a database file this command created (said once, at the end)
    json_logs: bool = False


SETTINGS = _Settings()


@app.callback()
def _main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="SHOUHU_DB",
            help="SQLAlchemy database URL (default: a SQLite file in the user's data directory).",
            show_envvar=True,
        ),
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--zone",
            envvar="SHOUHU_ZONE",
            help="The jurisdiction's time zone (default Asia/Shanghai).",
            show_envvar=True,
        ),
    ] = None,
    json_logs: Annotated[
        bool, typer.Option("--json-logs", help="Log lines as JSON (also SHOUHU_LOG_FORMAT=json).")
    ] = False,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level", envvar="SHOUHU_LOG_LEVEL", help="debug, info, warning or error."
        ),
    ] = "warning",
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            envvar="SHOUHU_POLICY",
            help="A city's policy pack (TOML); default: the national defaults.",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    from shouhu.adapters.logging import configure

    if log_level.lower() not in {"debug", "info", "warning", "error"}:
        raise InvalidInput(f"--log-level: unknown level {log_level[:20]!r}", field="log_level")
    if db is not None and not db.strip():
        raise InvalidInput(
            "--db is empty: give a database URL (sqlite:///cases.db), or leave --db out for "
            "the default",
            field="db",
        )
    fmt = "json" if json_logs or os.environ.get("SHOUHU_LOG_FORMAT") == "json" else "console"
    configure(fmt=fmt, level=log_level)
    SETTINGS.json_logs = fmt == "json"
    SETTINGS.db = db
    SETTINGS.zone = zone
    SETTINGS.policy = policy


def _engine(*, write: bool) -> "Engine":
    """The engine on the database of ``--db``. ``write``: the command files something, and
    may create the database (said on stderr); otherwise a missing database is exit 5 and
    nothing is created."""
    from shouhu.adapters.policyfile import load_pack
    from shouhu.api import Engine

    url = _db_url()
    pack = load_pack(SETTINGS.policy)
    new = _new_sqlite_file(url) if write else None
    try:
        return Engine.open(SETTINGS.db, zone=SETTINGS.zone, policy=pack, create=write)
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
        help="Show the child's name, birthdate and id number (recorded: needs --actor, --role, "
        "--reason).",
    ),
]
ReaderOpt = Annotated[str | None, typer.Option("--actor", help="Who reads (with identity).")]
ReaderRoleOpt = Annotated[str | None, typer.Option("--role", help="In which role.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why the identity is needed.")]


def _read_identity(
    engine: Any, case_id: str, actor: str | None, role: str | None, reason: str | None, what: str
) -> Any:
    """Record the identity read in the access log, or refuse without who and why."""
    _need_reader(actor, role, reason)
    return engine.read_identity(
        case_id, actor={"name": actor, "role": role}, reason=reason, what=what
    )


def _need_reader(actor: str | None, role: str | None, reason: str | None) -> None:
    missing = [n for n, v in (("--actor", actor), ("--role", role), ("--reason", reason)) if not v]
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


# --- report ---------------------------------------------------------------------------------


@app.command()
def report(
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="solo_living, missing_child, guardian_incapacity, guardian_nonperformance, "
            "suspected_abuse or suspected_harm.",
        ),
    ],
    child_name: Annotated[
        str, typer.Option("--child-name", help="The child's name (personal data: never logged).")
    ],
    child_birthdate: Annotated[str, typer.Option("--child-birthdate", help="YYYY-MM-DD.")],
    location: Annotated[str, typer.Option("--location", help="'VILLAGE, TOWNSHIP[, COUNTY]'.")],
    reporter_kind: Annotated[
        str,
        typer.Option(
            "--reporter-kind",
            help="Mandatory: school, kindergarten, medical, village_committee, social_work, "
            "relief_agency, welfare_institution; voluntary: citizen, social_organisation.",
        ),
    ],
    reporter: Annotated[
        str, typer.Option("--reporter", help="Who reports (organisation or person).")
    ],
    child_id_number: Annotated[
        str | None, typer.Option("--child-id-number", help="18-digit resident id (checked).")
    ] = None,
    discovered_at: Annotated[
        str | None,
        typer.Option("--discovered-at", help="When the situation was discovered (default: --at)."),
    ] = None,
    at: AtOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the new case id.")
    ] = False,
    new_case: Annotated[
        bool,
        typer.Option(
            "--new-case",
            help="A new situation: file it even if the child has an open report of this type "
            "made within the policy's duplicate window (refused otherwise, exit 3).",
        ),
    ] = False,
) -> None:
    """File a mandatory report (强制报告, 001 §四(三)1): it goes to the police at once."""
    child = {"name": child_name, "birthdate": child_birthdate, "id_number": child_id_number}
    values = parse_data(data)
    with _engine(write=True) as engine:
        case = engine.report(
            type_,
            child=child,
            location=location,
            reporter={"kind": reporter_kind, "name": reporter},
            discovered_at=discovered_at,
            occurred_at=at,
            data=values,
            new_case=new_case,
        )
        if quiet:
            sys.stdout.write(case.id + "\n")
        elif as_json:
            _print_json(case.to_dict(engine.zone))
        else:
            zh, en = case.state_labels
            _console().print(
                f"Filed case [bold]{case.id}[/bold] ({case.type} {case.workflow.zh}) — "
                f"state {case.state} {zh} / {en}"
            )


# --- register (the ledger) ------------------------------------------------------------------


@app.command()
def register(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="child, woman or elderly.")],
    name: Annotated[str, typer.Option("--name", help="The person's name (never logged).")],
    birthdate: Annotated[str, typer.Option("--birthdate", help="YYYY-MM-DD.")],
    location: Annotated[str, typer.Option("--location", help="'VILLAGE, TOWNSHIP[, COUNTY]'.")],
    actor: Annotated[str, typer.Option("--actor", help="Who registers (a name).")],
    role: Annotated[str, typer.Option("--role", help="village_committee or township.")],
    at: AtOpt = None,
    id_number: Annotated[
        str | None, typer.Option("--id-number", help="18-digit resident id (checked).")
    ] = None,
    parents_away: Annotated[
        str | None,
        typer.Option("--parents-away", help="child: both or one_with_incapable_other."),
    ] = None,
    guardian: Annotated[
        str | None, typer.Option("--guardian", help="child: the entrusted guardian's name.")
    ] = None,
    agreement_signed: Annotated[
        bool,
        typer.Option("--agreement-signed", help="child: an entrusted-guardianship agreement."),
    ] = False,
    husband_away_since: Annotated[
        str | None,
        typer.Option("--husband-away-since", help="woman: YYYY-MM-DD, away outside the county."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a person on the ledger (台账, 一人一档, 001 §四(二)2): a watch case with its duties."""
    data: dict[str, Any] = {}
    if kind in ("child", "child_watch"):
        data = {"parents_away": parents_away, "guardian": guardian}
        if agreement_signed:
            data["agreement_signed"] = True
    elif kind in ("woman", "woman_watch"):
        data = {"husband_away_since": husband_away_since}
    given = {
        "--parents-away": parents_away,
        "--guardian": guardian,
        "--agreement-signed": agreement_signed or None,
        "--husband-away-since": husband_away_since,
    }
    stray = [
        opt
        for opt, value in given.items()
        if value is not None and opt[2:].replace("-", "_") not in data
    ]
    if stray:
        raise InvalidInput(f"{', '.join(stray)}: not for {kind[:20]!r}", field=stray[0][2:])
    person = {"name": name, "birthdate": birthdate, "id_number": id_number}
    with _engine(write=True) as engine:
        case = engine.register(
            kind,
            person=person,
            location=location,
            actor={"name": actor, "role": role},
            at=at,
            data={k: v for k, v in data.items() if v is not None},
        )
        if as_json:
            _print_json(case.to_dict(engine.zone))
        else:
            zh, en = case.state_labels
            _console().print(
                f"Registered case [bold]{case.id}[/bold] ({case.type} {case.workflow.zh}) — "
                f"state {case.state} {zh} / {en}"
            )


# --- registry -------------------------------------------------------------------------------

FormatOpt = Annotated[str, typer.Option("--format", help="table, json or csv.")]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="As of this time (ISO 8601; not later than now). Default: now."),
]
TownshipOpt = Annotated[
    str | None, typer.Option("--township", help="Only this township's villages.")
]


def _format(fmt: str, as_json: bool) -> str:
    if as_json:
        return "json"
    if fmt not in {"table", "json", "csv"}:
        raise InvalidInput(
            f"--format: expected table, json or csv, not {fmt[:20]!r}", field="format"
        )
    return fmt


def _write_csv(header: list[str], rows: Any) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


@registry_app.command("report")
def registry_report(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q1.")],
    now: NowOpt = None,
    township: TownshipOpt = None,
    fmt: FormatOpt = "table",
    as_json: JsonOpt = False,
) -> None:
    """The quarter's return per township and village (001 §四(二)2): people on the ledger,
    entries and exits, visits due / done / missed per month, ledger updates, reports raised."""
    from shouhu.engine.registry import Quarter

    fmt = _format(fmt, as_json)
    Quarter.parse(quarter)  # bad input before the database is opened
    with _engine(write=False) as engine:
        ret = engine.registry_report(quarter, now, township=township)
    if fmt == "json":
        _print_json(ret.to_dict())
    elif fmt == "csv":
        _write_csv(ret.csv_header(), ret.csv_rows())
    else:
        from shouhu.render import render_ledger_return

        render_ledger_return(_console(), ret)


@registry_app.command("screening")
def registry_screening(
    before: Annotated[str, typer.Option("--before", help="The holiday's first day (YYYY-MM-DD).")],
    now: NowOpt = None,
    township: TownshipOpt = None,
    fmt: FormatOpt = "table",
    as_json: JsonOpt = False,
    include_identity: IdentityOpt = False,
    actor: ReaderOpt = None,
    role: ReaderRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """The children due a safety visit before a holiday (重点时段排查, 001 §四(三)5): no visit
    within the policy's bound of its first day, never visited, or a report still open."""
    from shouhu.engine.timeutil import parse_day

    fmt = _format(fmt, as_json)
    parse_day(before, field="before")  # bad input before the database is opened
    if include_identity:
        _need_reader(actor, role, reason)
    with _engine(write=False) as engine:
        plan = engine.screening(before, now, township=township)
        names: dict[str, str] = {}
        if include_identity:
            names = {
                e.case_id: _read_identity(
                    engine, e.case_id, actor, role, reason, "registry screening"
                ).name
                for e in plan.entries
            }
    if fmt == "json":
        out = plan.to_dict()
        for child in out["children"]:
            if include_identity:
                child["name"] = names[child["case_id"]]
        _print_json(out)
    elif fmt == "csv":
        header = plan.csv_header() + (["name"] if include_identity else [])
        rows = ([*row, names[row[2]]] if include_identity else row for row in plan.csv_rows())
        _write_csv(header, rows)
    else:
        from shouhu.render import render_screening

        render_screening(_console(), plan, names)


# --- case -----------------------------------------------------------------------------------


@case_app.command("show")
def case_show(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    as_json: JsonOpt = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="The state at that moment (business time), rebuilt by replay."),
    ] = None,
    include_identity: IdentityOpt = False,
    actor: ReaderOpt = None,
    role: ReaderRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """Show a case: state, facts, deadlines and its whole timeline."""
    with _engine(write=False) as engine:
        if at is not None:
            if include_identity:
                raise InvalidInput("--at shows no identity; drop --include-identity", field="at")
            rebuilt = engine.replay(case_id, at=at)
            if as_json:
                _print_json(rebuilt.to_dict(engine.zone))
            else:
                from shouhu.render import render_replay

                render_replay(_console(), rebuilt, engine.zone)
            return
        view = engine.case(case_id)
        if include_identity:
            _read_identity(engine, view.id, actor, role, reason, "case show")
        if as_json:
            _print_json(view.to_dict(engine.zone, identity=include_identity))
        else:
            from shouhu.render import render_case

            render_case(_console(), view, engine.zone, identity=include_identity)


#: ``case list`` without ``--limit`` or ``--all``: one page of this many cases.
LIST_DEFAULT = 50


class _Page:
    """The first ``size`` of ``rows``, streamed; after iterating, ``more`` says whether rows
    were left over and ``last`` is the id of the last row given."""

    def __init__(self, rows: Iterable[Any], size: int) -> None:
        self.rows = rows
        self.size = size
        self.more = False
        self.last: str | None = None

    def __iter__(self) -> Iterator[Any]:
        for n, row in enumerate(self.rows):
            if n == self.size:
                self.more = True
                return
            self.last = row.id
            yield row


@case_app.command("list")
def case_list(
    type_: Annotated[str | None, typer.Option("--type", help="Only this report type.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help=f"At most N cases (default {LIST_DEFAULT})."),
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="Cases after this id (the next page).")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every matching case, however many (not with --limit).")
    ] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases with a missed deadline still undone.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List cases in id (= filing) order, a page at a time: the first 50, or --limit N.

    When more cases match, a line on stderr gives the command for the next page (--after the
    last id shown) and says --all. The same holds for --json: a JSON array of at most one
    page, unless --all. --all streams every case: memory stays flat however many there are
    (past 1,000 cases the table is printed a page of 1,000 at a time).
    """
    if show_all and limit is not None:
        raise InvalidInput(
            "--all lists every case and --limit N a page of N: give one or the other",
            field="limit",
        )
    paged = not show_all and limit is None
    with _engine(write=False) as engine:
        rows = engine.cases(
            type_, state, limit=LIST_DEFAULT + 1 if paged else limit, after=after, overdue=overdue
        )
        page = _Page(rows, LIST_DEFAULT) if paged else None
        shown: Iterable[Any] = rows if page is None else page
        if as_json:
            _print_json_items(r.to_dict(engine.zone) for r in shown)
        else:
            from shouhu.render import render_case_list_pages

            render_case_list_pages(_console(), shown, engine.zone)
    if page is not None and page.more and page.last is not None:
        import shlex

        filters = [
            *(["--type", type_] if type_ is not None else []),
            *(["--state", state] if state is not None else []),
            *(["--overdue"] if overdue else []),
            *(["--json"] if as_json else []),
        ]
        command = shlex.join(["shouhu", "case", "list", *filters])
        _notice(
            f"{LIST_DEFAULT} cases shown and more remain; next page: {command} "
            f"--after {page.last}; all of them: {command} --all",
            "case_list_page",
            shown=LIST_DEFAULT,
            more=True,
            after=page.last,
        )


@case_app.command("next")
def case_next(
    case_id: Annotated[str, typer.Argument(metavar="CASE")], as_json: JsonOpt = False
) -> None:
    """What can happen next: triggers, who may fire them, the data they take, their guards."""
    with _engine(write=False) as engine:
        options = engine.next(case_id)
        if as_json:
            _print_json([o.to_dict() for o in options])
        else:
            from shouhu.render import render_next

            render_next(_console(), engine.case(case_id), options)


@case_app.command("fire")
def case_fire(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    trigger: Annotated[str, typer.Argument(metavar="TRIGGER")],
    actor: Annotated[str, typer.Option("--actor", help="Who acts (a name).")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="police, township, civil_affairs, village_committee, close_relative, court.",
        ),
    ],
    at: AtOpt = None,
    data: DataOpt = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expect-version", help="Refuse (exit 4) unless the case is at this version."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire a trigger on a case (see `shouhu case next CASE`)."""
    values = parse_data(data)
    # a trigger needs a case: on a database that does not exist it can only fail, so it
    # creates none (exit 5, naming the path) rather than leave an empty file behind
    with _engine(write=False) as engine:
        before = engine.case(case_id).state
        view = engine.fire(
            case_id,
            trigger,
            actor={"name": actor, "role": role},
            occurred_at=at,
            data=values,
            expected_version=expect_version,
        )
        if as_json:
            _print_json(view.to_dict(engine.zone))
        else:
            zh, en = view.state_labels
            _console().print(
                f"{view.id}: {trigger} — {before} → [bold]{view.state}[/bold] {zh} / {en} "
                f"(version {view.version})"
            )


# --- workflow -------------------------------------------------------------------------------


@workflow_app.command("list")
def workflow_list(as_json: JsonOpt = False) -> None:
    """The report types and their workflows."""
    from shouhu import workflows

    rows: list[dict[str, Any]] = [
        {
            "type": wf.type,
            "zh": wf.zh,
            "en": wf.en,
            "version": wf.version,
            "citation": wf.citation,
            "states": len(wf.states),
            "triggers": len(wf.triggers),
        }
        for wf in (workflows.latest(t) for t in workflows.all_types())
    ]
    if as_json:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Report workflows (001 §四(三)) and the ledger's watches (001 §四(二)2)")
    for col in ("type", "类型", "description", "version", "triggers"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["type"], r["zh"], r["en"], str(r["version"]), str(r["triggers"]))
    _console().print(table)


@workflow_app.command("show")
def workflow_show(
    type_: Annotated[str, typer.Argument(metavar="TYPE")],
    fmt: Annotated[str, typer.Option("--format", help="text, mermaid or json.")] = "text",
) -> None:
    """One workflow: its states and transitions with roles, data, guards and citations."""
    from shouhu import workflows
    from shouhu.render import render_workflow, workflow_json
    from shouhu.workflows.diagram import mermaid

    if type_ not in workflows.all_types():
        raise InvalidInput(
            f"unknown report type {type_[:40]!r} (types: {', '.join(workflows.all_types())})",
            field="type",
        )
    if fmt not in {"text", "mermaid", "json"}:
        raise InvalidInput(
            f"--format: expected text, mermaid or json, not {fmt[:20]!r}", field="format"
        )
    wf = workflows.latest(type_)
    if fmt == "mermaid":
        sys.stdout.write(mermaid(wf))
    elif fmt == "json":
        _print_json(workflow_json(wf))
    else:
        render_workflow(_console(), wf)


# --- deadlines, policy, scheduler ------------------------------------------------------------


@app.command("deadlines")
def deadlines_cmd(
    case: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
    due_before: Annotated[
        str | None, typer.Option("--due-before", help="Only those due at or before (ISO 8601).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, met, missed, fired or cancelled.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deadlines across cases, by due time (due_at in local time with its offset)."""
    with _engine(write=False) as engine:
        from shouhu.engine.views import public_deadline

        # no identity here: a due time counted from a birthdate is withheld
        rows = [
            dict(public_deadline(d))
            for d in engine.deadlines(case_id=case, status=status, due_before=due_before)
        ]
        if as_json:
            _print_json(rows)
            return
        from shouhu.render import render_deadlines

        render_deadlines(_console(), rows, title=f"Deadlines ({len(rows)})")


@policy_app.command("show")
def policy_show(
    fmt: Annotated[str, typer.Option("--format", help="table, toml or json.")] = "table",
) -> None:
    """The policy pack in force (the national defaults, or --policy / SHOUHU_POLICY)."""
    from shouhu.adapters.policyfile import load_pack
    from shouhu.engine.policy import describe

    if fmt not in {"table", "toml", "json"}:
        raise InvalidInput(
            f"--format: expected table, toml or json, not {fmt[:20]!r}", field="format"
        )
    pack = load_pack(SETTINGS.policy)
    if fmt == "toml":
        sys.stdout.write(pack.text if pack.text.endswith("\n") else pack.text + "\n")
    elif fmt == "json":
        _print_json({"id": pack.id, "source": pack.source, "deadlines": describe(pack)})
    else:
        from shouhu.render import render_policy

        render_policy(_console(), pack)


@scheduler_app.command("run")
def scheduler_run(
    once: Annotated[
        bool, typer.Option("--once", help="Fire what is due now, print it, and exit.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", help="With --once: fire what is due at this time (not later than now)."
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, help="Daemon: seconds between sweeps.")
    ] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Fire due deadlines exactly once: `--once` for one sweep, otherwise run as a daemon."""
    if now is not None and not once:
        raise InvalidInput("--now goes with --once", field="now")
    with _engine(write=True) as engine:
        if once:
            fired = [_fired(engine, f) for f in engine.run_due(now)]
            if as_json:
                _print_json(fired)
                return
            for f in fired:
                sys.stdout.write(
                    f"{f['case_id']}  {f['kind']}  due {f['due_at']}  → {f['trigger']} "
                    f"(#{f['seq']})\n"
                )
            sys.stdout.write(f"fired {len(fired)} deadline{'' if len(fired) == 1 else 's'}\n")
            return
        from shouhu.adapters.logging import configure
        from shouhu.adapters.scheduler import Daemon

        if "SHOUHU_LOG_LEVEL" not in os.environ and not any(
            a.startswith("--log-level") for a in sys.argv
        ):
            fmt = "json" if os.environ.get("SHOUHU_LOG_FORMAT") == "json" else "console"
            configure(fmt=fmt, level="info")  # a daemon says what it does
        from shouhu.adapters.channels import close_channels, configured_channels

        channels = configured_channels()  # bad configuration: exit 2 before the daemon starts
        _announce_created()  # a daemon does not end soon: say it now
        try:
            Daemon(
                engine,
                interval=interval,
                deliver=(lambda: engine.deliver(channels)) if channels else None,
            ).run()
        finally:
            close_channels(channels)


def _fired(engine: Any, f: Any) -> dict[str, Any]:
    from shouhu.engine.timeutil import local_iso

    return {
        "case_id": f.case_id,
        "kind": f.kind,
        "due_at": local_iso(f.due_at, engine.zone),
        "trigger": f.trigger,
        "seq": f.seq,
    }


# --- audit ----------------------------------------------------------------------------------


@audit_app.command("replay")
def audit_replay(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (business time).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild a case from its events alone, through the definitions it was recorded under."""
    with _engine(write=False) as engine:
        rebuilt = engine.replay(case_id, at=at)
        if as_json:
            _print_json(rebuilt.to_dict(engine.zone))
        else:
            from shouhu.render import render_replay

            render_replay(_console(), rebuilt, engine.zone)
    if not rebuilt.ok:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None,
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="Prove nothing before this anchor changed.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every hash, seq and head, and replay every event; exit 1 naming each broken case."""
    with _engine(write=False) as engine:
        result = engine.verify(case_id, anchor=anchor)
    if as_json:
        _print_json(result.to_dict())
    else:
        for b in result.broken:
            sys.stdout.write(f"BROKEN {b.case_id} at seq {b.seq}: {b.reason}\n")
        for r in result.replay_failures:
            for seq, why in r.illegal:
                sys.stdout.write(f"ILLEGAL {r.case_id} at seq {seq}: {why}\n")
            for diff in r.differences:
                sys.stdout.write(f"DIFFERS {r.case_id}: {diff}\n")
        for line in result.journal_broken:
            sys.stdout.write(f"BROKEN {line}\n")
        for d in result.derived:
            sys.stdout.write(f"DERIVED {d.line()}\n")
        if result.anchor is not None:
            word = "holds" if result.anchor_holds else "DOES NOT HOLD"
            sys.stdout.write(
                f"anchor of {result.anchor.at.isoformat()} ({result.anchor.count} cases): {word}\n"
            )
        verdict = "ok" if result.ok else "FAILED"
        sys.stdout.write(f"verified {result.cases} cases, {result.events} events: {verdict}\n")
    if not result.ok:
        for b in result.broken:
            typer.echo(f"shouhu: broken: {b.case_id} seq {b.seq}: {b.reason}", err=True)
        for r in result.replay_failures:
            first = r.illegal[0][0] if r.illegal else None
            typer.echo(f"shouhu: replay: {r.case_id} seq {first}: does not replay", err=True)
        for line in result.journal_broken:
            typer.echo(f"shouhu: broken: {line}", err=True)
        tables = sorted({f"{d.table}.{d.column}" if d.column else d.table for d in result.derived})
        if tables:
            cases = len({d.case_id for d in result.derived})
            typer.echo(
                f"shouhu: derived: {len(result.derived)} stored cells or rows of {cases} "
                f"case(s) are not what the log says ({', '.join(tables[:12])}"
                f"{', …' if len(tables) > 12 else ''})",
                err=True,
            )
        if result.anchor_holds is False:
            typer.echo("shouhu: broken: the anchor does not hold", err=True)
        raise typer.Exit(1)


@audit_app.command("access")
def audit_access(
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Who read a child's identity: the access log (who, role, when, why), oldest first."""
    from shouhu.engine.timeutil import local_iso

    with _engine(write=False) as engine:
        rows = [
            {
                "case_id": a.case_id,
                "actor": a.actor,
                "role": a.role,
                "reason": a.reason,
                "what": a.what,
                "at": local_iso(a.at, engine.zone),
            }
            for a in engine.accesses(case_id)
        ]
    if as_json:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"Identity reads ({len(rows)})")
    table.add_column("case", no_wrap=True, min_width=16)
    for col in ("when", "who (role)", "what", "why"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["case_id"], r["at"][:16], f"{r['actor']} ({r['role']})", r["what"], r["reason"]
        )
    _console().print(table)


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Print a digest over all case heads, with the time: keep it outside the database."""
    with _engine(write=False) as engine:
        sys.stdout.write(engine.anchor() + "\n")


@audit_app.command("report")
def audit_report(
    date_from: Annotated[str, typer.Option("--from", help="First report date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last report date (YYYY-MM-DD).")],
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    as_json: JsonOpt = False,
) -> None:
    """Compliance over the cases reported in a window: deadlines, late reports, six months."""
    if as_json:
        fmt = "json"
    if fmt not in {"table", "json", "csv"}:
        raise InvalidInput(
            f"--format: expected table, json or csv, not {fmt[:20]!r}", field="format"
        )
    with _engine(write=False) as engine:
        report = engine.compliance_report(date_from, date_to)
    if fmt == "json":
        _print_json(report.to_dict())
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["section", "key", "metric", "value"])
        writer.writerows(report.rows())
    else:
        from shouhu.render import render_report

        render_report(_console(), report)


@audit_app.command("export")
def audit_export(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A new file to write ('-': standard output). Never an existing file unless "
            "--force; never the database in use nor through a symbolic link.",
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="html or json.")] = "html",
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing regular file at --output.")
    ] = False,
    include_identity: IdentityOpt = False,
    actor: ReaderOpt = None,
    role: ReaderRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """A case for the file: one self-contained printable HTML page, or JSON to re-verify.

    The file is new (mode 0644 less the umask; 0600 with --include-identity); an existing one
    is replaced only with --force, and the database in use never.
    """
    from shouhu.adapters import dburl, files

    if fmt not in {"html", "json"}:
        raise InvalidInput(f"--format: expected html or json, not {fmt[:20]!r}", field="format")
    to_stdout = output == "-"
    protect = dburl.database_files(_db_url())
    if not to_stdout:  # refused before the database is opened: nothing read, nothing logged
        files.check_target(output, force=force, protect=protect)
    with _engine(write=False) as engine:
        from shouhu.adapters.export import export_html, export_json
        from shouhu.engine.audit import verify_chain

        view = engine.case(case_id)
        rebuilt = engine.replay(view.id)
        broken = verify_chain(view.id, engine.store.events(view.id), engine.store.load(view.id))
        if include_identity:
            _read_identity(engine, view.id, actor, role, reason, f"audit export {fmt}")
        now = engine.clock.now()
        if fmt == "html":
            text = export_html(
                view, rebuilt, broken, zone=engine.zone, identity=include_identity, generated_at=now
            )
        else:
            data = export_json(
                view, rebuilt, broken, zone=engine.zone, identity=include_identity, generated_at=now
            )
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if to_stdout:
        sys.stdout.write(text)
        return
    size = files.write_new(output, text, force=force, private=include_identity, protect=protect)
    sys.stdout.write(f"wrote {output} ({fmt}, {size:,} bytes)\n")


# --- outbox ---------------------------------------------------------------------------------


def _notice_dict(n: Any, zone: str) -> dict[str, Any]:
    from shouhu.engine.timeutil import local_iso

    def when(dt: Any) -> str | None:
        return None if dt is None else local_iso(dt, zone)

    return {
        "id": n.id,
        "key": n.key,
        "case_id": n.case_id,
        "seq": n.seq,
        "kind": n.kind,
        "recipient": n.recipient,
        "status": n.status,
        "attempts": n.attempts,
        "next_attempt_at": when(n.next_attempt_at),
        "last_error": n.last_error,
        "created_at": when(n.created_at),
        "delivered_at": when(n.delivered_at),
        "channel": n.channel,
        "payload": n.payload,
    }


def _short_time(iso: str | None) -> str:
    """``2026-03-10T10:00:10+08:00`` → ``2026-03-10 10:00:10`` (local time, seconds matter)."""
    return "" if iso is None else iso[:19].replace("T", " ")


def _notice_outcome(d: dict[str, Any]) -> str:
    if d["status"] == "delivered":
        return f"delivered {_short_time(d['delivered_at'])} via {d['channel']}"
    if d["status"] == "failed":
        return f"failed for good: {d['last_error']}"
    nxt = _short_time(d["next_attempt_at"]) or "now"
    tail = f": {d['last_error']}" if d["last_error"] else ""
    return f"pending, next attempt {nxt}{tail}"


def _render_notices(rows: list[dict[str, Any]], title: str) -> None:
    """A table readable at 80 columns: the notice id and key (case:seq:kind) are never cut."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("key (case:seq:kind)", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("recipient · next attempt · last error", overflow="fold")
    for d in rows:
        tries = f"{d['attempts']} attempt{'' if d['attempts'] == 1 else 's'}"
        info = Text(f"→ {d['recipient']}\n")
        if d["status"] == "pending":
            info.append(f"next {_short_time(d['next_attempt_at']) or 'now'}")
        elif d["status"] == "delivered":
            info.append(f"done {_short_time(d['delivered_at'])} via {d['channel']}")
        else:
            info.append("not retried")
        if d["last_error"]:
            info.append(f"\n{d['last_error']}", style="bold")
        table.add_row(str(d["id"]), d["key"], f"{d['status']}\n{tries}", info)
    _console().print(table)


def _show_outbox_log_lines() -> None:
    """The ``log`` channel writes at info: show its lines unless a log level was chosen."""
    import logging

    if "SHOUHU_LOG_LEVEL" not in os.environ and not any(
        a.startswith("--log-level") for a in sys.argv
    ):
        from shouhu.adapters.channels import OUTBOX_LOGGER

        logging.getLogger(OUTBOX_LOGGER).setLevel(logging.INFO)


@outbox_app.command("deliver")
def outbox_deliver(
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most N notices in this run.")
    ] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Send the notices due now through the configured channels; failures are retried later.

    Channels: SHOUHU_CHANNELS (log, jsonl, webhook; default log, plus webhook with
    SHOUHU_WEBHOOK_URL, plus jsonl with SHOUHU_OUTBOX_JSONL); SHOUHU_WEBHOOK_TIMEOUT seconds.
    """
    from shouhu.adapters.channels import close_channels, configured_channels

    channels = configured_channels()
    if not channels:
        raise InvalidInput("no notice channels configured (SHOUHU_CHANNELS=none)", field="channels")
    _show_outbox_log_lines()
    try:
        with _engine(write=True) as engine:
            done = [_notice_dict(n, engine.zone) for n in engine.deliver(channels, limit=limit)]
    finally:
        close_channels(channels)
    if as_json:
        _print_json(done)
        return
    for d in done:
        sys.stdout.write(f"#{d['id']}  {d['key']}  {_notice_outcome(d)}\n")
    counts = {s: sum(1 for d in done if d["status"] == s) for s in ("delivered", "pending")}
    failed = len(done) - counts["delivered"] - counts["pending"]
    sys.stdout.write(
        f"delivered {counts['delivered']} of {len(done)} notice{'' if len(done) == 1 else 's'} "
        f"due; {counts['pending']} pending (retried later), {failed} failed\n"
    )


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or failed.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case's notices.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The outbox, oldest first: each notice's key, recipient, status, attempts and last error."""
    with _engine(write=False) as engine:
        rows = [_notice_dict(n, engine.zone) for n in engine.notices(status=status, case_id=case)]
    if as_json:
        _print_json(rows)
        return
    _render_notices(rows, f"Outbox ({len(rows)})")


# --- db -------------------------------------------------------------------------------------


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


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Bring the database to the newest schema revision (a new one gets the whole schema).

    A database made by an earlier build without migrations is recognised, stamped and
    upgraded in place. Safe to run again: at the head, it changes nothing.
    """
    from shouhu.adapters import migrate

    url = _db_url()
    new = _new_sqlite_file(url)
    done = migrate.upgrade(url, make_dirs=SETTINGS.db is None)
    if new is not None and new.exists():
        SETTINGS.created = str(new)
    if as_json:
        _print_json(done.to_dict())
        return
    if not done.changed:
        sys.stdout.write(f"{done.database}: already at {done.after} (head); nothing to do\n")
        return
    if done.before is not None:
        before = done.before
    elif done.stamped is not None:
        before = f"unversioned (tables of {done.stamped}, stamped)"
    else:
        before = "empty"
    sys.stdout.write(f"{done.database}: upgraded {before} → {done.after} (head)\n")


@db_app.command("current")
def db_current(as_json: JsonOpt = False) -> None:
    """The database's schema revision, and whether it is the newest (reads only)."""
    from shouhu.adapters import migrate

    st = migrate.status(_db_url())
    if as_json:
        _print_json(st.to_dict())
        return
    if st.at_head:
        line = f"{st.revision} (head)"
    elif st.revision is not None:
        line = f"{st.revision} (not head: {st.head}; run `shouhu db upgrade`)"
    elif st.matches is not None:
        line = (
            f"none (unversioned: tables of {st.matches}, made before migrations; head is "
            f"{st.head}: `shouhu db upgrade` stamps and upgrades it)"
        )
    else:
        line = f"none (empty database; head is {st.head}: `shouhu db upgrade` creates it)"
    sys.stdout.write(line + "\n")


# --- import ---------------------------------------------------------------------------------


@import_app.command("reports")
def import_reports(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="CSV (with a header row) or JSON Lines: a file, a pipe, or - (standard input).",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv or jsonl (default: from the name: .csv, .jsonl; needed for - and pipes).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option("--source", help="The sending system: the namespace of external ids."),
    ] = "12345",
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="Reports per batch: one transaction each (unless --all-or-nothing).",
        ),
    ] = 1000,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing",
            help="Import nothing if any row is refused: every row in one transaction.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """File the reports of a file: every row is checked first, the good ones filed in batches.

    Columns: external_id, type, child_name, child_birthdate, location,
    reporter_kind, reporter, discovered_at, reported_at; optional:
    child_id_number, data (a JSON object). See docs/intake.md.

    The file is read once into a private copy, and both passes read the
    copy. Each refused row is named by its line and external_id. Running a
    file again imports nothing twice. Exit 0 when every row is imported (now
    or before), 2 when any row is refused.
    """
    import contextlib

    from shouhu.adapters import importer

    importer.clean_source(source)  # a reserved --source: exit 2, nothing opened
    # Read once into a private copy, deleted when the block ends (also on an error or Ctrl-C);
    # unreadable, bad header: exit 2, no database opened.
    with (
        importer.ReportFile(file, fmt) as reports,
        _engine(write=True) as engine,
        contextlib.ExitStack() as stack,
    ):
        bar = stack.enter_context(importer.RichProgress()) if sys.stderr.isatty() else None
        result = importer.import_reports(
            engine,
            reports,
            source=source,
            batch_size=batch_size,
            all_or_nothing=all_or_nothing,
            progress=bar,
        )
    if as_json:
        _print_json(result.to_dict())
    else:
        for bad in result.refused:
            typer.echo(str(bad), err=True)
        sys.stdout.write(result.summary() + "\n")
    if not result.ok:
        raise typer.Exit(EXIT_USAGE)


# --- info -----------------------------------------------------------------------------------


@app.command()
def info(as_json: JsonOpt = False) -> None:
    """Where the data is and what this installation is."""
    import platform

    from sqlalchemy.engine import make_url

    from shouhu import __version__
    from shouhu.adapters.config import data_dir, default_db_url

    url = SETTINGS.db or default_db_url()
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:
        shown = url
    facts = {
        "version": __version__,
        "database": shown,
        "data_dir": str(data_dir()),
        "zone": _zone(),
        "python": platform.python_version(),
    }
    if as_json:
        _print_json(facts)
        return
    for key, value in facts.items():
        sys.stdout.write(f"{key:9} {value}\n")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    # When the process ends, skip the interpreter's last garbage collections over every
    # module's objects (SQLAlchemy's alone take longer than most commands): nothing is left to
    # them — the commands close their stores, and atexit still flushes the logs. Objects are
    # frozen only then, so calling main() many times in one process collects as usual.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    app(args=list(argv) if argv is not None else None, prog_name="shouhu")
