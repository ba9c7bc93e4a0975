"""The service's security: logins, their limit and record, sessions that expire, cookies,
CSRF, the headers every response carries, and a stolen database copy that cannot sign."""

from __future__ import annotations

import base64
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from servicekit import PASSWORD, Desk

from shouhu.adapters.credentials import load
from shouhu.adapters.weblogins import Cost, WebLogins, unwrap
from shouhu.engine.clock import FakeClock
from shouhu.service.app import CSP
from shouhu.service.core import Settings
from shouhu.service.sessions import Sessions, new_secret

SERVICE = Path(__file__).resolve().parents[2] / "shouhu" / "service"


def clocked(desk: Desk) -> FakeClock:
    """A clock for the service, a minute after the demo's last act."""
    clock = FakeClock(datetime.now(UTC) + timedelta(minutes=1))
    desk.clock = clock
    return clock


def login(desk: Desk, key: str, password: str = PASSWORD, app: object = None) -> int:
    c = desk.client(app)
    body = {"login": desk.operator_id(key), "password": password}
    return c.post("/api/v1/session", json=body).status_code


# -- logging in ---------------------------------------------------------------------------------


def test_five_failed_logins_refuse_the_sixth_even_with_the_right_password_and_say_when(
    desk: Desk,
) -> None:
    clock = clocked(desk)
    app = desk.app()
    for _ in range(5):
        assert login(desk, "police", "wrong password", app) == 401
    r = desk.client(app).post(
        "/api/v1/session", json={"login": desk.operator_id("police"), "password": PASSWORD}
    )
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "900"
    assert r.json()["type"] == "urn:shouhu:problem:too-many-logins"
    outcomes = [a["outcome"] for a in app.state.service.logins.attempts()]
    assert outcomes[:6] == ["throttled"] + ["failed"] * 5
    # another operator is not locked out by these failures
    assert login(desk, "township", app=app) == 200
    clock.advance(minutes=15, seconds=1)
    assert login(desk, "police", app=app) == 200


def test_every_attempt_is_recorded_with_who_when_where_and_never_the_password(desk: Desk) -> None:
    clock = clocked(desk)
    app = desk.app()
    login(desk, "court", "not the password", app)
    login(desk, "court", app=app)
    rows = app.state.service.logins.attempts()
    assert [(r["outcome"], r["operator_id"], r["remote"]) for r in rows[:2]] == [
        ("ok", desk.operator_id("court"), "testclient"),
        ("failed", desk.operator_id("court"), "testclient"),
    ]
    assert rows[0]["at"] == clock.now()
    raw = desk.db.read_bytes()
    assert PASSWORD.encode() not in raw
    assert b"not the password" not in raw


def test_a_name_two_operators_share_does_not_log_in_either(desk: Desk) -> None:
    # the demo's two townships each have a 陈静
    r = desk.client().post("/api/v1/session", json={"login": "陈静", "password": PASSWORD})
    assert r.status_code == 401


def test_a_disabled_operator_cannot_log_in_and_their_open_session_ends_at_once(
    desk: Desk,
) -> None:
    api = desk.api("police")
    assert api.get("/api/v1/session").status_code == 200
    with desk.engine() as engine:
        engine.disable_operator(load(desk.credential_path("admin")), desk.operator_id("police"))
    r = api.get("/api/v1/session")
    assert r.status_code == 401
    assert "disabled" in r.json()["detail"]
    assert login(desk, "police") == 401


def test_after_a_key_rotation_the_old_password_is_refused_until_set_again(desk: Desk) -> None:
    with desk.engine() as engine:
        new = engine.rotate_key(load(desk.credential_path("court")), desk.operator_id("court"))
    app = desk.app()
    r = desk.client(app).post(
        "/api/v1/session", json={"login": desk.operator_id("court"), "password": PASSWORD}
    )
    assert r.status_code == 401
    assert "no longer accepts" in r.json()["detail"]
    assert app.state.service.logins.attempts()[0]["outcome"] == "refused"
    with desk.engine() as engine:
        from shouhu.adapters.weblogins import set_password

        set_password(engine, new, "a new long password")
    assert login(desk, "court", "a new long password", app) == 200


# -- sessions -----------------------------------------------------------------------------------


def test_a_session_ends_after_thirty_idle_minutes_to_the_second(desk: Desk) -> None:
    clock = clocked(desk)
    api = desk.api("township")
    clock.advance(minutes=29, seconds=59)
    assert api.get("/api/v1/session").status_code == 200
    clock.advance(minutes=30)
    r = api.get("/api/v1/session")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="shouhu"'


def test_a_session_kept_busy_is_renewed_but_ends_eight_hours_after_the_login(
    desk: Desk,
) -> None:
    sessions = Sessions(new_secret())
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    session = sessions.start(load(desk.credential_path("township")), start)
    now = start
    for _ in range(16):  # used every 29 minutes 59 seconds: renewed each time
        now += timedelta(minutes=29, seconds=59)
        opened = sessions.open(sessions.seal(session), now)
        assert opened is not None, now - start
        renewed = sessions.renewed(opened, now)
        assert renewed is not None
        session = renewed
    assert now - start == timedelta(hours=7, minutes=59, seconds=44)
    assert sessions.open(sessions.seal(session), start + timedelta(hours=8)) is None
    # a minute after a renewal, the token is not re-issued (not every request sets a cookie)
    assert sessions.renewed(session, now + timedelta(seconds=59)) is None


def test_a_tampered_token_or_one_sealed_by_another_service_is_not_a_session(desk: Desk) -> None:
    api = desk.api("township")
    token = api.headers["Authorization"].removeprefix("Bearer ")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()
    c = desk.client()
    assert (
        c.get("/api/v1/session", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )
    other = Sessions(new_secret())
    session = other.start(load(desk.credential_path("township")), datetime.now(UTC))
    sealed = other.seal(session)
    r = c.get("/api/v1/session", headers={"Authorization": f"Bearer {sealed}"})
    assert r.status_code == 401


def test_the_desk_cookie_is_host_only_secure_httponly_and_samesite_strict_over_https(
    desk: Desk,
) -> None:
    r = desk.client().post(
        "/login",
        data={"login": desk.operator_id("township"), "password": PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-shouhu_session=")
    for part in ("Path=/", "HttpOnly", "SameSite=Strict", "Secure", "Max-Age=1800"):
        assert part in cookie
    assert "Domain" not in cookie


def test_a_login_form_never_sends_the_browser_off_site(desk: Desk) -> None:
    body = {"login": desk.operator_id("township"), "password": PASSWORD}
    for target in ("https://evil.example/", "//evil.example/x"):
        r = desk.client().post("/login", data=body | {"next": target}, follow_redirects=False)
        assert r.headers["location"] == "/"


# -- CSRF ---------------------------------------------------------------------------------------


def test_a_desk_post_without_the_sessions_csrf_value_or_from_another_origin_is_refused(
    desk: Desk,
) -> None:
    web = desk.web("township")
    svc = web.app.state.service  # type: ignore[attr-defined]
    csrf = svc.sessions.open(web.cookies["__Host-shouhu_session"], svc.now()).csrf
    for data, headers in (
        ({"csrf": "forged"}, {}),
        ({}, {}),
        ({"csrf": csrf}, {"Origin": "https://evil.example"}),
    ):
        r = web.post("/logout", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, data
        assert "CSRF" in r.text
        assert "set-cookie" not in r.headers  # still logged in
    r = web.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert "Max-Age=0" in r.headers["set-cookie"]


# -- what every response carries ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/static/desk.css", "/nope"])
def test_every_response_carries_a_strict_csp_and_forbids_framing_and_sniffing(
    desk: Desk, path: str
) -> None:
    r = desk.client().get(path)
    assert r.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP
    assert "unsafe" not in CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_the_desk_loads_nothing_from_outside_the_service() -> None:
    for path in [*SERVICE.glob("templates/*.html"), *SERVICE.glob("static/*")]:
        text = path.read_text(encoding="utf-8")
        for scheme in ("http://", "https://", "//cdn", "<script"):
            if scheme == "<script":
                assert "<script>" not in text, path  # no inline script either
                continue
            assert scheme not in text.replace("http://www.w3.org/2000/svg", ""), (path, scheme)


# -- a stolen copy of the database ---------------------------------------------------------------


def _key_forms(path: Path) -> list[bytes]:
    key = load(path).key
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    body = pem.split(b"-----")[2].replace(b"\n", b"")
    return [raw, raw.hex().encode(), base64.b64encode(raw), der, body]


def test_a_stolen_database_copy_holds_no_private_key_in_any_form(desk: Desk) -> None:
    data = desk.db.read_bytes()
    for path in sorted((desk.folder / "desk-credentials").glob("*.json")):
        for form in _key_forms(path):
            assert form not in data, path.name


def test_a_stolen_wrapped_key_opens_only_with_the_password_and_only_for_its_operator(
    desk: Desk,
) -> None:
    conn = sqlite3.connect(desk.db)
    conn.row_factory = sqlite3.Row
    rows = {r["operator_id"]: dict(r) for r in conn.execute("SELECT * FROM web_logins")}
    conn.close()
    police, court = rows[desk.operator_id("police")], rows[desk.operator_id("court")]
    for row in (police, court):
        row["kdf"] = __import__("json").loads(row["kdf"])
    for guess in ("", "password", "123456789012", PASSWORD.upper(), "correct horse battery"):
        assert unwrap(police, guess) is None
    assert unwrap(police, PASSWORD) is not None
    # the police officer's wrapped key put in the court's row does not open as the court
    moved = dict(court, nonce=police["nonce"], wrapped=police["wrapped"], kdf=police["kdf"])
    assert unwrap(moved, PASSWORD) is None


def test_the_default_price_of_a_guess_is_rfc_9106s_second_recommended_option() -> None:
    assert Cost() == Cost(iterations=3, lanes=4, memory_kib=65536)


def test_the_session_secret_is_never_in_the_database(desk: Desk) -> None:
    settings = Settings(db=desk.url)
    from shouhu.service import create_app

    app = create_app(settings)
    desk.api("township", app)
    assert settings.session_secret not in desk.db.read_bytes()
    assert base64.urlsafe_b64encode(settings.session_secret).rstrip(b"=") not in (
        desk.db.read_bytes()
    )


def test_web_logins_are_kept_per_operator_and_replaced_by_a_new_password(desk: Desk) -> None:
    with desk.engine() as engine:
        logins = WebLogins(engine.store.engine)  # type: ignore[attr-defined]
        before = logins.get(desk.operator_id("police"))
        from shouhu.adapters.weblogins import set_password

        set_password(engine, load(desk.credential_path("police")), "another long password")
        after = logins.get(desk.operator_id("police"))
    assert before is not None
    assert after is not None
    assert before["wrapped"] != after["wrapped"]
    assert login(desk, "police") == 401
    assert login(desk, "police", "another long password") == 200


def test_a_bearer_token_ends_expires_in_seconds_after_it_was_issued_however_busy(
    desk: Desk,
) -> None:
    clock = clocked(desk)
    c = desk.client()
    r = c.post(
        "/api/v1/session", json={"login": desk.operator_id("township"), "password": PASSWORD}
    )
    token, lasts = r.json()["token"], r.json()["expires_in"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        clock.advance(seconds=lasts // 3 - 1)
        assert c.get("/api/v1/session", headers=headers).status_code == 200
    clock.advance(seconds=3)
    assert c.get("/api/v1/session", headers=headers).status_code == 401
