"""The composition root: :class:`Engine` with ``open`` wiring the SQL store and the clock."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from shouhu.adapters.clock import SystemClock
from shouhu.adapters.config import default_db_url, default_workflows, default_zone
from shouhu.adapters.policyfile import load_pack
from shouhu.engine import core
from shouhu.engine.clock import Clock
from shouhu.engine.memory import MemoryStore
from shouhu.engine.policy import PolicyPack
from shouhu.errors import InvalidInput, StoreUnavailable
from shouhu.i18n import _
from shouhu.workflows import WorkflowSet

if TYPE_CHECKING:
    from shouhu.adapters.sqlstore import SqlStore


class Engine(core.Engine):
    """The shouhu engine. Open one on a database URL, or in memory for tests.

    ``Engine.open("sqlite:///cases.db")`` (or ``postgresql+psycopg://…``); without a URL,
    ``$SHOUHU_DB`` or a SQLite file in the user's data directory.
    """

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        zone: str | None = None,
        policy: PolicyPack | str | os.PathLike[str] | None = None,
        create: bool = True,
        ephemeral: bool = False,
        workflows: WorkflowSet | None = None,
        group_commit: bool = False,
        connections: int | None = None,
        **kwargs: Any,
    ) -> Engine:
        """``policy``: a :class:`PolicyPack`, a pack file, or None for ``$SHOUHU_POLICY`` or
        the national defaults.

        ``workflows``: the :class:`~shouhu.workflows.WorkflowSet` this engine knows (default:
        ``$SHOUHU_WORKFLOWS``, else the six report types and the ledger's three watches,
        :func:`~shouhu.adapters.config.default_workflows`); a pack file is read against it,
        so an embedder's pack may name its own types' triggers (docs/extending.md).

        ``create`` (default True): a missing SQLite file (and, without a URL, its directory)
        is created, and an empty database gets the schema. ``create=False`` opens only a
        database that exists: a missing SQLite file, or a server database without shouhu's
        schema, is :class:`~shouhu.errors.StoreUnavailable` and nothing is created — what a
        command that only reads wants (an existing file at an older revision is still
        upgraded).

        ``ephemeral`` (default False): a URL whose database lives only as long as the process
        (``sqlite://``, ``sqlite:///:memory:``, a ``mode=memory`` URI) is refused with
        :class:`~shouhu.errors.InvalidInput`, since everything filed in it is lost when it is
        closed; pass ``ephemeral=True`` to mean it (tests), or use :meth:`in_memory`.
        An empty URL is refused too (None means the default).

        ``group_commit`` (default False; a SQLite file only): the engine's threads' concurrent
        writes are gathered into one transaction and one fsync, each caller answered once its
        write is durable, a refused one rolled back alone (docs/performance.md, "Group
        commit"). For an embedder that shares this engine between threads.

        ``connections`` (default None: SQLAlchemy's pool of 5, and 10 more on demand): the
        connections the store keeps open — as many as the threads that share it read at once.
        """
        from shouhu.adapters import dburl
        from shouhu.adapters.sqlstore import SqlStore
        from shouhu.engine.timeutil import zone as check_zone

        check_zone(zone or default_zone())  # bad input before any connection is opened
        if workflows is None:
            workflows = default_workflows()
        pack = policy if isinstance(policy, PolicyPack) else load_pack(policy, wfs=workflows)
        target = default_db_url() if url is None else url
        if not ephemeral and dburl.ephemeral(target):
            raise InvalidInput(
                _(
                    "database URL {url!r} is in memory: everything filed in it is lost "
                    "when it is closed; give a file (sqlite:///cases.db) or a server, or pass "
                    "ephemeral=True"
                ).format(url=target[:80]),
                field="db",
            )
        if connections is not None and (
            not isinstance(connections, int) or isinstance(connections, bool) or connections < 1
        ):
            raise InvalidInput(
                _("connections must be at least 1, not {n!r}").format(n=connections),
                field="connections",
            )
        store = (
            SqlStore(target, make_dirs=url is None, connections=connections)
            if create
            else _open_existing(target, connections)
        )
        if group_commit:
            try:
                store.group_commit()
            except BaseException:
                store.close()
                raise
        return cls(
            store,
            clock or SystemClock(),
            zone=zone or default_zone(),
            policy=pack,
            workflows=workflows,
            **kwargs,
        )

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock | None = None,
        zone: str | None = None,
        policy: PolicyPack | str | os.PathLike[str] | None = None,
        workflows: WorkflowSet | None = None,
        **kwargs: Any,
    ) -> Engine:
        """An engine on a :class:`~shouhu.engine.memory.MemoryStore` (nothing persists)."""
        if workflows is None:
            workflows = default_workflows()
        pack = policy if isinstance(policy, PolicyPack) else load_pack(policy, wfs=workflows)
        return cls(
            MemoryStore(),
            clock or SystemClock(),
            zone=zone or default_zone(),
            policy=pack,
            workflows=workflows,
            **kwargs,
        )


def _open_existing(url: str, connections: int | None = None) -> SqlStore:
    """A store on a database that exists, with its schema brought to the head; creates none.

    A SQLite file must exist (an existing empty one gets the schema, as before); a server's
    database must already hold shouhu's schema (``shouhu db upgrade`` creates it).
    """
    from shouhu.adapters import dburl, migrate
    from shouhu.adapters.sqlstore import SqlStore

    path = dburl.sqlite_file(url)
    if path is not None and not path.exists():
        raise StoreUnavailable(
            _(
                "no database at {path}: the file does not exist (only a command that files "
                "something, or `shouhu db upgrade`, creates one)"
            ).format(path=path)
        )
    store = SqlStore(url, create=False, connections=connections)
    try:
        if store.dialect != "sqlite":
            with store._errors():
                empty = migrate.is_empty(store.engine)
            if empty:
                shown = store.url.render_as_string(hide_password=True)
                raise StoreUnavailable(
                    _(
                        "database {url} has no shouhu schema (only a command that files "
                        "something, or `shouhu db upgrade`, creates it)"
                    ).format(url=shown)
                )
        store.create_schema()
    except BaseException:
        store.close()
        raise
    return store
