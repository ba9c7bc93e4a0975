"""The API's reports and cases: file a report, fire a trigger, read a case, its history and
its next steps, list cases a page at a time, deadlines and notices.

Every route calls the library as the caller's credential (``who.credential``), exactly as the
CLI calls it with ``--as``: the engine judges role, scope and guards, and its refusal is the
problem the client gets (:mod:`shouhu.service.problems`). Nothing here re-checks a rule.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.service.auth import Who, api_who, service
from shouhu.service.schemas import (
    CaseOut,
    CasePage,
    DeadlineOut,
    EventOut,
    FireBody,
    NoticeOut,
    ReportBody,
    TriggerOut,
    errors,
    headers,
)

router = APIRouter(prefix="/api/v1")

Caller = Annotated[Who, Depends(api_who)]
CaseId = Annotated[str, Path(description="the case id")]

#: ``GET /api/v1/cases`` without ``limit``: a page of this many (the CLI's ``case list``).
PAGE = 50
#: The largest page a client may ask for.
MAX_PAGE = 500


def etag(version: int) -> str:
    return f'"{version}"'


def case_response(response: Response, doc: dict[str, Any]) -> dict[str, Any]:
    """A case view with its version as the ETag (for ``If-Match``)."""
    response.headers["ETag"] = etag(int(doc["version"]))
    return doc


def expected_version(if_match: str | None) -> int | None:
    """``If-Match: "3"`` (or ``W/"3"``, or a bare 3) → 3; none or ``*`` → None."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip().strip('"')
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(
            _('If-Match: expected a case version such as "3", not {value!r}').format(
                value=if_match[:20]
            ),
            field="If-Match",
        )
    return int(text)


def cursor_of(last_id: str) -> str:
    """The opaque cursor after ``last_id`` (base64url, no padding)."""
    return base64.urlsafe_b64encode(last_id.encode("ascii")).decode("ascii").rstrip("=")


def after_of(cursor: str | None) -> str | None:
    """The case id a cursor stands for (bad input if it is not one of ours)."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    if not text or not text.isalnum():
        raise InvalidInput(
            _("cursor: {value!r} is not a cursor this API gave").format(value=cursor[:40]),
            field="cursor",
        )
    return text


# --- reports and triggers ---------------------------------------------------------------------


@router.post(
    "/reports",
    status_code=201,
    response_model=CaseOut,
    tags=["cases"],
    summary="File a mandatory report (强制报告)",
    responses={
        **headers(201, "Location", "ETag"),
        200: {
            "model": CaseOut,
            "description": "The case an earlier call with this Idempotency-Key filed",
        },
        **errors(400, 409, 422),
    },
)
def file_report(
    body: ReportBody,
    request: Request,
    response: Response,
    who: Caller,
    idempotency_key: Annotated[
        str | None,
        Header(description="the same key again returns the case the first call filed (200)"),
    ] = None,
) -> dict[str, Any]:
    """File a report signed by the caller, as ``shouhu report`` does: 201 with ``Location``.
    With ``Idempotency-Key`` a call made again returns the case the first one filed (200) and
    writes nothing; a key first used for another type is 409. A probable duplicate of an
    open report is refused (422, rule ``duplicate``, naming the open case in ``case_id``)
    unless ``new_case``."""
    engine = service(request).engine()
    known = None
    if idempotency_key is not None:
        from shouhu.engine.intake import IDEMPOTENCY_SOURCE

        known = engine.known_external(IDEMPOTENCY_SOURCE, [idempotency_key]).get(idempotency_key)
    view = engine.report(
        body.type,
        child=body.child.model_dump(),
        location=body.location,
        reporter=body.reporter.model_dump(),
        discovered_at=body.discovered_at,
        occurred_at=body.occurred_at,
        data=body.data,
        new_case=body.new_case,
        key=idempotency_key,
        credential=who.credential,
    )
    if known is not None and known == view.id:
        # the case filed before under this key: read as the caller (scope applies)
        view = engine.case(view.id, reader=who.credential)
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/cases/{view.id}"
    return case_response(response, view.to_dict(engine.zone))


@router.post(
    "/cases/{case_id}/fire",
    response_model=CaseOut,
    tags=["cases"],
    summary="Fire a trigger on a case",
    responses={**headers(200, "ETag"), **errors(400, 403, 404, 409, 422)},
)
def fire(
    case_id: CaseId,
    body: FireBody,
    request: Request,
    response: Response,
    who: Caller,
    if_match: Annotated[
        str | None,
        Header(description='the case version the client read ("3", its ETag): 409 if it moved'),
    ] = None,
) -> dict[str, Any]:
    """Fire ``trigger`` as the caller (``shouhu case fire``); ``If-Match`` is the version the
    client expects (a stale one: 409, nothing written). Returns the case after it."""
    engine = service(request).engine()
    view = engine.fire(
        case_id,
        body.trigger,
        actor=who.credential,
        occurred_at=body.occurred_at,
        data=body.data,
        expected_version=expected_version(if_match),
    )
    return case_response(response, view.to_dict(engine.zone))


# --- reading cases ----------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    tags=["cases"],
    summary="A case now",
    responses={**headers(200, "ETag"), **errors(403, 404)},
)
def show_case(case_id: CaseId, request: Request, response: Response, who: Caller) -> dict[str, Any]:
    """The case's state, facts, deadlines and timeline (``shouhu case show --json``), with
    no identity; ``ETag`` is its version."""
    engine = service(request).engine()
    view = engine.case(case_id, reader=who.credential)
    return case_response(response, view.to_dict(engine.zone))


@router.get(
    "/cases/{case_id}/history",
    response_model=list[EventOut],
    tags=["cases"],
    summary="A case's events, oldest first",
    responses=errors(403, 404),
)
def history(case_id: CaseId, request: Request, who: Caller) -> list[dict[str, Any]]:
    """Each event with its citation, hash, operator and signature."""
    engine = service(request).engine()
    return [e.to_dict(engine.zone) for e in engine.history(case_id, reader=who.credential)]


@router.get(
    "/cases/{case_id}/next",
    response_model=list[TriggerOut],
    tags=["cases"],
    summary="What can happen next on a case",
    responses=errors(403, 404),
)
def next_steps(case_id: CaseId, request: Request, who: Caller) -> list[dict[str, Any]]:
    """The triggers possible now: who may fire them, where they lead, the data they take and
    the state of their guards (``shouhu case next --json``)."""
    engine = service(request).engine()
    return [o.to_dict() for o in engine.next(case_id, reader=who.credential)]


@router.get(
    "/cases",
    response_model=CasePage,
    tags=["cases"],
    summary="Cases in filing order, a page at a time",
    responses={**headers(200, "Link"), **errors(400)},
)
def list_cases(
    request: Request,
    response: Response,
    who: Caller,
    type: Annotated[str | None, Query(description="a type, or its Chinese name")] = None,
    state: Annotated[str | None, Query(description="a state, or its Chinese name")] = None,
    overdue: Annotated[bool, Query(description="only cases with a missed duty undone")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="the page's size")] = PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the page before")] = None,
) -> dict[str, Any]:
    """The cases in the caller's scope, in id (= filing) order. ``next_cursor`` (and a
    ``Link: <…>; rel="next"`` header) gives the next page; null on the last."""
    engine = service(request).engine()
    rows = list(
        engine.cases(
            type,
            state,
            limit=limit + 1,
            after=after_of(cursor),
            overdue=overdue,
            reader=who.credential,
        )
    )
    page = rows[:limit]
    next_cursor = cursor_of(page[-1].id) if len(rows) > limit else None
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    return {"items": [r.to_dict(engine.zone) for r in page], "next_cursor": next_cursor}


# --- deadlines and notices --------------------------------------------------------------------


@router.get(
    "/deadlines",
    response_model=list[DeadlineOut],
    tags=["deadlines"],
    summary="Deadlines across cases, by due time",
    responses=errors(400, 403, 404),
)
def deadlines(
    request: Request,
    who: Caller,
    case: Annotated[str | None, Query(description="only this case's")] = None,
    status: Annotated[
        str | None, Query(description="pending, met, missed, fired or cancelled")
    ] = None,
    due_before: Annotated[str | None, Query(description="due at or before (ISO 8601)")] = None,
) -> list[dict[str, Any]]:
    """The deadlines of the cases in the caller's scope (``shouhu deadlines --json``); a due
    time counted from a birthdate is withheld."""
    from shouhu.engine.views import public_deadline

    engine = service(request).engine()
    rows = engine.deadlines(
        case_id=case, status=status, due_before=due_before, reader=who.credential
    )
    return [dict(public_deadline(d)) for d in rows]


@router.get(
    "/notices",
    response_model=list[NoticeOut],
    tags=["deadlines"],
    summary="The outbox: notices for other bodies",
    responses=errors(400, 404),
)
def notices(
    request: Request,
    who: Caller,
    status: Annotated[str | None, Query(description="pending, delivered or failed")] = None,
    case: Annotated[str | None, Query(description="only this case's")] = None,
) -> list[dict[str, Any]]:
    """The outbox, oldest first (``shouhu outbox list --json``): notices carry no identity.
    Open to any logged-in operator, as the CLI leaves it open."""
    engine = service(request).engine()
    return [n.to_dict(engine.zone) for n in engine.notices(status=status, case_id=case)]
