"""RFC 9457 problem details for the API, and the status each of shouhu's errors maps to.

The status follows the CLI's exit code: bad input (exit 2) is 400 — 404 for a case that does
not exist —, not authenticated (exit 6) 401, a refusal by role or scope (exit 3, rule
``role``/``scope``) 403, any other refusal by the rules (exit 3) 422, a conflict (exit 4) 409,
the store unavailable (exit 5) 503, and too many failed logins 429. The body carries the
message the CLI prints (in the request's language), the rule and its citation, the exit code,
and the error's data::

    {"type": "urn:shouhu:problem:refused", "title": "Refused by the rules", "status": 422,
     "detail": "…", "rule": "guard", "citation": "001 §四(三)2", "exit_code": 3, …}
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from shouhu.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    ShouhuError,
    StoreUnavailable,
    TransitionRefused,
)
from shouhu.i18n import N_, _

MEDIA_TYPE = "application/problem+json"

#: kind → (status, title); the kind is the problem type's last part.
KINDS: dict[str, tuple[int, str]] = {
    "invalid-input": (400, N_("Bad input")),
    "not-found": (404, N_("No such case")),
    "not-authenticated": (401, N_("Not authenticated")),
    "forbidden": (403, N_("Refused by role or scope")),
    "refused": (422, N_("Refused by the rules")),
    "conflict": (409, N_("Someone else wrote first")),
    "store-unavailable": (503, N_("The store is unavailable")),
    "too-many-logins": (429, N_("Too many failed logins")),
    "csrf": (403, N_("Stale or foreign form")),
    "signature-needed": (428, N_("Sign the event to record it")),
    "error": (500, N_("Error")),
}


def kind_of(exc: ShouhuError) -> str:
    if isinstance(exc, NotFound):
        return "not-found"
    if isinstance(exc, InvalidInput):
        return "invalid-input"
    from shouhu.service.auth import CsrfRefused
    from shouhu.service.httpsig import SignatureNeeded

    if isinstance(exc, SignatureNeeded):
        return "signature-needed"

    if isinstance(exc, CsrfRefused):
        return "csrf"
    if isinstance(exc, NotAuthenticated):
        return "too-many-logins" if exc.data.get("retry_after") else "not-authenticated"
    if isinstance(exc, TransitionRefused):
        return "forbidden" if exc.rule in ("role", "scope") else "refused"
    if isinstance(exc, Conflict):
        return "conflict"
    if isinstance(exc, StoreUnavailable):
        return "store-unavailable"
    return "error"


def status_of(exc: ShouhuError) -> int:
    return KINDS[kind_of(exc)][0]


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def body(exc: ShouhuError, instance: str | None = None) -> dict[str, Any]:
    kind = kind_of(exc)
    status, title = KINDS[kind]
    doc: dict[str, Any] = {
        "type": f"urn:shouhu:problem:{kind}",
        "title": _(title),
        "status": status,
        "detail": exc.message,
        "exit_code": exc.exit_code,
    }
    if instance:
        doc["instance"] = instance
    for key, value in exc.data.items():
        if value is not None and key not in doc:
            doc[key] = _plain(value)
    return doc


def problem(exc: ShouhuError, instance: str | None = None) -> JSONResponse:
    doc = body(exc, instance)
    headers = {}
    if doc.get("retry_after"):
        headers["Retry-After"] = str(doc["retry_after"])
    if doc["status"] == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="shouhu"'
    return JSONResponse(doc, status_code=doc["status"], media_type=MEDIA_TYPE, headers=headers)


async def shouhu_error(request: Request, exc: ShouhuError) -> Response:
    if request.url.path.startswith("/api/"):
        return problem(exc, request.url.path)
    from shouhu.service.web import error_page

    return error_page(request, exc)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's own validation (a missing field, a wrong type) as bad input, one line."""
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    message = _("{field}: {problem}").format(field=where or "request", problem=first.get("msg", ""))
    return await shouhu_error(request, InvalidInput(message, field=where or None))
