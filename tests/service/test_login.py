"""Logging in to ``shouhu serve``: a password unwraps the operator's key for the session."""

from __future__ import annotations

from servicekit import PASSWORD, Desk


def test_an_operator_logs_in_to_the_api_with_their_password_and_is_who_the_registry_says(
    desk: Desk,
) -> None:
    api = desk.api("township")
    me = api.get("/api/v1/session").json()
    assert me["id"] == desk.operator_id("township")
    assert me["role"] == "township"
    assert me["scope"]["township"] == "青山镇"


def test_a_wrong_password_is_401_problem_json_and_recorded(desk: Desk) -> None:
    c = desk.client()
    r = c.post("/api/v1/session", json={"login": desk.operator_id("police"), "password": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "urn:shouhu:problem:not-authenticated"
    attempts = c.app.state.service.logins.attempts()  # type: ignore[attr-defined]
    assert attempts[0]["outcome"] == "failed"
    assert attempts[0]["operator_id"] == desk.operator_id("police")
    assert PASSWORD not in str(attempts)
