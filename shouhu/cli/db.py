"""``shouhu db``: bring the schema to the newest revision, or see where it is."""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys

import typer

from shouhu.cli.common import SETTINGS, JsonOpt, ShouhuGroup, _db_url, _new_sqlite_file, _print_json

db_app = typer.Typer(
    cls=ShouhuGroup,
    help="The database schema: bring it to the newest revision, or see where it is.",
    no_args_is_help=True,
)


@db_app.command("upgrade")
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
        sys.stdout.write(f"{done.database}: already at {done.after} (head); nothing to do\n")
        return
    if done.before is not None:
        before = done.before
    elif done.stamped is not None:
        before = f"unversioned (tables of {done.stamped}, stamped)"
    else:
        before = "empty"
    sys.stdout.write(f"{done.database}: upgraded {before} → {done.after} (head)\n")


@db_app.command("current")
def db_current(as_json: JsonOpt = False) -> None:
    """The database's schema revision, and whether it is the newest (reads only)."""
    from shouhu.adapters import migrate

    st = migrate.status(_db_url())
    if as_json:
        _print_json(st.to_dict())
        return
    if st.at_head:
        line = f"{st.revision} (head)"
    elif st.revision is not None:
        line = f"{st.revision} (not head: {st.head}; run `shouhu db upgrade`)"
    elif st.matches is not None:
        line = (
            f"none (unversioned: tables of {st.matches}, made before migrations; head is "
            f"{st.head}: `shouhu db upgrade` stamps and upgrades it)"
        )
    else:
        line = f"none (empty database; head is {st.head}: `shouhu db upgrade` creates it)"
    sys.stdout.write(line + "\n")
