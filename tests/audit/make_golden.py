"""Write the golden histories in ``tests/audit/golden/``: real-looking cases, as hashed.

Run it ONCE (it refuses to overwrite an existing file unless ``--force``)::

    .venv/bin/python -m tests.audit.make_golden
    .venv/bin/python tests/audit/make_golden.py --out /tmp/golden   # elsewhere, e.g. to compare

Each file holds one case: every event with every hashed field exactly as hashed (instants in
the canonical UTC form ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; an empty ``effects`` only if the
engine hashed it), its hash, and the case's projection when it was written. The files are
records, not fixtures to refresh: ``test_golden.py`` checks that today's engine still verifies
and replays every one of them to the recorded end. If a change breaks one, the change is wrong
(ship a new workflow version instead; keep old hashes verifiable), not the file.

Everything is deterministic: a :class:`FakeClock` moved by hand (each event is recorded two
minutes after it occurred), and fixed case ids through ``Engine(..., id_factory=...)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shouhu import Engine, FakeClock, workflows
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.memory import MemoryStore
from shouhu.engine.model import Event
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.engine.timeutil import utc_iso
from shouhu.workflows.workflowset import WorkflowSet

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
GOLDEN = Path(__file__).resolve().parent / "golden"
FORMAT = "shouhu-golden-history"
#: How long after an event occurred it is recorded (the clerk types it in).
RECORDING_DELAY = timedelta(minutes=2)

POLICE = {"name": "青山派出所 李警官", "role": "police"}
POLICE2 = {"name": "白石派出所 周警官", "role": "police"}
TOWNSHIP = {"name": "青山镇 儿童督导员 陈静", "role": "township"}
TOWNSHIP2 = {"name": "白石乡 儿童督导员 何平", "role": "township"}
CIVIL = {"name": "丰都县民政局 未成年人保护科", "role": "civil_affairs"}
VILLAGE = {"name": "石桥村委会 儿童主任 赵兰", "role": "village_committee"}
COURT = {"name": "丰都县人民法院", "role": "court"}


def local(text: str) -> datetime:
    """A local time (Asia/Shanghai) written ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


#: The golden histories were recorded under the first definitions and the first national
#: pack; they are written again under those, whatever new cases use today.
FIRST_DEFINITIONS = WorkflowSet(tuple(wf for (_, v), wf in workflows.REGISTRY.items() if v == 1))
GOLDEN_PACK = "cn-national-default@2026.1"


@dataclass
class Desk:
    """One case on its own engine: files the report and fires each step at its local time."""

    case_id: str
    clock: FakeClock = field(init=False)
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.clock = FakeClock(local("2025-01-01T00:00"))
        self.engine = Engine(
            MemoryStore(),
            self.clock,
            zone=ZONE,
            id_factory=lambda now: self.case_id,
            policy=parse_pack(shipped_packs()[GOLDEN_PACK]),
            workflows=FIRST_DEFINITIONS,
        )

    def _at(self, when: str) -> datetime:
        at = local(when)
        self.clock.set(at + RECORDING_DELAY)
        return at

    def report(self, type_: str, when: str, *, discovered_at: str, **kwargs: Any) -> None:
        at = self._at(when)
        case = self.engine.report(
            type_, occurred_at=at, discovered_at=local(discovered_at), **kwargs
        )
        assert case.id == self.case_id, case.id

    def fire(self, when: str, trigger: str, actor: dict[str, str], **data: Any) -> None:
        at = self._at(when)
        self.engine.fire(self.case_id, trigger, actor=actor, occurred_at=at, data=data)

    def scheduler(self, when: str) -> None:
        """The scheduler's sweep at ``when``: what is due fires, recorded at that moment."""
        self.clock.set(local(when))
        self.engine.run_due()


def _solo_living() -> tuple[Desk, str]:
    d = Desk("GOLDEN-SOLO-0001")
    d.report(
        "solo_living",
        "2026-03-02T08:30",
        discovered_at="2026-03-02T08:10",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇, 丰都县",
        reporter={"kind": "school", "name": "青山镇中心小学"},
    )
    d.fire("2026-03-02T09:05", "dispatch", POLICE)
    d.fire("2026-03-02T10:00", "order_parents_return", POLICE)
    d.fire("2026-03-02T10:05", "admonish_parents", POLICE)
    d.fire("2026-03-02T11:30", "designate_entrusted_guardian", POLICE, guardian_name="王桂英(祖母)")
    d.fire("2026-03-02T12:00", "complete_emergency", POLICE)
    d.fire("2026-03-02T14:00", "notify_township", POLICE)
    d.fire("2026-03-03T09:30", "start_assessment", TOWNSHIP)
    d.fire(
        "2026-03-10T16:00",
        "complete_assessment",
        TOWNSHIP,
        safety="medium",
        guardianship="high",
        health="low",
    )
    d.fire(
        "2026-03-11T10:00",
        "arrange_assistance",
        TOWNSHIP,
        services="guardianship_guidance,psychological_counselling",
    )
    d.fire("2026-04-01T15:00", "close", TOWNSHIP, summary="委托监护协议已签订，每月走访")
    return d, "a ten-year-old living alone; parents ordered home, grandmother entrusted, closed"


def _missing_child() -> tuple[Desk, str]:
    d = Desk("GOLDEN-MISS-0001")
    d.report(
        "missing_child",
        "2026-04-12T19:40",
        discovered_at="2026-04-12T19:00",
        child={"name": "刘欣怡", "birthdate": "2018-05-20"},
        location="河口村, 青山镇, 丰都县",
        reporter={"kind": "village_committee", "name": "河口村委会"},
        data={"last_seen_at": "2026-04-12T17:00", "last_seen_place": "村口小卖部"},
    )
    d.scheduler("2026-04-12T20:45")  # the dispatch (PT1H) was due at 20:40: deadline_missed
    d.fire("2026-04-12T21:10", "dispatch", POLICE)  # done late: met_late, 30 minutes
    d.fire("2026-04-12T21:15", "start_search", POLICE)
    d.fire("2026-04-13T01:20", "child_located", POLICE)
    d.fire("2026-04-13T01:40", "complete_emergency", POLICE)
    d.fire("2026-04-13T08:30", "notify_township", POLICE)
    d.fire("2026-04-14T09:00", "start_assessment", TOWNSHIP)
    d.fire(
        "2026-04-20T11:00",
        "complete_assessment",
        TOWNSHIP,
        safety="low",
        guardianship="medium",
        health="low",
    )
    d.fire("2026-04-21T10:00", "close", TOWNSHIP, summary="孩子安全，监护人加强看护")
    return d, "a missing eight-year-old found overnight; the dispatch was late and escalated"


def _guardian_incapacity() -> tuple[Desk, str]:
    d = Desk("GOLDEN-INCAP-0001")
    d.report(
        "guardian_incapacity",
        "2026-05-06T10:00",
        discovered_at="2026-05-04T16:00",  # 42 hours before the report: a late report
        child={"name": "张浩然", "birthdate": "2013-09-09"},
        location="柳树村, 白石乡, 丰都县",
        reporter={"kind": "medical", "name": "白石乡卫生院"},
    )
    d.fire("2026-05-06T10:35", "dispatch", POLICE2)
    d.fire("2026-05-06T12:00", "order_parents_return", POLICE2)
    d.fire("2026-05-06T15:00", "place_in_temporary_care", POLICE2, placement="relief_agency")
    d.fire("2026-05-06T15:30", "complete_emergency", POLICE2)
    d.fire("2026-05-06T18:00", "notify_township", POLICE2)
    d.fire("2026-05-08T09:00", "start_assessment", TOWNSHIP2)
    d.fire(
        "2026-05-18T17:00",
        "complete_assessment",
        TOWNSHIP2,
        safety="medium",
        guardianship="high",
        health="medium",
    )
    d.fire(
        "2026-05-19T10:00",
        "arrange_assistance",
        CIVIL,
        services="social_assistance,medical_treatment",
    )
    d.fire("2026-06-20T10:00", "close", TOWNSHIP2, summary="父亲返乡，纳入低保")
    return d, "a grandfather too ill to care, reported late by a clinic; temporary care, assistance"


def _guardian_nonperformance() -> tuple[Desk, str]:
    d = Desk("GOLDEN-NONPERF-0001")
    d.report(
        "guardian_nonperformance",
        "2026-01-10T09:00",
        discovered_at="2026-01-10T08:00",
        child={"name": "陈雨桐", "birthdate": "2014-11-30"},
        location="石桥村, 青山镇, 丰都县",
        reporter={"kind": "village_committee", "name": "石桥村委会"},
        # 2025-08-31 + six months: no 2026-02-31, so ground (b) holds from 2026-03-01T00:00
        data={"nonperformance_since": "2025-08-31"},
    )
    d.fire("2026-01-10T09:40", "dispatch", POLICE)
    d.fire("2026-01-10T11:00", "order_parents_return", POLICE)
    d.fire("2026-01-10T16:00", "place_in_temporary_care", POLICE, placement="close_relative")
    d.fire("2026-01-10T16:30", "complete_emergency", POLICE)
    d.fire("2026-01-10T18:00", "notify_township", POLICE)
    d.fire("2026-01-12T09:00", "start_assessment", TOWNSHIP)
    d.fire(
        "2026-01-20T15:00",
        "complete_assessment",
        TOWNSHIP,
        safety="high",
        guardianship="high",
        health="medium",
    )
    d.fire("2026-01-21T10:00", "start_intervention", CIVIL)
    d.scheduler("2026-03-01T00:00")  # the six-month ground matures: nonperformance_six_months
    d.fire("2026-03-02T10:00", "petition_revocation", CIVIL, ground="nonperformance_six_months")
    d.fire(
        "2026-04-15T15:00",
        "record_court_decision",
        COURT,
        outcome="revoked",
        new_guardian="陈建国(伯父)",
    )
    d.fire("2026-04-30T10:00", "close", TOWNSHIP, summary="法院另行指定伯父为监护人")
    return d, (
        "parents refusing duties since 2025-08-31: the six-month ground matured through the "
        "scheduler on 2026-03-01 and civil affairs petitioned; guardianship revoked"
    )


def _suspected_abuse() -> tuple[Desk, str]:
    d = Desk("GOLDEN-ABUSE-0001")
    d.report(
        "suspected_abuse",
        "2026-06-03T14:20",
        discovered_at="2026-06-03T13:40",
        child={"name": "李思琪", "birthdate": "2012-04-18"},
        location="东岭村, 白石乡, 丰都县",
        reporter={"kind": "medical", "name": "丰都县人民医院"},
        data={"description": "多处陈旧性伤痕，孩子称被继父殴打"},
    )
    d.fire("2026-06-03T14:40", "dispatch", POLICE2)
    d.fire("2026-06-03T15:10", "stop_violence", POLICE2)
    d.fire("2026-06-03T15:50", "collect_evidence", POLICE2)
    d.fire("2026-06-03T16:20", "arrange_medical_care", POLICE2)
    d.fire("2026-06-04T10:00", "record_injury_assessment", POLICE2, severity="serious")
    d.fire("2026-06-04T11:00", "place_in_shelter", CIVIL, placement="temporary_shelter")
    d.fire("2026-06-04T11:30", "complete_emergency", POLICE2)
    d.fire("2026-06-04T13:00", "notify_township", POLICE2)
    d.fire("2026-06-05T09:00", "start_assessment", TOWNSHIP2)
    d.fire(
        "2026-06-09T16:00",
        "complete_assessment",
        TOWNSHIP2,
        safety="high",
        guardianship="high",
        health="high",
    )
    d.fire("2026-06-09T17:00", "start_intervention", POLICE2)
    d.fire("2026-06-10T10:00", "police_sanction", POLICE2, kind="criminal_case")
    d.fire("2026-06-13T10:00", "petition_revocation", CIVIL, ground="serious_harm")
    d.fire(
        "2026-07-23T15:00",
        "record_court_decision",
        COURT,
        outcome="revoked",
        new_guardian="李秀兰(外祖母)",
    )
    d.fire("2026-07-25T10:00", "close", TOWNSHIP2, summary="外祖母监护，心理疏导持续")
    return d, (
        "suspected abuse: violence stopped, serious injury, shelter, criminal case, "
        "guardianship revoked by the court"
    )


def _suspected_harm() -> tuple[Desk, str]:
    d = Desk("GOLDEN-HARM-0001")
    d.report(
        "suspected_harm",
        "2026-07-08T18:00",
        discovered_at="2026-07-08T16:00",
        child={"name": "赵子轩", "birthdate": "2015-07-07"},
        location="河口村, 青山镇, 丰都县",
        reporter={"kind": "citizen", "name": "村民 周大伟"},
        data={"description": "在无人看管的工地摔伤"},
    )
    d.fire("2026-07-08T18:30", "dispatch", POLICE)
    d.fire("2026-07-08T19:00", "stop_harm", POLICE)
    d.fire("2026-07-08T19:30", "arrange_medical_care", POLICE)
    d.fire("2026-07-10T00:00", "record_injury_assessment", POLICE, severity="minor")
    d.fire("2026-07-10T00:30", "complete_emergency", POLICE)
    # notified 26 hours later: the township notice (PT24H) was due at 07-11 00:30
    d.scheduler("2026-07-11T01:00")
    d.fire("2026-07-11T02:30", "notify_township", POLICE)
    d.fire("2026-07-11T09:00", "start_assessment", TOWNSHIP)
    d.fire(
        "2026-07-17T16:00",
        "complete_assessment",
        TOWNSHIP,
        safety="medium",
        guardianship="medium",
        health="medium",
    )
    d.fire(
        "2026-07-18T10:00",
        "arrange_assistance",
        TOWNSHIP,
        services="medical_treatment,legal_aid",
    )
    return d, (
        "a fall at an unattended building site reported by a villager; the township notice "
        "was missed and made late; still assisting"
    )


def _dismissed() -> tuple[Desk, str]:
    d = Desk("GOLDEN-DISMISS-0001")
    d.report(
        "solo_living",
        "2026-08-18T15:00",
        discovered_at="2026-08-18T09:00",
        child={"name": "孙一诺", "birthdate": "2017-12-12"},
        location="柳树村, 白石乡, 丰都县",
        reporter={"kind": "social_organisation", "name": "春苗社工服务中心"},
    )
    d.fire("2026-08-18T15:40", "dispatch", POLICE2)
    d.fire("2026-08-18T17:00", "dismiss", POLICE2, reason="母亲在家，短暂外出购物")
    return d, "a report found unfounded and dismissed by the police"


STORIES: dict[str, Callable[[], tuple[Desk, str]]] = {
    "solo_living": _solo_living,
    "missing_child": _missing_child,
    "guardian_incapacity": _guardian_incapacity,
    "guardian_nonperformance": _guardian_nonperformance,
    "suspected_abuse": _suspected_abuse,
    "suspected_harm": _suspected_harm,
    "solo_living_dismissed": _dismissed,
}


def hashed(e: Event) -> dict[str, Any]:
    """The event's hashed fields exactly as hashed, in :data:`HASHED_FIELDS` order."""
    content = {
        "case_id": e.case_id,
        "seq": e.seq,
        "workflow": e.workflow,
        "workflow_version": e.workflow_version,
        "policy_version": e.policy_version,
        "trigger": e.trigger,
        "from": e.from_state,
        "to": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": utc_iso(e.occurred_at),
        "recorded_at": utc_iso(e.recorded_at),
        "data": e.data,
        "effects": dict(e.effects),
        "prev_hash": e.prev_hash,
    }
    assert tuple(content) == HASHED_FIELDS, "the hashed fields changed: update this script"
    if plain_hash(content) != e.hash and not e.effects:
        del content["effects"]  # the canonical form leaves an empty ``effects`` out
    assert plain_hash(content) == e.hash, f"seq {e.seq}: cannot reproduce the engine's hash"
    return content


def plain_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON, with hashlib and json alone."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def golden(name: str) -> dict[str, Any]:
    """The golden document of one story."""
    desk, description = STORIES[name]()
    engine = desk.engine
    record = engine.store.load(desk.case_id)
    assert record is not None
    events = engine.store.events(desk.case_id)
    return {
        "format": FORMAT,
        "format_version": 1,
        "name": name,
        "description": description,
        "zone": ZONE,
        "policy": engine.policy.id,
        "hash": {"algorithm": "sha256", "fields": list(HASHED_FIELDS), "genesis": GENESIS},
        "case": {
            "id": record.id,
            "type": record.type,
            "workflow_version": record.workflow_version,
            "state": record.state,
            "version": record.version,
            "outcome": record.outcome,
            "late_report": record.late,
            "facts": record.facts,
            "head_hash": record.head_hash,
        },
        "events": [{**hashed(e), "hash": e.hash} for e in events],
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def write_all(out: Path, *, force: bool = False) -> list[Path]:
    """Write every golden file into ``out``; an existing file is kept unless ``force``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in STORIES:
        path = out / f"{name}.json"
        if path.exists() and not force:
            raise FileExistsError(
                f"{path} exists: golden files are written once (use --force to rewrite)"
            )
        path.write_text(render(golden(name)), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=GOLDEN, help=f"directory (default {GOLDEN})")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        paths = write_all(args.out, force=args.force)
    except FileExistsError as exc:
        print(f"make_golden: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
