"""The notices a transition calls for, built one way for the engine that writes them and for
``verify`` that makes them again from the events: case, type, kind, recipient, location and
the due times then running — never the child's name, birthdate or id number."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shouhu.engine.columns import utc_text
from shouhu.engine.model import Notice
from shouhu.engine.timeutil import local_iso
from shouhu.workflows.spec import NoticeDef


class _Fill(dict[str, str]):
    """``format_map`` that leaves unknown placeholders visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def notices_for(
    defs: Iterable[NoticeDef],
    *,
    case_id: str,
    case_type: str,
    state: str,
    location: Mapping[str, Any],
    seq: int,
    trigger: str,
    occurred_at: datetime,
    created_at: datetime,
    data: Mapping[str, Any],
    due: Sequence[tuple[str, datetime]],
    zone: str,
) -> list[Notice]:
    """The notices a transition calls for: case, type, kind, recipient, location and the due
    times still running (``due``: kind and due time, soonest first, none counted from personal
    data) — never the child's name, birthdate or id number. The engine writes these with the
    event; verify makes them again from the events."""
    fill = _Fill(
        village=str(location.get("village") or ""),
        township=str(location.get("township") or ""),
        county=str(location.get("county") or ""),
        **{k: str(v) for k, v in data.items()},
    )
    if "notify" in data:  # a pack's body may name the place: "{township} township government"
        places = _Fill({k: fill[k] for k in ("village", "township", "county")})
        with contextlib.suppress(ValueError, IndexError):  # braces of its own: as written
            fill["notify"] = str(data["notify"]).format_map(places)
    out = []
    for nd in defs:
        recipient = nd.recipient.format_map(fill)[:200]
        key = f"{case_id}:{seq}:{nd.kind}"
        payload: dict[str, Any] = {
            "key": key,
            "notice": nd.kind,
            "recipient": recipient,
            "citation": nd.citation,
            "case_id": case_id,
            "case_type": case_type,
            "state": state,
            "location": dict(location),
            "event": {"seq": seq, "trigger": trigger, "occurred_at": local_iso(occurred_at, zone)},
            "due": [{"kind": k, "due_at": local_iso(t, zone)} for k, t in due],
        }
        if nd.carries:  # choice values only (spec.validate): never free text
            payload["data"] = {k: data.get(k) for k in nd.carries}
        if trigger == "deadline_missed":
            payload["missed"] = {"kind": data.get("kind"), "due_at": data.get("due_at")}
        out.append(
            Notice(None, key, case_id, seq, nd.kind, recipient, payload, "pending", created_at)
        )
    return out


def normal_payload(payload: Any) -> Any:
    """A notice's payload with its instants as UTC text: the engine writes them in its zone's
    local time, and verify may run in another zone."""
    if not isinstance(payload, Mapping):
        return payload
    out = dict(payload)
    try:
        event = out.get("event")
        if isinstance(event, Mapping) and event.get("occurred_at"):
            out["event"] = {**event, "occurred_at": utc_text(event["occurred_at"])}
        due = out.get("due")
        if isinstance(due, list):
            out["due"] = [
                {**d, "due_at": utc_text(d["due_at"])}
                if isinstance(d, Mapping) and d.get("due_at")
                else d
                for d in due
            ]
        missed = out.get("missed")
        if isinstance(missed, Mapping) and missed.get("due_at"):
            out["missed"] = {**missed, "due_at": utc_text(missed["due_at"])}
    except Exception:  # a forged payload that is not even an instant: compared as it is
        return dict(payload)
    return out


def late_report_notices(
    *,
    case_id: str,
    case_type: str,
    location: Mapping[str, Any],
    reporter: Mapping[str, Any],
    report: Mapping[str, Any],
    occurred_at: datetime,
    created_at: datetime,
    zone: str,
) -> list[Notice]:
    """The notice a late mandatory report sends to the reporter's superior organ (上级机关):
    001 §四(三)1 — 负有强制报告责任的单位和人员未履行报告义务的,其上级机关……要严肃追责.

    ``report`` is the report event's ``effects["report"]``: the recipient and citation were
    recorded there (``superior``) when the report was filed, so the engine writes this notice
    and verify makes it again from the event alone. It names the reporting body (a mandatory
    reporter is an organisation), its kind and the delay — never the child."""
    superior = report.get("superior")
    if not report.get("late") or not isinstance(superior, Mapping):
        return []
    key = f"{case_id}:1:late_report"
    payload: dict[str, Any] = {
        "key": key,
        "notice": "late_report",
        "recipient": str(superior.get("recipient", ""))[:200],
        "citation": superior.get("citation"),
        "case_id": case_id,
        "case_type": case_type,
        "state": "reported",
        "location": dict(location),
        "event": {"seq": 1, "trigger": "report", "occurred_at": local_iso(occurred_at, zone)},
        "due": [],
        "late_report": {
            "reporting_body": reporter.get("name"),
            "reporter_kind": reporter.get("kind"),
            "delay_seconds": report.get("delay_seconds"),
            "bound": report.get("bound"),
        },
    }
    return [
        Notice(
            None,
            key,
            case_id,
            1,
            "late_report",
            payload["recipient"],
            payload,
            "pending",
            created_at,
        )
    ]
