"""The operators' page (管理, ``/admin/operators``): the registry, adding an operator, changing a
scope, disabling, rotating a key — what ``shouhu operator …`` does — and the login attempts.

A new key's credential is served once, as the download that answers the POST: it is never
kept by the service and cannot be fetched again (a lost credential is replaced by rotating
the key). The engine refuses every change by anyone but an admin within their scope.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shouhu.engine.operators import OPERATOR_ROLES
from shouhu.errors import NotAuthenticated, ShouhuError
from shouhu.service import problems
from shouhu.service.auth import Who, service, web_who
from shouhu.service.pages_common import (
    ADMIN_ROLE,
    Form,
    first,
    forbidden,
    page,
    posted,
    role_name,
    when,
)

router = APIRouter(include_in_schema=False)


def operators_page(
    request: Request, who: Who, *, status: int = 200, **context: Any
) -> HTMLResponse:
    if who.operator.role != ADMIN_ROLE:
        return forbidden(request, who, context.get("refusal") or _not_admin(who))
    svc = service(request)
    engine = svc.engine()
    ops = [
        {
            **op.to_dict(),
            "role_label": role_name(op.role),
            "added": when(op.added_at, engine.zone),
        }
        for op in engine.operators()
    ]
    attempts = [
        {**a, "at_shown": when(a.get("at"), engine.zone) if a.get("at") else ""}
        for a in svc.logins.attempts()
    ]
    done = request.query_params.get("done")
    return page(
        request,
        "operators.html",
        who,
        status=status,
        operators=ops,
        roles=[(r, role_name(r)) for r in OPERATOR_ROLES],
        attempts=attempts,
        done=done,
        **context,
    )


def _not_admin(who: Who) -> str:
    from shouhu.i18n import _

    return _("the operators' page is for the admin; you are {role}").format(role=who.operator.role)


@router.get("/admin/operators")
def operator_list(request: Request) -> HTMLResponse:
    return operators_page(request, web_who(request))


def _credential_download(credential: Any) -> Response:
    from shouhu.adapters.credentials import dumps

    name = f"{credential.operator_id}.json"
    return Response(
        dumps(credential),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _refused(request: Request, who: Who, exc: ShouhuError) -> Response:
    if isinstance(exc, NotAuthenticated):
        raise exc
    return operators_page(request, who, status=problems.status_of(exc), refusal=exc.message)


@router.post("/admin/operators")
async def add(request: Request) -> Response:
    def act(who: Who, form: Form) -> Response:
        engine = service(request).engine()
        try:
            _op, credential = engine.add_operator(
                who.credential,
                first(form, "name"),
                role=first(form, "role"),
                scope=first(form, "scope"),
                body=first(form, "body"),
            )
        except ShouhuError as exc:
            return _refused(request, who, exc)
        return _credential_download(credential)

    return await posted(request, act)


@router.post("/admin/operators/{operator_id}/scope")
async def set_scope(request: Request, operator_id: str) -> Response:
    def act(who: Who, form: Form) -> Response:
        try:
            service(request).engine().change_scope(
                who.credential, operator_id, first(form, "scope")
            )
        except ShouhuError as exc:
            return _refused(request, who, exc)
        return RedirectResponse("/admin/operators?done=scope", status_code=303)

    return await posted(request, act)


@router.post("/admin/operators/{operator_id}/disable")
async def disable(request: Request, operator_id: str) -> Response:
    def act(who: Who, form: Form) -> Response:
        try:
            service(request).engine().disable_operator(who.credential, operator_id)
        except ShouhuError as exc:
            return _refused(request, who, exc)
        return RedirectResponse("/admin/operators?done=disabled", status_code=303)

    return await posted(request, act)


@router.post("/admin/operators/{operator_id}/rotate")
async def rotate(request: Request, operator_id: str) -> Response:
    def act(who: Who, form: Form) -> Response:
        try:
            credential = service(request).engine().rotate_key(who.credential, operator_id)
        except ShouhuError as exc:
            return _refused(request, who, exc)
        return _credential_download(credential)

    return await posted(request, act)
