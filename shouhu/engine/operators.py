"""The operator registry: who may act, in which role, where, with which key — append-only,
hash-chained, every change signed by the admin who made it.

Each change is a :class:`RegistryEntry` (``operator_added``, ``scope_changed``,
``key_rotated``, ``operator_disabled``), chained as a case's events are: its hash covers its
content and its predecessor's hash; its signature is the signer's over
:func:`~shouhu.engine.signing.registry_statement`. The first entry adds the first admin and is
signed by that admin's own key; its hash is the **database's identity**, written into every
credential, so a credential of another database is refused.

:class:`Registry` replays the entries: the operators as they are now, and — for ``verify`` —
as each was at any instant (role, scope, the key then valid, disabled or not), so an auditor
proves who held which role and scope at the moment of each act.

A **scope** is a place in the hierarchy county › township › village (属地原则: each body acts
within its own territory): ``COUNTY``, ``TOWNSHIP, COUNTY`` or ``VILLAGE, TOWNSHIP, COUNTY``,
smallest first as a case's location is written; the first admin's may be everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shouhu.engine.hashing import GENESIS
from shouhu.engine.model import Location, RegistryEntry
from shouhu.engine.signing import registry_statement, verify
from shouhu.engine.timeutil import utc_iso
from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.workflows.vocab import ROLES

#: The roles an operator may hold: every role of the mechanism but ``reporter`` (anyone may
#: report, without a credential), and ``admin``, who manages operators and acts on no case.
OPERATOR_ROLES: tuple[str, ...] = (*(r for r in ROLES if r != "reporter"), "admin")

#: The kinds of registry entry.
ENTRY_KINDS = ("operator_added", "scope_changed", "key_rotated", "operator_disabled")

#: The clause that gives each body its territory (rule ``scope``).
SCOPE_CITATION = (
    "属地原则: 001 §四(三) — 乡镇人民政府（街道办事处）、县级民政部门、公安机关各负其责, "
    "each within its own administrative area (《未成年人保护法》第八十一条、第八十三条)"
)

#: Shown where a scope is everywhere (the first admin's, unless given one).
EVERYWHERE = "*"


@dataclass(frozen=True, slots=True)
class Scope:
    """A place: ``(county, township, village)``, the smaller ones None where the scope is
    wider; all None is everywhere."""

    county: str | None = None
    township: str | None = None
    village: str | None = None

    @classmethod
    def parse(cls, text: str | Scope | Iterable[str]) -> Scope:
        """``COUNTY``, ``TOWNSHIP, COUNTY`` or ``VILLAGE, TOWNSHIP, COUNTY`` (ASCII or
        full-width commas); ``*`` is everywhere."""
        if isinstance(text, Scope):
            return text
        if isinstance(text, str):
            if text.strip() == EVERYWHERE:
                return cls()
            parts = [p.strip() for p in text.replace("，", ",").split(",")]
        else:
            parts = [str(p).strip() for p in text]
        if not 1 <= len(parts) <= 3 or not all(parts):
            raise InvalidInput(
                _(
                    "scope: expected 'COUNTY', 'TOWNSHIP, COUNTY' or "
                    "'VILLAGE, TOWNSHIP, COUNTY', not {text!r}"
                ).format(text=text),
                field="scope",
            )
        if any(len(p) > 50 for p in parts):
            raise InvalidInput(_("scope: a place name is at most 50 characters"), field="scope")
        parts.reverse()  # largest first
        parts += [None] * (3 - len(parts))  # type: ignore[list-item]
        return cls(*parts)

    @property
    def everywhere(self) -> bool:
        return self.county is None

    def parts(self) -> list[str]:
        """Largest first, as stored: ``[county, township, village]`` without the Nones."""
        return [p for p in (self.county, self.township, self.village) if p is not None]

    def __str__(self) -> str:
        return EVERYWHERE if self.everywhere else ", ".join(reversed(self.parts()))

    def covers(self, location: Location) -> bool:
        """Whether a case at ``location`` lies within this scope. A case filed without its
        county is taken to be in the county of whoever's scope names its township."""
        if self.everywhere:
            return True
        if location.county is not None and location.county != self.county:
            return False
        if self.township is not None and location.township != self.township:
            return False
        return self.village is None or location.village == self.village

    def within(self, other: Scope) -> bool:
        """Whether this scope is no wider than ``other`` (an admin grants no wider scope
        than their own)."""
        mine, theirs = self.parts(), other.parts()
        return len(mine) >= len(theirs) and mine[: len(theirs)] == theirs


@dataclass(frozen=True, slots=True)
class KeySpan:
    """A public key and the time it was the operator's: ``[valid_from, valid_to)``."""

    public_key: str
    valid_from: datetime
    valid_to: datetime | None = None


@dataclass
class Operator:
    """An operator as the registry says, with the history verify needs."""

    id: str
    name: str
    body: str
    role: str
    scope: Scope
    added_at: datetime
    added_by: str
    disabled_at: datetime | None = None
    keys: list[KeySpan] = field(default_factory=list)
    #: ``(from, scope)`` in order: the scope each change gave.
    scopes: list[tuple[datetime, Scope]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def public_key(self) -> str:
        return self.keys[-1].public_key

    def key_at(self, at: datetime) -> str | None:
        """The public key valid at ``at``, or None (before added, or after disabled). The
        instant of a change belongs to both sides: an act recorded in the same microsecond
        as the disabling or the rotation was judged before it (the engine reads the registry
        before each act)."""
        if at < self.added_at or (self.disabled_at is not None and at > self.disabled_at):
            return None
        for span in reversed(self.keys):
            if span.valid_from <= at and (span.valid_to is None or at <= span.valid_to):
                return span.public_key
        return None

    def scope_at(self, at: datetime) -> Scope:
        current = self.scopes[0][1]
        for since, scope in self.scopes:
            if since <= at:
                current = scope
        return current

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "body": self.body,
            "role": self.role,
            "scope": str(self.scope),
            "active": self.active,
            "added_at": utc_iso(self.added_at),
            "added_by": self.added_by,
            "disabled_at": None if self.disabled_at is None else utc_iso(self.disabled_at),
            "public_key": self.public_key,
            "keys": [
                {
                    "public_key": k.public_key,
                    "valid_from": utc_iso(k.valid_from),
                    "valid_to": None if k.valid_to is None else utc_iso(k.valid_to),
                }
                for k in self.keys
            ],
        }


class Registry:
    """The operators, replayed from the registry's entries in order."""

    def __init__(self) -> None:
        self.entries: list[RegistryEntry] = []
        self.operators: dict[str, Operator] = {}
        #: How many events the log held when the first admin was made: those are "unsigned,
        #: before operators existed" (``verify``); every later one is signed or an anonymous
        #: report.
        self.events_before = 0

    @property
    def database(self) -> str | None:
        """The database's identity: the hash of the registry's first entry."""
        return self.entries[0].hash if self.entries else None

    @property
    def head(self) -> tuple[int, str]:
        return (len(self.entries), self.entries[-1].hash) if self.entries else (0, GENESIS)

    def extend(self, entries: Iterable[RegistryEntry]) -> None:
        for e in entries:
            self.apply(e)

    def apply(self, e: RegistryEntry) -> None:
        """Take one entry (the next in order) into the operators it describes."""
        self.entries.append(e)
        b = e.body
        if e.kind == "operator_added":
            if not self.operators:
                self.events_before = int(b.get("events_before", 0))
            self.operators[e.operator_id] = Operator(
                id=e.operator_id,
                name=b["name"],
                body=b.get("body", ""),
                role=b["role"],
                scope=Scope.parse(b["scope"]) if b["scope"] else Scope(),
                added_at=e.recorded_at,
                added_by=e.signer,
                keys=[KeySpan(b["public_key"], e.recorded_at)],
                scopes=[(e.recorded_at, Scope.parse(b["scope"]) if b["scope"] else Scope())],
            )
            return
        op = self.operators.get(e.operator_id)
        if op is None:
            return  # verify reports it (an entry about no operator)
        if e.kind == "scope_changed":
            op.scope = Scope.parse(b["scope"]) if b["scope"] else Scope()
            op.scopes.append((e.recorded_at, op.scope))
        elif e.kind == "key_rotated":
            last = op.keys[-1]
            op.keys[-1] = KeySpan(last.public_key, last.valid_from, e.recorded_at)
            op.keys.append(KeySpan(b["public_key"], e.recorded_at))
        elif e.kind == "operator_disabled":
            op.disabled_at = e.recorded_at

    def check(self) -> list[tuple[int, str]]:
        """What is wrong with the registry itself: ``(seq, reason)`` for each entry whose
        chain, hash or signature does not hold, or whose signer could not make it."""
        wrong: list[tuple[int, str]] = []
        replay = Registry()
        prev = GENESIS
        for i, e in enumerate(self.entries, start=1):
            if e.seq != i:
                wrong.append((e.seq, _("out of order (expected seq {i})").format(i=i)))
            if e.prev_hash != prev:
                wrong.append((e.seq, _("chain broken (prev_hash)")))
            if e.computed_hash() != e.hash:
                wrong.append((e.seq, _("content altered (hash)")))
            prev = e.hash
            signer = replay.operators.get(e.signer) if i > 1 else _genesis_signer(e)
            key = None if signer is None else signer.key_at(e.recorded_at)
            if i == 1 and signer is not None:
                key = signer.public_key
            if key is None or not verify(key, registry_statement(e.hash), e.signature):
                wrong.append((e.seq, _("signature")))
            elif i > 1 and signer is not None and not _may_change(signer, e, replay):
                wrong.append(
                    (
                        e.seq,
                        _("{name} ({role}) may not make this change").format(
                            name=signer.name, role=signer.role
                        ),
                    )
                )
            replay.apply(e)
        return wrong

    def at(self, operator_id: str) -> Operator | None:
        return self.operators.get(operator_id)


def _genesis_signer(e: RegistryEntry) -> Operator | None:
    """The first entry is signed by the admin it adds."""
    if e.kind != "operator_added" or e.signer != e.operator_id or e.body.get("role") != "admin":
        return None
    r = Registry()
    r.apply(e)
    return r.operators[e.operator_id]


def _may_change(signer: Operator, e: RegistryEntry, before: Registry) -> bool:
    """An active admin changes operators within their scope; an operator rotates their own
    key."""
    if e.kind == "key_rotated" and e.operator_id == signer.id:
        return True
    if signer.role != "admin" or signer.key_at(e.recorded_at) is None:
        return False
    scope = signer.scope_at(e.recorded_at)
    if e.kind in ("operator_added", "scope_changed"):
        given = e.body.get("scope")
        return Scope.parse(given if given else EVERYWHERE).within(scope)
    target = before.operators.get(e.operator_id)
    return target is not None and target.scope.within(scope)
