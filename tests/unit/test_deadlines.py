"""Deadlines through the library: what starts, meets, cancels, misses and fires them.

Every engine here runs on a :class:`~shouhu.FakeClock` that a :class:`Desk` moves forward as it
acts, so each test says exactly when things happen, to the second, in Asia/Shanghai (+08:00).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shouhu import Engine, FakeClock, TransitionRefused
from shouhu.engine.core import Fired
from shouhu.engine.policy import default_pack, parse_pack

CST = timezone(timedelta(hours=8))
ZONE = "Asia/Shanghai"
MATURITY = "nonperformance_six_months"
DISPATCH_NOTIFY = "county public security bureau (县级公安机关)"
CIVIL_AFFAIRS = {"name": "县民政局", "role": "civil_affairs"}

#: guardian_nonperformance from ``reported`` to ``intervening``, meeting every duty on the way.
TO_INTERVENING: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dispatch", "police", {}),
    ("order_parents_return", "police", {}),
    ("place_in_temporary_care", "police", {"placement": "close_relative"}),
    ("complete_emergency", "police", {}),
    ("notify_township", "police", {}),
    ("start_assessment", "township", {}),
    (
        "complete_assessment",
        "township",
        {
            "safety": "low",
            "guardianship": "high",
            "health": "low",
            "participants": "civil_affairs,police",
        },
    ),
    ("start_intervention", "civil_affairs", {}),
    ("record_no_means_of_living", "township", {}),  # ground (b)'s 生活无着
    # temporary care is not a guardian restored: one designated meets guardian_redesignation
    ("designate_entrusted_guardian", "police", {"guardian_name": "王二叔"}),
)


def cst(text: str) -> datetime:
    """A local (+08:00) instant from ``YYYY-MM-DDTHH:MM[:SS]``."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@dataclass
class Desk:
    """An engine, its clock, and one case; every action moves the clock to the action's time."""

    engine: Engine
    clock: FakeClock
    case_id: str = ""
    at: datetime = field(default_factory=lambda: cst("2026-03-02T09:00"))

    def move(self, when: datetime) -> datetime:
        """Put the clock at ``when`` (never backwards) and act at that time from now on."""
        self.at = when
        if when > self.clock.now():
            self.clock.set(when)
        return when

    def report(
        self,
        type_: str = "solo_living",
        *,
        at: datetime | None = None,
        discovered_at: datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> str:
        when = self.move(at or self.at)
        case = self.engine.report(
            type_,
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            discovered_at=discovered_at or when,
            occurred_at=when,
            data=data or {},
            new_case=True,  # the desk files 王小明 over and over: each a case of its own
        )
        self.case_id = case.id
        return case.id

    def fire(
        self,
        trigger: str,
        role: str = "police",
        data: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
        case_id: str | None = None,
    ) -> Any:
        """Fire at ``at``, or five minutes after the last action."""
        when = self.move(at or self.at + timedelta(minutes=5))
        return self.engine.fire(
            case_id or self.case_id,
            trigger,
            actor={"name": "经办人", "role": role},
            occurred_at=when,
            data=data or {},
        )

    def run(self, steps: tuple[tuple[str, str, dict[str, Any]], ...]) -> None:
        for trigger, role, data in steps:
            self.fire(trigger, role, data)

    def sweep(self, now: datetime) -> list[Fired]:
        """``run_due`` at ``now``, with the clock there too."""
        self.move(now)
        return self.engine.run_due(now)

    def rows(self, kind: str | None = None, case_id: str | None = None) -> list[dict[str, Any]]:
        rows = self.engine.deadlines(case_id=case_id or self.case_id)
        return [r for r in rows if kind is None or r["kind"] == kind]

    def events(self, trigger: str, case_id: str | None = None) -> list[Any]:
        history = self.engine.history(case_id or self.case_id)
        return [v.event for v in history if v.trigger == trigger]


@pytest.fixture
def desk() -> Iterator[Desk]:
    clock = FakeClock(cst("2026-03-02T09:00"))
    with Engine.in_memory(clock=clock, zone=ZONE) as engine:
        yield Desk(engine, clock)


@pytest.fixture(params=["memory", "sqlite"])
def any_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A desk on each store in turn."""
    clock = FakeClock(cst("2026-03-02T09:00"))
    if request.param == "memory":
        engine = Engine.in_memory(clock=clock, zone=ZONE)
    else:
        engine = Engine.open(f"sqlite:///{tmp_path / 'deadlines.db'}", clock=clock, zone=ZONE)
    with engine:
        yield Desk(engine, clock)


def petition(desk: Desk, at: datetime) -> Any:
    return desk.fire(
        "petition_revocation", "civil_affairs", {"ground": MATURITY}, at=at, case_id=desk.case_id
    )


# --- the six-month maturity, to the second ----------------------------------------------------

#: (refused since, reported at, the instant ground (b) holds): Civil Code Arts. 201–203, 1259.
SIX_MONTHS = [
    ("2025-08-31", "2026-02-20T09:00", "2026-03-01T00:00"),
    ("2025-06-15", "2025-12-10T09:00", "2025-12-16T00:00"),
    ("2026-01-15", "2026-07-01T09:00", "2026-07-16T00:00"),
]


@pytest.mark.parametrize("source", ["report", "record_nonperformance"])
@pytest.mark.parametrize(("since", "reported", "holds"), SIX_MONTHS)
def test_six_months_of_refused_duties_mature_at_exactly_0000_after_the_last_day(
    any_desk: Desk, source: str, since: str, reported: str, holds: str
) -> None:
    """Ground (b) matures at 00:00+08:00 after the last day: nothing fires a second earlier."""
    desk = any_desk
    if source == "report":
        desk.report(
            "guardian_nonperformance", at=cst(reported), data={"nonperformance_since": since}
        )
        desk.run(TO_INTERVENING)
    else:
        desk.report("guardian_nonperformance", at=cst(reported))
        desk.run(TO_INTERVENING)
        desk.fire("record_nonperformance", "village_committee", {"since": since})
    due = cst(holds)
    (row,) = desk.rows(MATURITY)
    assert (row["status"], row["due_at"]) == ("pending", due.isoformat())
    assert desk.engine.case(desk.case_id).facts["nonperformance_matures_at"] == due.isoformat()
    assert desk.engine.next_due() == due

    assert desk.sweep(due - timedelta(seconds=1)) == []
    assert desk.rows(MATURITY)[0]["status"] == "pending"
    fired = desk.sweep(due)
    assert [(f.case_id, f.kind, f.trigger, f.due_at) for f in fired] == [
        (desk.case_id, MATURITY, MATURITY, due)
    ]
    (event,) = desk.events(MATURITY)
    assert (event.role, event.occurred_at, event.seq) == ("system", due, fired[0].seq)
    assert event.data["due_at"] == due.isoformat()
    assert event.effects == {
        "deadlines": [{"kind": MATURITY, "action": "fired", "due_at": due.isoformat()}]
    }
    assert desk.rows(MATURITY)[0]["status"] == "fired"
    assert desk.engine.case(desk.case_id).facts["nonperformance_matured"] is True


def test_the_maturity_deadline_records_how_it_was_counted(desk: Desk) -> None:
    """The start's effect records period, basis and the date counted from; the fact its due time."""
    desk.report(
        "guardian_nonperformance",
        at=cst("2026-02-20T09:00"),
        data={"nonperformance_since": "2025-08-31"},
    )
    (report,) = desk.events("report")
    started = {e["kind"]: e for e in report.effects["deadlines"]}
    assert started[MATURITY] == {
        "kind": MATURITY,
        "action": "started",
        "due_at": "2026-03-01T00:00:00+08:00",
        "period": "P6M",
        "basis": "law",
        "counted_from": "2025-08-31",
        "fact": "nonperformance_matures_at",
    }
    assert report.policy_version == "cn-national-default@2026.2"


def test_a_petition_on_ground_b_is_refused_before_maturity_naming_when_it_will_hold(
    desk: Desk,
) -> None:
    """Refused (guard ground_holds, 001 §四(三)4) with the instant; accepted after the event."""
    desk.report(
        "guardian_nonperformance",
        at=cst("2026-02-20T09:00"),
        data={"nonperformance_since": "2025-08-31"},
    )
    desk.run(TO_INTERVENING)
    before = desk.engine.case(desk.case_id).version
    with pytest.raises(TransitionRefused) as refused:
        petition(desk, cst("2026-02-28T23:59:59"))
    assert (refused.value.rule, refused.value.citation) == (
        "guard",
        "001 §四(三)4; Civil Code Art. 36 (《民法典》第三十六条)",
    )
    assert "ground_holds" in str(refused.value)
    assert "2026-03-01T00:00:00+08:00" in str(refused.value)
    assert desk.engine.case(desk.case_id).version == before

    assert len(desk.sweep(cst("2026-03-01T00:00"))) == 1
    after = petition(desk, cst("2026-03-01T09:00"))
    assert after.state == "petitioned"
    assert after.facts["petition_ground"] == MATURITY


def test_guardian_resuming_duties_cancels_the_pending_maturity(any_desk: Desk) -> None:
    """guardian_resumed_duties cancels it: the sweep at the old due time fires nothing."""
    desk = any_desk
    desk.report(
        "guardian_nonperformance",
        at=cst("2026-02-20T09:00"),
        data={"nonperformance_since": "2025-08-31"},
    )
    desk.run(TO_INTERVENING)
    view = desk.fire("guardian_resumed_duties", "village_committee")
    (row,) = desk.rows(MATURITY)
    assert row["status"] == "cancelled"
    assert view.facts["nonperformance_matures_at"] is None
    (event,) = desk.events("guardian_resumed_duties")
    assert event.effects == {
        "deadlines": [
            {
                "kind": MATURITY,
                "action": "cancelled",
                "due_at": "2026-03-01T00:00:00+08:00",
                "reason": "guardian_resumed_duties",
            }
        ]
    }
    assert desk.sweep(cst("2026-06-01T00:00")) == []
    assert desk.events(MATURITY) == []
    assert desk.engine.next_due() is None


def test_recording_nonperformance_again_restarts_the_count(any_desk: Desk) -> None:
    """After a resumption, record_nonperformance starts a new six months from its new date."""
    desk = any_desk
    desk.report(
        "guardian_nonperformance",
        at=cst("2026-02-20T09:00"),
        data={"nonperformance_since": "2025-08-31"},
    )
    desk.run(TO_INTERVENING)
    desk.fire("guardian_resumed_duties", "village_committee")
    desk.fire("record_nonperformance", "village_committee", {"since": "2026-02-10"})
    rows = desk.rows(MATURITY)
    assert sorted(r["status"] for r in rows) == ["cancelled", "pending"]
    (pending,) = [r for r in rows if r["status"] == "pending"]
    assert pending["due_at"] == "2026-08-11T00:00:00+08:00"
    assert desk.sweep(cst("2026-03-01T00:00")) == []
    assert desk.sweep(cst("2026-08-10T23:59:59")) == []
    assert [f.kind for f in desk.sweep(cst("2026-08-11T00:00"))] == [MATURITY]


def test_recording_nonperformance_while_counting_replaces_the_running_count(desk: Desk) -> None:
    """restart = true: a new date cancels the pending maturity and starts one from the new date."""
    desk.report(
        "guardian_nonperformance",
        at=cst("2026-02-20T09:00"),
        data={"nonperformance_since": "2025-08-31"},
    )
    desk.run(TO_INTERVENING)
    view = desk.fire("record_nonperformance", "village_committee", {"since": "2025-09-30"})
    rows = desk.rows(MATURITY)
    assert [r["status"] for r in rows if r["status"] == "pending"] == ["pending"]
    (pending,) = [r for r in rows if r["status"] == "pending"]
    assert pending["due_at"] == "2026-03-31T00:00:00+08:00"
    assert view.facts["nonperformance_matures_at"] == "2026-03-31T00:00:00+08:00"
    (event,) = desk.events("record_nonperformance")
    actions = [(e["action"], e["due_at"]) for e in event.effects["deadlines"]]
    assert actions == [
        ("cancelled", "2026-03-01T00:00:00+08:00"),
        ("started", "2026-03-31T00:00:00+08:00"),
    ]
    assert desk.sweep(cst("2026-03-30T23:59:59")) == []
    assert len(desk.sweep(cst("2026-03-31T00:00"))) == 1


# --- duties: met, missed once, met late -------------------------------------------------------


def test_a_missed_dispatch_is_escalated_exactly_once_however_many_sweeps_run(
    any_desk: Desk,
) -> None:
    """Ten sweeps after the due time: one deadline_missed event, the row missed, case overdue."""
    desk = any_desk
    desk.report(at=cst("2026-03-02T09:00"))
    due = cst("2026-03-02T10:00")
    fired = [desk.sweep(due + timedelta(minutes=7 * i)) for i in range(10)]
    assert [len(f) for f in fired] == [1] + [0] * 9
    (missed,) = desk.events("deadline_missed")
    assert missed.data == {"kind": "dispatch", "due_at": due.isoformat(), "notify": DISPATCH_NOTIFY}
    assert (missed.role, missed.actor, missed.occurred_at) == ("system", "shouhu scheduler", due)
    assert missed.effects == {
        "deadlines": [{"kind": "dispatch", "action": "missed", "due_at": due.isoformat()}]
    }
    (row,) = desk.rows("dispatch")
    assert (row["status"], row["met_at"], row["late_seconds"]) == ("missed", None, None)
    case = desk.engine.case(desk.case_id)
    assert (case.state, case.version) == ("reported", 2)
    assert [c.id for c in desk.engine.cases(overdue=True)] == [desk.case_id]


def test_a_duty_done_after_it_was_missed_stays_missed_with_when_and_how_late(
    any_desk: Desk,
) -> None:
    """Dispatch 90 minutes late: status missed, met_at and late_seconds; no longer overdue."""
    desk = any_desk
    desk.report(at=cst("2026-03-02T09:00"))
    desk.sweep(cst("2026-03-02T10:30"))
    view = desk.fire("dispatch", at=cst("2026-03-02T11:30"))
    (row,) = desk.rows("dispatch")
    assert (row["status"], row["met_at"], row["late_seconds"]) == (
        "missed",
        "2026-03-02T11:30:00+08:00",
        5400,
    )
    (event,) = desk.events("dispatch")
    assert event.effects["deadlines"][0] == {
        "kind": "dispatch",
        "action": "met_late",
        "due_at": "2026-03-02T10:00:00+08:00",
        "late_seconds": 5400,
    }
    assert view.state == "dispatched"
    assert list(desk.engine.cases(overdue=True)) == []
    assert desk.sweep(cst("2026-03-03T12:00")) == []
    assert len(desk.events("deadline_missed")) == 1


def test_a_duty_done_late_before_any_sweep_is_met_with_its_lateness(desk: Desk) -> None:
    """No sweep ran: the dispatch at 10:20 meets the row, 1,200 s late; nothing is escalated."""
    desk.report(at=cst("2026-03-02T09:00"))
    desk.fire("dispatch", at=cst("2026-03-02T10:20"))
    (row,) = desk.rows("dispatch")
    assert (row["status"], row["late_seconds"]) == ("met", 1200)
    assert desk.sweep(cst("2026-03-02T12:00")) == []


def test_a_duty_met_in_time_is_not_escalated(desk: Desk) -> None:
    """Dispatch within the hour: met, 0 s late, and later sweeps fire nothing for it."""
    desk.report(at=cst("2026-03-02T09:00"))
    desk.fire("dispatch", at=cst("2026-03-02T09:59:59"))
    (row,) = desk.rows("dispatch")
    assert (row["status"], row["late_seconds"]) == ("met", 0)
    assert desk.sweep(cst("2026-03-02T11:00")) == []


def test_each_duty_starts_on_its_trigger_and_is_met_by_the_next_step(desk: Desk) -> None:
    """The default chain of duties: each started and met in turn, with Civil Code due times —
    Art. 203 included: assessment_start's last day, 02-23, is the last day of the 2026 Spring
    Festival holiday, so it runs to the end of 02-24; the assessment's, Saturday 03-07, moves
    to Monday 03-09. Temporary care cancels guardian_restored and starts
    guardian_redesignation, met by the guardian designated later."""
    desk.report("guardian_nonperformance", at=cst("2026-02-20T09:00"))
    desk.run(TO_INTERVENING)
    due = {r["kind"]: (r["status"], r["due_at"]) for r in desk.rows()}
    assert due == {
        "dispatch": ("met", "2026-02-20T10:00:00+08:00"),
        "guardian_restored": ("cancelled", "2026-02-28T00:00:00+08:00"),
        "guardian_redesignation": ("met", "2026-03-24T00:00:00+08:00"),
        "township_notice": ("met", "2026-02-21T09:20:00+08:00"),
        "assessment_start": ("met", "2026-02-25T00:00:00+08:00"),
        "assessment": ("met", "2026-03-10T00:00:00+08:00"),
    }


def test_a_running_duty_keeps_its_first_due_time_when_its_trigger_repeats(desk: Desk) -> None:
    """order_parents_return twice: one guardian_restored row, due seven days after the first."""
    desk.report(at=cst("2026-03-02T09:00"))
    desk.fire("dispatch")
    desk.fire("order_parents_return", at=cst("2026-03-02T09:30"))
    desk.fire("order_parents_return", at=cst("2026-03-04T09:30"))
    rows = desk.rows("guardian_restored")
    assert [(r["status"], r["due_at"]) for r in rows] == [("pending", "2026-03-10T00:00:00+08:00")]


# --- closing ----------------------------------------------------------------------------------


def test_dismissing_a_report_meets_the_dispatch_deadline(any_desk: Desk) -> None:
    """dismiss is one of the triggers that meet dispatch: met, nothing pending, nothing fired."""
    desk = any_desk
    desk.report(at=cst("2026-03-02T09:00"))
    desk.fire(
        "dismiss",
        data={"reason_kind": "unfounded", "reason": "查无此事"},
        at=cst("2026-03-02T09:40"),
    )
    (row,) = desk.rows("dispatch")
    assert (row["status"], row["met_at"]) == ("met", "2026-03-02T09:40:00+08:00")
    assert desk.sweep(cst("2026-03-03T09:00")) == []


def test_closing_a_case_cancels_its_pending_deadlines(any_desk: Desk) -> None:
    """A dismissal cancels a running duty; a closing cancels a running maturity ("case closed")."""
    desk = any_desk
    first = desk.report(at=cst("2026-03-02T09:00"))
    desk.fire("dispatch")
    desk.fire("order_parents_return")
    desk.fire("dismiss", data={"reason_kind": "unfounded", "reason": "父母已返回，查无遗弃"})
    (row,) = desk.rows("guardian_restored")
    assert row["status"] == "cancelled"
    (event,) = desk.events("dismiss")
    assert event.effects["deadlines"] == [
        {
            "kind": "guardian_restored",
            "action": "cancelled",
            "due_at": "2026-03-10T00:00:00+08:00",
            "reason": "case closed",
        }
    ]

    second = desk.report(
        "guardian_nonperformance",
        at=cst("2026-03-02T10:00"),
        data={"nonperformance_since": "2025-12-01"},
    )
    desk.run(TO_INTERVENING)
    desk.fire("close", "township", {"summary": "监护人已履行"})
    assert [r["status"] for r in desk.rows(MATURITY)] == ["cancelled"]
    assert desk.sweep(cst("2026-06-03T00:00")) == []
    for case_id in (first, second):
        assert all(r["status"] != "pending" for r in desk.rows(case_id=case_id))
    assert desk.engine.next_due() is None


# --- catching up ------------------------------------------------------------------------------


def test_ten_cases_left_for_months_are_caught_up_in_one_sweep_in_due_order(
    any_desk: Desk,
) -> None:
    """One sweep fires all ten, oldest due first; each event happens at its due time."""
    desk = any_desk
    desk.move(cst("2026-03-01T00:00"))
    reported = [cst("2026-01-05T08:00") + timedelta(days=3 * i, minutes=17 * i) for i in range(10)]
    random.Random(7).shuffle(reported)
    cases = {}
    for at in reported:
        case_id = desk.engine.report(
            "solo_living",
            child={"name": "王小明", "birthdate": "2016-02-01"},
            location="石桥村, 青山镇",
            reporter={"kind": "school", "name": "青山镇中心小学"},
            occurred_at=at,
        ).id
        cases[case_id] = at + timedelta(hours=1)
    fired = desk.sweep(cst("2026-06-30T00:00"))
    assert len(fired) == 10
    assert [f.due_at for f in fired] == sorted(cases.values())
    assert {f.case_id: f.due_at for f in fired} == cases
    for case_id, due in cases.items():
        (event,) = desk.events("deadline_missed", case_id=case_id)
        assert event.occurred_at == due
    assert desk.sweep(cst("2026-06-30T00:00")) == []


def test_a_sweep_in_small_batches_still_fires_everything_once_in_order(desk: Desk) -> None:
    """run_due(batch=3) over ten due deadlines: all ten, in due order, each once."""
    desk.move(cst("2026-03-01T00:00"))
    for i in range(10):
        desk.report(at=cst("2026-02-01T08:00") + timedelta(hours=i * 7 % 10))
    fired = desk.engine.run_due(cst("2026-03-01T00:00"), batch=3)
    assert len(fired) == 10
    assert len({f.case_id for f in fired}) == 10
    assert [f.due_at for f in fired] == sorted(f.due_at for f in fired)


def test_an_escalation_after_a_later_event_happens_at_that_event_not_before_it(
    desk: Desk,
) -> None:
    """The missed event may not precede the case's last event: it takes the later time."""
    desk.report(at=cst("2026-03-02T09:00"))
    desk.run(
        (
            ("dispatch", "police", {}),
            ("order_parents_return", "police", {}),
            ("admonish_parents", "police", {}),
            ("parents_returned", "police", {}),
            ("complete_emergency", "police", {}),
        )
    )
    (notice,) = desk.rows("township_notice")
    due = datetime.fromisoformat(notice["due_at"])
    later = desk.fire("education_given", at=due + timedelta(hours=6))
    fired = desk.sweep(due + timedelta(days=1))
    assert [(f.kind, f.due_at) for f in fired] == [("township_notice", due)]
    (event,) = desk.events("deadline_missed")
    assert event.occurred_at == due + timedelta(hours=6)
    assert event.seq == later.version + 1


def test_deadlines_cannot_be_fired_ahead_of_the_clock(desk: Desk) -> None:
    """run_due(now) later than the clock (beyond the 5-minute tolerance) is bad input."""
    from shouhu import InvalidInput

    desk.report(at=cst("2026-03-02T09:00"))
    with pytest.raises(InvalidInput) as bad:
        desk.engine.run_due(cst("2026-03-02T12:00"))
    assert bad.value.field == "now"
    assert desk.rows("dispatch")[0]["status"] == "pending"


# --- report lateness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported", "late", "delay"),
    [
        ("2026-03-02T09:00:00", False, 86_400),
        ("2026-03-02T09:00:01", True, 86_401),
        ("2026-03-01T09:00:00", False, 0),
    ],
)
def test_a_report_more_than_24_hours_after_discovery_is_marked_late_to_the_second(
    desk: Desk, reported: str, late: bool, delay: int
) -> None:
    """PT24H exactly is in time; one second more is late — in the view, the JSON and the event."""
    case_id = desk.report(at=cst(reported), discovered_at=cst("2026-03-01T09:00:00"))
    case = desk.engine.case(case_id)
    assert case.late is late
    shown = case.to_dict(ZONE)
    assert (shown["late"], shown["report_delay_seconds"]) == (late, delay)
    (event,) = desk.events("report")
    recorded = dict(event.effects["report"])
    # a late school's report records the notice to its superior organ (001 §四(三)1)
    superior = recorded.pop("superior", None)
    assert recorded == {"late": late, "delay_seconds": delay, "bound": "PT24H"}
    assert (superior or {}).get("recipient") == (
        "county education bureau (县级教育行政部门)" if late else None
    )


def test_a_city_bound_on_report_delay_is_the_one_applied() -> None:
    """A pack with report_delay PT2H marks a report 2 h 1 s after discovery late."""
    text = default_pack().text.replace(
        '[deadlines.report_delay]\nkind = "check"\nperiod = "PT24H"',
        '[deadlines.report_delay]\nkind = "check"\nperiod = "PT2H"',
    )
    pack = parse_pack(text, "city.toml")
    assert str(pack.rule("report_delay").period) == "PT2H"
    clock = FakeClock(cst("2026-03-02T12:00"))
    with Engine.in_memory(clock=clock, zone=ZONE, policy=pack) as engine:
        desk = Desk(engine, clock)
        on_time = engine.case(
            desk.report(at=cst("2026-03-02T11:00:00"), discovered_at=cst("2026-03-02T09:00:00"))
        )
        late = engine.case(
            desk.report(at=cst("2026-03-02T11:00:01"), discovered_at=cst("2026-03-02T09:00:00"))
        )
    assert (on_time.late, late.late) == (False, True)
    assert late.history[0].event.effects["report"]["bound"] == "PT2H"


# --- views and queries ------------------------------------------------------------------------


def test_the_case_view_lists_its_deadlines_with_local_due_times(desk: Desk) -> None:
    """to_dict()["deadlines"]: kind, due_at with +08:00, status, basis, citation, pack id."""
    desk.report(at=cst("2026-03-02T09:00"))
    (row,) = desk.engine.case(desk.case_id).to_dict(ZONE)["deadlines"]
    assert row["kind"] == "dispatch"
    assert row["due_at"] == "2026-03-02T10:00:00+08:00"
    assert row["status"] == "pending"
    assert row["basis"] == "local"
    assert row["citation"].startswith("001 §四(三)2")
    assert row["policy_version"] == "cn-national-default@2026.2"


def test_deadlines_across_cases_filter_by_case_status_and_due_time(any_desk: Desk) -> None:
    """engine.deadlines(): by due time; case_id, status and due_before narrow it."""
    desk = any_desk
    a = desk.report(at=cst("2026-03-02T09:00"))
    b = desk.report(at=cst("2026-03-02T08:00"))
    desk.fire("dispatch", case_id=a, at=cst("2026-03-02T09:10"))
    every = list(desk.engine.deadlines())
    assert [(r["case_id"], r["due_at"]) for r in every] == [
        (b, "2026-03-02T09:00:00+08:00"),
        (a, "2026-03-02T10:00:00+08:00"),
    ]
    assert [r["case_id"] for r in desk.engine.deadlines(status="pending")] == [b]
    assert [r["case_id"] for r in desk.engine.deadlines(case_id=a.lower())] == [a]
    early = desk.engine.deadlines(due_before="2026-03-02T09:30")
    assert [r["case_id"] for r in early] == [b]
    assert [r["case_id"] for r in desk.engine.deadlines(due_before="2026-03-02T09:00")] == [b]


def test_an_unknown_deadline_status_is_bad_input(desk: Desk) -> None:
    """status must be one of pending, met, missed, fired, cancelled."""
    from shouhu import InvalidInput

    with pytest.raises(InvalidInput) as bad:
        list(desk.engine.deadlines(status="late"))
    assert bad.value.field == "status"


def test_every_event_records_the_pack_in_force(any_desk: Desk) -> None:
    """policy_version is name@version of the pack, on operator and scheduler events alike."""
    desk = any_desk
    desk.report(at=cst("2026-03-02T09:00"))
    desk.sweep(cst("2026-03-02T10:00"))
    desk.fire("dispatch")
    events = [v.event for v in desk.engine.history(desk.case_id)]
    assert [e.trigger for e in events] == ["report", "deadline_missed", "dispatch"]
    assert {e.policy_version for e in events} == {"cn-national-default@2026.2"}
    assert all(e.computed_hash() == e.hash for e in events)


def test_effects_are_covered_by_the_hash(desk: Desk) -> None:
    """Changing an event's effects changes the hash it should have."""
    from dataclasses import replace

    desk.report(at=cst("2026-03-02T09:00"))
    (event,) = desk.events("report")
    forged = replace(event, effects={**event.effects, "report": {"late": False}})
    assert forged.computed_hash() != event.hash
