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
    audit,
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
    workflow,
)
from shouhu.cli.common import SETTINGS, ShouhuGroup, TypesHelp
from shouhu.errors import InvalidInput

app = typer.Typer(
    cls=ShouhuGroup,
    help="守护 shouhu — the mandatory-reporting and rescue mechanism for left-behind children.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# top-level commands first, then the groups: ``--help`` lists them in this order
app.command(cls=TypesHelp)(report.report)
app.command(cls=TypesHelp)(report.register)
app.add_typer(deadlines.deadlines_app, name="deadlines")
app.command()(info.info)
app.add_typer(case.case_app, name="case")
app.add_typer(workflow.workflow_app, name="workflow")
app.add_typer(policy.policy_app, name="policy")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(scheduler.scheduler_app, name="scheduler")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(db.db_app, name="db")
app.add_typer(intake.import_app, name="import")
app.add_typer(registry.registry_app, name="registry")
app.command("init")(operators.init)
app.add_typer(operators.operator_app, name="operator")


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
    SETTINGS.credential = as_


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    # When the process ends, skip the interpreter's last garbage collections over every
    # module's objects (SQLAlchemy's alone take longer than most commands): nothing is left to
    # them — the commands close their stores, and atexit still flushes the logs. Objects are
    # frozen only then, so calling main() many times in one process collects as usual.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    app(args=list(argv) if argv is not None else None, prog_name="shouhu")
