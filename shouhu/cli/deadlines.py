"""``shouhu deadlines``: deadlines across cases, by due time; ``shouhu deadlines rejudge``:
flagged due times judged anew under the pack's rest days (Civil Code Art. 203)."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated

import typer

from shouhu.cli.common import JsonOpt, ShouhuCommand, ShouhuGroup, _engine, examples
from shouhu.cli.output import _paged, _print_json
from shouhu.cli.who import _reader
from shouhu.i18n import N_, _, one_or_many

deadlines_app = typer.Typer(
    cls=ShouhuGroup,
    help="Deadlines across cases, by due time; `rejudge`: flagged ones under new rest days.",
)


@deadlines_app.callback(
    invoke_without_command=True,
    epilog=examples(
        "shouhu deadlines --status pending --as police.json",
        "shouhu deadlines --due-before 2026-03-31 --json --as police.json",
        "shouhu deadlines --case 01HW3Q4Z9X8V7T6S --as police.json",
    ),
)
def deadlines_cmd(
    ctx: typer.Context,
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
    if ctx.invoked_subcommand is not None:
        return
    with _engine(write=False) as engine:
        from shouhu.engine.views import public_deadline

        # no identity here: a due time counted from a birthdate is withheld
        rows = [
            dict(public_deadline(d))
            for d in engine.deadlines(
                case_id=case, status=status, due_before=due_before, reader=_reader(engine)
            )
        ]
        if as_json:
            _print_json(rows)
            return
        from shouhu.cli.render import render_deadlines

        with _paged() as console:
            render_deadlines(console, rows, title=_("Deadlines ({count})").format(count=len(rows)))


@deadlines_app.command(
    "rejudge",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu deadlines rejudge --dry-run",
        "shouhu --policy city.toml deadlines rejudge --as scheduler.json",
    ),
)
def rejudge_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would move; record nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Flagged due times judged anew now that the pack has the year (Civil Code Art. 203)."""
    with _engine(write=not dry_run) as engine:
        done = [r.to_dict(engine.zone) for r in engine.rejudge(dry_run=dry_run)]
        if as_json:
            _print_json(done)
            return
        for r in done:
            verdict = (
                _("moved to {due}").format(due=r["due_at"])
                if r["moved"]
                else _("confirmed (not a rest day)")
            )
            seq = "" if r["seq"] is None else f" (#{r['seq']})"
            due = _("due {due}").format(due=r["was"])
            sys.stdout.write(f"{r['case_id']}  {r['kind']}  {due}  {verdict}{seq}\n")
        n = len(done)
        if dry_run:
            said = one_or_many(
                n,
                N_(
                    "{count} deadline would be re-judged under Civil Code Art. 203 "
                    "(policy {policy})"
                ),
                N_(
                    "{count} deadlines would be re-judged under Civil Code Art. 203 "
                    "(policy {policy})"
                ),
            )
        else:
            said = one_or_many(
                n,
                N_("{count} deadline re-judged under Civil Code Art. 203 (policy {policy})"),
                N_("{count} deadlines re-judged under Civil Code Art. 203 (policy {policy})"),
            )
        sys.stdout.write(said.format(count=n, policy=engine.policy.id) + "\n")
