"""The API's audit routes: replay a case, verify the log, anchor it (a signed tree head), prove
a case against an anchor, the compliance report — and, from :mod:`shouhu.service.api_ledger`,
the ledger's registrations and quarterly returns.

Each calls the library as ``shouhu audit …`` does, as the caller's credential; where the CLI
reads a case in the reader's scope first (``audit replay``) or records an identity read
(``audit prove``), so does the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.service import api_ledger
from shouhu.service.auth import Who, api_who, service
from shouhu.service.schemas import (
    AnchorOut,
    ComplianceOut,
    ProofOut,
    ReplayOut,
    VerificationOut,
    errors,
)

router = APIRouter(prefix="/api/v1")

Caller = Annotated[Who, Depends(api_who)]
CaseId = Annotated[str, Path(description="the case id")]


@router.get(
    "/cases/{case_id}/replay",
    response_model=ReplayOut,
    tags=["audit"],
    summary="A case rebuilt from its events alone",
    responses=errors(400, 403, 404),
)
def replay(
    case_id: CaseId,
    request: Request,
    who: Caller,
    at: Annotated[str | None, Query(description="as of this moment (business time)")] = None,
) -> dict[str, Any]:
    """The case replayed through the definitions it was recorded under, as of ``at`` if
    given, and compared with the stored projection (``ok``); ``shouhu audit replay --json``.
    The case must be in the caller's scope."""
    engine = service(request).engine()
    engine.case(case_id, reader=who.credential)  # in scope, as the CLI reads it first
    return engine.replay(case_id, at=at).to_dict(engine.zone)


@router.get(
    "/verify",
    response_model=VerificationOut,
    tags=["audit"],
    summary="Check every hash, chain, signature and derived table",
    responses=errors(400, 404),
)
def verify(
    request: Request,
    who: Caller,
    case: Annotated[str | None, Query(description="only this case")] = None,
    anchor: Annotated[
        str | None, Query(description="prove nothing before this signed tree head changed")
    ] = None,
) -> dict[str, Any]:
    """``shouhu audit verify --json``: ``ok``, the counts and every problem found. Open to any
    logged-in operator, as the CLI leaves it open; it shows no identity."""
    engine = service(request).engine()
    return engine.verify(case, anchor=anchor).to_dict()


@router.post(
    "/anchors",
    status_code=201,
    response_model=AnchorOut,
    tags=["audit"],
    summary="Anchor the log: a signed tree head",
    responses=errors(403),
)
def take_anchor(request: Request, who: Caller) -> dict[str, Any]:
    """Take every event into the transparency log and return its tree head signed by the
    caller (``shouhu audit anchor --json``): keep ``tree_head`` outside the database."""
    from shouhu.engine.transparency import parse_tree_head

    engine = service(request).engine()
    text = engine.anchor(who.credential)
    return {"tree_head": text, **parse_tree_head(text).to_dict()}


@router.get(
    "/cases/{case_id}/proof",
    response_model=ProofOut,
    tags=["audit"],
    summary="A case's inclusion proofs against a tree head (an identity read)",
    responses=errors(400, 403, 404),
)
def proof(
    case_id: CaseId,
    request: Request,
    who: Caller,
    anchor: Annotated[str, Query(description="the signed tree head to prove against")],
    reason: Annotated[str | None, Query(description="why (recorded in the access log)")] = None,
) -> dict[str, Any]:
    """The document of ``shouhu audit prove``: the case's events with their inclusion proofs,
    the tree head and the keys that signed. It holds the report's personal data, so — as the
    CLI does where operators exist — it is an identity read: by the caller, in scope, with
    ``reason``, recorded in the access log."""
    if reason is None or not reason.strip():
        raise InvalidInput(
            _(
                "reason: a proof holds the child's identity, and reading it is recorded (who, "
                "role, when, why): give ?reason="
            ),
            field="reason",
        )
    engine = service(request).engine()
    engine.read_identity(case_id, actor=who.credential, reason=reason, what="audit prove")
    return engine.prove(case_id, anchor)


@router.get(
    "/reports/compliance",
    response_model=ComplianceOut,
    tags=["audit"],
    summary="Compliance over the cases reported in a window",
    responses=errors(400),
)
def compliance(
    request: Request,
    who: Caller,
    date_from: Annotated[
        str, Query(alias="from", description="first report date (2026-01-01 or 2026年1月1日)")
    ],
    date_to: Annotated[str, Query(alias="to", description="last report date")],
    replay: Annotated[
        bool,
        Query(
            description="rebuild every case from its events (``--replay``): slow, names "
            "the cases whose history does not replay"
        ),
    ] = False,
) -> dict[str, Any]:
    """``shouhu audit report --json``: deadlines kept and missed, late reports, voluntary
    reports, the six-month ground. Open to any logged-in operator, as the CLI leaves it."""
    engine = service(request).engine()
    return engine.compliance_report(date_from, date_to, replay=replay).to_dict()


router.include_router(api_ledger.router)
