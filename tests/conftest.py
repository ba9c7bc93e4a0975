"""Shared fixtures: a fake clock, engines on both stores, and helpers that file and drive cases.

Every time in these tests is on the :class:`~shouhu.FakeClock`, which stands at
2026-03-10T10:00+08:00. Reports are filed at 2026-03-02T08:30 local time; the ``Driver`` fires
each trigger a few minutes after the previous one, so times always move forward and never pass
the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shouhu import CaseView, Engine, FakeClock

#: Where the fake clock stands: 2026-03-10T10:00 in Asia/Shanghai.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
#: When reports are discovered and filed (local time, Asia/Shanghai).
DISCOVERED_AT = "2026-03-02T08:10"
REPORTED_AT = "2026-03-02T08:30"
ZONE = "Asia/Shanghai"

CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-02-01"

POLICE = {"name": "李警官", "role": "police"}

#: A closing sequence shared by the guardianship and harm branches (after the emergency).
_ASSESS = (
    ("notify_township", "police", {}),
    ("start_assessment", "township", {}),
    (
        "complete_assessment",
        "township",
        {"safety": "medium", "guardianship": "high", "health": "low"},
    ),
)
_ASSIST_AND_CLOSE = (
    (
        "arrange_assistance",
        "township",
        {"services": "guardianship_guidance,psychological_counselling"},
    ),
    ("close", "township", {"summary": "帮扶到位"}),
)

#: For each report type, a branch of (trigger, role, data) that takes a new case to ``closed``.
BRANCHES: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "solo_living": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("admonish_parents", "police", {}),
        ("designate_entrusted_guardian", "police", {"guardian_name": "王大爷"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "missing_child": (
        ("dispatch", "police", {}),
        ("start_search", "police", {}),
        ("child_located", "police", {}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "guardian_incapacity": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("place_in_temporary_care", "police", {"placement": "village_committee"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "guardian_nonperformance": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("place_in_temporary_care", "police", {"placement": "close_relative"}),
        ("education_given", "police", {}),
        ("refused_to_correct", "village_committee", {}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        ("start_intervention", "civil_affairs", {}),
        ("petition_revocation", "civil_affairs", {"ground": "unsupervised_danger_uncorrected"}),
        ("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"}),
        ("close", "township", {}),
    ),
    "suspected_abuse": (
        ("dispatch", "police", {}),
        ("stop_violence", "police", {}),
        ("collect_evidence", "police", {}),
        ("arrange_medical_care", "police", {}),
        ("record_injury_assessment", "police", {"severity": "serious"}),
        ("place_in_shelter", "civil_affairs", {"placement": "temporary_shelter"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        ("start_intervention", "police", {}),
        ("police_sanction", "police", {"kind": "criminal_case"}),
        ("petition_revocation", "village_committee", {"ground": "serious_harm"}),
        ("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"}),
        ("close", "township", {}),
    ),
    "suspected_harm": (
        ("dispatch", "police", {}),
        ("stop_harm", "police", {}),
        ("collect_evidence", "police", {}),
        ("arrange_medical_care", "police", {}),
        ("record_injury_assessment", "police", {"severity": "minor"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
}


def report_args(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Engine.report`` (a school reports 王小明, aged 10)."""
    args: dict[str, Any] = {
        "child": {"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": DISCOVERED_AT,
        "occurred_at": REPORTED_AT,
        "data": {},
    }
    args.update(overrides)
    return args


@dataclass
class Driver:
    """Files a report and fires triggers on it, each a few minutes after the last."""

    engine: Engine
    case_id: str = ""
    at: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    step_minutes: int = 5

    def report(self, type_: str = "solo_living", **overrides: Any) -> CaseView:
        case = self.engine.report(type_, **report_args(**overrides))
        self.case_id = case.id
        return case

    def next_time(self) -> datetime:
        self.at += timedelta(minutes=self.step_minutes)
        return self.at

    def fire(
        self,
        trigger: str,
        role: str = "police",
        data: Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
        actor: str = "经办人",
    ) -> CaseView:
        """Fire ``trigger`` as ``role`` at the next time; the time advances even on refusal."""
        return self.engine.fire(
            self.case_id,
            trigger,
            actor={"name": actor, "role": role},
            occurred_at=self.next_time(),
            data=dict(data or {}),
            expected_version=expected_version,
        )

    def run(self, steps: tuple[tuple[str, str, dict[str, Any]], ...]) -> CaseView:
        case = self.engine.case(self.case_id)
        for trigger, role, data in steps:
            case = self.fire(trigger, role, data)
        return case

    def until(self, type_: str, trigger: str) -> CaseView:
        """Run ``type_``'s branch up to (not including) the first ``trigger``."""
        steps = BRANCHES[type_]
        names = [s[0] for s in steps]
        return self.run(steps[: names.index(trigger)])


@pytest.fixture(autouse=True)
def _keep_shouhu_logging() -> Iterator[None]:
    """The CLI reconfigures the ``shouhu`` logger; put it back after every test."""
    logger = logging.getLogger("shouhu")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at 2026-03-10T10:00+08:00 until a test moves it."""
    return FakeClock(NOW)


@pytest.fixture
def engine(clock: FakeClock) -> Iterator[Engine]:
    """An engine on a fresh in-memory store."""
    with Engine.in_memory(clock=clock, zone=ZONE) as eng:
        yield eng


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return "sqlite:///" + str(tmp_path / "cases.db")


@pytest.fixture
def sqlite_engine(clock: FakeClock, sqlite_url: str) -> Iterator[Engine]:
    """An engine on a fresh SQLite file in the test's temporary directory."""
    with Engine.open(sqlite_url, clock=clock, zone=ZONE) as eng:
        yield eng


@pytest.fixture(params=["memory", "sqlite"])
def store_engine(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Any
) -> Iterator[Engine]:
    """An engine on each store in turn: the contract suite runs once per store."""
    if request.param == "memory":
        eng = Engine.in_memory(clock=clock, zone=ZONE)
    else:
        eng = Engine.open("sqlite:///" + str(tmp_path / "contract.db"), clock=clock, zone=ZONE)
    with eng:
        yield eng


@pytest.fixture
def driver(engine: Engine) -> Driver:
    """A driver on the in-memory engine."""
    return Driver(engine)


@pytest.fixture
def branches() -> dict[str, tuple[tuple[str, str, dict[str, Any]], ...]]:
    """Each type's branch to ``closed``."""
    return BRANCHES


@pytest.fixture
def make_driver() -> Any:
    """A factory of drivers for any engine."""
    return Driver
