"""``shouhu report`` (a mandatory report) and ``shouhu register`` (a person on the ledger)."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import (
    AtOpt,
    DataOpt,
    GoneActorOpt,
    GoneRoleOpt,
    JsonOpt,
    _engine,
    _workflows,
    parse_data,
)
from shouhu.cli.output import _console, _print_json
from shouhu.cli.who import _credential, _who
from shouhu.errors import InvalidInput
from shouhu.i18n import _


def report(
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="The report type: {report_types}.",
        ),
    ],
    child_name: Annotated[
        str, typer.Option("--child-name", help="The child's name (personal data: never logged).")
    ],
    child_birthdate: Annotated[
        str,
        typer.Option("--child-birthdate", help="2016-04-10, 2016年4月10日, 2016/4/10 or 20160410."),
    ],
    location: Annotated[str, typer.Option("--location", help="'VILLAGE, TOWNSHIP[, COUNTY]'.")],
    reporter_kind: Annotated[
        str,
        typer.Option(
            "--reporter-kind",
            help="Mandatory: school, kindergarten, medical, village_committee, social_work, "
            "relief_agency, welfare_institution; voluntary: citizen, social_organisation.",
        ),
    ],
    reporter: Annotated[
        str, typer.Option("--reporter", help="Who reports (organisation or person).")
    ],
    child_id_number: Annotated[
        str | None, typer.Option("--child-id-number", help="18-digit resident id (checked).")
    ] = None,
    discovered_at: Annotated[
        str | None,
        typer.Option("--discovered-at", help="When the situation was discovered (default: --at)."),
    ] = None,
    at: AtOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the new case id.")
    ] = False,
    new_case: Annotated[
        bool,
        typer.Option(
            "--new-case",
            help="A new situation: file it even if the child has an open report of this type "
            "made within the policy's duplicate window (refused otherwise, exit 3).",
        ),
    ] = False,
) -> None:
    """File a mandatory report (强制报告, 001 §四(三)1): it goes to the police at once."""
    child = {"name": child_name, "birthdate": child_birthdate, "id_number": child_id_number}
    values = parse_data(data)
    with _engine(write=True) as engine:
        case = engine.report(
            type_,
            child=child,
            location=location,
            reporter={"kind": reporter_kind, "name": reporter},
            discovered_at=discovered_at,
            occurred_at=at,
            data=values,
            new_case=new_case,
            credential=_credential(required=False),
        )
        if quiet:
            sys.stdout.write(case.id + "\n")
        elif as_json:
            _print_json(case.to_dict(engine.zone))
        else:
            from shouhu.cli.render import state_words

            zh, en = case.state_labels
            _console().print(
                _("Filed case {case} ({type} {type_zh}) — state {state} {words}").format(
                    case=f"[bold]{case.id}[/bold]",
                    type=case.type,
                    type_zh=case.workflow.zh,
                    state=case.state,
                    words=state_words(zh, en),
                )
            )


# --- register (the ledger) ------------------------------------------------------------------


def register(
    kind: Annotated[
        str,
        typer.Argument(metavar="KIND", help="child, woman or elderly (or a watch: {watch_types})."),
    ],
    name: Annotated[str, typer.Option("--name", help="The person's name (never logged).")],
    birthdate: Annotated[
        str, typer.Option("--birthdate", help="2016-04-10, 2016年4月10日, 2016/4/10 or 20160410.")
    ],
    location: Annotated[str, typer.Option("--location", help="'VILLAGE, TOWNSHIP[, COUNTY]'.")],
    at: AtOpt = None,
    id_number: Annotated[
        str | None, typer.Option("--id-number", help="18-digit resident id (checked).")
    ] = None,
    parents_away: Annotated[
        str | None,
        typer.Option("--parents-away", help="child: both or one_with_incapable_other."),
    ] = None,
    guardian: Annotated[
        str | None, typer.Option("--guardian", help="child: the entrusted guardian's name.")
    ] = None,
    agreement_signed: Annotated[
        bool,
        typer.Option("--agreement-signed", help="child: an entrusted-guardianship agreement."),
    ] = False,
    husband_away_since: Annotated[
        str | None,
        typer.Option(
            "--husband-away-since",
            help="woman: a date (2016-04-10 or 2016年4月10日), away outside the county.",
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="child: left_behind (default), orphan, de_facto_unraised or in_difficulty (003).",
        ),
    ] = None,
    father: Annotated[
        str | None,
        typer.Option("--father", help="child (orphan, de_facto_unraised): the father's situation."),
    ] = None,
    mother: Annotated[
        str | None,
        typer.Option("--mother", help="child (orphan, de_facto_unraised): the mother's situation."),
    ] = None,
    difficulty: Annotated[
        str | None,
        typer.Option("--difficulty", help="child (in_difficulty): why the child is in difficulty."),
    ] = None,
    as_json: JsonOpt = False,
    actor: GoneActorOpt = None,
    role: GoneRoleOpt = None,
) -> None:
    """Put a person on the ledger (台账, 一人一档, 001 §四(二)2): a watch case with its duties,
    as the operator of --as (a village committee or a township)."""
    credential = _who(actor, role)
    from shouhu.engine.zhinput import watch_kind

    kind = watch_kind(kind, _workflows())  # a Chinese name (儿童, 留守妇女 …) as its key
    data: dict[str, Any] = {}
    if kind in ("child", "child_watch"):
        data = {"parents_away": parents_away, "guardian": guardian}
        if agreement_signed:
            data["agreement_signed"] = True
        data.update(category=category, father=father, mother=mother, difficulty=difficulty)
    elif kind in ("woman", "woman_watch"):
        data = {"husband_away_since": husband_away_since}
    given = {
        "--parents-away": parents_away,
        "--guardian": guardian,
        "--agreement-signed": agreement_signed or None,
        "--husband-away-since": husband_away_since,
        "--category": category,
        "--father": father,
        "--mother": mother,
        "--difficulty": difficulty,
    }
    stray = [
        opt
        for opt, value in given.items()
        if value is not None and opt[2:].replace("-", "_") not in data
    ]
    if stray:
        raise InvalidInput(
            _("{options}: not for {kind!r}").format(options=", ".join(stray), kind=kind[:20]),
            field=stray[0][2:],
        )
    person = {"name": name, "birthdate": birthdate, "id_number": id_number}
    with _engine(write=True) as engine:
        case = engine.register(
            kind,
            person=person,
            location=location,
            actor=credential,
            at=at,
            data={k: v for k, v in data.items() if v is not None},
        )
        if as_json:
            _print_json(case.to_dict(engine.zone))
        else:
            from shouhu.cli.render import state_words

            zh, en = case.state_labels
            _console().print(
                _("Registered case {case} ({type} {type_zh}) — state {state} {words}").format(
                    case=f"[bold]{case.id}[/bold]",
                    type=case.type,
                    type_zh=case.workflow.zh,
                    state=case.state,
                    words=state_words(zh, en),
                )
            )
