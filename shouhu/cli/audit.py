"""``shouhu audit``: for auditors — replay, verify, the access log, anchors, the compliance
report and the case export."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import json
import sys
from typing import Annotated

import typer

from shouhu.cli.common import (
    JsonOpt,
    ReasonOpt,
    ShouhuCommand,
    ShouhuGroup,
    _db_url,
    _engine,
    examples,
)
from shouhu.cli.output import _console, _paged, _print_json
from shouhu.cli.who import _read_identity, _reader
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _

audit_app = typer.Typer(
    cls=ShouhuGroup,
    help="For auditors: replay, verify, anchor, prove, report, export.",
    no_args_is_help=True,
)


@audit_app.command(
    "replay",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit replay 01HW3Q4Z9X8V7T6S --as police.json",
        "shouhu audit replay 01HW3Q4Z9X8V7T6S --at 2026-03-05T12:00 --json --as police.json",
    ),
)
def audit_replay(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (business time).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild a case from its events alone, through the definitions it was recorded under."""
    with _engine(write=False) as engine:
        engine.case(case_id, reader=_reader(engine))  # where operators exist: in scope
        rebuilt = engine.replay(case_id, at=at)
        if as_json:
            _print_json(rebuilt.to_dict(engine.zone))
        else:
            from shouhu.cli.render_reports import render_replay

            with _paged() as console:
                render_replay(console, rebuilt, engine.zone)
    if not rebuilt.ok:
        raise typer.Exit(1)


@audit_app.command(
    "verify",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit verify",
        "shouhu audit verify 01HW3Q4Z9X8V7T6S --json",
        'shouhu audit verify --anchor "$(tail -n 1 anchors.txt)"',
    ),
)
def audit_verify(
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            "--anchor", help="Prove nothing before this anchor (a signed tree head) changed."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every hash, seq and head, and replay every event; exit 1 naming each broken case."""
    with _engine(write=False) as engine:
        result = engine.verify(case_id, anchor=anchor)
    if as_json:
        _print_json(result.to_dict())
    else:
        # BROKEN, ILLEGAL, DIFFERS, DERIVED: words a script greps for, in every language
        for b in result.broken:
            sys.stdout.write(
                "BROKEN "
                + _("{case} at seq {seq}: {reason}").format(
                    case=b.case_id, seq=b.seq, reason=b.reason
                )
                + "\n"
            )
        for r in result.replay_failures:
            for seq, why in r.illegal:
                sys.stdout.write(
                    "ILLEGAL "
                    + _("{case} at seq {seq}: {reason}").format(case=r.case_id, seq=seq, reason=why)
                    + "\n"
                )
            for diff in r.differences:
                sys.stdout.write(f"DIFFERS {r.case_id}: {diff}\n")
        for line in result.journal_broken + result.registry_broken + result.tree_broken:
            sys.stdout.write(f"BROKEN {line}\n")
        for d in result.derived:
            sys.stdout.write(f"DERIVED {d.line()}\n")
        if result.tree_head is not None:
            head = result.tree_head
            word = _("holds") if result.anchor_holds else _("DOES NOT HOLD")
            sys.stdout.write(
                _("tree head of {at} ({size} of {leaves} leaves): {verdict}").format(
                    at=head.at.isoformat(), size=head.size, leaves=result.tree_size, verdict=word
                )
                + "\n"
            )
        if result.anchor is not None:
            word = _("holds") if result.anchor_holds else _("DOES NOT HOLD")
            sys.stdout.write(
                _("anchor of {at} ({count} cases): {verdict}").format(
                    at=result.anchor.at.isoformat(), count=result.anchor.count, verdict=word
                )
                + "\n"
            )
        if result.events:
            sys.stdout.write(
                _(
                    "signatures: {signed} signed, {anonymous} anonymous reports, {unsigned} "
                    "unsigned (before operators existed); {entries} operator registry entries"
                ).format(
                    signed=result.signed,
                    anonymous=result.anonymous,
                    unsigned=result.unsigned_before,
                    entries=result.registry_entries,
                )
                + "\n"
            )
        verdict = _("ok") if result.ok else _("FAILED")
        sys.stdout.write(
            _("verified {cases} cases, {events} events: {verdict}").format(
                cases=result.cases, events=result.events, verdict=verdict
            )
            + "\n"
        )
    if not result.ok:
        for b in result.broken:
            typer.echo(
                _("shouhu: broken: {case} seq {seq}: {reason}").format(
                    case=b.case_id, seq=b.seq, reason=b.reason
                ),
                err=True,
            )
        for r in result.replay_failures:
            first = r.illegal[0][0] if r.illegal else None
            typer.echo(
                _("shouhu: replay: {case} seq {seq}: does not replay").format(
                    case=r.case_id, seq=first
                ),
                err=True,
            )
        for line in result.journal_broken + result.registry_broken + result.tree_broken:
            typer.echo(_("shouhu: broken: {what}").format(what=line), err=True)
        tables = sorted({f"{d.table}.{d.column}" if d.column else d.table for d in result.derived})
        if tables:
            cases = len({d.case_id for d in result.derived})
            typer.echo(
                _(
                    "shouhu: derived: {count} stored cells or rows of {cases} case(s) are not "
                    "what the log says ({tables})"
                ).format(
                    count=len(result.derived),
                    cases=cases,
                    tables=", ".join(tables[:12]) + (", …" if len(tables) > 12 else ""),
                ),
                err=True,
            )
        if result.anchor_holds is False:
            typer.echo(_("shouhu: broken: the anchor does not hold"), err=True)
        raise typer.Exit(1)


@audit_app.command(
    "access",
    cls=ShouhuCommand,
    epilog=examples("shouhu audit access", "shouhu audit access 01HW3Q4Z9X8V7T6S --json"),
)
def audit_access(
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Who read a child's identity: the access log (who, role, when, why), oldest first."""
    from shouhu.engine.timeutil import local_iso

    with _engine(write=False) as engine:
        rows = [
            {
                "case_id": a.case_id,
                "actor": a.actor,
                "role": a.role,
                "reason": a.reason,
                "what": a.what,
                "at": local_iso(a.at, engine.zone),
            }
            for a in engine.accesses(case_id)
        ]
    if as_json:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table(title=_("Identity reads ({count})").format(count=len(rows)))
    table.add_column(_("case"), no_wrap=True, min_width=16)
    for col in (N_("when"), N_("who (role)"), N_("what"), N_("why")):
        table.add_column(_(col), overflow="fold")
    for r in rows:
        table.add_row(
            r["case_id"], r["at"][:16], f"{r['actor']} ({r['role']})", r["what"], r["reason"]
        )
    _console().print(table)


@audit_app.command(
    "anchor",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit anchor --as admin.json", "shouhu audit anchor --json --as admin.json"
    ),
)
def audit_anchor(
    digest: Annotated[
        bool,
        typer.Option(
            "--digest",
            help="Print the earlier digest anchor (shouhu-anchor-v1) over the case heads and "
            "the journal's instead: it also covers identity reads and deliveries.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take every event into the transparency log and print its tree head (size, root, time,
    signer), signed by the operator of --as: one line to keep outside the database, for
    `audit verify --anchor`."""
    with _engine(write=False) as engine:
        if digest:
            from shouhu.engine.auditing import digest_anchor

            sys.stdout.write(digest_anchor(engine) + "\n")
            return
        text = engine.anchor(credential=engine.credential)  # --as: the anchoring operator
    if as_json:
        from shouhu.engine.transparency import parse_tree_head

        _print_json({"tree_head": text, **parse_tree_head(text).to_dict()})
    else:
        sys.stdout.write(text + "\n")


@audit_app.command(
    "prove",
    cls=ShouhuCommand,
    epilog=examples(
        'shouhu audit prove 01HW3Q4Z9X8V7T6S --anchor "$(tail -n 1 anchors.txt)" -o proof.json '
        "--reason 法院调阅 --as police.json",
        'shouhu audit prove 01HW3Q4Z9X8V7T6S --anchor "$(tail -n 1 anchors.txt)" -o - --reason '
        "法院调阅 --as police.json",
    ),
)
def audit_prove(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    anchor: Annotated[
        str, typer.Option("--anchor", help="The signed tree head to prove the events against.")
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A new file to write (mode 0600: it holds the report's personal data; '-': "
            "standard output). Never an existing file unless --force.",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing regular file at --output.")
    ] = False,
    reason: ReasonOpt = None,
) -> None:
    """Write a case's events with their inclusion proofs against a signed tree head, the tree
    head and the keys that signed: `audit check-proof FILE` checks it with no database.

    The file holds the report's personal data (the child's name, birthdate, id number): the
    event hashes cover them, so a checker needs them. It is written mode 0600, and — where
    operators exist — it is an identity read: by the operator of --as, in scope, with
    --reason, recorded in the access log.
    """
    from shouhu.adapters import dburl, files

    to_stdout = output == "-"
    protect = dburl.database_files(_db_url())
    if not to_stdout:  # refused before the database is opened: nothing read, nothing logged
        files.check_target(output, force=force, protect=protect)
    with _engine(write=False) as engine:
        if _reader(engine) is not None:  # a database with operators: who and why, recorded
            _read_identity(engine, case_id, None, None, reason, "audit prove")
        document = engine.prove(case_id, anchor)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if to_stdout:
        sys.stdout.write(text)
        return
    size = files.write_new(output, text, force=force, private=True, protect=protect)
    sys.stdout.write(
        _(
            "wrote {path} ({events} events of {case}, {size} bytes; personal data, mode 0600)"
        ).format(
            path=output, events=len(document["events"]), case=document["case_id"], size=f"{size:,}"
        )
        + "\n"
    )


@audit_app.command(
    "check-proof",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu audit check-proof proof.json", "shouhu audit check-proof proof.json --json"
    ),
)
def audit_check_proof(
    path: Annotated[str, typer.Argument(metavar="FILE")],
    as_json: JsonOpt = False,
) -> None:
    """Check a proof file of `audit prove` alone, with no database: each event's hash and
    chain, its inclusion proof against the tree head, the tree head's and the events'
    signatures. Exit 0 if it holds, 1 if not, 2 if the file is not a proof."""
    from shouhu.engine.transparency import check_proof

    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(
            _("{path}: cannot read a proof file ({error})").format(path=path, error=exc),
            field="file",
        ) from None
    problems = check_proof(document)
    if as_json:
        _print_json(
            {
                "holds": not problems,
                "case_id": document.get("case_id"),
                "events": len(document.get("events") or []),
                "tree_head": document.get("tree_head"),
                "problems": problems,
            }
        )
    else:
        for line in problems:
            sys.stdout.write(f"BROKEN {line}\n")
        verdict = _("holds") if not problems else _("DOES NOT HOLD")
        sys.stdout.write(
            _("proof of {case} ({events} events) against {tree_head}: {verdict}").format(
                case=document.get("case_id"),
                events=len(document.get("events") or []),
                tree_head=document.get("tree_head"),
                verdict=verdict,
            )
            + "\n"
        )
    if problems:
        for line in problems:
            typer.echo(_("shouhu: broken: {what}").format(what=line), err=True)
        raise typer.Exit(1)
