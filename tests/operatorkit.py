"""Operators for CLI tests (issue 15): a credential file per (name, role), made on first use.

Every act on a case is an operator's: ``as_operator(db, "李警官", "police")`` gives
``("--as", PATH)`` for a CLI invocation, the operator named and in the role a test's old
``--actor``/``--role`` gave (so the recorded actor and role are unchanged), scoped everywhere.
The first call on a database makes its admin (``shouhu init``'s library call). Files are kept
beside the database, 0600; for a database that is no SQLite file (PostgreSQL), give a
``folder=`` of the test's own (e.g. pytest's ``tmp_path``) to keep them in.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from shouhu import Engine, load_credential, save_credential
from shouhu.adapters import dburl

ADMIN = "测试管理员"
_LOCK = threading.Lock()


def _url(db: str | Path) -> str:
    text = str(db)
    return text if "://" in text else f"sqlite:///{text}"


def _folder(url: str, folder: str | Path | None = None) -> Path:
    if folder is not None:
        # one folder may serve several databases: each has its own subfolder
        return Path(folder) / f"operators-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    path = dburl.sqlite_file(url)
    if path is None:
        raise ValueError(f"operatorkit: a SQLite file is needed, not {url} (give folder=)")
    return path.with_name(f"{path.name}-operators")


def credential_file(
    db: str | Path, name: str, role: str, *, folder: str | Path | None = None
) -> Path:
    """The credential file of operator ``name`` in ``role`` (made on first use); kept in
    ``folder`` if given (needed for a database that is not a SQLite file)."""
    url = _url(db)
    kept = _folder(url, folder)
    target = kept / f"{role}-{hashlib.sha256(name.encode()).hexdigest()[:12]}.json"
    with _LOCK:
        if target.exists():
            return target
        kept.mkdir(parents=True, exist_ok=True)
        # the wall clock, as the CLI's: what a test filed before is "before operators existed"
        with Engine.open(url) as engine:
            admin_file = kept / "admin.json"
            if not admin_file.exists():
                _, admin = engine.init_admin(ADMIN)
                save_credential(admin, admin_file)
            admin = load_credential(admin_file)
            _, cred = engine.add_operator(admin, name, role=role, scope="*")
            save_credential(cred, target)
    return target


def as_operator(
    db: str | Path, name: str, role: str, *, folder: str | Path | None = None
) -> tuple[str, str]:
    """``("--as", PATH)``: act (or read) as operator ``name`` in ``role``."""
    return ("--as", str(credential_file(db, name, role, folder=folder)))


def has_operators(db: str | Path, *, folder: str | Path | None = None) -> bool:
    """Whether this kit has made the operators of ``db`` (its admin) yet."""
    return (_folder(_url(db), folder) / "admin.json").exists()


def resolve(
    db: str | Path, args: list[str] | tuple[str, ...], *, folder: str | Path | None = None
) -> list[str]:
    """``args`` with each ``@NAME:ROLE`` made ``--as PATH`` of that operator (made on first
    use): a test's parametrized arguments are written before its database exists."""
    out: list[str] = []
    for arg in args:
        if arg.startswith("@"):
            name, _, role = arg[1:].partition(":")
            out.extend(as_operator(db, name, role, folder=folder))
        else:
            out.append(arg)
    return out
