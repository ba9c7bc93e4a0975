"""``shouhu scheduler run``: fire due deadlines, once or as a daemon."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import os
import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import (
    JsonOpt,
    ShouhuCommand,
    ShouhuGroup,
    _announce_created,
    _engine,
    examples,
)
from shouhu.cli.output import _print_json
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _, one_or_many

scheduler_app = typer.Typer(
    cls=ShouhuGroup, help="Fire due deadlines: once, or as a daemon.", no_args_is_help=True
)


@scheduler_app.command(
    "run",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu scheduler run --once --as scheduler.json",
        "shouhu scheduler run --interval 60 --as scheduler.json",
    ),
)
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
        raise InvalidInput(_("--now goes with --once"), field="now")
    with _engine(write=True) as engine:
        # where operators exist the sweeps are signed by an operator of role system (--as):
        # refused now, not at the first due deadline
        _check_signer(engine)
        if once:
            fired = [_fired(engine, f) for f in engine.run_due(now)]
            if as_json:
                _print_json(fired)
                return
            for f in fired:
                due = _("due {due}").format(due=f["due_at"])
                sys.stdout.write(
                    f"{f['case_id']}  {f['kind']}  {due}  → {f['trigger']} (#{f['seq']})\n"
                )
            sys.stdout.write(
                one_or_many(
                    len(fired), N_("fired {count} deadline"), N_("fired {count} deadlines")
                ).format(count=len(fired))
                + "\n"
            )
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


def _check_signer(engine: Any) -> None:
    from shouhu.engine.acting import system_acting

    system_acting(engine, engine.credential)


def _fired(engine: Any, f: Any) -> dict[str, Any]:
    from shouhu.engine.timeutil import local_iso

    return {
        "case_id": f.case_id,
        "kind": f.kind,
        "due_at": local_iso(f.due_at, engine.zone),
        "trigger": f.trigger,
        "seq": f.seq,
    }
