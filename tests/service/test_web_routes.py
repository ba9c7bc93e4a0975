"""Every desk route wants a logged-in operator: anonymous, a GET is sent to the login page
and a POST writes nothing. Walked from the app's own routes, so a new page is covered."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from servicekit import Desk, csrf_of

#: Routes open to anyone: logging in, the language switch, the health check; the API has its
#: own tests (a bearer token, not the desk's cookie).
OPEN = ("/login", "/lang/", "/healthz", "/api/")


def all_routes(routes: list[Any]) -> list[APIRoute]:
    """The routes of ``app.routes``, into the routers included (FastAPI keeps an included
    router as one entry holding the router; none of the desk's is included with a prefix)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += all_routes(inner.routes)
    return out


def desk_routes(app: Any) -> list[tuple[str, str]]:
    found = {
        (method, route.path)
        for route in all_routes(app.routes)
        if not route.path.startswith(OPEN)
        # the API's routers nest theirs under /api/v1: they are the API's walk, not this one
        and not route.endpoint.__module__.startswith("shouhu.service.api")
        for method in route.methods
    }
    return sorted(found)


def filled(path: str, case_id: str, operator_id: str) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: operator_id if m.group(1) == "operator_id" else case_id,
        path,
    )


def written(desk: Desk) -> tuple[Any, ...]:
    with desk.engine() as engine:
        return (
            [(c.id, c.version) for c in engine.cases()],
            len(engine.accesses()),
            [(o.id, o.active, str(o.scope), o.public_key) for o in engine.operators()],
        )


def test_the_walk_covers_the_pages_of_the_brief(desk: Desk) -> None:
    paths = {p for _m, p in desk_routes(desk.app())}
    for p in (
        "/",
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/fire",
        "/cases/{case_id}/identity",
        "/report",
        "/audit",
        "/audit/anchor",
        "/audit/access",
        "/audit/report",
        "/audit/replay/{case_id}",
        "/audit/cases/{case_id}/proof",
        "/admin/operators",
    ):
        assert p in paths


def test_every_desk_route_sends_an_anonymous_request_to_the_login_page_and_writes_nothing(
    desk: Desk,
) -> None:
    app = desk.app()
    before = written(desk)
    case_id = before[0][0][0]
    client = desk.client(app)
    answered = {}
    for method, path in desk_routes(app):
        url = filled(path, case_id, desk.operator_id("police"))
        data = {"csrf": "x", "trigger": "dispatch", "reason": "r", "name": "n", "scope": "x"}
        r = client.request(
            method, url, data=data if method == "POST" else None, follow_redirects=False
        )
        answered[method, path] = (r.status_code, r.headers.get("location", "")[:6])
    assert ("GET", "/") in answered
    assert ("POST", "/cases/{case_id}/fire") in answered
    assert ("POST", "/admin/operators/{operator_id}/rotate") in answered
    assert set(answered.values()) == {(303, "/login")}, answered
    assert written(desk) == before


def qingshan_case(desk: Desk) -> str:
    """An open case of 青山镇 (the township of ``police``, not of ``police-2``)."""
    with desk.engine() as engine:
        return next(c.id for c in engine.cases() if c.township == "青山镇")


def test_every_desk_route_of_a_case_refuses_an_operator_outside_its_scope_and_writes_nothing(
    desk: Desk,
) -> None:
    """police-2 (白石乡) on a 青山镇 case: every page and form of a case answers 403 naming
    属地 — with the form's own CSRF value, so it is the scope that refuses."""
    app = desk.app()
    before = written(desk)
    case_id = qingshan_case(desk)
    web = desk.web("police-2", app)
    csrf = csrf_of(web.get("/report").text)
    routes = [(m, p) for m, p in desk_routes(app) if "{case_id}" in p]
    assert len(routes) >= 5
    answered = {}
    for method, path in routes:
        url = filled(path, case_id, desk.operator_id("police"))
        data = {"csrf": csrf, "trigger": "order_parents_return", "reason": "核实"}
        r = web.request(method, url, data=data if method == "POST" else None)
        answered[method, path] = r.status_code
        if r.status_code == 403:
            assert "属地" in r.text, (method, path)
    assert set(answered.values()) == {403}, answered
    assert written(desk) == before
