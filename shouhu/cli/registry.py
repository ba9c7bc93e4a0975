"""``shouhu registry``: the ledger's quarterly return and the holiday screening plan."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import (
    AtOpt,
    GoneActorOpt,
    GoneRoleOpt,
    IdentityOpt,
    JsonOpt,
    ReasonOpt,
    ShouhuCommand,
    ShouhuGroup,
    _engine,
    examples,
)
from shouhu.cli.output import _console, _print_json
from shouhu.cli.who import _gone, _need_reader, _read_identity, _who
from shouhu.errors import InvalidInput
from shouhu.i18n import _

registry_app = typer.Typer(
    cls=ShouhuGroup,
    help="The ledger's returns: the quarterly report and the holiday screening plan.",
    no_args_is_help=True,
)

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
            _("--format: expected table, json or csv, not {value!r}").format(value=fmt[:20]),
            field="format",
        )
    return fmt


def _write_csv(header: list[str], rows: Any) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


@registry_app.command(
    "report",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu registry report --quarter 2026Q1",
        "shouhu registry report --quarter 2026Q1 --township 青山镇 --format csv",
    ),
)
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
        from shouhu.cli.render_reports import render_ledger_return

        render_ledger_return(_console(), ret)


@registry_app.command(
    "submit",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu registry submit --township 青山镇 --county 平安县 --quarter 2026Q1 "
        "--as township.json"
    ),
)
def registry_submit(
    township: Annotated[str, typer.Option("--township", help="The township submitting.")],
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q3.")],
    county: Annotated[str | None, typer.Option("--county", help="The township's county.")] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
) -> None:
    """Record the township's quarterly submission of its ledger to county civil affairs,
    copied to the county education and public security bureaus (001 §四(二)2): three notices;
    the next quarter's return is then due (the pack's quarterly_submission)."""
    from shouhu.workflows.township import parse_quarter

    credential = _who(actor, role)
    if parse_quarter(quarter) is None:  # bad input before the database is opened
        raise InvalidInput(
            _("--quarter: expected a calendar quarter such as 2026Q3, not {value!r}").format(
                value=quarter[:20]
            ),
            field="quarter",
        )
    with _engine(write=True) as engine:
        view = engine.submit_return(
            township,
            quarter,
            actor=credential,
            county=county,
            occurred_at=at,
        )
        if as_json:
            _print_json(view.to_dict(engine.zone))
        else:
            due = [d for d in view.deadlines if d["status"] == "pending"]
            nxt = _("; next return due {due}").format(due=due[0]["due_at"]) if due else ""
            said = _("{id}: {township} submitted its return of {quarter}").format(
                id=view.id, township=township, quarter=quarter
            )
            print(said + nxt)


@registry_app.command(
    "screening",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu registry screening --before 2026-07-01 --township 青山镇",
        "shouhu registry screening --before 2026-07-01 --include-identity --reason 暑期排查 --as "
        "township.json",
    ),
)
def registry_screening(
    before: Annotated[
        str, typer.Option("--before", help="The holiday's first day (2026-07-01 or 2026年7月1日).")
    ],
    now: NowOpt = None,
    township: TownshipOpt = None,
    fmt: FormatOpt = "table",
    as_json: JsonOpt = False,
    include_identity: IdentityOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """The children due a safety visit before a holiday (重点时段排查, 001 §四(三)5): no visit
    within the policy's bound of its first day, never visited, or a report still open."""
    from shouhu.engine.timeutil import parse_day

    _gone(actor, role)
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
        from shouhu.cli.render_reports import render_screening

        render_screening(_console(), plan, names)
