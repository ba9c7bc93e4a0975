"""The operator CLI: ``shouhu report``, ``shouhu case …``, ``shouhu workflow …``, ``shouhu info``.

Exit codes: 0 done; 2 bad input; 3 refused by the rules (the message names the rule and its
citation); 4 conflict; 5 the database cannot be used. Every error is one line on stderr and
writes nothing. Heavy modules (the store, the engine) are imported only by commands using them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from shouhu.errors import InvalidInput, ShouhuError

if TYPE_CHECKING:
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
            sys.exit(exc.exit_code)
        except (Abort, KeyboardInterrupt):
            _fail("interrupted", 130)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    line = " ".join(str(message).split())
    typer.echo(f"shouhu: error: {line}", err=True)
    sys.exit(code)


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


class _Settings:
    db: str | None = None
    zone: str | None = None
    policy: str | None = None


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
    fmt = "json" if json_logs or os.environ.get("SHOUHU_LOG_FORMAT") == "json" else "console"
    configure(fmt=fmt, level=log_level)
    SETTINGS.db = db
    SETTINGS.zone = zone
    SETTINGS.policy = policy


def _engine() -> Engine:
    from shouhu.adapters.policyfile import load_pack
    from shouhu.api import Engine

    return Engine.open(SETTINGS.db, zone=SETTINGS.zone, policy=load_pack(SETTINGS.policy))


def _zone() -> str:
    from shouhu.adapters.config import default_zone

    return SETTINGS.zone or default_zone()


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


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
) -> None:
    """Record the identity read in the access log, or refuse without who and why."""
    missing = [n for n, v in (("--actor", actor), ("--role", role), ("--reason", reason)) if not v]
    if missing:
        raise InvalidInput(
            f"--include-identity needs {', '.join(missing)}: reading a child's identity is "
            "recorded (who, role, when, why)",
            field="identity",
        )
    engine.read_identity(case_id, actor={"name": actor, "role": role}, reason=reason, what=what)


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
) -> None:
    """File a mandatory report (强制报告, 001 §四(三)1): it goes to the police at once."""
    child = {"name": child_name, "birthdate": child_birthdate, "id_number": child_id_number}
    values = parse_data(data)
    with _engine() as engine:
        case = engine.report(
            type_,
            child=child,
            location=location,
            reporter={"kind": reporter_kind, "name": reporter},
            discovered_at=discovered_at,
            occurred_at=at,
            data=values,
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
    with _engine() as engine:
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


@case_app.command("list")
def case_list(
    type_: Annotated[str | None, typer.Option("--type", help="Only this report type.")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most N cases (a page).")
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="Cases after this id (the next page).")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases with a missed deadline still undone.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List cases in id (= filing) order."""
    with _engine() as engine:
        rows = engine.cases(type_, state, limit=limit, after=after, overdue=overdue)
        if as_json:
            _print_json([r.to_dict(engine.zone) for r in rows])
        else:
            from shouhu.render import render_case_list

            render_case_list(_console(), list(rows), engine.zone)


@case_app.command("next")
def case_next(
    case_id: Annotated[str, typer.Argument(metavar="CASE")], as_json: JsonOpt = False
) -> None:
    """What can happen next: triggers, who may fire them, the data they take, their guards."""
    with _engine() as engine:
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
    with _engine() as engine:
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
        for wf in (workflows.latest(t) for t in workflows.types())
    ]
    if as_json:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Report workflows (001 §四(三))")
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

    if type_ not in workflows.types():
        raise InvalidInput(
            f"unknown report type {type_[:40]!r} (types: {', '.join(workflows.types())})",
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
    with _engine() as engine:
        rows = list(engine.deadlines(case_id=case, status=status, due_before=due_before))
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
    with _engine() as engine:
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
        Daemon(engine, interval=interval).run()


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
    with _engine() as engine:
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
    with _engine() as engine:
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
        if result.anchor_holds is False:
            typer.echo("shouhu: broken: the anchor does not hold", err=True)
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Print a digest over all case heads, with the time: keep it outside the database."""
    with _engine() as engine:
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
    with _engine() as engine:
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
    output: Annotated[str, typer.Option("--output", "-o", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="html or json.")] = "html",
    include_identity: IdentityOpt = False,
    actor: ReaderOpt = None,
    role: ReaderRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """A case for the file: one self-contained printable HTML page, or JSON to re-verify."""
    from pathlib import Path

    if fmt not in {"html", "json"}:
        raise InvalidInput(f"--format: expected html or json, not {fmt[:20]!r}", field="format")
    target = Path(output)
    if not target.parent.is_dir():
        raise InvalidInput(f"--output: no such directory {str(target.parent)!r}", field="output")
    with _engine() as engine:
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
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"--output: cannot write {output!r}: {exc.strerror}", field="output"
        ) from None
    sys.stdout.write(f"wrote {output} ({fmt}, {len(text.encode()):,} bytes)\n")


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
    app(args=list(argv) if argv is not None else None, prog_name="shouhu")
