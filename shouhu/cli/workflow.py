"""``shouhu workflow``: the report workflows, as the law sets them."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import JsonOpt, ShouhuCommand, ShouhuGroup, _workflows, examples
from shouhu.cli.output import _console, _paged, _print_json
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _

workflow_app = typer.Typer(
    cls=ShouhuGroup,
    help="The report workflows and the ledger's watches, as the law sets them.",
    no_args_is_help=True,
)


@workflow_app.command(
    "list",
    cls=ShouhuCommand,
    epilog=examples("shouhu workflow list", "shouhu workflow list --json"),
)
def workflow_list(as_json: JsonOpt = False) -> None:
    """The report types and their workflows."""
    wfs = _workflows()
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
        for wf in (wfs.latest(t) for t in wfs.all_types())
    ]
    if as_json:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table(title=_("Report workflows (001 §四(三)) and the ledger's watches (001 §四(二)2)"))
    from shouhu.i18n import chinese

    # in Chinese the Chinese name is the description; in English both are shown
    zh = chinese()
    for col in (
        N_("type"),
        N_("Chinese name") if zh else "类型",
        *(() if zh else (N_("description"),)),
        N_("version"),
        N_("triggers"),
    ):
        table.add_column(_(col))
    for r in rows:
        words = (r["zh"],) if zh else (r["zh"], r["en"])
        table.add_row(r["type"], *words, str(r["version"]), str(r["triggers"]))
    _console().print(table)


@workflow_app.command(
    "show",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu workflow show solo_living",
        "shouhu workflow show solo_living --format mermaid",
        "shouhu workflow show suspected_abuse --json",
    ),
)
def workflow_show(
    type_: Annotated[str, typer.Argument(metavar="TYPE")],
    fmt: Annotated[str, typer.Option("--format", help="text, mermaid or json.")] = "text",
    as_json: JsonOpt = False,
) -> None:
    """One workflow: its states and transitions with roles, data, guards and citations."""
    if as_json:
        fmt = "json"
    from shouhu.cli.render import render_workflow, workflow_json
    from shouhu.engine.zhinput import any_type
    from shouhu.workflows.diagram import mermaid

    wfs = _workflows()
    type_ = any_type(type_, wfs)  # a key or a Chinese name (独居 …); else named, with the close
    if fmt not in {"text", "mermaid", "json"}:
        raise InvalidInput(
            _("--format: expected text, mermaid or json, not {value!r}").format(value=fmt[:20]),
            field="format",
        )
    wf = wfs.latest(type_)
    if fmt == "mermaid":
        sys.stdout.write(mermaid(wf))
    elif fmt == "json":
        _print_json(workflow_json(wf))
    else:
        with _paged() as console:
            render_workflow(console, wf)
