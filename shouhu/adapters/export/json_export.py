"""The case as JSON: every hashed field of every event exactly as hashed, and the algorithm,
so a third party can recompute the chain with ``hashlib`` and ``json`` alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shouhu.adapters.export.common import (
    Redactor,
    aware,
    case_header,
    case_path,
    deadline_rows,
    verification,
)
from shouhu.engine.audit import Broken, Replay
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.redact import public_effects
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseView

FORMAT = "shouhu-case-export"
FORMAT_VERSION = 1

CANONICAL_JSON = (
    "keys sorted, separators (',', ':'), UTF-8, non-ASCII kept, "
    "instants UTC YYYY-MM-DDTHH:MM:SS.ffffffZ; 'effects' present only when not empty"
)
NOT_VERIFIABLE = (
    "event 1 holds the child's identity: export with --include-identity to re-verify the "
    "whole chain (events 2… verify from event 1's hash)"
)


def export_json(
    view: CaseView,
    replay: Replay,
    broken: Broken | None,
    *,
    zone: str,
    identity: bool,
    generated_at: datetime,
) -> dict[str, Any]:
    """Everything a third party needs to re-verify the case's chain with the documented
    algorithm: the case, the algorithm, every event's hashed fields and hash, the deadlines,
    what verification and replay found. Without ``identity`` event 1's child identity is
    withheld, so the export is marked ``verifiable: false``."""
    red = Redactor(view, identity)
    events = [h.event for h in view.history]
    out_events: list[dict[str, Any]] = []
    redacted_seqs: list[int] = []
    for e in events:
        item = e.hashed()
        if red.active:
            shown = red.value(item)  # event 1's identity block, and free text naming the child
            if "effects" in shown:  # a due time counted from the birthdate reveals it
                shown["effects"] = dict(public_effects(shown["effects"]))
            # hashes and the canonical form carry no identity; keep the hashed keys' order
            shown = {k: shown[k] for k in item}
            redacted = shown != item
        else:
            shown, redacted = item, False
        if redacted:
            redacted_seqs.append(e.seq)
        out_events.append({**shown, "hash": e.hash, "redacted": redacted})
    verifiable = not redacted_seqs
    reason: str | None = None
    if not verifiable:
        later = [s for s in redacted_seqs if s != 1]
        if 1 in redacted_seqs:
            reason = NOT_VERIFIABLE
            if later:
                reason += (
                    "; events "
                    + ", ".join(map(str, later))
                    + " named the child in their content and were redacted too"
                )
        else:
            reason = (
                "events "
                + ", ".join(map(str, later))
                + " name the child in their content and were redacted: export with "
                "--include-identity to re-verify the whole chain"
            )
    checked = verification(view, events, broken, replay)
    checked.update(verifiable=verifiable, reason=reason)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": local_iso(aware(generated_at), zone),
        "zone": zone,
        "identity": identity,
        "verifiable": verifiable,
        "reason": reason,
        "case": case_header(view, zone, identity, red),
        "workflow": {
            "type": view.workflow.type,
            "version": view.workflow.version,
            "zh": view.workflow.zh,
            "en": view.workflow.en,
        },
        "path": case_path(events),
        "algorithm": {
            "hash": "sha256",
            "canonical_json": CANONICAL_JSON,
            "fields": list(HASHED_FIELDS),
            "genesis_prev_hash": GENESIS,
            "chain": (
                "hash = sha256(canonical JSON of the object of `fields`).hexdigest(); "
                "event 1's prev_hash is genesis_prev_hash, each later prev_hash is the previous "
                "event's hash; the case's head hash is the last event's hash"
            ),
        },
        "events": out_events,
        "deadlines": deadline_rows(view, replay, zone, red),
        "verification": checked,
        "replay": red.value(replay.to_dict(zone)),
    }
