"""``shouhu outbox``: notices for other bodies — deliver them, list them."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import os
import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import JsonOpt, ShouhuCommand, ShouhuGroup, _engine, examples
from shouhu.cli.output import _console, _print_json
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _, one_or_many

outbox_app = typer.Typer(
    cls=ShouhuGroup,
    help="Notices for other bodies (township, civil affairs…): deliver them, list them.",
    no_args_is_help=True,
)


def _short_time(iso: str | None) -> str:
    """``2026-03-10T10:00:10+08:00`` → ``2026-03-10 10:00:10`` (local time, seconds matter)."""
    return "" if iso is None else iso[:19].replace("T", " ")


def _notice_outcome(d: dict[str, Any]) -> str:
    if d["status"] == "delivered":
        return _("delivered {time} via {channel}").format(
            time=_short_time(d["delivered_at"]), channel=d["channel"]
        )
    if d["status"] == "failed":
        return _("failed for good: {error}").format(error=d["last_error"])
    nxt = _short_time(d["next_attempt_at"]) or _("now")
    tail = f": {d['last_error']}" if d["last_error"] else ""
    return _("pending, next attempt {time}").format(time=nxt) + tail


def _render_notices(rows: list[dict[str, Any]], title: str) -> None:
    """A table readable at 80 columns: the notice id and key (case:seq:kind) are never cut."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    table.add_column(_("id"), no_wrap=True, justify="right")
    table.add_column(_("key (case:seq:kind)"), no_wrap=True)
    table.add_column(_("status"), no_wrap=True)
    table.add_column(_("recipient · next attempt · last error"), overflow="fold")
    for d in rows:
        tries = one_or_many(d["attempts"], N_("{count} attempt"), N_("{count} attempts")).format(
            count=d["attempts"]
        )
        info = Text(f"→ {d['recipient']}\n")
        if d["status"] == "pending":
            info.append(_("next {time}").format(time=_short_time(d["next_attempt_at"]) or _("now")))
        elif d["status"] == "delivered":
            info.append(
                _("done {time} via {channel}").format(
                    time=_short_time(d["delivered_at"]), channel=d["channel"]
                )
            )
        else:
            info.append(_("not retried"))
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


@outbox_app.command(
    "deliver",
    cls=ShouhuCommand,
    epilog=examples("shouhu outbox deliver", "shouhu outbox deliver --limit 10 --json"),
)
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
        raise InvalidInput(
            _("no notice channels configured (SHOUHU_CHANNELS=none)"), field="channels"
        )
    _show_outbox_log_lines()
    try:
        with _engine(write=True) as engine:
            done = [n.to_dict(engine.zone) for n in engine.deliver(channels, limit=limit)]
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
        one_or_many(
            len(done),
            N_(
                "delivered {delivered} of {count} notice due; {pending} pending (retried later), "
                "{failed} failed"
            ),
            N_(
                "delivered {delivered} of {count} notices due; {pending} pending (retried "
                "later), {failed} failed"
            ),
        ).format(
            delivered=counts["delivered"], count=len(done), pending=counts["pending"], failed=failed
        )
        + "\n"
    )


@outbox_app.command(
    "list",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu outbox list --status failed", "shouhu outbox list --case 01HW3Q4Z9X8V7T6S --json"
    ),
)
def outbox_list(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or failed.")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case's notices.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The outbox, oldest first: each notice's key, recipient, status, attempts and last error."""
    with _engine(write=False) as engine:
        rows = [n.to_dict(engine.zone) for n in engine.notices(status=status, case_id=case)]
    if as_json:
        _print_json(rows)
        return
    _render_notices(rows, _("Outbox ({count})").format(count=len(rows)))
