"""Who acts and who reads: the credential of ``--as``, the refusal of the old ``--actor`` and
``--role``, and the recorded read of a child's identity (who, and why)."""

from typing import Any

from shouhu.cli.settings import SETTINGS
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _

#: What a command that acts tells a user without a credential.
NEED_AS = N_(
    "act as an operator with --as PATH (or SHOUHU_CREDENTIAL=PATH): the credential file "
    "shouhu init or shouhu operator add wrote"
)


def _gone(actor: str | None, role: str | None) -> None:
    """Refuse ``--actor``/``--role`` (issue 15), pointing to ``--as``."""
    given = [n for n, v in (("--actor", actor), ("--role", role)) if v is not None]
    if given:
        words = (
            _("{options} are gone: the operator and role are the credential's; {need_as}")
            if len(given) > 1
            else _("{options} is gone: the operator and role are the credential's; {need_as}")
        )
        raise InvalidInput(
            words.format(options=_(" and ").join(given), need_as=_(NEED_AS)), field="actor"
        )


def _who(actor: str | None, role: str | None) -> Any:
    """Who acts: the credential of ``--as`` (exit 6 without one)."""
    _gone(actor, role)
    return _credential()


def _credential(*, required: bool = True) -> Any:
    """The credential of ``--as`` / ``SHOUHU_CREDENTIAL`` (None if none was given and it is
    not ``required``; exit 6 if it is)."""
    from shouhu.errors import NotAuthenticated

    path = SETTINGS.credential
    if not path:
        if required:
            raise NotAuthenticated(_("no credential: {need_as}").format(need_as=_(NEED_AS)))
        return None
    from shouhu.adapters.credentials import load

    return load(path)


def _reader(engine: Any) -> Any:
    """Who reads: the credential of ``--as`` (reads are then scoped to the operator's place);
    on a database with operators, one is needed (exit 6)."""
    from shouhu.errors import NotAuthenticated

    if engine.credential is not None:
        return engine.credential
    if engine.store.registry_entries(0):
        raise NotAuthenticated(
            _(
                "this database has operators: reading its cases needs a credential (--as PATH "
                "or SHOUHU_CREDENTIAL)"
            )
        )
    return None


def _read_identity(
    engine: Any, case_id: str, actor: str | None, role: str | None, reason: str | None, what: str
) -> Any:
    """Record the identity read in the access log, or refuse without who and why."""
    _need_reader(actor, role, reason)
    return engine.read_identity(case_id, actor=_who(actor, role), reason=reason, what=what)


def _need_reader(actor: str | None, role: str | None, reason: str | None) -> None:
    """An identity read says who (``--as``) and why (``--reason``)."""
    _gone(actor, role)
    missing = [n for n, v in (("--as", SETTINGS.credential), ("--reason", reason)) if not v]
    if missing:
        raise InvalidInput(
            _(
                "--include-identity needs {options}: reading a child's identity is recorded "
                "(who, role, when, why)"
            ).format(options=", ".join(missing)),
            field="identity",
        )
