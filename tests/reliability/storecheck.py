"""What must hold of a store after any crash, checked from its tables (SQLite or PostgreSQL).

* ``audit verify`` passes (every hash, seq and head; every event replayed);
* every acknowledged write is there (:func:`check_acks`);
* no half-written case (:func:`check_whole`): each case row's version is its number of events
  and its head hash the last event's hash; each deadline row is exactly what the events'
  ``effects`` say (started by the event at ``started_seq``, closed by the one at
  ``closed_seq``), and each event's deadline effects have their row; each notice and intake
  row belongs to an event or case that exists; no deadline is missed or matured twice.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from workload import SOURCE, ZONE, read_acks

from shouhu import Engine
from shouhu.adapters.tables import CASES, DEADLINES, EVENTS, INTAKE, OUTBOX


@dataclass
class Snapshot:
    """The rows that matter, read in one transaction."""

    cases: dict[str, tuple[int, str]]  # id → (version, head_hash)
    events: dict[str, list[tuple[int, str, dict[str, Any]]]]  # case → [(seq, hash, effects)]
    deadlines: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    intake: dict[str, str]  # external id → case id

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events.values())


def snapshot(url: str) -> Snapshot:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            cases = {
                r.id: (r.version, r.head_hash)
                for r in conn.execute(sa.select(CASES.c.id, CASES.c.version, CASES.c.head_hash))
            }
            events: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
            stmt = sa.select(EVENTS.c.case_id, EVENTS.c.seq, EVENTS.c.hash, EVENTS.c.effects)
            for r in conn.execute(stmt.order_by(EVENTS.c.case_id, EVENTS.c.seq)):
                events[r.case_id].append((r.seq, r.hash, dict(r.effects or {})))
            deadlines = [dict(r) for r in conn.execute(sa.select(DEADLINES)).mappings()]
            notices = [dict(r) for r in conn.execute(sa.select(OUTBOX)).mappings()]
            intake = {
                r.external_id: r.case_id
                for r in conn.execute(
                    sa.select(INTAKE.c.external_id, INTAKE.c.case_id).where(
                        INTAKE.c.source == SOURCE
                    )
                )
            }
    finally:
        engine.dispose()
    return Snapshot(cases, dict(events), deadlines, notices, intake)


def check_verify(url: str) -> None:
    with Engine.open(url, zone=ZONE) as engine:
        result = engine.verify()
    assert result.ok, f"audit verify failed: {json.dumps(result.to_dict())[:2000]}"


def check_whole(snap: Snapshot) -> None:
    """No half-written case, deadline, notice or intake row; no deadline fired twice."""
    assert set(snap.events) <= set(snap.cases), "events of a case that has no row"
    for case_id, (version, head) in snap.cases.items():
        chain = snap.events.get(case_id, [])
        assert [seq for seq, _, _ in chain] == list(range(1, version + 1)), (
            f"case {case_id}: version {version} but events {[s for s, _, _ in chain]}"
        )
        assert chain[-1][1] == head, f"case {case_id}: head hash is not its last event's"

    # The deadline rows the events' effects describe, keyed (case, kind, due instant).
    said: dict[tuple[str, str, datetime], dict[str, Any]] = {}
    closings: Counter[tuple[str, str, datetime]] = Counter()
    for case_id, chain in snap.events.items():
        for seq, _, effects in chain:
            for item in effects.get("deadlines", []):
                key = (case_id, item["kind"], datetime.fromisoformat(item["due_at"]))
                action = item["action"]
                if action == "started":
                    assert key not in said, f"deadline {key} started twice"
                    said[key] = {"status": "pending", "started_seq": seq, "closed_seq": None}
                elif action in ("met", "missed", "fired", "cancelled"):
                    assert key in said, f"event {case_id}#{seq} closes an unknown deadline {key}"
                    said[key].update(status=action, closed_seq=seq)
                    if action in ("missed", "fired"):
                        closings[key] += 1
                else:
                    assert action == "met_late", f"event {case_id}#{seq}: action {action!r}"
    twice = [key for key, n in closings.items() if n > 1]
    assert not twice, f"deadlines missed or matured more than once: {twice[:5]}"

    rows: dict[tuple[str, str, datetime], dict[str, Any]] = {}
    for d in snap.deadlines:
        key = (d["case_id"], d["kind"], d["due_at"])
        assert key not in rows, f"two deadline rows {key}"
        rows[key] = {k: d[k] for k in ("status", "started_seq", "closed_seq")}
    assert rows.keys() == said.keys(), (
        f"deadline rows without their event: {sorted(rows.keys() - said.keys())[:3]}; "
        f"events without their deadline row: {sorted(said.keys() - rows.keys())[:3]}"
    )
    wrong = [(key, rows[key], said[key]) for key in rows if rows[key] != said[key]]
    assert not wrong, f"deadline rows that differ from their events: {wrong[:3]}"

    seqs = {(c, seq) for c, chain in snap.events.items() for seq, _, _ in chain}
    orphans = [n["key"] for n in snap.notices if (n["case_id"], n["seq"]) not in seqs]
    assert not orphans, f"notices of events that do not exist: {orphans[:5]}"
    lost = [ext for ext, case_id in snap.intake.items() if case_id not in snap.cases]
    assert not lost, f"intake rows of cases that do not exist: {lost[:5]}"


def check_acks(snap: Snapshot, acks: Path, outbox: Path, imports: Path) -> int:
    """Every acknowledged write is in the store; returns how many acknowledgements there were."""
    lines = read_acks(acks)
    sent = set()
    if outbox.exists():
        sent = {json.loads(line)["key"] for line in outbox.read_text("utf-8").splitlines()}
    notices = {n["key"]: n for n in snap.notices}
    for words in lines:
        what = words[0]
        if what == "case":
            case_id, version = words[1], int(words[2])
            assert case_id in snap.cases, f"acknowledged case {case_id} is missing"
            assert snap.cases[case_id][0] >= version, (
                f"case {case_id} is at version {snap.cases[case_id][0]}, acknowledged at {version}"
            )
        elif what == "delivered":
            key = words[1]
            assert key in notices, f"acknowledged notice {key} is missing"
            assert notices[key]["status"] == "delivered", f"notice {key}: {notices[key]}"
            assert key in sent, f"notice {key} is marked delivered but is not in the outbox file"
        elif what == "imported":
            with (imports / words[1]).open(encoding="utf-8", newline="") as f:
                ids = [row["external_id"] for row in csv.DictReader(f)]
            missing = [ext for ext in ids if ext not in snap.intake]
            assert not missing, f"import {words[1]} acknowledged, rows missing: {missing[:5]}"
        else:
            raise AssertionError(f"unknown acknowledgement {words}")
    return len(lines)
