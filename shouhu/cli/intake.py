"""``shouhu import reports``: batch intake from another system's file (CSV or JSON Lines)."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import gc
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from shouhu.cli.common import EXIT_USAGE, JsonOpt, ShouhuCommand, ShouhuGroup, _engine, examples
from shouhu.cli.output import _print_json

if TYPE_CHECKING:
    from shouhu.adapters.importresult import ImportResult

import_app = typer.Typer(
    cls=ShouhuGroup,
    help="Batch intake: reports from another system's file (CSV or JSON Lines).",
    no_args_is_help=True,
)


@import_app.command(
    "reports",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu import reports reports.csv --source 12345",
        "shouhu import reports - --format jsonl --all-or-nothing",
    ),
)
def import_reports(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="CSV (with a header row) or JSON Lines: a file, a pipe, or - (standard input).",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv or jsonl (default: from the name: .csv, .jsonl; needed for - and pipes).",
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option("--source", help="The sending system: the namespace of external ids."),
    ] = "12345",
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="Reports per batch: one transaction each (unless --all-or-nothing).",
        ),
    ] = 1000,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing",
            help="Import nothing if any row is refused: every row in one transaction.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """File the reports of a file: every row is checked first, the good ones filed in batches.

    Columns: external_id, type, child_name, child_birthdate, location,
    reporter_kind, reporter, discovered_at, reported_at; optional:
    child_id_number, data (a JSON object). See docs/intake.md.

    The file is read once into a private copy, and both passes read the
    copy. Each refused row is named by its line and external_id. Running a
    file again imports nothing twice. Exit 0 when every row is imported (now
    or before), 2 when any row is refused.
    """
    from shouhu.adapters import importer

    importer.clean_source(source)  # a reserved --source: exit 2, nothing opened
    # This command owns its process, so it may pause the cyclic garbage collector while it
    # files: a batch's records are many young objects the collector would walk again and again
    # (the library never does this to its host; docs/architecture.md). It collects the young
    # generations once after each batch instead (``after_batch``), so that garbage in a
    # reference cycle is freed batch by batch: one such cycle a batch (a statement the
    # PostgreSQL store once built per call) grew the process by 85 MB over 1,000,000 rows.
    # Restored at the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = _import(file, fmt, source, batch_size, all_or_nothing)
    finally:
        if collecting:
            gc.enable()
    if as_json:
        _print_json(result.to_dict())
    else:
        for bad in result.refused:
            typer.echo(str(bad), err=True)
        sys.stdout.write(result.summary() + "\n")
    if not result.ok:
        raise typer.Exit(EXIT_USAGE)


def _import(
    file: str, fmt: "str | None", source: str, batch_size: int, all_or_nothing: bool
) -> "ImportResult":
    """Check and file the reports of ``file`` (see ``import_reports``)."""
    import contextlib

    from shouhu.adapters import importer

    # Read once into a private copy, deleted when the block ends (also on an error or Ctrl-C);
    # unreadable, bad header: exit 2, no database opened.
    with (
        importer.ReportFile(file, fmt) as reports,
        _engine(write=True) as engine,
        contextlib.ExitStack() as stack,
    ):
        bar = stack.enter_context(importer.RichProgress()) if sys.stderr.isatty() else None
        return importer.import_reports(
            engine,
            reports,
            source=source,
            batch_size=batch_size,
            all_or_nothing=all_or_nothing,
            progress=bar,
            after_batch=_collect_young,
        )


def _collect_young() -> None:
    """One collection of the young generations: the batch just filed, and what the batch
    before it left still in use when it ended (see ``reports``); never the whole heap."""
    gc.collect(1)
