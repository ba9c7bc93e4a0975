"""The ASGI application of ``shouhu serve`` (FastAPI, served by uvicorn).

:func:`create_app` builds it over a :class:`~shouhu.service.core.Service`: the JSON API under
``/api/v1`` (:mod:`shouhu.service.api`), the web desk (:mod:`shouhu.service.web`), the
package's own CSS and images under ``/static`` (no third-party asset: the pages work with no
internet), and what every response carries — a strict Content-Security-Policy, no sniffing,
no framing, no referrer, and ``no-store`` for anything behind a login.

Errors are the library's: a :class:`~shouhu.errors.ShouhuError` becomes an RFC 9457
``application/problem+json`` on the API (:mod:`shouhu.service.problems`) and a page in the
operator's language on the desk, each carrying the rule, its citation and the message the CLI
prints.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from shouhu import __version__
from shouhu.errors import ShouhuError
from shouhu.i18n import using
from shouhu.service.core import REQUEST_STATE, Service, Settings

HERE = Path(__file__).resolve().parent

#: Nothing is loaded from anywhere but the service; no inline script, style or frame.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: under no-referrer a browser posts a form with
    # "Origin: null", and the desk's CSRF check would refuse every form of its own
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def language_of(scope: Scope) -> str:
    """The API speaks English unless ``Accept-Language`` prefers Chinese; the desk speaks
    Chinese unless the operator switched it to English (the ``shouhu_lang`` cookie)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if scope["path"].startswith("/api/"):
        first = headers.get("accept-language", "").split(",")[0].strip().lower()
        return "zh_CN" if first.startswith("zh") else "en"
    for part in headers.get("cookie", "").split(";"):
        name, _sep, value = part.strip().partition("=")
        if name == "shouhu_lang" and value in ("en", "zh_CN"):
            return str(value)
    return "zh_CN"


class Frame:
    """Pure ASGI middleware: the request's language for every message, the security headers
    on every response, and a renewed session cookie where a route asked for one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = language_of(scope)
        scope.setdefault("state", {})["lang"] = lang

        async def send_framed(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _v in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                cookie = scope["state"].get("set_cookie")
                if cookie:
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        token = REQUEST_STATE.set(scope["state"])
        try:
            with using(lang):
                await self.app(scope, receive, send_framed)
        finally:
            REQUEST_STATE.reset(token)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service over ``settings`` (default: read from the environment ``shouhu serve``
    sets). The database must exist: a service never creates one."""
    service = Service(settings or Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        import anyio.to_thread

        # as many worker threads as the service has connections for (each its own engine)
        anyio.to_thread.current_default_thread_limiter().total_tokens = service.settings.threads
        service.start_counting()  # the desk's counts, before the first worklist asks
        yield
        service.close()

    app = FastAPI(
        title="shouhu",
        version=__version__,
        summary="守护: the mandatory-reporting and rescue mechanism for left-behind children",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service

    from shouhu.service import api, api_audit, api_cases, pages, problems, web

    app.add_exception_handler(ShouhuError, problems.shouhu_error)  # type: ignore[arg-type]
    app.add_exception_handler(
        RequestValidationError,
        problems.validation_error,  # type: ignore[arg-type]
    )
    for module in (api, api_cases, api_audit, web, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        service.engine()
        return Response("ok\n", media_type="text/plain")

    app.add_middleware(Frame)
    return app


def from_env() -> FastAPI:
    """The factory ``shouhu serve`` hands uvicorn (``--factory``): each worker builds its app
    from the environment the command set."""
    return create_app(Settings.from_env())


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
