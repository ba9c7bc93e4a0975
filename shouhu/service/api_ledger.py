"""The API's ledger (台账): put a person on it, read the quarter's return, submit a township's
return — as ``shouhu register``, ``shouhu registry report`` and ``shouhu registry submit`` do.

The routes are included in :data:`shouhu.service.api_audit.router` (and so under
``/api/v1``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from shouhu.service.auth import Who, api_who, service
from shouhu.service.schemas import (
    CaseOut,
    LedgerReturnOut,
    RegistrationBody,
    ReturnBody,
    errors,
    headers,
)

router = APIRouter()

Caller = Annotated[Who, Depends(api_who)]


@router.post(
    "/registrations",
    status_code=201,
    response_model=CaseOut,
    tags=["ledger"],
    summary="Put a person on the ledger (一人一档)",
    responses={**headers(201, "Location", "ETag"), **errors(400, 403, 409, 422)},
)
def register(
    body: RegistrationBody, request: Request, response: Response, who: Caller
) -> dict[str, Any]:
    """A watch case for a left-behind child, woman or elder (001 §四(二)2), registered by the
    caller (a village committee or a township, in scope). 409 names the person's open watch;
    400 when the person is not left behind under the documents."""
    engine = service(request).engine()
    view = engine.register(
        body.kind,
        person=body.person.model_dump(),
        location=body.location,
        actor=who.credential,
        at=body.at,
        data=body.data or {},
    )
    response.headers["Location"] = f"/api/v1/cases/{view.id}"
    response.headers["ETag"] = f'"{view.version}"'
    return view.to_dict(engine.zone)


@router.get(
    "/returns",
    response_model=LedgerReturnOut,
    tags=["ledger"],
    summary="The ledger's quarterly return",
    responses=errors(400),
)
def ledger_return(
    request: Request,
    who: Caller,
    quarter: Annotated[str, Query(description="the quarter", examples=["2026Q1"])],
    township: Annotated[str | None, Query(description="only this township's villages")] = None,
) -> dict[str, Any]:
    """The quarter's return per township and village (``shouhu registry report --json``):
    people on the ledger, entries and exits, visits due, done and missed. Open to any
    logged-in operator, as the CLI leaves it."""
    engine = service(request).engine()
    return engine.registry_report(quarter, township=township).to_dict()


@router.post(
    "/returns",
    status_code=201,
    response_model=CaseOut,
    tags=["ledger"],
    summary="A township submits its quarterly return",
    responses={**headers(201, "Location", "ETag"), **errors(400, 403, 422)},
)
def submit_return(
    body: ReturnBody, request: Request, response: Response, who: Caller
) -> dict[str, Any]:
    """The township's submission of its ledger to county civil affairs, copied to the county
    education and public security bureaus (001 §四(二)2): the township's case after it."""
    engine = service(request).engine()
    view = engine.submit_return(
        body.township,
        body.quarter,
        actor=who.credential,
        county=body.county,
        occurred_at=body.at,
    )
    response.headers["Location"] = f"/api/v1/cases/{view.id}"
    response.headers["ETag"] = f'"{view.version}"'
    return view.to_dict(engine.zone)
