"""The database schema's history: Alembic migrations, shipped with the package.

``env.py`` and ``versions/`` are run by Alembic, not imported. Each revision is written by
hand as the schema grew; :mod:`shouhu.adapters.migrate` runs them (``shouhu db upgrade``, and
every store on open). A new revision: change ``shouhu/adapters/tables.py``, then::

    python -c "from alembic import command; from shouhu.adapters import migrate; \\
        command.revision(migrate.config(url='sqlite:///dev.db'), 'what changed', \\
        rev_id='0004_what_changed', autogenerate=True)"

read and tidy the file it writes in ``versions/`` (SQLite needs batch mode for most
changes), set :data:`shouhu.adapters.migrate.HEAD` to the new id, and run
``pytest tests/migrations``: the schema built from the migrations must equal the models.
"""
