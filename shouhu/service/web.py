"""The web desk (工作台): server-rendered pages (Jinja2, autoescaped) in the operator's
language, Chinese by default. Plain forms, no script needed; every form carries the session's
CSRF value. This module holds the login, the language switch, the error page and the shared
rendering; the pages are in :mod:`shouhu.service.pages`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from shouhu import __version__
from shouhu.errors import NotAuthenticated, ShouhuError
from shouhu.i18n import catalog
from shouhu.service import problems
from shouhu.service.auth import Who, cookie_header, remote, service, web_who

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
templates.env.policies["ext.i18n.trimmed"] = True

router = APIRouter(include_in_schema=False)


def render(
    request: Request, name: str, who: Who | None = None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the request's language, with who is logged in and their CSRF value."""
    lang = request.state.lang
    templates.env.install_gettext_translations(catalog(lang), newstyle=True)  # type: ignore[attr-defined]
    context.update(
        request=request,
        who=who,
        lang=lang,
        html_lang="zh-CN" if lang == "zh_CN" else "en",
        csrf=who.session.csrf if who and who.session else "",
        version=__version__,
        path=request.url.path,
    )
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, exc: ShouhuError) -> Response:
    if problems.kind_of(exc) == "not-authenticated":
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)
    doc = problems.body(exc)
    return render(request, "error.html", None, status=doc["status"], problem=doc)


def login_page(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    nxt = request.query_params.get("next", "/")
    return render(request, "login.html", None, status=status, message=message, next=nxt)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    login: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    svc = service(request)
    try:
        session = svc.login(login, password, remote(request))
    except NotAuthenticated as exc:
        return login_page(request, exc.message, status=429 if exc.data.get("retry_after") else 401)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.headers.append("set-cookie", cookie_header(request, svc.sessions.seal(session), svc))
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    from shouhu.service.auth import require_csrf

    require_csrf(request, web_who(request), csrf)
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", cookie_header(request, "", service(request), clear=True))
    return response


@router.get("/lang/{to}")
def switch_language(request: Request, to: str) -> Response:
    """中文 / English: kept in a cookie, for a year."""
    lang = "en" if to == "en" else "zh_CN"
    back = request.query_params.get("next", "/")
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie("shouhu_lang", lang, max_age=365 * 86400, samesite="strict", httponly=True)
    return response
