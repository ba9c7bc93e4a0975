"""``shouhu db``: bring the schema to the newest revision, or see where it is."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys

import typer

from shouhu.cli.common import (
    JsonOpt,
    ShouhuCommand,
    ShouhuGroup,
    _db_url,
    _new_sqlite_file,
    examples,
)
from shouhu.cli.output import _print_json
from shouhu.cli.settings import SETTINGS
from shouhu.i18n import _

db_app = typer.Typer(
    cls=ShouhuGroup,
    help="The database schema: bring it to the newest revision, or see where it is.",
    no_args_is_help=True,
)


@db_app.command(
    "upgrade",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu db upgrade", "shouhu --db postgresql://shouhu@localhost/shouhu db upgrade"
    ),
)
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Bring the database to the newest schema revision (a new one gets the whole schema).

    A database made by an earlier build without migrations is recognised, stamped and
    upgraded in place. Safe to run again: at the head, it changes nothing.
    """
    from shouhu.adapters import migrate

    url = _db_url()
    new = _new_sqlite_file(url)
    done = migrate.upgrade(url, make_dirs=SETTINGS.db is None)
    if new is not None and new.exists():
        SETTINGS.created = str(new)
    if as_json:
        _print_json(done.to_dict())
        return
    if not done.changed:
        sys.stdout.write(
            _("{database}: already at {revision} (head); nothing to do").format(
                database=done.database, revision=done.after
            )
            + "\n"
        )
        return
    if done.before is not None:
        before = done.before
    elif done.stamped is not None:
        before = _("unversioned (tables of {revision}, stamped)").format(revision=done.stamped)
    else:
        before = _("empty")
    sys.stdout.write(
        _("{database}: upgraded {before} → {revision} (head)").format(
            database=done.database, before=before, revision=done.after
        )
        + "\n"
    )


@db_app.command(
    "current", cls=ShouhuCommand, epilog=examples("shouhu db current", "shouhu db current --json")
)
def db_current(as_json: JsonOpt = False) -> None:
    """The database's schema revision, and whether it is the newest (reads only)."""
    from shouhu.adapters import migrate

    st = migrate.status(_db_url())
    if as_json:
        _print_json(st.to_dict())
        return
    if st.at_head:
        line = _("{revision} (head)").format(revision=st.revision)
    elif st.revision is not None:
        line = _("{revision} (not head: {head}; run `shouhu db upgrade`)").format(
            revision=st.revision, head=st.head
        )
    elif st.matches is not None:
        line = _(
            "none (unversioned: tables of {revision}, made before migrations; head is {head}: "
            "`shouhu db upgrade` stamps and upgrades it)"
        ).format(revision=st.matches, head=st.head)
    else:
        line = _("none (empty database; head is {head}: `shouhu db upgrade` creates it)").format(
            head=st.head
        )
    sys.stdout.write(line + "\n")
