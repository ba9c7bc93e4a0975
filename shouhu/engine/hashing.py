"""The hash chain: each event's hash covers its content and the previous event's hash.

Canonical form (documented for third-party verifiers in ``docs/concepts.md``): the JSON object of
the fields below, keys sorted, no insignificant white space, UTF-8, non-ASCII kept as is;
instants in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. ``hash = sha256(canonical).hexdigest()``.
The first event's ``prev_hash`` is 64 zeros. ``effects`` is part of the object only when it is
not empty (so events recorded before effects existed keep their hashes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from shouhu.engine.timeutil import utc_iso

GENESIS = "0" * 64

HASHED_FIELDS = (
    "case_id",
    "seq",
    "workflow",
    "workflow_version",
    "policy_version",
    "trigger",
    "from",
    "to",
    "actor",
    "role",
    "occurred_at",
    "recorded_at",
    "data",
    "effects",
    "prev_hash",
)


# ``json.dumps`` with these arguments builds a new encoder on every call; one shared encoder
# writes exactly the same text.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The same text for values decoded from JSON (which cannot contain cycles): no cycle check.
_ACYCLIC = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes of ``obj``."""
    return _CANONICAL.encode(obj).encode()


class _EventFields(TypedDict):
    """The hashed fields every way of hashing an event takes (keywords), but the instants."""

    case_id: str
    seq: int
    workflow: str
    workflow_version: int
    policy_version: str | None
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    data: Mapping[str, Any]
    prev_hash: str
    #: Write ``"effects": {}`` when ``effects`` is empty (an event recorded so): see
    #: ``docs/concepts.md``.
    empty_effects_key: NotRequired[bool]


class NewEvent(_EventFields):
    """An event being recorded: its instants as aware datetimes."""

    occurred_at: datetime
    recorded_at: datetime
    effects: NotRequired[Mapping[str, Any] | None]


class StoredEvent(_EventFields):
    """An event as read back from a store: instants already in their canonical text
    (``utc_iso``), ``data`` and ``effects`` decoded from JSON."""

    occurred_at: str
    recorded_at: str
    effects: Mapping[str, Any]


def event_hash(**event: Unpack[NewEvent]) -> str:
    """SHA-256 (hex) of an event's canonical content and its predecessor's hash: what
    :func:`sealed` computes, with no texts to keep."""
    return sealed(**event)[0]


def journal_hash(
    *,
    seq: int,
    kind: str,
    case_id: str | None,
    body: Mapping[str, Any],
    recorded_at: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of a journal entry: the canonical JSON object of ``seq``, ``kind``,
    ``case_id``, ``body``, ``recorded_at`` (UTC text, as :func:`utc_iso` writes it) and
    ``prev_hash`` — the same canonical form as an event's. The journal holds what is not a
    case's event (identity reads, notice deliveries), in one chain; its first entry links to
    :data:`GENESIS`."""
    content = {
        "seq": seq,
        "kind": kind,
        "case_id": case_id,
        "body": dict(body),
        "recorded_at": recorded_at,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(content)).hexdigest()


def registry_hash(
    *,
    seq: int,
    kind: str,
    operator_id: str,
    body: Mapping[str, Any],
    recorded_at: str,
    signer: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an operator registry entry (:mod:`shouhu.engine.operators`): the
    canonical JSON object of its fields, ``recorded_at`` as UTC text — the events' form."""
    content = {
        "seq": seq,
        "kind": kind,
        "operator_id": operator_id,
        "body": dict(body),
        "recorded_at": recorded_at,
        "signer": signer,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(content)).hexdigest()


def stored_event_hash(**event: Unpack[StoredEvent]) -> str:
    """:func:`event_hash` of an event as read back from a store, for ``verify``: the instants
    already in their canonical text (``utc_iso``), ``data`` and ``effects`` decoded from JSON
    (so free of cycles). The same content, the same canonical bytes, the same hash.

    The object is written out member by member in sorted key order (``_SORTED_KEYS``), each
    value as the canonical encoder writes it (:func:`_json`): what ``canonical`` makes of the
    same dict, without building the dict or sorting its keys for every event."""
    row = tuple(event[k] for k in STORED_ROW)  # type: ignore[literal-required]
    return stored_row_hash(row, event.get("empty_effects_key", False))


#: The layout :func:`stored_row_hash` reads: the arguments of :func:`stored_event_hash` in
#: table column order (the first fields of a :class:`~shouhu.engine.model.Link`).
STORED_ROW = tuple({"from": "from_state", "to": "to_state"}.get(f, f) for f in HASHED_FIELDS)


#: The fields of :data:`STORED_ROW` before the instants, as a new event gives them.
_NEW_ROW = STORED_ROW[:10]


def stored_row_hash(row: Sequence[Any], empty_effects_key: bool = False) -> str:
    """:func:`stored_event_hash` of a row laid out as ``STORED_ROW`` (items after those are
    ignored): one positional argument where ``verify`` hashes every event."""
    data, effects, prev_hash = row[12:15]
    q = _json
    effects_member = f',"effects":{q(effects)}' if effects or empty_effects_key else ""
    return _digest(row, prev_hash, q(data), effects_member)


def sealed(**event: Unpack[NewEvent]) -> tuple[str, str, str]:
    """:func:`event_hash` of a new event, with the canonical JSON text of its ``data`` and
    ``effects``: ``(hash, data_json, effects_json)``. A store may keep those texts as the
    columns' JSON, so a new event's data is encoded once, not once to hash and again to store.
    """
    effects = event.get("effects") or {}
    data_json = _CANONICAL.encode(event["data"])
    effects_json = _CANONICAL.encode(effects)
    e = event
    row = (  # STORED_ROW order up to the instants, written out: every write hashes once
        e["case_id"],
        e["seq"],
        e["workflow"],
        e["workflow_version"],
        e["policy_version"],
        e["trigger"],
        e["from_state"],
        e["to_state"],
        e["actor"],
        e["role"],
        utc_iso(e["occurred_at"]),
        utc_iso(e["recorded_at"]),
    )
    empty_key = event.get("empty_effects_key", False)
    effects_member = f',"effects":{effects_json}' if effects or empty_key else ""
    return _digest(row, event["prev_hash"], data_json, effects_member), data_json, effects_json


def _digest(row: Sequence[Any], prev_hash: Any, data_json: str, effects_member: str) -> str:
    """SHA-256 of the canonical object: the first twelve fields of ``row`` (``STORED_ROW``
    order, up to ``recorded_at``) and ``prev_hash``, written member by member in sorted key
    order, with ``data`` (and the ``effects`` member, if any) already as canonical text."""
    case_id, seq, workflow, workflow_version, policy_version, trigger = row[:6]
    from_state, to_state, actor, role, occurred_at, recorded_at = row[6:12]
    q, s = _json, _encode_str  # a str is written by the encoder's own function
    text = (
        f'{{"actor":{s(actor) if type(actor) is str else q(actor)}'
        f',"case_id":{s(case_id) if type(case_id) is str else q(case_id)}'
        f',"data":{data_json}{effects_member}'
        f',"from":{q(from_state)}'
        f',"occurred_at":{s(occurred_at) if type(occurred_at) is str else q(occurred_at)}'
        f',"policy_version":{q(policy_version)}'
        f',"prev_hash":{s(prev_hash) if type(prev_hash) is str else q(prev_hash)}'
        f',"recorded_at":{s(recorded_at) if type(recorded_at) is str else q(recorded_at)}'
        f',"role":{s(role) if type(role) is str else q(role)}'
        f',"seq":{q(seq)}'
        f',"to":{s(to_state) if type(to_state) is str else q(to_state)}'
        f',"trigger":{s(trigger) if type(trigger) is str else q(trigger)}'
        f',"workflow":{s(workflow) if type(workflow) is str else q(workflow)}'
        f',"workflow_version":{q(workflow_version)}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


# The members of the hashed object in the order ``sort_keys`` puts them: stored_event_hash
# writes them in this order.
_SORTED_KEYS = (
    "actor",
    "case_id",
    "data",
    "effects",
    "from",
    "occurred_at",
    "policy_version",
    "prev_hash",
    "recorded_at",
    "role",
    "seq",
    "to",
    "trigger",
    "workflow",
    "workflow_version",
)
if tuple(sorted(HASHED_FIELDS)) != _SORTED_KEYS:  # pragma: no cover - a changed field list
    raise RuntimeError("hashing: stored_event_hash no longer writes the hashed fields in order")

_encode_str = json.encoder.encode_basestring  # what the encoder writes for a str


def _json(value: Any) -> str:
    """``_ACYCLIC.encode(value)``, with the common values of a stored row written directly:
    a str by the encoder's own function, an int as the encoder writes it (``int.__repr__``),
    None, and an empty object."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is dict and not value:
        return "{}"
    return _ACYCLIC.encode(value)
