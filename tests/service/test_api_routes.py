"""Every route of the API, walked from the app: each one has an entry in :data:`ROUTES` (a new
route without one fails here), each needs a token (401 without), each case route refuses an
operator of another township (403, rule scope), and the OpenAPI document is valid OpenAPI 3.1
and describes exactly the app's routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from apikit import REPORT, problem, report
from fastapi.routing import APIRoute
from servicekit import Desk


@dataclass(frozen=True)
class Call:
    """How a test calls a route: ``{case}`` and ``{anchor}`` are filled in per test."""

    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    #: The route reads or moves one case: an operator outside its place gets 403.
    case_route: bool = False
    #: The route needs no token.
    open: bool = False


#: Every route under /api/v1 (method, path) and how the tests call it.
ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/openapi.json"): Call(open=True),
    ("POST", "/api/v1/session"): Call(json={"login": "x", "password": "y"}, open=True),
    ("GET", "/api/v1/session"): Call(),
    ("DELETE", "/api/v1/session"): Call(),
    ("POST", "/api/v1/reports"): Call(json=REPORT),
    ("POST", "/api/v1/cases/{case_id}/fire"): Call(json={"trigger": "dispatch"}, case_route=True),
    ("GET", "/api/v1/cases/{case_id}"): Call(case_route=True),
    ("GET", "/api/v1/cases/{case_id}/history"): Call(case_route=True),
    ("GET", "/api/v1/cases/{case_id}/next"): Call(case_route=True),
    ("GET", "/api/v1/cases/{case_id}/replay"): Call(case_route=True),
    ("GET", "/api/v1/cases/{case_id}/proof"): Call(
        params={"anchor": "{anchor}", "reason": "法院调阅"}, case_route=True
    ),
    ("GET", "/api/v1/cases"): Call(),
    ("GET", "/api/v1/deadlines"): Call(params={"case": "{case}"}, case_route=True),
    ("GET", "/api/v1/notices"): Call(),
    ("GET", "/api/v1/verify"): Call(),
    ("POST", "/api/v1/anchors"): Call(),
    ("GET", "/api/v1/reports/compliance"): Call(params={"from": "2026-01-01", "to": "2026-12-31"}),
    ("POST", "/api/v1/registrations"): Call(
        json={
            "kind": "child",
            "person": {"name": "张小红", "birthdate": "2018-05-01"},
            "location": "石桥村, 青山镇",
            "data": {"parents_away": "both"},
        }
    ),
    ("GET", "/api/v1/returns"): Call(params={"quarter": "2026Q3"}),
    ("POST", "/api/v1/returns"): Call(json={"township": "青山镇", "quarter": "2026Q3"}),
}


def flat_routes(app: Any) -> list[Any]:
    """Every route of ``app``, those of included routers too (FastAPI keeps them nested)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # a FastAPI whose app.routes is flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route of ``app`` under /api/v1 (HEAD aside)."""
    found = set()
    for route in flat_routes(app):
        path = route.path or ""
        if path.startswith("/api/v1"):
            found |= {(m, path) for m in getattr(route, "methods", None) or () if m != "HEAD"}
    return found


@pytest.fixture
def app(desk: Desk) -> Any:
    return desk.app()


def send(client: Any, method: str, path: str, call: Call, **fill: str) -> Any:
    url = path.replace("{case_id}", fill.get("case", "01M9672QQW6T6TRZ"))
    params = {k: v.format(**fill) if fill else v for k, v in call.params.items()}
    return client.request(method, url, params=params, json=call.json)


def test_every_api_route_has_an_entry_in_the_route_table(app: Any) -> None:
    """A route added without a test of its 401 (and 403, for a case route) fails here."""
    assert app_routes(app) == set(ROUTES)


@pytest.mark.parametrize(("method", "path"), sorted(k for k, c in ROUTES.items() if not c.open))
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "bad-token"])
def test_every_route_but_logging_in_is_401_without_a_valid_token(
    desk: Desk, method: str, path: str, token: str | None
) -> None:
    client = desk.client()
    if token is not None:
        client.headers["Authorization"] = f"Bearer {token}"
    r = send(client, method, path, ROUTES[method, path], case="01M9672QQW6T6TRZ", anchor="x")
    doc = problem(r, 401)
    assert doc["type"] == "urn:shouhu:problem:not-authenticated"
    assert r.headers["www-authenticate"] == 'Bearer realm="shouhu"'


@pytest.mark.parametrize(("method", "path"), sorted(k for k, c in ROUTES.items() if c.case_route))
def test_every_case_route_is_403_for_the_police_of_another_township(
    desk: Desk, method: str, path: str
) -> None:
    """police-2 (白石乡) on a case in 石桥村, 青山镇: refused by rule scope, nothing written."""
    police = desk.api("police")
    case = report(police)
    sth = police.post("/api/v1/anchors").json()["tree_head"]
    r = send(desk.api("police-2"), method, path, ROUTES[method, path], case=case["id"], anchor=sth)
    doc = problem(r, 403)
    assert doc["rule"] == "scope"
    assert doc["type"] == "urn:shouhu:problem:forbidden"
    with desk.engine() as engine:
        assert engine.case(case["id"]).version == 1
        assert engine.accesses(case["id"]) == []


def test_the_same_case_routes_answer_the_police_of_its_own_township(desk: Desk) -> None:
    """The 403s above are the scope's: the township's own police get each route's answer."""
    police = desk.api("police")
    case = report(police)
    sth = police.post("/api/v1/anchors").json()["tree_head"]
    for (method, path), call in sorted(ROUTES.items()):
        if call.case_route:
            r = send(police, method, path, call, case=case["id"], anchor=sth)
            assert r.status_code == 200, (method, path, r.text)


# --- the OpenAPI document ---------------------------------------------------------------------


def document(desk: Desk) -> dict[str, Any]:
    r = desk.client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


def test_the_openapi_document_is_valid_openapi_3_1(desk: Desk) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    doc = document(desk)
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises naming the first fault
    broken = {**doc, "paths": {"/api/v1/cases": {"get": {"responses": "none"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # the validator does fail a broken document


def test_every_api_route_is_in_the_document_and_nothing_else_is(app: Any, desk: Desk) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in document(desk)["paths"].items()
        for method in operations
    }
    in_schema = {
        (m, r.path)
        for r in flat_routes(app)
        if isinstance(getattr(r, "original_route", r), APIRoute) and r.include_in_schema
        for m in r.methods
    }
    assert documented == in_schema
    assert documented == app_routes(app) - {("GET", "/api/v1/openapi.json")}


def test_every_operation_has_a_tag_a_summary_and_its_problems_as_problem_json(
    desk: Desk,
) -> None:
    for path, operations in document(desk)["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("tags"), where
            assert op.get("summary"), where
            responses = op["responses"]
            assert "default" in responses, where
            assert "422" not in responses or "HTTPValidationError" not in str(responses["422"])
            for status, response in responses.items():
                if status == "default" or status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (
                        where,
                        status,
                    )
            if (method.upper(), path) not in {("POST", "/api/v1/session")}:
                assert "401" in responses, where


def test_the_document_needs_no_token_and_names_the_version(desk: Desk) -> None:
    from shouhu import __version__

    doc = document(desk)
    assert doc["info"]["version"] == __version__
    assert "CaseOut" in doc["components"]["schemas"]


def test_logging_out_is_204_and_the_token_is_still_the_clients_to_forget(desk: Desk) -> None:
    api = desk.api("police")
    assert api.get("/api/v1/session").json()["id"] == desk.operator_id("police")
    r = api.delete("/api/v1/session")
    assert r.status_code == 204
    assert r.content == b""
