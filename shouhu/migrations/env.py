"""Alembic's environment for shouhu: run the revisions on the connection shouhu hands over.

:mod:`shouhu.adapters.migrate` passes its open connection in ``config.attributes["connection"]``,
already inside a transaction on shouhu's engine (on SQLite: ``BEGIN IMMEDIATE``, foreign keys
on), so a whole upgrade commits or rolls back as one. Without one (Alembic's own commands, e.g.
``command.revision(..., autogenerate=True)``), it opens a store on ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from shouhu.adapters.tables import METADATA

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",  # autogenerate writes batch ops
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from shouhu.adapters.sqlstore import SqlStore

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    store = SqlStore(url, create=False)
    try:
        with store.engine.connect() as conn:
            conn.execution_options(shouhu_write=True)
            with conn.begin():
                _run(conn)
    finally:
        store.close()


if context.is_offline_mode():
    raise RuntimeError("shouhu's migrations run on a live database (no offline --sql mode)")
run_migrations_online()
