"""``shouhu case``: show, list and move cases."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import typer

from shouhu.cli.common import (
    AtOpt,
    DataOpt,
    GoneActorOpt,
    GoneRoleOpt,
    IdentityOpt,
    JsonOpt,
    ReasonOpt,
    ShouhuCommand,
    ShouhuGroup,
    TypesHelp,
    _engine,
    _notice,
    examples,
    parse_data,
)
from shouhu.cli.output import _console, _paged, _print_json, _print_json_items
from shouhu.cli.who import _gone, _read_identity, _reader, _who
from shouhu.errors import InvalidInput
from shouhu.i18n import _

case_app = typer.Typer(cls=ShouhuGroup, help="Show, list and move cases.", no_args_is_help=True)


@case_app.command(
    "show",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu case show 01HW3Q4Z9X8V7T6S --as police.json",
        "shouhu case show 01HW3Q4Z9X8V7T6S --at 2026-03-05T12:00 --json --as police.json",
        "shouhu case show 01HW3Q4Z9X8V7T6S --include-identity --reason 核实身份 --as police.json",
    ),
)
def case_show(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    as_json: JsonOpt = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="The state at that moment (business time), rebuilt by replay."),
    ] = None,
    include_identity: IdentityOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """Show a case: state, facts, deadlines and its whole timeline."""
    _gone(actor, role)
    with _engine(write=False) as engine:
        if at is not None:
            if include_identity:
                raise InvalidInput(_("--at shows no identity; drop --include-identity"), field="at")
            rebuilt = engine.replay(case_id, at=at)
            if as_json:
                _print_json(rebuilt.to_dict(engine.zone))
            else:
                from shouhu.cli.render_reports import render_replay

                with _paged() as console:
                    render_replay(console, rebuilt, engine.zone)
            return
        view = engine.case(case_id, reader=_reader(engine))
        if include_identity:
            _read_identity(engine, view.id, actor, role, reason, "case show")
        if as_json:
            _print_json(view.to_dict(engine.zone, identity=include_identity))
        else:
            from shouhu.cli.render import render_case

            with _paged() as console:
                render_case(console, view, engine.zone, identity=include_identity)


#: ``case list`` without ``--limit`` or ``--all``: one page of this many cases.
LIST_DEFAULT = 50


class _Page:
    """The first ``size`` of ``rows``, streamed; after iterating, ``more`` says whether rows
    were left over and ``last`` is the id of the last row given."""

    def __init__(self, rows: Iterable[Any], size: int) -> None:
        self.rows = rows
        self.size = size
        self.more = False
        self.last: str | None = None

    def __iter__(self) -> Iterator[Any]:
        for n, row in enumerate(self.rows):
            if n == self.size:
                self.more = True
                return
            self.last = row.id
            yield row


@case_app.command(
    "list",
    cls=TypesHelp,
    epilog=examples(
        "shouhu case list --state reported --as police.json",
        "shouhu case list --type solo_living --overdue --json --as police.json",
        "shouhu case list --all --as police.json",
    ),
)
def case_list(
    type_: Annotated[
        str | None,
        typer.Option("--type", help="Only this type: {report_types}, {watch_types}."),
    ] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help=f"At most N cases (default {LIST_DEFAULT})."),
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="Cases after this id (the next page).")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every matching case, however many (not with --limit).")
    ] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases with a missed deadline still undone.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List cases in id (= filing) order, a page at a time: the first 50, or --limit N.

    When more cases match, a line on stderr gives the command for the next page (--after the
    last id shown) and says --all. The same holds for --json: a JSON array of at most one
    page, unless --all. --all streams every case: memory stays flat however many there are
    (past 1,000 cases, one line per case under one header line, printed as they are read).
    """
    if show_all and limit is not None:
        raise InvalidInput(
            _("--all lists every case and --limit N a page of N: give one or the other"),
            field="limit",
        )
    paged = not show_all and limit is None
    with _engine(write=False) as engine:
        rows = engine.cases(
            type_,
            state,
            limit=LIST_DEFAULT + 1 if paged else limit,
            after=after,
            overdue=overdue,
            reader=_reader(engine),
        )
        page = _Page(rows, LIST_DEFAULT) if paged else None
        shown: Iterable[Any] = rows if page is None else page
        if as_json:
            _print_json_items(r.to_dict(engine.zone) for r in shown)
        else:
            from shouhu.cli.render import render_case_list_pages

            with _paged() as console:
                render_case_list_pages(console, shown, engine.zone)
    if page is not None and page.more and page.last is not None:
        import shlex

        filters = [
            *(["--type", type_] if type_ is not None else []),
            *(["--state", state] if state is not None else []),
            *(["--overdue"] if overdue else []),
            *(["--json"] if as_json else []),
        ]
        command = shlex.join(["shouhu", "case", "list", *filters])
        _notice(
            _(
                "{shown} cases shown and more remain; next page: {command} --after {last}; "
                "all of them: {command} --all"
            ).format(shown=LIST_DEFAULT, command=command, last=page.last),
            "case_list_page",
            shown=LIST_DEFAULT,
            more=True,
            after=page.last,
        )


@case_app.command(
    "next", cls=ShouhuCommand, epilog=examples("shouhu case next 01HW3Q4Z9X8V7T6S --as police.json")
)
def case_next(
    case_id: Annotated[str, typer.Argument(metavar="CASE")], as_json: JsonOpt = False
) -> None:
    """What can happen next: triggers, who may fire them, the data they take, their guards."""
    with _engine(write=False) as engine:
        options = engine.next(case_id, reader=_reader(engine))
        if as_json:
            _print_json([o.to_dict() for o in options])
        else:
            from shouhu.cli.render import render_next

            render_next(_console(), engine.case(case_id, reader=engine.credential), options)


@case_app.command(
    "fire",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu case fire 01HW3Q4Z9X8V7T6S dispatch --as police.json",
        "shouhu case fire 01HW3Q4Z9X8V7T6S dispatch --at 2026-03-02T09:10 --expect-version 1 "
        "--as police.json",
    ),
)
def case_fire(
    case_id: Annotated[str, typer.Argument(metavar="CASE")],
    trigger: Annotated[str, typer.Argument(metavar="TRIGGER")],
    at: AtOpt = None,
    data: DataOpt = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expect-version", help="Refuse (exit 4) unless the case is at this version."
        ),
    ] = None,
    as_json: JsonOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
) -> None:
    """Fire a trigger on a case as the operator of --as (see `shouhu case next CASE`)."""
    credential = _who(actor, role)
    values = parse_data(data)
    # a trigger needs a case: on a database that does not exist it can only fail, so it
    # creates none (exit 5, naming the path) rather than leave an empty file behind
    with _engine(write=False) as engine:
        before = engine.case(case_id).state
        view = engine.fire(
            case_id,
            trigger,
            actor=credential,
            occurred_at=at,
            data=values,
            expected_version=expect_version,
        )
        if as_json:
            _print_json(view.to_dict(engine.zone))
        else:
            from shouhu.cli.render import state_words

            zh, en = view.state_labels
            version = _("(version {version})").format(version=view.version)
            _console().print(
                f"{view.id}: {trigger} — {before} → [bold]{view.state}[/bold] "
                f"{state_words(zh, en)} {version}"
            )
