"""The transparency log: one RFC 9162 Merkle tree over every event in record order, besides the
per-case chains (:mod:`shouhu.engine.merkle`), as Certificate Transparency and Rekor keep one.

- A **leaf** is ``merkle.leaf_hash`` of the UTF-8 bytes
  ``"<case_id> <seq> <hash> <operator_id or -> <signature or ->"``: the event's hash covers its
  content and its predecessor, the rest binds who signed it.
- :meth:`Engine.anchor` appends every event not yet in the tree (store order) to the ``tlog``
  table, then prints a **signed tree head** (STH), one line to keep outside the database::

      shouhu-sth-v1 size=N root=HEX at=2026-03-20T00:00:00.000000Z signer=ID sig=BASE64

  signed (Ed25519, :mod:`shouhu.engine.signing`) over ``shouhu-tree-head-v1 N HEX AT`` by the
  operator whose credential anchors (``signer=- sig=-`` on a database without operators).
- ``verify(anchor=STH)`` proves today's tree extends the anchored one (a consistency proof):
  no event altered, reordered or removed — a whole case deleted included — even if every
  chain was recomputed. :func:`tree_problems` is that check.
- :func:`prove` writes one case's events with their inclusion proofs against an STH, the
  signer's key and the operators' keys: a document :func:`check_proof` checks alone, with no
  database.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shouhu.engine import merkle
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS, canonical
from shouhu.engine.model import Event, Link
from shouhu.engine.signing import TREE_HEAD_STATEMENT, event_statement
from shouhu.engine.signing import verify as verify_signature
from shouhu.engine.timeutil import utc_iso
from shouhu.errors import Conflict, InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.core import Engine
    from shouhu.engine.operators import Registry
    from shouhu.engine.signing import Credential

STH_PREFIX = "shouhu-sth-v1"
PROOF_FORMAT = "shouhu-proof-v1"
_FIELDS = ("size", "root", "at", "signer", "sig")


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A tree head: the tree's size and root at ``at``, and who signed it (None: unsigned)."""

    size: int
    root: str
    at: datetime
    signer: str | None = None
    signature: str | None = None

    def statement(self) -> bytes:
        """What the signer signs: ``shouhu-tree-head-v1 <size> <root> <at>``."""
        return f"{TREE_HEAD_STATEMENT} {self.size} {self.root} {utc_iso(self.at)}".encode()

    def text(self) -> str:
        return format_tree_head(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": self.root,
            "at": utc_iso(self.at),
            "signer": self.signer,
            "signature": self.signature,
        }


def format_tree_head(head: TreeHead) -> str:
    return (
        f"{STH_PREFIX} size={head.size} root={head.root} at={utc_iso(head.at)} "
        f"signer={head.signer or '-'} sig={head.signature or '-'}"
    )


def is_tree_head(text: object) -> bool:
    return isinstance(text, str) and text.strip().startswith(STH_PREFIX + " ")


def parse_tree_head(text: object) -> TreeHead:
    """An STH line back into its parts; ``InvalidInput`` (field ``anchor``) if it is not one."""

    def bad(why: str) -> InvalidInput:
        shown = text[:120] if isinstance(text, str) else type(text).__name__
        return InvalidInput(
            _("--anchor: {why} (got {shown!r})").format(why=why, shown=shown), field="anchor"
        )

    if not isinstance(text, str):
        raise bad(_("expected the text of a signed tree head"))
    parts = text.split()
    if not parts or parts[0] != STH_PREFIX or len(parts) != 1 + len(_FIELDS):
        raise bad(
            _("expected {prefix} size=N root=HEX at=TIME signer=ID sig=BASE64").format(
                prefix=STH_PREFIX
            )
        )
    values: dict[str, str] = {}
    for name, part in zip(_FIELDS, parts[1:], strict=True):
        key, sep, value = part.partition("=")
        if key != name or not sep or not value:
            raise bad(
                _("expected {name}=… in place {place}").format(name=name, place=len(values) + 1)
            )
        values[name] = value
    if not values["size"].isdigit():
        raise bad(_("size must be a whole number"))
    root = values["root"]
    if len(root) != 64 or any(c not in "0123456789abcdef" for c in root):
        raise bad(_("the root must be 64 lower-case hex digits"))
    try:
        at = datetime.fromisoformat(values["at"])
    except ValueError:
        raise bad(_("bad time")) from None
    if at.tzinfo is None or not values["at"].endswith("Z"):
        raise bad(_("the time must be UTC, ending in Z"))
    signer = None if values["signer"] == "-" else values["signer"]
    sig = None if values["sig"] == "-" else values["sig"]
    if (signer is None) != (sig is None):
        raise bad(_("a signer without a signature, or a signature without a signer"))
    return TreeHead(int(values["size"]), root, at.astimezone(UTC), signer, sig)


# -- leaves ---------------------------------------------------------------------------------


def leaf_input(
    case_id: str, seq: int, event_hash: str, operator_id: str | None, signature: str | None
) -> bytes:
    return f"{case_id} {seq} {event_hash} {operator_id or '-'} {signature or '-'}".encode()


def leaf_of(e: Event | Link) -> bytes:
    """The event's leaf hash (32 bytes)."""
    return merkle.leaf_hash(leaf_input(e.case_id, e.seq, e.hash, e.operator_id, e.signature))


def _sequence(self: Engine) -> list[tuple[int, str, int, str]]:
    """Append every unsequenced event to the tree (store order); every leaf, in order. A
    racing anchor that appended first is read again (once)."""
    for attempt in (1, 2):
        leaves = self.store.tree_leaves()
        new = [
            (len(leaves) + i, e.case_id, e.seq, leaf_of(e).hex())
            for i, e in enumerate(self.store.unsequenced())
        ]
        try:
            self.store.append_leaves(new)
        except Conflict:
            if attempt == 2:
                raise
            continue
        break
    return leaves + new


def _root(leaves: Sequence[tuple[int, str, int, str]]) -> str:
    return merkle.root([bytes.fromhex(leaf) for *_, leaf in leaves]).hex()


def anchor(self: Engine, credential: Credential | None = None) -> str:
    """Take every event recorded so far into the transparency log and return the signed tree
    head: one line to keep outside the database (print, e-mail, a notary), checked later with
    ``verify(anchor=...)``. On a database with operators, ``credential`` (any active
    operator's; an auditor's, as a rule) is required and signs; without, the head is
    unsigned."""
    from shouhu.engine.acting import authenticate, governed

    signer = None
    if governed(self) or credential is not None:
        signer = authenticate(self, credential)
    leaves = _sequence(self)
    head = TreeHead(len(leaves), _root(leaves), self.clock.now())
    if signer is not None and credential is not None:
        head = TreeHead(head.size, head.root, head.at, signer.id, credential.sign(head.statement()))
    return head.text()


# -- verify ---------------------------------------------------------------------------------


def head_problems(head: TreeHead, registry: Registry) -> list[str]:
    """Whether the tree head's signature holds against the signer's key at its time."""
    if head.signer is None:
        first = registry.entries[0].recorded_at if registry.entries else None
        if first is not None and head.at >= first:
            return [_("the tree head is unsigned, but was taken after operators existed")]
        return []
    op = registry.operators.get(head.signer)
    if op is None:
        return [
            _("the tree head is signed by {id}, who is not in the operator registry").format(
                id=head.signer
            )
        ]
    key = op.key_at(head.at)
    if key is None or not verify_signature(key, head.statement(), head.signature):
        return [
            _("the tree head's signature is not {name}'s ({id}) at {at}").format(
                name=op.name, id=op.id, at=utc_iso(head.at)
            )
        ]
    return []


class LeafCheck:
    """Each stored event's leaf against the one the tree holds for it, case by case as verify
    reads the events — both streams in ``(case_id, seq)`` order, so memory stays flat. A leaf
    whose event is gone (a whole case deleted included) or differs is a problem."""

    def __init__(self, rows: Iterable[tuple[int, str, int, str]]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)
        self.problems: list[str] = []

    def case(self, case_id: str, chain: Sequence[Event | Link]) -> None:
        """Compare the tree's leaves of ``case_id`` with its events (``chain``)."""
        self._drain(case_id)
        want: dict[int, bytes] | None = None
        while self._next is not None and self._next[1] == case_id:
            if want is None:
                want = {e.seq: leaf_of(e) for e in chain}
            self._judge(self._next, want.get(self._next[2]))
            self._next = next(self._rows, None)

    def finish(self) -> list[str]:
        """Every leaf left names an event that is gone; the problems found."""
        self._drain(None)
        return self.problems

    def _drain(self, before: str | None) -> None:
        while self._next is not None and (before is None or self._next[1] < before):
            self._judge(self._next, None)
            self._next = next(self._rows, None)

    def _judge(self, row: tuple[int, str, int, str], want: bytes | None) -> None:
        index, case_id, seq, leaf = row
        where = _("transparency log leaf {index}: {case_id} seq {seq}").format(
            index=index, case_id=case_id, seq=seq
        )
        if want is None:
            self.problems.append(_("{where}: its event is gone (tlog.leaf)").format(where=where))
        elif want.hex() != leaf:
            self.problems.append(
                _("{where}: the event is not the one the tree holds (tlog.leaf)").format(
                    where=where
                )
            )


def tree_problems(
    leaves: Iterable[tuple[int, str, int, str]],
    head: TreeHead | None = None,
    unsequenced_before: Iterable[tuple[str, int]] = (),
) -> tuple[int, list[str]]:
    """The tree in index order (``leaves``, streamed): no index missing; given ``head``, its
    root from the first ``size`` leaves and the consistency proof from it to today's tree
    (RFC 9162 §2.1.4). Returns the tree's size and the problems."""
    out: list[str] = []
    builder = merkle.TreeBuilder()
    hashes: list[bytes] = []  # kept only to prove consistency with a tree head
    old_root: bytes | None = None
    size = 0
    for position, (index, *_rest, leaf) in enumerate(leaves):
        if index != position and not out:
            out.append(
                _("transparency log: leaf {position} is missing (found leaf {index})").format(
                    position=position, index=index
                )
            )
        size = position + 1
        if head is None:
            continue  # a leaf's own content is LeafCheck's to judge
        try:
            h = bytes.fromhex(leaf)
        except ValueError:
            h = bytes(32)  # not a leaf at all: the root below will not match
        builder.append(h)
        hashes.append(h)
        if size == head.size:
            old_root = builder.root()
    missing = _("{case_id} seq {seq}: recorded before the tree head but not in its tree (tlog)")
    out += [missing.format(case_id=case_id, seq=seq) for case_id, seq in unsequenced_before]
    if head is None:
        return size, out
    if head.size > size:
        out.append(
            _("the tree holds {size} leaves, fewer than the tree head's {head_size}").format(
                size=size, head_size=head.size
            )
        )
        return size, out
    if head.size == 0:
        old_root = merkle.EMPTY_ROOT
    if old_root is None or old_root.hex() != head.root:
        out.append(
            _("the tree's first {size} leaves do not give the tree head's root").format(
                size=head.size
            )
        )
        return size, out
    if head.size:
        proof = merkle.consistency_proof(hashes, head.size)
        if not merkle.verify_consistency(
            head.size, size, bytes.fromhex(head.root), builder.root(), proof
        ):
            out.append(_("today's tree does not extend the tree head (consistency proof)"))
    return size, out


# -- proofs ---------------------------------------------------------------------------------


def prove(self: Engine, case_id: str, anchor: str) -> dict[str, Any]:
    """The case's events (every hashed field, the operator, the signature, the hash), each
    with its leaf index and inclusion proof against the tree head ``anchor``; the tree head;
    the signer's and the operators' public keys. Self-contained: :func:`check_proof` checks
    it with no database. It holds the report's personal data (the hash covers it)."""
    from shouhu.engine.acting import operator_registry
    from shouhu.engine.records import load

    head = parse_tree_head(anchor)
    record = load(self, case_id)
    leaves = self.store.tree_leaves()
    hashes = [bytes.fromhex(leaf) for *_, leaf in leaves]
    if head.size > len(hashes) or merkle.root(hashes[: head.size]).hex() != head.root:
        raise InvalidInput(
            _(
                "--anchor: this database's tree does not hold that tree head (audit verify "
                "--anchor says why)"
            ),
            field="anchor",
        )
    registry = operator_registry(self)
    if head_problems(head, registry):
        raise InvalidInput(_("--anchor: the tree head's signature does not hold"), field="anchor")
    where = {(c, s): i for i, c, s, _ in leaves}
    tree = hashes[: head.size]
    events: list[dict[str, Any]] = []
    operators: dict[str, Any] = {}
    for e in self.store.events(record.id):
        index = where.get((e.case_id, e.seq))
        if index is None or index >= head.size:
            break  # recorded after the tree head
        if tree[index] != leaf_of(e):
            raise InvalidInput(
                _("event {seq} of {case_id} is not the one the tree holds (audit verify)").format(
                    seq=e.seq, case_id=record.id
                ),
                field="case",
            )
        entry = e.hashed()
        entry.update(
            hash=e.hash,
            operator_id=e.operator_id,
            signature=e.signature,
            leaf_index=index,
            inclusion_proof=[p.hex() for p in merkle.inclusion_proof(tree, index)],
        )
        events.append(entry)
        if e.operator_id is not None and e.operator_id in registry.operators:
            operators[e.operator_id] = _operator(registry, e.operator_id)
    signer = None if head.signer is None else _operator(registry, head.signer)
    return {
        "format": PROOF_FORMAT,
        "case_id": record.id,
        "tree_head": head.text(),
        "signer": signer,
        "operators": operators,
        "events": events,
    }


def _operator(registry: Registry, operator_id: str) -> dict[str, Any] | None:
    op = registry.operators.get(operator_id)
    if op is None:
        return None
    full = op.to_dict()
    return {k: full[k] for k in ("id", "name", "role", "public_key", "keys")}


def _key_at(op: Mapping[str, Any], at: datetime) -> list[str]:
    keys = []
    for k in op.get("keys") or []:
        start = datetime.fromisoformat(k["valid_from"])
        end = None if k.get("valid_to") is None else datetime.fromisoformat(k["valid_to"])
        if start <= at and (end is None or at <= end):
            keys.append(str(k["public_key"]))
    return keys


def _event_hash(content: Mapping[str, Any]) -> set[str]:
    """The hashes an event's hashed content may have (an empty ``effects`` written or not)."""
    out = {hashlib.sha256(canonical(dict(content))).hexdigest()}
    if "effects" not in content:
        out.add(hashlib.sha256(canonical({**content, "effects": {}})).hexdigest())
    return out


_HASHED = tuple(f for f in HASHED_FIELDS if f != "effects")  # "effects" only when not empty


def check_proof(document: object) -> list[str]:
    """Check a proof document (:func:`prove`) alone: each event's hash from its content, the
    chain (``seq`` 1…n, ``prev_hash``), each leaf's inclusion proof against the tree head's
    root and size, the tree head's signature with the embedded signer key, and each event's
    signature with the embedded operator keys. The problems found (empty: it holds).
    ``InvalidInput`` if it is not a proof document at all."""
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise InvalidInput(_("not a {format} document").format(format=PROOF_FORMAT), field="file")
    try:
        head = parse_tree_head(document.get("tree_head"))
        events = document["events"]
        operators = document.get("operators") or {}
        signer = document.get("signer")
        case_id = document["case_id"]
        if not isinstance(events, list) or not isinstance(operators, dict):
            raise TypeError
        return _check(head, case_id, events, operators, signer)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        why = _("not a well-formed {format} document ({error})").format(
            format=PROOF_FORMAT, error=exc
        )
        raise InvalidInput(why, field="file") from None


def _check(
    head: TreeHead,
    case_id: str,
    events: list[Any],
    operators: Mapping[str, Any],
    signer: Mapping[str, Any] | None,
) -> list[str]:
    out: list[str] = []
    if head.signer is not None:
        keys = [] if signer is None or signer.get("id") != head.signer else _key_at(signer, head.at)
        if not any(verify_signature(k, head.statement(), head.signature) for k in keys):
            out.append(_("the tree head's signature does not hold with the signer's key"))
    if not events:
        out.append(_("the proof holds no events"))
    root = bytes.fromhex(head.root)
    prev = GENESIS
    for n, e in enumerate(events, start=1):
        content = {k: e[k] for k in _HASHED}
        if "effects" in e:
            content["effects"] = e["effects"]
        seq = e["seq"]
        label = _("{case_id} seq {seq}").format(case_id=case_id, seq=seq)
        if e["case_id"] != case_id or seq != n:
            out.append(
                _("{label}: expected event {n} of {case_id}").format(
                    label=label, n=n, case_id=case_id
                )
            )
        if e["prev_hash"] != prev:
            out.append(
                _("{label}: does not link to the event before it (prev_hash)").format(label=label)
            )
        if e["hash"] not in _event_hash(content):
            out.append(_("{label}: its content does not match its hash").format(label=label))
        prev = e["hash"]
        leaf = merkle.leaf_hash(
            leaf_input(e["case_id"], seq, e["hash"], e.get("operator_id"), e.get("signature"))
        )
        path = [bytes.fromhex(p) for p in e["inclusion_proof"]]
        if not merkle.verify_inclusion(leaf, int(e["leaf_index"]), head.size, path, root):
            out.append(
                _("{label}: its inclusion proof does not lead to the tree head's root").format(
                    label=label
                )
            )
        op_id = e.get("operator_id")
        if op_id is None and e.get("signature") is None:
            continue  # unsigned: before operators existed, or an anonymous report
        op = operators.get(op_id) if op_id is not None else None
        at = datetime.fromisoformat(e["recorded_at"])
        keys = [] if op is None else _key_at(op, at)
        statement = event_statement(e["hash"], str(op_id))
        if not any(verify_signature(k, statement, e.get("signature")) for k in keys):
            out.append(
                _("{label}: its signature does not hold with {id}'s key").format(
                    label=label, id=op_id
                )
            )
    return out
