"""What the desk's pages share: the navigation, names in the operator's language, times,
forms read as text, and the CSRF refusal.

No rule lives here: the pages call the engine with the operator's credential and show what it
says, refusals included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from shouhu.engine.deadlines import status_words
from shouhu.engine.timeutil import local
from shouhu.i18n import N_, _, chinese
from shouhu.service.auth import Who, csrf_ok, service, web_who
from shouhu.service.web import render, templates
from shouhu.workflows.vocab import CHOICE_NAMES, REPORTER_KINDS, ROLES

#: Roles that see the audit pages, and the role that sees the operators' page.
AUDIT_ROLES = frozenset({"auditor", "admin", "civil_affairs"})
ADMIN_ROLE = "admin"


def nav(who: Who) -> list[tuple[str, str]]:
    """The desk's menu for this operator: (path, label)."""
    items = [("/", _("My worklist")), ("/cases", _("Cases")), ("/report", _("Report"))]
    if who.operator.role in AUDIT_ROLES:
        items.append(("/audit", _("Audit")))
    if who.operator.role == ADMIN_ROLE:
        items.append(("/admin/operators", _("Admin")))
    return items


def page(request: Request, name: str, who: Who, status: int = 200, **context: Any) -> HTMLResponse:
    """A desk page with the menu."""
    return render(request, name, who, status=status, nav=nav(who), **context)


def refused_form(request: Request, who: Who) -> HTMLResponse:
    """A POST without the session's CSRF value (or from another origin): 403, nothing written."""
    problem = {
        "title": _("The form was refused"),
        "status": 403,
        "detail": _("the form is stale or not from this desk (CSRF): reload it"),
    }
    return page(request, "error.html", who, status=403, problem=problem)


def forbidden(request: Request, who: Who, detail: str) -> HTMLResponse:
    problem = {"title": _("Refused by role or scope"), "status": 403, "detail": detail}
    return page(request, "error.html", who, status=403, problem=problem)


async def read_form(request: Request) -> dict[str, list[str]]:
    """A posted form as text: each name with every value given (a multiple select repeats)."""
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


#: A posted form: each name with every value given.
Form = dict[str, list[str]]


async def posted(request: Request, handler: Callable[[Who, Form], Response]) -> Response:
    """A desk form's POST: the form is read; then, in a worker thread (as FastAPI runs a
    plain route: the engine blocks), who posted it (not logged in: to the login page), the
    CSRF check first (refused with 403, nothing written), and ``handler``."""
    form = await read_form(request)

    def run() -> Response:
        who = web_who(request)
        if not checked(request, who, form):
            return refused_form(request, who)
        return handler(who, form)

    return await run_in_threadpool(run)


def first(form: dict[str, list[str]], name: str, default: str = "") -> str:
    values = form.get(name)
    return values[0] if values else default


def checked(request: Request, who: Who, form: dict[str, list[str]]) -> bool:
    return csrf_ok(request, who, first(form, "csrf"))


def zone(request: Request) -> str:
    return service(request).engine().zone


# -- names in the operator's language ----------------------------------------------------------


def role_name(role: str) -> str:
    """公安机关 in Chinese, ``police`` in English."""
    if role == ADMIN_ROLE:
        return _("administrator") if chinese() else role
    return ROLES.get(role, role) if chinese() else role


def choice_name(key: str) -> str:
    names = CHOICE_NAMES.get(key)
    return names[0] if chinese() and names else key


def reporter_kind_name(kind: str) -> str:
    return REPORTER_KINDS.get(kind, kind) if chinese() else kind


def words(zh: str, en: str) -> str:
    """Chinese alone in Chinese; English in English."""
    return zh if chinese() else en


def type_name(request: Request, type_: str) -> str:
    wfs = service(request).engine().workflows
    try:
        wf = wfs.latest(type_)
    except Exception:  # a type this engine does not know: its key
        return type_
    return words(wf.zh, wf.en)


def state_name(wf: Any, state: str | None) -> str:
    if state is None:
        return ""
    try:
        s = wf.state(state)
    except Exception:
        return state
    return words(s.zh, s.en)


def when(value: datetime | str | None, tz: str) -> str:
    """A moment as the desk shows it: local ``YYYY-MM-DD HH:MM:SS`` (to the second, as the
    record holds it)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[:19].replace("T", " ")
    if value.tzinfo is None:  # SQLite hands back UTC without its zone
        value = value.replace(tzinfo=UTC)
    return local(value, tz).strftime("%Y-%m-%d %H:%M:%S")


def left(due: datetime, now: datetime) -> tuple[str, bool]:
    """Time left until ``due`` (or overdue by), and whether it is overdue."""
    seconds = int((due - now).total_seconds())
    over = seconds < 0
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _("{days}d {hours}h").format(days=days, hours=hours)
    else:
        span = _("{hours}h {minutes}m").format(hours=hours, minutes=minutes)
    return (_("overdue by {span}").format(span=span) if over else span), over


def status_name(status: str) -> str:
    return status_words(status)


#: A notice's status, and a login attempt's outcome, as a person reads them.
NOTICE_STATUS = {
    "pending": N_("waiting to be sent"),
    "delivered": N_("delivered"),
    "failed": N_("delivery failed"),
}
LOGIN_OUTCOME = {
    "ok": N_("logged in"),
    "failed": N_("wrong operator or password"),
    "refused": N_("refused (key rotated or operator disabled)"),
    "throttled": N_("refused (too many failures)"),
}


def notice_status_name(status: str) -> str:
    return _(NOTICE_STATUS[status]) if status in NOTICE_STATUS else status


def login_outcome_name(outcome: str) -> str:
    return _(LOGIN_OUTCOME[outcome]) if outcome in LOGIN_OUTCOME else outcome


templates.env.globals.update(
    role_name=role_name,
    choice_name=choice_name,
    reporter_kind_name=reporter_kind_name,
    status_name=status_name,
    notice_status_name=notice_status_name,
    login_outcome_name=login_outcome_name,
)
