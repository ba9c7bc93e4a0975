"""Who is asking: the session behind a request, for the API (a bearer token) and the desk
(a cookie), and the desk's CSRF check.

A request without a valid session is :class:`~shouhu.errors.NotAuthenticated` (401 on the API;
the desk sends the browser to the login page). The operator is read from the registry on
every request, so a disabling or a key rotation ends their sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from shouhu.engine.signing import Credential
from shouhu.errors import NotAuthenticated
from shouhu.i18n import _
from shouhu.service.sessions import Session

if TYPE_CHECKING:
    from shouhu.engine.operators import Operator
    from shouhu.service.core import Service

COOKIE = "shouhu_session"
#: Over HTTPS the cookie is ``__Host-`` prefixed: Secure, no Domain, Path=/ (RFC 6265bis).
SECURE_COOKIE = "__Host-shouhu_session"


@dataclass(frozen=True)
class Who:
    """A request's operator: the registry's entry for them now, the credential they act with
    (unwrapped at login, or — for a request signed by RFC 9421 — one that holds only the
    signatures the client sent), and their session if they logged in."""

    session: Session | None
    operator: Operator
    signer: Credential | None = None

    @property
    def credential(self) -> Credential:
        if self.signer is not None:
            return self.signer
        assert self.session is not None
        return self.session.credential


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def _who(request: Request, token: str | None) -> Who:
    svc = service(request)
    if not token:
        raise NotAuthenticated(_("not logged in"))
    now = svc.now()
    session = svc.sessions.open(token, now)
    if session is None:
        raise NotAuthenticated(_("the session has expired or is not valid: log in again"))
    operator = svc.operator_of(session)
    renewed = svc.sessions.renewed(session, now)
    if renewed is not None and not request.url.path.startswith("/api/"):
        request.state.set_cookie = cookie_header(request, svc.sessions.seal(renewed), svc)
    return Who(session, operator)


async def api_who(request: Request) -> Who:
    """The API's caller: a request signed with the operator's key (RFC 9421,
    :mod:`shouhu.service.httpsig`), or ``Authorization: Bearer <token>`` from
    ``POST /api/v1/session``."""
    from starlette.concurrency import run_in_threadpool

    from shouhu.service import httpsig

    if httpsig.signed(request):
        body = await request.body()
        svc = service(request)

        def check() -> Who:
            signer = httpsig.credential(request, body, svc)
            return Who(None, svc.engine().authenticate(signer), signer)

        return await run_in_threadpool(check)
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    return await run_in_threadpool(_who, request, bearer)


def web_who(request: Request) -> Who:
    """The desk's operator, from the session cookie."""
    return _who(request, request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE))


def cookie_header(request: Request, token: str, svc: Service, *, clear: bool = False) -> str:
    secure = request.url.scheme == "https"
    name = SECURE_COOKIE if secure else COOKIE
    age = 0 if clear else int(svc.settings.idle.total_seconds())
    parts = [f"{name}={'' if clear else token}", "Path=/", "HttpOnly", "SameSite=Strict"]
    parts.append(f"Max-Age={age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def csrf_ok(request: Request, who: Who, given: str | None) -> bool:
    """A form posted from the desk carries the session's CSRF value, and no foreign Origin."""
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        return False
    return who.session is not None and service(request).sessions.csrf_ok(who.session, given)


class CsrfRefused(NotAuthenticated):
    """A desk form posted without the session's CSRF value, or from another origin: 403,
    nothing written."""


def require_csrf(request: Request, who: Who, given: str | None) -> None:
    """Refuse (403) a desk form that is stale or not from this desk; else nothing."""
    if not csrf_ok(request, who, given):
        raise CsrfRefused(_("the form is stale or not from this desk (CSRF): reload it"))


def remote(request: Request) -> str:
    return request.client.host if request.client else "unknown"
