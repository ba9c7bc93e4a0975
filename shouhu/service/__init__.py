"""``shouhu serve``: the JSON API under ``/api/v1`` and the web desk, over the library.

:func:`create_app` builds the ASGI application on a :class:`Settings`; ``shouhu serve`` runs it
with uvicorn. No rule lives here: every route calls :class:`shouhu.Engine` as the logged-in
operator (docs/api.md, docs/web.md, docs/security.md).
"""

from shouhu.service.app import create_app
from shouhu.service.core import Settings

__all__ = ["Settings", "create_app"]
