"""API clients that hold their key sign each request (RFC 9421, Ed25519); the service checks
it against the operator registry and never sees the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicekit import Desk, signed_headers

URL = "https://testserver/api/v1/session"


def test_a_request_signed_with_the_operators_key_is_theirs(desk: Desk) -> None:
    headers = signed_headers("GET", URL, desk.credential_path("police"))
    r = desk.client().get("/api/v1/session", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == desk.operator_id("police")


def test_a_request_signed_with_another_key_or_tag_or_too_long_ago_is_not_authenticated(
    desk: Desk,
) -> None:
    c = desk.client()
    police = desk.operator_id("police")
    # the court's key, claiming to be the police officer
    forged = signed_headers("GET", URL, desk.credential_path("court"))
    forged["Signature-Input"] = forged["Signature-Input"].replace(desk.operator_id("court"), police)
    cases = {
        "another key": forged,
        "another tag": signed_headers("GET", URL, desk.credential_path("police"), tag="other"),
        "six minutes old": signed_headers(
            "GET",
            URL,
            desk.credential_path("police"),
            created=datetime.now(UTC) - timedelta(minutes=6),
        ),
        "another URL": signed_headers(
            "GET", "https://testserver/api/v1/cases", desk.credential_path("police")
        ),
    }
    for what, headers in cases.items():
        r = c.get("/api/v1/session", headers=headers)
        assert r.status_code == 401, what
        assert r.headers["content-type"] == "application/problem+json"


def test_a_disabled_operators_signed_request_is_refused(desk: Desk) -> None:
    from shouhu.adapters.credentials import load

    with desk.engine() as engine:
        engine.disable_operator(load(desk.credential_path("admin")), desk.operator_id("police"))
    headers = signed_headers("GET", URL, desk.credential_path("police"))
    assert desk.client().get("/api/v1/session", headers=headers).status_code == 401
