"""The court's decision on guardianship, on the child's ledger watch.

When a report case records that the court revoked a guardian and appointed another
(``record_court_decision`` with ``outcome = "revoked"`` and ``new_guardian``; 001 §四(三)4 —
另行指定监护人; Civil Code Art. 36), or that it restored a guardian (``record_restoration_decision``
with ``outcome = "restored"``; Civil Code Art. 38), and the child has an open child watch (the
same person: :meth:`Transaction.same_person`), the watch records the guardian now by a
``guardian_changed`` event (role ``system``) in the same transaction as the decision. A watch of
a version without that trigger (``child_watch`` v1) is left as it is.

Pure lookups here; :func:`shouhu.engine.transitions._step` stages the watch's event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouhu.engine.model import CaseRecord
from shouhu.engine.ports import Transaction
from shouhu.workflows.workflowset import WorkflowSet

#: The watch trigger that records the decision, and the watch types it is looked for on.
TRIGGER = "guardian_changed"
WATCH_TYPES = ("child_watch",)
CITATIONS = {
    "revoked": "001 §四(三)4 — 另行指定监护人; Civil Code Art. 36",
    "restored": "Civil Code Art. 38 — 恢复其监护人资格",
}


def decision(trigger: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a report case's event says of the child's guardian, as ``guardian_changed``'s data
    (without ``report_case``), or None when it changes nothing: a court decision that revoked
    a guardian and named the new one, or a restoration decision that restored one."""
    outcome = data.get("outcome")
    if trigger == "record_court_decision" and outcome == "revoked" and data.get("new_guardian"):
        return {
            "decision": "revoked",
            "guardian": data["new_guardian"],
            "citation": CITATIONS["revoked"],
        }
    if trigger == "record_restoration_decision" and outcome == "restored":
        out: dict[str, Any] = {"decision": "restored", "citation": CITATIONS["restored"]}
        guardian = data.get("guardian") or data.get("restored_guardian")
        if guardian:
            out["guardian"] = guardian
        return out
    return None


def watch_to_tell(
    tx: Transaction, wfs: WorkflowSet, report: CaseRecord, trigger: str, data: Mapping[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The open child watch of the report's child that can record the decision, and the
    ``guardian_changed`` data to record; None if the event changes no guardian, the child is
    on no ledger, or the watch's version cannot record it."""
    if report.type in WATCH_TYPES:
        return None
    change = decision(trigger, data)
    if change is None:
        return None
    watch_id = tx.same_person(WATCH_TYPES, report.child, report.location.village)
    if watch_id is None:
        return None
    watch = tx.load(watch_id)
    if watch is None or not wfs.get(watch.type, watch.workflow_version).rows(TRIGGER):
        return None
    return watch_id, {**change, "report_case": report.id}
