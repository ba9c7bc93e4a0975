"""``make demo``: a week in a county's child-protection desk, on the embedded SQLite default.

Files one report of each of the six types (and one that proves unfounded), drives each along
its branch with realistic times — reports in the morning, police within the hour, townships the
next days, courts weeks later — and prints each case's timeline. Beside the reports it keeps a
small village's ledger (台账): left-behind children, women and elders registered three months
ago, visited (or not) each month, one child turning 16, one family back home; then prints the
quarter's return and the pre-holiday screening plan. All names are invented.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from shouhu.api import Engine
from shouhu.cli.render import render_deadlines, timeline_table
from shouhu.cli.render_reports import render_ledger_return, render_screening
from shouhu.engine import core
from shouhu.engine.clock import Clock
from shouhu.engine.timeutil import local_iso, zone
from shouhu.engine.views import CaseView
from shouhu.errors import ShouhuError, TransitionRefused

POLICE = {"name": "青山派出所 李警官", "role": "police"}
TOWNSHIP = {"name": "青山镇 儿童督导员 陈静", "role": "township"}
CIVIL = {"name": "县民政局 未成年人保护科", "role": "civil_affairs"}
VILLAGE = {"name": "石桥村委会 儿童主任 赵兰", "role": "village_committee"}
COURT = {"name": "县人民法院", "role": "court"}
#: The bodies the township brings to an assessment (001 §四(三)3: 会同民政、公安 … 等有关部门).
PARTICIPANTS = "civil_affairs,police,education,village_committee,school"


@dataclass
class Story:
    """One case: the report, then steps ``(hours after report, trigger, actor, data)``."""

    title: str
    type: str
    child: dict[str, str]
    location: str
    reporter: dict[str, str]
    discovered_before: timedelta
    report_data: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[float, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)


STORIES = [
    Story(
        "A ten-year-old found living alone; parents ordered home, grandmother entrusted",
        "solo_living",
        {"name": "王小明", "birthdate": "2016-02-01"},
        "石桥村, 青山镇, 丰都县",
        {"kind": "school", "name": "青山镇中心小学"},
        timedelta(minutes=20),
        steps=[
            (0.5, "dispatch", POLICE, {}),
            (1.5, "order_parents_return", POLICE, {}),
            (1.6, "admonish_parents", POLICE, {}),
            (3, "designate_entrusted_guardian", POLICE, {"guardian_name": "王桂英(祖母)"}),
            (3.5, "complete_emergency", POLICE, {}),
            (5, "notify_township", POLICE, {}),
            (26, "start_assessment", TOWNSHIP, {}),
            (
                24 * 8,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "high",
                    "health": "low",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 9,
                "arrange_assistance",
                TOWNSHIP,
                {"services": "guardianship_guidance,psychological_counselling"},
            ),
            (24 * 30, "close", TOWNSHIP, {"summary": "委托监护协议已签订，每月走访"}),
        ],
    ),
    Story(
        "A missing eight-year-old, found the same evening",
        "missing_child",
        {"name": "刘欣怡", "birthdate": "2018-05-20"},
        "河口村, 青山镇, 丰都县",
        {"kind": "village_committee", "name": "河口村委会"},
        timedelta(hours=1),
        report_data={"last_seen_at": "{discovered-2h}", "last_seen_place": "村口小卖部"},
        steps=[
            (1.5, "dispatch", POLICE, {}),  # late: the dispatch deadline (PT1H) is escalated
            (1.6, "start_search", POLICE, {}),
            (6, "child_located", POLICE, {}),
            (6.5, "complete_emergency", POLICE, {}),
            (9, "notify_township", POLICE, {}),
            (30, "start_assessment", TOWNSHIP, {}),
            (
                24 * 5,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "low",
                    "guardianship": "medium",
                    "health": "low",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 6, "close", TOWNSHIP, {"summary": "孩子安全，监护人加强看护"}),
        ],
    ),
    Story(
        "A grandfather too ill to care: temporary care, then social assistance",
        "guardian_incapacity",
        {"name": "张浩然", "birthdate": "2013-09-09"},
        "柳树村, 白石乡, 丰都县",
        {"kind": "medical", "name": "白石乡卫生院"},
        timedelta(hours=3),
        steps=[
            (0.6, "dispatch", POLICE, {}),
            (2, "order_parents_return", POLICE, {}),
            (4, "place_in_temporary_care", POLICE, {"placement": "relief_agency"}),
            (4.5, "complete_emergency", POLICE, {}),
            (8, "notify_township", POLICE, {}),
            (48, "start_assessment", TOWNSHIP, {}),
            (
                24 * 10,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "high",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 11,
                "arrange_assistance",
                CIVIL,
                {"services": "social_assistance,medical_treatment"},
            ),
            (24 * 20, "parents_returned", POLICE, {}),
            (24 * 40, "close", TOWNSHIP, {"summary": "父亲返乡，纳入低保"}),
        ],
    ),
    Story(
        "Parents who will not care: education, refusal, revocation of guardianship",
        "guardian_nonperformance",
        {"name": "陈雨桐", "birthdate": "2014-11-30"},
        "石桥村, 青山镇, 丰都县",
        {"kind": "village_committee", "name": "石桥村委会"},
        timedelta(hours=5),
        report_data={"nonperformance_since": "{discovered-120d}"},
        steps=[
            (0.8, "dispatch", POLICE, {}),
            (2, "order_parents_return", POLICE, {}),
            (5, "place_in_temporary_care", POLICE, {"placement": "close_relative"}),
            (5.5, "complete_emergency", POLICE, {}),
            (7, "notify_township", POLICE, {}),
            (30, "start_assessment", TOWNSHIP, {}),
            (
                24 * 7,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "high",
                    "guardianship": "high",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 8, "start_intervention", CIVIL, {}),
            (24 * 8 + 1, "petition_revocation", CIVIL, {"ground": "nonperformance_six_months"}),
            (
                24 * 8 + 3,
                "record_unsupervised_danger",
                VILLAGE,
                {"description": "冬夜独自在家无取暖"},
            ),
            (24 * 9, "education_given", POLICE, {}),
            (24 * 16, "refused_to_correct", VILLAGE, {}),
            (
                24 * 17,
                "petition_revocation",
                CIVIL,
                {"ground": "unsupervised_danger_uncorrected"},
            ),
            (
                24 * 45,
                "record_court_decision",
                COURT,
                {"outcome": "revoked", "new_guardian": "陈建国(伯父)"},
            ),
            (24 * 60, "close", TOWNSHIP, {"summary": "法院另行指定伯父为监护人"}),
        ],
    ),
    Story(
        "Suspected abuse: violence stopped, serious injury, shelter, criminal case, revocation",
        "suspected_abuse",
        {"name": "李思琪", "birthdate": "2012-04-18"},
        "东岭村, 白石乡, 丰都县",
        {"kind": "medical", "name": "丰都县人民医院"},
        timedelta(minutes=40),
        report_data={"description": "多处陈旧性伤痕，孩子称被父亲殴打"},
        steps=[
            (0.3, "dispatch", POLICE, {}),
            (
                0.8,
                "stop_violence",
                POLICE,
                {"seriously_hurt": True, "safety_threatened": True, "unattended_in_danger": False},
            ),
            (1.5, "collect_evidence", POLICE, {}),
            (1.6, "record_perpetrator", POLICE, {"relation": "parent", "act": "domestic_violence"}),
            (2, "arrange_medical_care", POLICE, {}),
            (20, "record_injury_assessment", POLICE, {"severity": "serious"}),
            (20.2, "complete_emergency", POLICE, {}),
            (21, "place_in_shelter", CIVIL, {"placement": "temporary_shelter"}),
            (21.5, "complete_emergency", POLICE, {}),
            (23, "notify_township", POLICE, {}),
            (40, "start_assessment", TOWNSHIP, {}),
            (
                24 * 6,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "high",
                    "guardianship": "high",
                    "health": "high",
                    "participants": PARTICIPANTS,
                },
            ),
            (24 * 6 + 2, "start_intervention", POLICE, {}),
            (24 * 7, "police_sanction", POLICE, {"kind": "criminal_case"}),
            (24 * 10, "petition_revocation", CIVIL, {"ground": "serious_harm"}),
            (
                24 * 50,
                "record_court_decision",
                COURT,
                {"outcome": "revoked", "new_guardian": "李秀兰(外祖母)"},
            ),
            (24 * 52, "close", TOWNSHIP, {"summary": "外祖母监护，心理疏导持续"}),
        ],
    ),
    Story(
        "Suspected harm: a fall at a building site; harm stopped, care and legal aid",
        "suspected_harm",
        {"name": "赵子轩", "birthdate": "2015-07-07"},
        "河口村, 青山镇, 丰都县",
        {"kind": "citizen", "name": "村民 周大伟"},
        timedelta(hours=2),
        report_data={"description": "在无人看管的工地摔伤"},
        steps=[
            (0.5, "dispatch", POLICE, {}),
            (1, "stop_harm", POLICE, {}),
            (1.2, "collect_evidence", POLICE, {}),
            (1.5, "arrange_medical_care", POLICE, {}),
            (30, "record_injury_assessment", POLICE, {"severity": "minor"}),
            (30.5, "complete_emergency", POLICE, {}),
            (32, "notify_township", POLICE, {}),
            (24 * 3, "start_assessment", TOWNSHIP, {}),
            (
                24 * 9,
                "complete_assessment",
                TOWNSHIP,
                {
                    "safety": "medium",
                    "guardianship": "medium",
                    "health": "medium",
                    "participants": PARTICIPANTS,
                },
            ),
            (
                24 * 10,
                "arrange_assistance",
                TOWNSHIP,
                {"services": "medical_treatment,legal_aid"},
            ),
            (24 * 25, "close", TOWNSHIP, {"summary": "工地整改，法律援助已立案"}),
        ],
    ),
    Story(
        "A report found unfounded and dismissed by the police",
        "solo_living",
        {"name": "孙一诺", "birthdate": "2017-12-12"},
        "柳树村, 白石乡, 丰都县",
        {"kind": "social_organisation", "name": "春苗社工服务中心"},
        timedelta(hours=6),
        steps=[
            (0.7, "dispatch", POLICE, {}),
            (
                2,
                "dismiss",
                POLICE,
                {"reason_kind": "unfounded", "reason": "母亲在家，短暂外出购物"},
            ),
        ],
    ),
]


@dataclass
class Resident:
    """A person on 石桥村's ledger: who, and which months (1 = the first after registration)
    the village committee visits."""

    kind: str
    name: str
    birthdate: str
    visited: tuple[int, ...] = (1, 2, 3)
    data: dict[str, Any] = field(default_factory=dict)
    leaves: tuple[int, str] | None = None  # (month, closing trigger)


CHILD = {"parents_away": "both", "guardian": "祖父母", "agreement_signed": True}
VILLAGE_LEDGER = [
    Resident("child", "周小雨", "2015-03-08", data=CHILD),
    Resident("child", "周小龙", "2017-06-21", (1, 3), data=CHILD),
    Resident("child", "吴佳怡", "2012-10-02", (2, 3), data={"parents_away": "both"}),
    Resident(
        "child", "吴浩", "2014-01-19", (1,), data={"parents_away": "one_with_incapable_other"}
    ),
    Resident("child", "郑欣", "2019-12-30", (1, 2), data=CHILD, leaves=(2, "parents_returned")),
    Resident("child", "郑晓", "{sixteen-weeks-ago}", (1, 2), data=CHILD),
    Resident("woman", "周丽", "1990-05-14", (), data={"husband_away_since": "{months-9}"}),
    Resident("woman", "吴芳", "1986-08-03", (), data={"husband_away_since": "{months-14}"}),
    Resident("elderly", "周德顺", "1948-02-11", (1, 2, 3)),
    Resident("elderly", "吴秀英", "1952-07-27", (2,)),
]
LEDGER_PLACE = "石桥村, 青山镇, 丰都县"


def _months_later(day: datetime, months: int, at_day: int, hour: int) -> datetime:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=at_day, hour=hour, minute=0)


def quarter_of(day: datetime, back: int = 0) -> str:
    """``2026Q4``: the quarter holding ``day`` (local), or ``back`` quarters before it."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    return f"{index // 4}Q{index % 4 + 1}"


def keep_ledger(engine: core.Engine, console: Console, now: datetime) -> list[str]:
    """Register 石桥村's left-behind, visit them month by month with the scheduler sweeping,
    and print the quarter's return and the screening plan for a holiday six weeks ahead."""
    tz = engine.zone
    now = now.astimezone(zone(tz))
    registered = _months_later(now, -3, 3, 9)  # the 3rd of the month, three months ago
    ids: list[str] = []
    actions: list[tuple[datetime, str, str, dict[str, str], dict[str, Any]]] = []
    for n, r in enumerate(VILLAGE_LEDGER):
        birthdate = r.birthdate
        if birthdate == "{sixteen-weeks-ago}":  # 16 some weeks ago: the watch closes by itself
            birthdate = _months_later(now, -16 * 12 - 1, 20, 0).date().isoformat()
        data = dict(r.data)
        for key, value in data.items():
            if isinstance(value, str) and value.startswith("{months-"):
                months = int(value[len("{months-") : -1])
                data[key] = _months_later(registered, -months, 1, 0).date().isoformat()
        when = registered + timedelta(minutes=20 * n)
        engine.run_due(when)
        case = engine.register(
            r.kind,
            person={"name": r.name, "birthdate": birthdate},
            location=LEDGER_PLACE,
            actor=VILLAGE,
            at=when,
            data=data,
        )
        ids.append(case.id)
        trigger = "regular_visit" if r.kind == "elderly" else "record_visit"
        for month in r.visited:
            at = _months_later(registered, month, 6 + 4 * (n % 5), 10)
            if at < now:
                actions.append((at, case.id, trigger, VILLAGE, {"notes": "上门走访"}))
        if r.leaves is not None:
            month, closing = r.leaves
            at = _months_later(registered, month, 15, 16)
            if at < now:
                actions.append((at, case.id, closing, VILLAGE, {"notes": "父母返乡"}))
        update = _months_later(registered, 2 + n % 2, 5 + n, 15)
        if r.kind != "elderly" and update < now:
            actions.append((update, case.id, "update_ledger", TOWNSHIP, {"notes": "季度更新"}))
    for at, case_id, trigger, actor, data in sorted(actions):
        engine.run_due(at)  # what a running scheduler would have done by then
        with suppress(TransitionRefused):  # the watch closed first (turned 16): nothing written
            engine.fire(case_id, trigger, actor=actor, occurred_at=at, data=data)
    engine.run_due(now)
    console.rule("[bold]The ledger (台账)[/bold] — 石桥村, 青山镇: children, women and elders")
    console.print(
        f"{len(ids)} people registered on {local_iso(registered, tz)[:10]}; the village "
        "committee's visits month by month, the township's updates, the scheduler recording "
        "every month that ended without a visit."
    )
    render_ledger_return(console, engine.registry_report(quarter_of(now)))
    holiday = (now + timedelta(days=30)).date()
    render_screening(console, engine.screening(holiday), {})
    return ids


def _expand(value: Any, discovered: datetime, tz: str) -> Any:
    """Fill ``{discovered-2h}`` / ``{discovered-120d}`` placeholders with real past times."""
    if not (isinstance(value, str) and value.startswith("{discovered-")):
        return value
    amount = value[len("{discovered-") : -1]
    delta = (
        timedelta(hours=int(amount[:-1]))
        if amount.endswith("h")
        else timedelta(days=int(amount[:-1]))
    )
    when = discovered - delta
    return (
        local_iso(when, tz)
        if amount.endswith("h")
        else when.astimezone(zone(tz)).date().isoformat()
    )


def run(db_url: str, console: Console, clock: Clock | None = None) -> list[str]:
    """File and drive every story and keep the village's ledger, up to ``clock``'s now
    (default: the wall clock); returns the report case ids."""
    ids = []
    with Engine.open(db_url, clock=clock) as engine:
        tz = engine.zone
        console.print(f"Policy pack in force: {engine.policy.id} (deadlines: `shouhu policy show`)")
        today = (
            engine.clock.now()
            .astimezone(zone(tz))
            .replace(hour=8, minute=30, second=0, microsecond=0)
        )
        base = today - timedelta(days=75)
        for n, story in enumerate(STORIES):
            reported = base + timedelta(days=n, hours=n % 3)
            case = file_story(engine, story, reported)
            refusals = []
            for hours, trigger, actor, step_data in story.steps:
                at = reported + timedelta(hours=hours)
                # What a running scheduler would have done by then: escalate missed duties.
                engine.run_due(at)
                case = engine.case(case.id)
                try:
                    case = engine.fire(
                        case.id,
                        trigger,
                        actor=actor,
                        occurred_at=at,
                        data=step_data,
                        expected_version=case.version,
                    )
                except TransitionRefused as refused:  # shown on purpose: the rules say no
                    refusals.append(f"{trigger} at +{hours:g}h: {refused}")
            ids.append(case.id)
            console.rule(f"[bold]{story.type}[/bold] — {story.title}")
            view = engine.case(case.id)
            zh, en = view.state_labels
            console.print(
                f"case {view.id} · {view.state} {zh} / {en}"
                + (f" · outcome {view.outcome}" if view.outcome else "")
                + f" · {view.version} events · head {view.head_hash_short}"
            )
            if view.deadlines:
                render_deadlines(console, list(view.deadlines), title="Deadlines", with_case=False)
            console.print(timeline_table(view, tz))
            print_notices(engine, console, view.id)
            for line in refusals:
                console.print(f"  [yellow]refused, nothing written[/yellow] — {line}")
        ids.append(holiday_case(engine, console))
        keep_ledger(engine, console, engine.clock.now())
    return ids


def file_story(engine: core.Engine, story: Story, reported: datetime) -> CaseView:
    """File the story's report at ``reported`` (discovered ``discovered_before`` earlier)."""
    discovered = reported - story.discovered_before
    return engine.report(
        story.type,
        child=story.child,
        location=story.location,
        reporter=story.reporter,
        discovered_at=discovered,
        occurred_at=reported,
        data={k: _expand(v, discovered, engine.zone) for k, v in story.report_data.items()},
    )


def print_notices(engine: core.Engine, console: Console, case_id: str) -> None:
    """Who was told what, when: the outbox notices the case's events wrote (no child's name)."""
    for n in engine.notices(case_id=case_id):
        event = n.payload.get("event", {})
        console.print(
            f"  told: [bold]{n.kind}[/bold] → {n.recipient} · at {event.get('trigger')} "
            f"{event.get('occurred_at')} · {n.payload.get('citation')}"
        )


#: Civil Code Art. 203 at work around the last National Day before today (2026: rest
#: 10-01…10-07, Sunday 09-20 a make-up working day; 2025: rest 10-01…10-08): the township
#: starts the assessment on 09-20, so its 15th day falls in the holiday.
HOLIDAY = Story(
    "Civil Code Art. 203: an assessment whose 15th day falls in the National Day holiday",
    "missing_child",
    {"name": "黄子涵", "birthdate": "2016-08-08"},
    "柳树村, 白石乡, 丰都县",
    {"kind": "school", "name": "白石乡中心小学"},
    timedelta(minutes=30),
    report_data={"last_seen_at": "{discovered-3h}", "last_seen_place": "放学路上"},
    steps=[
        (0.4, "dispatch", POLICE, {}),
        (0.5, "start_search", POLICE, {}),
        (5, "child_located", POLICE, {}),
        (5.5, "complete_emergency", POLICE, {}),
        (7, "notify_township", POLICE, {}),
        (25, "start_assessment", TOWNSHIP, {}),  # 09-20
        (
            24 * 19 + 6,  # 10-08: past the 15th day, in time by Art. 203
            "complete_assessment",
            TOWNSHIP,
            {
                "safety": "low",
                "guardianship": "medium",
                "health": "low",
                "participants": PARTICIPANTS,
            },
        ),
        (24 * 20, "close", TOWNSHIP, {"summary": "孩子平安，家长加强接送"}),
    ],
)


def holiday_reported(now: datetime) -> datetime:
    """09:00 on 19 September of the last year whose National Day holiday has passed by ``now``
    (with the assessment's weeks after it)."""
    year = now.year if (now.month, now.day) >= (10, 20) else now.year - 1
    return datetime.fromisoformat(f"{year}-09-19T09:00:00+08:00")


def holiday_case(engine: core.Engine, console: Console) -> str:
    """File :data:`HOLIDAY` on its fixed days and show the assessment's last day moved past
    the holiday by Art. 203 (the ``started`` effect in the hash says so)."""
    tz = engine.zone
    story, reported = HOLIDAY, holiday_reported(engine.clock.now().astimezone(zone(tz)))
    case = file_story(engine, story, reported)
    for hours, trigger, actor, data in story.steps:
        engine.fire(
            case.id, trigger, actor=actor, occurred_at=reported + timedelta(hours=hours), data=data
        )
    console.rule(f"[bold]{story.type}[/bold] — {story.title}")
    view = engine.case(case.id)
    render_deadlines(console, list(view.deadlines), title="Deadlines", with_case=False)
    met = {d["kind"]: d.get("met_at") for d in view.deadlines}
    for e in engine.history(case.id):
        for d in e.effects.get("deadlines", []):
            rest = d.get("rest_days")
            if (
                d.get("action") == "started"
                and rest
                and rest.get("extended_to") != rest.get("last_day")
            ):
                console.print(
                    f"  {d['kind']}: {d.get('period')} from {local_iso(e.occurred_at, tz)}; its "
                    f"last day {rest['last_day']} is a rest day, so Civil Code Art. 203 "
                    f"(民法典第二百零三条) moves it to {rest['extended_to']}: due "
                    f"{d.get('due_at')}, met {met.get(d['kind']) or '—'} "
                    f"({', '.join(rest['notices'])})"
                )
    return case.id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", default="sqlite:///demo.db", help="database URL (default demo.db)")
    parser.add_argument("--keep", action="store_true", help="keep an existing demo database")
    args = parser.parse_args(argv)
    if args.db.startswith("sqlite:///") and not args.keep:
        path = Path(args.db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    console = Console(width=140, highlight=False)
    try:
        ids = run(args.db, console)
    except ShouhuError as exc:
        print(f"shouhu demo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    console.rule()
    last_quarter = quarter_of(datetime.now().astimezone(), back=1)
    console.print(
        f"{len(ids)} reports of all six types and a village's ledger in {args.db}. Try:\n"
        f"  .venv/bin/shouhu --db {args.db} case list\n"
        f"  .venv/bin/shouhu --db {args.db} case show {ids[0]}\n"
        f"  .venv/bin/shouhu --db {args.db} case next {ids[0]}\n"
        f"  .venv/bin/shouhu --db {args.db} case list --type child_watch\n"
        f"  .venv/bin/shouhu --db {args.db} registry report --quarter {last_quarter}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
