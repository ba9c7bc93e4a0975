"""``shouhu policy show``: the policy pack in force — deadlines and their basis."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated

import typer

from shouhu.cli.common import JsonOpt, ShouhuCommand, ShouhuGroup, _workflows, examples
from shouhu.cli.output import _console, _print_json
from shouhu.cli.settings import SETTINGS
from shouhu.errors import InvalidInput
from shouhu.i18n import _

policy_app = typer.Typer(
    cls=ShouhuGroup,
    help="The policy pack in force: deadlines and their basis.",
    no_args_is_help=True,
)


@policy_app.command(
    "show",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu policy show",
        "shouhu policy show --json",
        "shouhu --policy city.toml policy show --effective",
    ),
)
def policy_show(
    fmt: Annotated[str, typer.Option("--format", help="table, toml or json.")] = "table",
    effective: Annotated[
        bool,
        typer.Option(
            "--effective",
            help="The pack as it applies, inheritance resolved (a pack that extends another "
            "shown whole), as TOML: what events record the id of.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The policy pack in force (the national defaults, or --policy / SHOUHU_POLICY)."""
    if as_json:
        fmt = "json"
    from shouhu.adapters.policyfile import load_pack
    from shouhu.engine.policy import describe, rest_days

    if fmt not in {"table", "toml", "json"}:
        raise InvalidInput(
            _("--format: expected table, toml or json, not {value!r}").format(value=fmt[:20]),
            field="format",
        )
    pack = load_pack(SETTINGS.policy, wfs=_workflows())
    if effective and fmt != "json":
        sys.stdout.write(pack.to_toml())
    elif fmt == "toml":
        sys.stdout.write(pack.text if pack.text.endswith("\n") else pack.text + "\n")
    elif fmt == "json":
        shown = {"id": pack.id, "source": pack.source, "deadlines": describe(pack)}
        if pack.calendar:  # the rest days of Civil Code Art. 203, per year
            shown["rest_days"] = rest_days(pack)
        _print_json(shown)
    else:
        from shouhu.cli.render import render_policy

        render_policy(_console(), pack)
