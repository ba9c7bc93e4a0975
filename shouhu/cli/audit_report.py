"""``shouhu audit report`` and ``shouhu audit export``: the documents an auditor takes away —
the compliance report over a window, and one case for the file (registered on the ``audit``
group of :mod:`shouhu.cli.audit`)."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import json
import sys
from typing import Annotated

import typer

from shouhu.cli.audit import audit_app as audit_app  # the group these commands join
from shouhu.cli.common import (
    GoneActorOpt,
    GoneRoleOpt,
    IdentityOpt,
    JsonOpt,
    ReasonOpt,
    ShouhuCommand,
    _db_url,
    _engine,
    examples,
)
from shouhu.cli.output import _console, _print_json
from shouhu.cli.who import _gone, _read_identity, _reader
from shouhu.errors import InvalidInput
from shouhu.i18n import _


@audit_app.command(
    "report",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit report --from 2026-01-01 --to 2026-03-31",
        "shouhu audit report --from 2026-01-01 --to 2026-03-31 --format csv",
    ),
)
def audit_report(
    date_from: Annotated[
        str, typer.Option("--from", help="First report date (2026-01-01 or 2026年1月1日).")
    ],
    date_to: Annotated[
        str, typer.Option("--to", help="Last report date (2026-12-31 or 2026年12月31日).")
    ],
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    as_json: JsonOpt = False,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Rebuild every case from its events and name those that do not replay "
            "(minutes at a million cases); by default the tables audit verify checks are counted.",
        ),
    ] = False,
) -> None:
    """Compliance over the cases reported in a window: deadlines, late reports, six months."""
    if as_json:
        fmt = "json"
    if fmt not in {"table", "json", "csv"}:
        raise InvalidInput(
            _("--format: expected table, json or csv, not {value!r}").format(value=fmt[:20]),
            field="format",
        )
    with _engine(write=False) as engine:
        report = engine.compliance_report(date_from, date_to, replay=replay)
    if fmt == "json":
        _print_json(report.to_dict())
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["section", "key", "metric", "value"])
        writer.writerows(report.rows())
    else:
        from shouhu.cli.render_reports import render_report

        render_report(_console(), report)


@audit_app.command(
    "export",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit export 01HW3Q4Z9X8V7T6S -o case.html --as police.json",
        "shouhu audit export 01HW3Q4Z9X8V7T6S --format json -o - --as police.json",
    ),
)
def audit_export(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A new file to write ('-': standard output). Never an existing file unless "
            "--force; never the database in use nor through a symbolic link.",
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help="html or json.")] = "html",
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing regular file at --output.")
    ] = False,
    include_identity: IdentityOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """A case for the file: one self-contained printable HTML page, or JSON to re-verify.

    The file is new (mode 0644 less the umask; 0600 with --include-identity); an existing one
    is replaced only with --force, and the database in use never.
    """
    _gone(actor, role)
    from shouhu.adapters import dburl, files

    if fmt not in {"html", "json"}:
        raise InvalidInput(
            _("--format: expected html or json, not {value!r}").format(value=fmt[:20]),
            field="format",
        )
    to_stdout = output == "-"
    protect = dburl.database_files(_db_url())
    if not to_stdout:  # refused before the database is opened: nothing read, nothing logged
        files.check_target(output, force=force, protect=protect)
    with _engine(write=False) as engine:
        from shouhu.adapters.export import export_html, export_json

        view = engine.case(case_id, reader=_reader(engine))
        rebuilt = engine.replay(view.id)
        # the chain's verdict (hashes, seq, head); the replay is the one above
        chain = engine.verify(view.id, replay=False).broken
        broken = chain[0] if chain else None
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
    if to_stdout:
        sys.stdout.write(text)
        return
    size = files.write_new(output, text, force=force, private=include_identity, protect=protect)
    sys.stdout.write(
        _("wrote {path} ({format}, {size} bytes)").format(path=output, format=fmt, size=f"{size:,}")
        + "\n"
    )
