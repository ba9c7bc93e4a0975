"""The ``shouhu`` command: the root group, its global options, and every command and group
registered in the order ``--help`` lists them."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import atexit
import gc
import os
from collections.abc import Sequence
from typing import Annotated

import typer

from shouhu.cli import (
    audit_report,
    case,
    db,
    deadlines,
    info,
    intake,
    operators,
    outbox,
    policy,
    registry,
    report,
    scheduler,
    serve,
    workflow,
)
from shouhu.cli.common import ShouhuCommand, ShouhuGroup, TypesHelp, examples
from shouhu.cli.settings import SETTINGS
from shouhu.errors import InvalidInput
from shouhu.i18n import _

app = typer.Typer(
    cls=ShouhuGroup,
    help="守护 shouhu — the mandatory-reporting and rescue mechanism for left-behind children.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# top-level commands first, then the groups: ``--help`` lists them in this order
app.command(
    cls=TypesHelp,
    epilog=examples(
        "shouhu report solo_living --child-name 王小明 --child-birthdate 2016-02-01 "
        "--location '石桥村, 青山镇' --reporter-kind school --reporter 青山镇中心小学",
        "shouhu report suspected_abuse --child-name 王小明 --child-birthdate 2016-02-01 "
        "--location '石桥村, 青山镇, 平安县' --reporter-kind medical --reporter 平安县人民医院 "
        "--discovered-at 2026-03-02T08:10 -q",
    ),
)(report.report)
app.command(
    cls=TypesHelp,
    epilog=examples(
        "shouhu register child --name 王小明 --birthdate 2016-02-01 --location '石桥村, 青山镇' "
        "--parents-away both --guardian 王大山 --agreement-signed --as village.json",
        "shouhu register elderly --name 王秀英 --birthdate 1948-05-20 --location '石桥村, 青山镇' "
        "--as village.json",
    ),
)(report.register)
app.add_typer(deadlines.deadlines_app, name="deadlines")
app.command(
    cls=ShouhuCommand, epilog=examples("shouhu info", "shouhu --db sqlite:///cases.db info --json")
)(info.info)
app.add_typer(case.case_app, name="case")
app.add_typer(workflow.workflow_app, name="workflow")
app.add_typer(policy.policy_app, name="policy")
app.add_typer(audit_report.audit_app, name="audit")  # audit.py's group, with its two commands
app.add_typer(scheduler.scheduler_app, name="scheduler")
app.command(
    "serve",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu serve --db sqlite:///demo.db",
        "shouhu serve --db postgresql+psycopg://shouhu@db/shouhu --host 0.0.0.0 --workers 4",
    ),
)(serve.serve)
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(db.db_app, name="db")
app.add_typer(intake.import_app, name="import")
app.add_typer(registry.registry_app, name="registry")
app.command(
    "init",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu init --admin 张主任 --scope 平安县 --credential-out admin.json",
        "shouhu init --admin 张主任 --body 平安县民政局 --protect",
    ),
)(operators.init)
app.add_typer(operators.operator_app, name="operator")


def _version(value: bool) -> None:
    if value:
        from shouhu import __version__

        typer.echo(f"shouhu {__version__}")
        raise typer.Exit()


@app.callback(cls=ShouhuGroup)
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
    as_: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="SHOUHU_CREDENTIAL",
            help="Act as the operator of this credential file (shouhu init, operator add).",
            show_envvar=True,
            metavar="PATH",
        ),
    ] = None,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (also SHOUHU_PAGER= or PAGER=cat); it is paged only "
            "on a terminal.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            expose_value=False,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    from shouhu.adapters.logging import configure

    if log_level.lower() not in {"debug", "info", "warning", "error"}:
        raise InvalidInput(
            _("--log-level: unknown level {value!r}").format(value=log_level[:20]),
            field="log_level",
        )
    if db is not None and not db.strip():
        raise InvalidInput(
            _(
                "--db is empty: give a database URL (sqlite:///cases.db), or leave --db out for "
                "the default"
            ),
            field="db",
        )
    fmt = "json" if json_logs or os.environ.get("SHOUHU_LOG_FORMAT") == "json" else "console"
    configure(fmt=fmt, level=log_level)
    SETTINGS.json_logs = fmt == "json"
    SETTINGS.db = db
    SETTINGS.zone = zone
    SETTINGS.policy = policy
    SETTINGS.credential = as_
    SETTINGS.no_pager = no_pager


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    # When the process ends, skip the interpreter's last garbage collections over every
    # module's objects (SQLAlchemy's alone take longer than most commands): nothing is left to
    # them — the commands close their stores, and atexit still flushes the logs. Objects are
    # frozen only then, so calling main() many times in one process collects as usual.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    app(args=list(argv) if argv is not None else None, prog_name="shouhu")
