"""The JSON API, ``/api/v1``: the library's calls over HTTP, described by OpenAPI 3.1 at
``/api/v1/openapi.json``. Every route but ``POST /api/v1/session`` needs a bearer token.

The routes are grouped in modules: sessions here; cases, reports and audit in
:mod:`shouhu.service.api_cases` and :mod:`shouhu.service.api_audit`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shouhu.service.auth import Who, api_who, remote, service
from shouhu.service.schemas import errors

router = APIRouter(prefix="/api/v1")

Caller = Annotated[Who, Depends(api_who)]


class LoginIn(BaseModel):
    login: str = Field(description="the operator's id, or their name where it is unique")
    password: str


class SessionOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    operator: str
    name: str
    role: str
    expires_in: int = Field(
        description="seconds from now until the token expires (it is not renewed by use)"
    )


def operator_doc(who: Who) -> dict[str, Any]:
    op = who.operator
    return {
        "id": op.id,
        "name": op.name,
        "body": op.body,
        "role": op.role,
        "scope": {
            "county": op.scope.county,
            "township": op.scope.township,
            "village": op.scope.village,
        },
    }


@router.post(
    "/session",
    response_model=SessionOut,
    tags=["session"],
    summary="Log in: a bearer token",
    responses=errors(400, 429),
)
def log_in(body: LoginIn, request: Request) -> SessionOut:
    """Log in with a password set by ``shouhu operator set-password``: the operator's key is
    unwrapped into the service's memory for this session only."""
    svc = service(request)
    session = svc.login(body.login, body.password, remote(request))
    op = svc.operator_of(session)
    return SessionOut(
        token=svc.sessions.seal(session),
        operator=op.id,
        name=op.name,
        role=op.role,
        expires_in=int(svc.settings.idle.total_seconds()),
    )


@router.get("/session", tags=["session"], summary="Who the token is", responses=errors())
def whoami(who: Caller) -> dict[str, Any]:
    """The operator the token belongs to, as the registry says now."""
    return operator_doc(who)


@router.delete("/session", status_code=204, tags=["session"], summary="Log out", responses=errors())
def log_out(who: Caller) -> Response:
    """Forget the token on the client's side; it also expires by itself (sessions are sealed,
    not stored: docs/security.md)."""
    return Response(status_code=204)
