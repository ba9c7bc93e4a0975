"""Group ``signing``: what the operators' Ed25519 signatures cost (issue 15), two ratios each
measured in one run.

1. **Signed durable fire.** The durable transitions of figure 1 (``Engine.fire``, one commit
   each, the same steps on the same cases: :func:`benchmarks.bench.transitions`) on a
   governed SQLite file, each act by an operator's :class:`~shouhu.Credential` — the registry
   read, the credential checked, the scope checked, every event it records signed — beside
   the same steps on an open file (``actor={"name", "role"}``, nothing signed). Both files
   are built the same way (reports by ``report_many``, every case dispatched) before the
   timed part; the two sides alternate within each round. Goal: signed ≥ 0.9 × unsigned.
2. **Verify with signatures.** ``Engine.verify(replay=False)`` over every case of a governed
   file — every hash recomputed, seq and heads checked, every event's signature verified
   against the key its operator held at ``recorded_at`` — in events per second, beside a raw
   loop doing the same checks with nothing but ``sqlite3``, ``hashlib``, ``json`` and
   ``cryptography``: read the event rows, recompute each hash over the canonical JSON
   (``docs/concepts.md``) and compare it and the ``prev_hash`` link, and verify each
   signature over ``shouhu-event-v1 <hash> <operator id>`` with the operator's Ed25519 key
   (read once from the registry). The replay of every event and the derived tables
   (``verify``'s default) are not in the figure: the raw loop does neither. Goal: ours ≥
   0.5 × raw.

Sizes: those of figure 1 (``durable_cases`` × ``durable_per_case``) for the first; five times
``durable_cases`` cases of six events each for the second, as the audit figure's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from benchmarks.common import (
    POLICE,
    REPEATS,
    Figure,
    open_engine,
    progress,
    raw_connect,
    report_request,
)
from shouhu import Engine
from shouhu.engine.signing import Credential

if TYPE_CHECKING:
    from benchmarks.bench import Sizes

GOAL_SIGNED_FIRE = 0.9
GOAL_SIGNED_VERIFY = 0.5
#: Covers every place :func:`benchmarks.common.report_request` files a case at (no county).
SCOPE = "山城县"


def _build(path: Path, cases: int, governed: bool) -> tuple[Engine, Any, list[str]]:
    """A file of ``cases`` reports, each dispatched; on a governed file by a police operator
    (the reports filed with their credential, so every event is signed)."""
    engine = open_engine(path)
    actor: Any = POLICE
    credential: Credential | None = None
    if governed:
        _, admin = engine.init_admin("县管理员")
        _, credential = engine.add_operator(admin, "李警官", role="police", scope=SCOPE)
        actor = credential
    ids: list[str] = []
    for b in range(0, cases, 1_000):
        n = min(1_000, cases - b)
        ids += engine.report_many(
            (report_request(i) for i in range(b, b + n)), new_case=True, credential=credential
        )
    for case_id in ids:
        engine.fire(case_id, "dispatch", actor=actor, occurred_at="2026-03-02T09:00")
    return engine, actor, ids


def fire_round(tmp: Path, sizes: Sizes, n: int) -> tuple[float, float]:
    """One repetition of figure 1: seconds for the signed steps, then for the unsigned."""
    from benchmarks.bench import transitions

    seconds: dict[bool, float] = {}
    for governed in (n % 2 == 0, n % 2 != 0):  # alternate which side goes first
        path = tmp / f"signing-fire-{n}-{'signed' if governed else 'open'}.db"
        # the same engine goes on acting: one reopened would start its clock again at
        # NOW, before the operator was added, and verify would rightly refuse its acts
        engine, actor, ids = _build(path, sizes.durable_cases, governed)
        plan = transitions(ids, sizes.durable_per_case)
        start = time.perf_counter()
        for case_id, trigger, when, data in plan:
            engine.fire(case_id, trigger, actor=actor, occurred_at=when, data=data)
        seconds[governed] = time.perf_counter() - start
        if governed:
            result = engine.verify(replay=False)
            if not result.ok or result.signed != result.events:
                raise RuntimeError("the signed file does not verify, or has unsigned events")
        engine.close()
    return seconds[True], seconds[False]


def _utc(text: str) -> str:
    """SQLite's naive UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``) as the hash writes it."""
    return text.replace(" ", "T") + "Z"


def raw_verify(path: Path) -> int:
    """Every event's hash recomputed and linked, every signature verified: sqlite3, hashlib,
    json and cryptography only. Returns the number of events; raises on any that fails."""
    con = raw_connect(path)
    keys: dict[str, Ed25519PublicKey] = {}
    for kind, operator_id, body in con.execute(
        "SELECT kind, operator_id, body FROM operator_log ORDER BY seq"
    ):
        text = json.loads(body).get("public_key")
        if kind in ("operator_added", "key_rotated") and text:  # the bench rotates no key
            keys[operator_id] = Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
    seen = 0
    case, prev = None, ""
    rows = con.execute(
        "SELECT case_id, seq, workflow, workflow_version, policy_version, trigger, from_state, "
        "to_state, actor, role, occurred_at, recorded_at, data, effects, prev_hash, hash, "
        "operator_id, signature FROM events ORDER BY case_id, seq"
    )
    for row in rows:
        content = {
            "case_id": row[0],
            "seq": row[1],
            "workflow": row[2],
            "workflow_version": row[3],
            "policy_version": row[4],
            "trigger": row[5],
            "from": row[6],
            "to": row[7],
            "actor": row[8],
            "role": row[9],
            "occurred_at": _utc(row[10]),
            "recorded_at": _utc(row[11]),
            "data": json.loads(row[12]),
            "prev_hash": row[14],
        }
        effects = json.loads(row[13])
        if effects:
            content["effects"] = effects
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        if row[0] != case:
            case, prev = row[0], "0" * 64
        if digest != row[15] or row[14] != prev:
            raise RuntimeError(f"raw verify: event {row[0]}/{row[1]} does not hold")
        prev = digest
        statement = f"shouhu-event-v1 {digest} {row[16]}".encode()
        keys[row[16]].verify(base64.b64decode(row[17]), statement)  # raises InvalidSignature
        seen += 1
    con.close()
    return seen


def verify_figure(tmp: Path, sizes: Sizes) -> Figure:
    from benchmarks.bench import throughput, transitions

    path = tmp / "signing-verify.db"
    engine, actor, ids = _build(path, sizes.durable_cases * 5, governed=True)
    for case_id, trigger, when, data in transitions(ids, 4):
        engine.fire(case_id, trigger, actor=actor, occurred_at=when, data=data)
    engine.close()
    ours: list[float] = []
    raw: list[float] = []
    count = 0
    for n in range(REPEATS):
        progress(f"signing: verify round {n + 1}/{REPEATS}")
        engine = open_engine(path)
        start = time.perf_counter()
        result = engine.verify(replay=False)  # hashes, seq, heads, every signature
        ours.append(time.perf_counter() - start)
        engine.close()
        if not result.ok or result.signed != result.events:
            raise RuntimeError("verify failed on the bench file, or found unsigned events")
        count = result.events
        start = time.perf_counter()
        seen = raw_verify(path)
        raw.append(time.perf_counter() - start)
        if seen != count:
            raise RuntimeError("the raw loop read a different number of events")
    return throughput(
        "signed_verify_events_per_s",
        f"verify with signatures, events/s ({count:,} events, no replay)",
        GOAL_SIGNED_VERIFY,
        count,
        list(zip(ours, raw, strict=True)),
    )


def fire_figure(tmp: Path, sizes: Sizes) -> Figure:
    from benchmarks.bench import throughput

    rounds = []
    for n in range(REPEATS):
        progress(f"signing: fire round {n + 1}/{REPEATS}")
        rounds.append(fire_round(tmp, sizes, n))
    count = sizes.durable_cases * sizes.durable_per_case
    figure = throughput(
        "signed_fire_transitions_per_s",
        f"signed durable transitions/s vs unsigned ({count:,}, one commit each)",
        GOAL_SIGNED_FIRE,
        count,
        rounds,
    )
    figure.detail["signed_over_unsigned_per_round"] = [u / s for s, u in rounds]
    figure.detail["median_round_ratio"] = statistics.median(u / s for s, u in rounds)
    return figure


def figures(tmp: Path, sizes: Sizes) -> list[Figure]:
    return [fire_figure(tmp, sizes), verify_figure(tmp, sizes)]
