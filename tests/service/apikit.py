"""What the API's tests share: a school's report about a child in 石桥村, 青山镇 (the township
of ``police`` and ``township``; ``police-2`` and ``township-2`` are 白石乡's), and filing it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

#: The child's identity: never in a response but the proof (an identity read).
CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-04-10"

REPORT: dict[str, Any] = {
    "type": "solo_living",
    "child": {"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE},
    "location": "石桥村, 青山镇",
    "reporter": {"kind": "school", "name": "青山镇中心小学"},
}

PROBLEM = "application/problem+json"


def report(api: TestClient, **changes: Any) -> dict[str, Any]:
    """File :data:`REPORT` (with ``changes``) and return the new case (201)."""
    r = api.post("/api/v1/reports", json={**REPORT, **changes})
    assert r.status_code == 201, r.text
    doc: dict[str, Any] = r.json()
    return doc


def problem(r: Any, status: int) -> dict[str, Any]:
    """The problem document of ``r``, which must be a ``status`` problem."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    doc: dict[str, Any] = r.json()
    assert doc["status"] == status
    return doc
