"""``shouhu serve``: the HTTP API and the web desk (uvicorn over :mod:`shouhu.service`)."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import os
import sys
from typing import Annotated

import typer

from shouhu.cli.common import _db_url, _engine
from shouhu.cli.settings import SETTINGS
from shouhu.errors import InvalidInput
from shouhu.i18n import _


def serve(
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (each with its own engines).")
    ] = 1,
    threads: Annotated[
        int,
        typer.Option("--threads", help="Worker threads per process, each with its own engine."),
    ] = 8,
    idle_minutes: Annotated[
        int, typer.Option("--session-idle", help="Minutes of idle time before a session ends.")
    ] = 30,
) -> None:
    """Serve the JSON API (/api/v1) and the web desk on an existing database. Operators log
    in with a password set by `shouhu operator set-password`; run it behind a TLS proxy."""
    if not 1 <= port <= 65535:
        raise InvalidInput(_("--port must be 1 to 65535, not {port}").format(port=port))
    if workers < 1:
        raise InvalidInput(_("--workers must be at least 1, not {n}").format(n=workers))
    if threads < 1:
        raise InvalidInput(_("--threads must be at least 1, not {n}").format(n=threads))
    if idle_minutes < 1:
        raise InvalidInput(_("--session-idle must be at least 1 minute"))
    with _engine(write=False):  # the database must exist (exit 5 if not); nothing is created
        pass
    import uvicorn

    from shouhu.service.sessions import new_secret, secret_text

    url = _db_url()
    os.environ["SHOUHU_DB"] = url
    if SETTINGS.policy:
        os.environ["SHOUHU_POLICY"] = str(SETTINGS.policy)
    if SETTINGS.zone:
        os.environ["SHOUHU_ZONE"] = SETTINGS.zone
    os.environ["SHOUHU_SESSION_IDLE_MINUTES"] = str(idle_minutes)
    os.environ["SHOUHU_SERVE_THREADS"] = str(threads)
    # one secret for every worker of this run, in memory only (docs/security.md)
    os.environ.setdefault("SHOUHU_SESSION_SECRET", secret_text(new_secret()))
    sys.stderr.write(
        _("shouhu: serving {url} on http://{host}:{port}/ (Ctrl-C stops)").format(
            url=url, host=host, port=port
        )
        + "\n"
    )
    uvicorn.run(
        "shouhu.service.app:from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="warning",
    )
