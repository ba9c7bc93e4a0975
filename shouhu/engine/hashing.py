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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

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


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes of ``obj``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(
    *,
    case_id: str,
    seq: int,
    workflow: str,
    workflow_version: int,
    policy_version: str | None,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    data: Mapping[str, Any],
    prev_hash: str,
    effects: Mapping[str, Any] | None = None,
    empty_effects_key: bool = False,
) -> str:
    """SHA-256 (hex) of an event's canonical content and its predecessor's hash."""
    content = {
        "case_id": case_id,
        "seq": seq,
        "workflow": workflow,
        "workflow_version": workflow_version,
        "policy_version": policy_version,
        "trigger": trigger,
        "from": from_state,
        "to": to_state,
        "actor": actor,
        "role": role,
        "occurred_at": utc_iso(occurred_at),
        "recorded_at": utc_iso(recorded_at),
        "data": data,
        "prev_hash": prev_hash,
    }
    if effects or empty_effects_key:  # absent when empty: events from before effects verify
        content["effects"] = dict(effects or {})
    return hashlib.sha256(canonical(content)).hexdigest()
