"""``shouhu deadlines``: deadlines across cases, by due time."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

from typing import Annotated

import typer

from shouhu.cli.common import JsonOpt, _console, _engine, _print_json


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
        from shouhu.cli.render import render_deadlines

        render_deadlines(_console(), rows, title=f"Deadlines ({len(rows)})")
