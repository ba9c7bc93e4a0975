"""API clients that hold their key sign each request (RFC 9421, Ed25519); the service checks
it against the operator registry and never sees the key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from apikit import REPORT, problem, report
from servicekit import Desk, sign_statement, signed_headers

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


def send(desk: Desk, method: str, path: str, key: str, doc: Any, **headers: str) -> Any:
    body = json.dumps(doc).encode()
    url = f"https://testserver{path}"
    signed = signed_headers(method, url, desk.credential_path(key), body, headers)
    signed["Content-Type"] = "application/json"
    return desk.client().request(method, path, content=body, headers=signed)


def test_a_signed_fire_is_recorded_with_the_clients_own_signature_over_the_event(
    desk: Desk,
) -> None:
    case = report(desk.api("township"))
    step = {"trigger": "dispatch", "data": {}}
    path = f"/api/v1/cases/{case['id']}/fire"
    # first: the service computes the event, writes nothing, and asks for its signature
    first = problem(send(desk, "POST", path, "police", step), 428)
    statement, at = first["statement"], first["at"]
    assert statement.startswith("shouhu-event-v1 ")
    assert statement.endswith(" " + desk.operator_id("police"))
    with desk.engine() as engine:
        assert engine.case(case["id"]).state == "reported"
    # then: the client signs the statement and sends the request again, as of that instant
    sig = sign_statement(desk.credential_path("police"), statement)
    done = send(
        desk,
        "POST",
        path,
        "police",
        step,
        **{"Shouhu-Signed-At": at, "Shouhu-Event-Signatures": sig},
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "dispatched"
    with desk.engine() as engine:
        last = engine.history(case["id"])[-1]
        assert last.trigger == "dispatch"
        stored = engine.store.events(case["id"])[-1]
        assert stored.signature == sig
        assert stored.operator_id == desk.operator_id("police")
        assert f"shouhu-event-v1 {stored.hash} {stored.operator_id}" == statement
        assert engine.verify().ok


def test_a_signature_over_another_event_records_nothing_and_asks_again(desk: Desk) -> None:
    case = report(desk.api("township"))
    path = f"/api/v1/cases/{case['id']}/fire"
    step = {"trigger": "dispatch", "data": {}}
    first = problem(send(desk, "POST", path, "police", step), 428)
    wrong = sign_statement(desk.credential_path("police"), first["statement"] + "x")
    court = sign_statement(desk.credential_path("court"), first["statement"])
    for sig in (wrong, court):
        again = problem(
            send(
                desk,
                "POST",
                path,
                "police",
                step,
                **{"Shouhu-Signed-At": first["at"], "Shouhu-Event-Signatures": sig},
            ),
            428,
        )
        assert again["statement"] == first["statement"]
    with desk.engine() as engine:
        assert engine.case(case["id"]).version == 1


def test_a_signed_at_older_than_two_minutes_or_in_the_future_is_bad_input(desk: Desk) -> None:
    case = report(desk.api("township"))
    path = f"/api/v1/cases/{case['id']}/fire"
    for at in (
        (datetime.now(UTC) - timedelta(minutes=2, seconds=5)).isoformat(),
        (datetime.now(UTC) + timedelta(seconds=30)).isoformat(),
        "yesterday",
    ):
        r = send(
            desk,
            "POST",
            path,
            "police",
            {"trigger": "dispatch"},
            **{"Shouhu-Signed-At": at, "Shouhu-Event-Signatures": ""},
        )
        assert problem(r, 400)["field"] == "at"


def test_a_tampered_body_breaks_the_request_signature(desk: Desk) -> None:
    case = report(desk.api("township"))
    path = f"/api/v1/cases/{case['id']}/fire"
    body = json.dumps({"trigger": "dispatch"}).encode()
    headers = signed_headers(
        "POST", f"https://testserver{path}", desk.credential_path("police"), body
    )
    headers["Content-Type"] = "application/json"
    r = desk.client().post(path, content=b'{"trigger": "dismiss"}', headers=headers)
    assert problem(r, 401)["type"] == "urn:shouhu:problem:not-authenticated"


def test_a_signed_report_needs_an_idempotency_key_and_gets_the_same_case_id_twice(
    desk: Desk,
) -> None:
    r = send(desk, "POST", "/api/v1/reports", "police", REPORT)
    assert problem(r, 400)["field"] == "Idempotency-Key"
    first = problem(
        send(desk, "POST", "/api/v1/reports", "police", REPORT, **{"Idempotency-Key": "k-1"}),
        428,
    )
    sig = sign_statement(desk.credential_path("police"), first["statement"])
    done = send(
        desk,
        "POST",
        "/api/v1/reports",
        "police",
        REPORT,
        **{
            "Idempotency-Key": "k-1",
            "Shouhu-Signed-At": first["at"],
            "Shouhu-Event-Signatures": sig,
        },
    )
    assert done.status_code == 201, done.text
    with desk.engine() as engine:
        stored = engine.store.events(done.json()["id"])[0]
        assert stored.signature == sig
        assert engine.verify().ok
