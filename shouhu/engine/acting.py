"""Who acts: operators, their credentials, scopes and signatures (issue 15).

A database starts **open**: no operator exists, an act names its actor and role as the
embedding system vouches (``actor={"name": …, "role": …}``), and events are recorded unsigned —
as every event was before operators existed. :meth:`Engine.init_admin` makes the first admin;
from then on the database is **governed**:

- every act but a report is by a :class:`~shouhu.engine.signing.Credential` the registry
  accepts (``NotAuthenticated`` otherwise: another database's, a disabled operator's, a key
  rotated away);
- the operator's role is the registry's (rule ``role``), and the case must lie in their scope
  (rule ``scope``, 属地原则);
- each event recorded by the act — the step, any duty caught up before it — is signed with the
  operator's key over its hash; a report filed without a credential is an **anonymous
  report**, protected by the chain and the transparency log rather than a signature.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shouhu.engine import zhinput
from shouhu.engine.model import CaseRecord, Event, Location, RegistryEntry
from shouhu.engine.operators import (
    EVERYWHERE,
    OPERATOR_ROLES,
    SCOPE_CITATION,
    Operator,
    Registry,
    Scope,
)
from shouhu.engine.ports import Commit, Transaction
from shouhu.engine.signing import (
    Credential,
    event_statement,
    new_key,
    public_text,
    registry_statement,
    sign,
)
from shouhu.errors import InvalidInput, NotAuthenticated, TransitionRefused
from shouhu.i18n import N_, _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from shouhu.engine.core import Engine

#: What a caller is told to do when a governed database is given no credential.
USE_CREDENTIAL = N_("act with an operator's credential (the CLI: --as PATH or SHOUHU_CREDENTIAL)")


@dataclass(frozen=True, slots=True)
class Acting:
    """The one acting, as the engine resolved them: the name and role recorded on the
    events, and — on a governed database — the operator and the credential that signs."""

    name: str
    role: str
    operator: Operator | None = None
    credential: Credential | None = None


# -- the registry ---------------------------------------------------------------------------


def operator_registry(self: Engine, tx: Transaction | None = None) -> Registry:
    """The operator registry as stored now (read again only past what this engine has) —
    within ``tx`` when given, so an act is judged against the registry as it is when the act
    is written (a disabling that commits first is seen)."""
    cached: Registry | None = self.__dict__.get("_registry")
    if cached is None:
        cached = Registry()
        self.__dict__["_registry"] = cached
    read = self.store.registry_entries if tx is None else tx.registry_since
    more = read(len(cached.entries))
    if more:
        cached.extend(more)
    return cached


def governed(self: Engine, tx: Transaction | None = None) -> bool:
    """Whether this database has operators (then every act needs a credential)."""
    return bool(operator_registry(self, tx).entries)


def authenticate(
    self: Engine, credential: Credential | None, tx: Transaction | None = None
) -> Operator:
    """The operator ``credential`` belongs to, if the registry accepts it now."""
    if not isinstance(credential, Credential):
        raise NotAuthenticated(_("no credential: {hint}").format(hint=_(USE_CREDENTIAL)))
    reg = operator_registry(self, tx)
    if reg.database is None:
        raise NotAuthenticated(
            _(
                "this database has no operators yet: a credential cannot be checked against it "
                "(shouhu init --admin NAME makes the first)"
            )
        )
    if credential.database != reg.database:
        raise NotAuthenticated(
            _("the credential of {name} belongs to another database").format(
                name=credential.name or credential.operator_id
            )
        )
    op = reg.operators.get(credential.operator_id)
    if op is None:
        raise NotAuthenticated(
            _("no operator {id} in this database").format(id=credential.operator_id)
        )
    if not op.active:
        raise NotAuthenticated(
            _("operator {name} ({id}) is disabled: it can do nothing").format(
                name=op.name, id=op.id
            )
        )
    if credential.public_key != op.public_key:
        raise NotAuthenticated(
            _(
                "the credential of {name} ({id}) holds a key the registry no longer accepts "
                "(rotated, or not this operator's)"
            ).format(name=op.name, id=op.id)
        )
    now = self.clock.now()
    if now < op.keys[-1].valid_from:
        # what it signed now would be dated before its key was valid: verify would refuse it
        raise NotAuthenticated(
            _(
                "this engine's clock ({now}) is before {name}'s key was issued "
                "({issued}): check the clock"
            ).format(now=now.isoformat(), name=op.name, issued=op.keys[-1].valid_from.isoformat())
        )
    return op


def resolve(
    self: Engine, actor: Any, *, reading: bool = False, tx: Transaction | None = None
) -> Acting:
    """Who acts: a credential on a governed database, a ``{name, role}`` claim on an open one
    (``tx``: judged within that write transaction)."""
    from shouhu.engine import validation as v

    if isinstance(actor, Credential):
        op = authenticate(self, actor, tx)
        return Acting(op.name, op.role, op, actor)
    if governed(self, tx):
        why = (
            _(
                "this database has operators: reading needs a credential, not a name and role "
                "({hint})"
            )
            if reading
            else _(
                "this database has operators: acting needs a credential, not a name and role "
                "({hint})"
            )
        )
        raise NotAuthenticated(why.format(hint=_(USE_CREDENTIAL)))
    name, role = v.actor_parts(actor, self.workflows.roles)
    return Acting(name, role)


def check_scope(acting: Acting, case: CaseRecord, trigger: str) -> None:
    """Rule ``scope``: the case must lie in the operator's territory (属地原则)."""
    check_place(acting, case.location, trigger, case_id=case.id, state=case.state)


def check_place(
    acting: Acting, place: Location, trigger: str, *, case_id: str, state: str = ""
) -> None:
    """Rule ``scope`` for an act at ``place`` (a case's, or that of a case about to open)."""
    op = acting.operator
    if op is None or op.scope.covers(place):
        return
    if op.role == "system" and trigger != "read":  # the scheduler fires what the law makes due
        return
    raise TransitionRefused(
        _("refused by rule {rule} ({citation}): {why}").format(
            rule="scope",
            citation=SCOPE_CITATION,
            why=_("case {case_id} is at {place}, outside {name}'s scope ({scope})").format(
                case_id=case_id, place=place, name=op.name, scope=op.scope
            ),
        ),
        rule="scope",
        citation=SCOPE_CITATION,
        trigger=trigger,
        state=state,
        case_id=case_id,
        scope=str(op.scope),
    )


def acting_as(self: Engine, credential: Credential | None) -> Acting | None:
    """The operator of ``credential``, if the registry accepts it; None without one (a read
    by the embedding system, an anonymous report)."""
    if credential is None:
        return None
    op = authenticate(self, credential)
    return Acting(op.name, op.role, op, credential)


def check_read(acting: Acting | None, case: CaseRecord) -> None:
    """Rule ``scope`` for a read: an operator sees only the cases in their scope."""
    if acting is not None:
        check_scope(acting, case, "read")


# -- signing the events an act records --------------------------------------------------------


def sign_events(events: Iterable[Event], credential: Credential, operator_id: str) -> None:
    """Sign each event over its hash (the fields are not hashed: set in place)."""
    for ev in events:
        object.__setattr__(ev, "operator_id", operator_id)
        object.__setattr__(ev, "signature", credential.sign(event_statement(ev.hash, operator_id)))


def sign_commits(commits: Iterable[Commit], acting: Acting | None) -> None:
    if acting is None or acting.credential is None or acting.operator is None:
        return
    for c in commits:
        sign_events(c.events, acting.credential, acting.operator.id)


class _Signing:
    """A write transaction whose appended events are signed by the one acting."""

    def __init__(self, tx: Transaction, acting: Acting) -> None:
        self._tx = tx
        self._acting = acting

    def append(self, commit: Commit) -> None:
        sign_commits((commit,), self._acting)
        self._tx.append(commit)

    def append_many(self, commits: Sequence[Commit]) -> None:
        sign_commits(commits, self._acting)
        self._tx.append_many(commits)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


def signing(tx: Transaction, acting: Acting | None) -> Transaction:
    """``tx``, its appended events signed by ``acting`` (as it is, on an open database)."""
    if acting is None or acting.credential is None:
        return tx
    return _Signing(tx, acting)


def system_acting(self: Engine, credential: Credential | None) -> Acting | None:
    """The scheduler's signer on a governed database (an operator of role ``system``)."""
    if credential is None and not governed(self):
        return None
    op = authenticate(self, credential)  # where operators exist, none is exit 6
    if op.role != "system":
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="role",
                citation="engine",
                why=_("deadlines are fired by an operator of role system, not {role}").format(
                    role=op.role
                ),
            ),
            rule="role",
            citation="engine",
            trigger="run_due",
            state="",
        )
    return Acting(op.name, op.role, op, credential)


# -- managing operators ---------------------------------------------------------------------


def init_admin(
    self: Engine, name: str, *, body: str = "", scope: str | Scope = EVERYWHERE
) -> tuple[Operator, Credential]:
    """Make the first admin of a database that has no operator; returns them and their
    credential (write it to a file: :func:`shouhu.adapters.credentials.save`)."""
    reg = operator_registry(self)
    if reg.entries:
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="registry",
                citation="engine",
                why=_(
                    "this database has operators already; an admin adds more (shouhu operator add)"
                ),
            ),
            rule="registry",
            citation="engine",
            trigger="init",
            state="",
        )
    key = new_key()
    op_id = _new_id()
    body_ = _body(name, body, "admin", Scope.parse(scope), key)
    body_["events_before"] = self.store.events_recorded()
    entry = _append(self, reg, "operator_added", op_id, body_, op_id, key)
    return operator_registry(self).operators[op_id], Credential(
        op_id, entry.hash, key, body_["name"]
    )


def add_operator(
    self: Engine,
    credential: Credential,
    name: str,
    *,
    role: str,
    scope: str | Scope,
    body: str = "",
) -> tuple[Operator, Credential]:
    """An admin adds an operator within their own scope; returns it and its credential."""
    admin = _admin(self, credential)
    if role not in OPERATOR_ROLES:  # a Chinese name (公安, 乡镇 …), else refused naming them
        role = zhinput.role(role, OPERATOR_ROLES)
    wanted = Scope.parse(scope)
    _within(admin, wanted)
    key = new_key()
    op_id = _new_id()
    reg = operator_registry(self)
    _append(self, reg, "operator_added", op_id, _body(name, body, role, wanted, key), admin.id,
            credential.key)  # fmt: skip
    assert reg.database is not None
    return operator_registry(self).operators[op_id], Credential(
        op_id, reg.database, key, name.strip()
    )


def change_scope(
    self: Engine, credential: Credential, operator_id: str, scope: str | Scope
) -> Operator:
    admin = _admin(self, credential)
    target = _target(self, operator_id)
    wanted = Scope.parse(scope)
    _within(admin, target.scope)
    _within(admin, wanted)
    reg = operator_registry(self)
    _append(self, reg, "scope_changed", target.id, {"scope": str(wanted)}, admin.id,
            credential.key)  # fmt: skip
    return operator_registry(self).operators[target.id]


def disable_operator(self: Engine, credential: Credential, operator_id: str) -> Operator:
    """From now on the operator can do nothing; their past acts stay valid."""
    admin = _admin(self, credential)
    target = _target(self, operator_id)
    _within(admin, target.scope)
    if target.id == admin.id:
        raise InvalidInput(_("an admin cannot disable themselves"), field="operator")
    _append(
        self, operator_registry(self), "operator_disabled", target.id, {}, admin.id, credential.key
    )
    return operator_registry(self).operators[target.id]


def rotate_key(self: Engine, credential: Credential, operator_id: str) -> Credential:
    """A new key for an operator (by an admin over them, or by the operator themselves);
    the old one is refused from now on. Returns the new credential."""
    who = authenticate(self, credential)
    target = _target(self, operator_id)
    if who.id != target.id:
        if who.role != "admin":
            raise _not_admin(who)
        _within(who, target.scope)
    key = new_key()
    reg = operator_registry(self)
    _append(self, reg, "key_rotated", target.id, {"public_key": public_text(key)}, who.id,
            credential.key)  # fmt: skip
    assert reg.database is not None
    return Credential(target.id, reg.database, key, target.name)


def operators(self: Engine) -> list[Operator]:
    """Every operator, in the order they were added."""
    return list(operator_registry(self).operators.values())


def operator(self: Engine, operator_id: str) -> Operator:
    return _target(self, operator_id)


# -- helpers ----------------------------------------------------------------------------------


def _new_id() -> str:
    from ulid import ULID  # imported when an operator is made (it costs a command's start)

    return str(ULID())


def _body(name: str, body: str, role: str, scope: Scope, key: Ed25519PrivateKey) -> dict[str, Any]:
    from shouhu.engine import validation as v

    return {
        "name": v.clean_text(name, field="name", max_length=100),
        "body": v.clean_text(body, field="body", max_length=100) if body.strip() else "",
        "role": role,
        "scope": str(scope),
        "public_key": public_text(key),
    }


def _append(
    self: Engine,
    reg: Registry,
    kind: str,
    operator_id: str,
    body: Mapping[str, Any],
    signer: str,
    key: Ed25519PrivateKey,
) -> RegistryEntry:
    seq, prev = reg.head
    now = self.clock.now()
    if reg.entries and now < reg.entries[-1].recorded_at:
        now = reg.entries[-1].recorded_at
    unsigned = RegistryEntry(seq + 1, kind, operator_id, dict(body), now, signer, prev, "", "")
    h = unsigned.computed_hash()
    entry = RegistryEntry(
        seq + 1, kind, operator_id, dict(body), now, signer, prev, h,
        sign(key, registry_statement(h)),
    )  # fmt: skip
    self.store.append_registry(entry)
    operator_registry(self)  # take it in
    if self._std_log.isEnabledFor(20):
        self.log.info("operator_registry", kind=kind, operator_id=operator_id, signer=signer)
    return entry


def _admin(self: Engine, credential: Credential) -> Operator:
    op = authenticate(self, credential)
    if op.role != "admin":
        raise _not_admin(op)
    return op


def _not_admin(op: Operator) -> TransitionRefused:
    return TransitionRefused(
        _("refused by rule {rule} ({citation}): {why}").format(
            rule="role",
            citation="engine",
            why=_("only an admin manages operators, not {name} ({role})").format(
                name=op.name, role=op.role
            ),
        ),
        rule="role",
        citation="engine",
        trigger="operator",
        state="",
    )


def _within(admin: Operator, scope: Scope) -> None:
    if not scope.within(admin.scope):
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="scope",
                citation=SCOPE_CITATION,
                why=_(
                    "{scope} is wider than or outside {name}'s own scope ({own}); "
                    "an admin grants no wider scope"
                ).format(scope=scope, name=admin.name, own=admin.scope),
            ),
            rule="scope",
            citation=SCOPE_CITATION,
            trigger="operator",
            state="",
        )


def _target(self: Engine, operator_id: str) -> Operator:
    op = operator_registry(self).operators.get(str(operator_id).strip())
    if op is None:
        raise InvalidInput(
            _("no operator {id!r}").format(id=str(operator_id)[:40]), field="operator"
        )
    return op
