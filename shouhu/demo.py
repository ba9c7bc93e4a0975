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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from shouhu.api import Engine
from shouhu.cli.render import render_deadlines, state_words, timeline_table
from shouhu.cli.render_reports import render_ledger_return, render_screening
from shouhu.demo_cast import Cast, credentials_folder, forget
from shouhu.demo_stories import (  # the demo's people and stories, as data
    HOLIDAY,
    LEDGER_PLACE,
    STORIES,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_LEDGER,
    Story,
)
from shouhu.engine import core
from shouhu.engine.clock import Clock
from shouhu.engine.timeutil import local_iso, zone
from shouhu.engine.views import CaseView
from shouhu.errors import ShouhuError, TransitionRefused
from shouhu.i18n import _

#: The county of every story and of the ledger: the admin's scope.
COUNTY = "丰都县"


def _months_later(day: datetime, months: int, at_day: int, hour: int) -> datetime:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=at_day, hour=hour, minute=0)


def quarter_of(day: datetime, back: int = 0) -> str:
    """``2026Q4``: the quarter holding ``day`` (local), or ``back`` quarters before it."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    return f"{index // 4}Q{index % 4 + 1}"


def keep_ledger(engine: core.Engine, console: Console, now: datetime, cast: Cast) -> list[str]:
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
            actor=cast.credential(VILLAGE, LEDGER_PLACE),
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
            engine.fire(
                case_id,
                trigger,
                actor=cast.credential(actor, LEDGER_PLACE),
                occurred_at=at,
                data=data,
            )
    engine.run_due(now)
    console.rule(_("[bold]The ledger (台账)[/bold] — 石桥村, 青山镇: children, women and elders"))
    console.print(
        _(
            "{n} people registered on {day}; the village committee's visits month by month, "
            "the township's updates, the scheduler recording every month that ended without a "
            "visit."
        ).format(n=len(ids), day=local_iso(registered, tz)[:10])
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
        console.print(
            _("Policy pack in force: {pack} (deadlines: `shouhu policy show`)").format(
                pack=engine.policy.id
            )
        )
        folder = credentials_folder(db_url)
        forget(folder)
        cast = Cast(engine, COUNTY, folder)
        engine.credential = cast.system()  # the scheduler's own acts are signed by it
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
                        actor=cast.credential(actor, story.location),
                        occurred_at=at,
                        data=step_data,
                        expected_version=case.version,
                    )
                except TransitionRefused as refused:  # shown on purpose: the rules say no
                    refusals.append(
                        _("{trigger} at +{hours:g}h: {refused}").format(
                            trigger=trigger, hours=hours, refused=refused
                        )
                    )
            ids.append(case.id)
            console.rule(f"[bold]{story.type}[/bold] — {_(story.title)}")
            view = engine.case(case.id)
            zh, en = view.state_labels
            console.print(
                _("case {id} · {state} {words}").format(
                    id=view.id, state=view.state, words=state_words(zh, en)
                )
                + (_(" · outcome {outcome}").format(outcome=view.outcome) if view.outcome else "")
                + _(" · {n} events · head {head}").format(n=view.version, head=view.head_hash_short)
            )
            if view.deadlines:
                render_deadlines(
                    console, list(view.deadlines), title=_("Deadlines"), with_case=False
                )
            console.print(timeline_table(view, tz))
            print_notices(engine, console, view.id)
            for line in refusals:
                console.print(
                    _("  [yellow]refused, nothing written[/yellow] — {line}").format(line=line)
                )
        ids.append(holiday_case(engine, console, cast))
        cast.credential({"name": "县审计 监督检查员", "role": "auditor"}, LEDGER_PLACE)
        keep_ledger(engine, console, engine.clock.now(), cast)
        show_operators(console, cast)
    return ids


def show_operators(console: Console, cast: Cast) -> None:
    """Who acted: the operators the demo made, and where their credentials are."""
    console.rule(_("[bold]Operators (运行人员)[/bold] — every act above is signed by one of them"))
    for op in cast.engine.operators():
        console.print(
            _("  {role:<18} {body} {name} · scope {scope}").format(
                role=op.role, body=op.body, name=op.name, scope=op.scope
            )
        )
    console.print(
        _(
            "  credentials (0600) in {folder}/: act as one with --as, e.g. --as {police}; "
            "reports were filed without one (anonymous reports)"
        ).format(folder=cast.folder, police=cast.paths["police"])
    )


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
            _("  told: [bold]{kind}[/bold] → {recipient} · at {trigger} {at} · {citation}").format(
                kind=n.kind,
                recipient=n.recipient,
                trigger=event.get("trigger"),
                at=event.get("occurred_at"),
                citation=n.payload.get("citation"),
            )
        )


def holiday_reported(now: datetime) -> datetime:
    """09:00 on 19 September of the last year whose National Day holiday has passed by ``now``
    (with the assessment's weeks after it)."""
    year = now.year if (now.month, now.day) >= (10, 20) else now.year - 1
    return datetime.fromisoformat(f"{year}-09-19T09:00:00+08:00")


def holiday_case(engine: core.Engine, console: Console, cast: Cast) -> str:
    """File :data:`HOLIDAY` on its fixed days and show the assessment's last day moved past
    the holiday by Art. 203 (the ``started`` effect in the hash says so)."""
    tz = engine.zone
    story, reported = HOLIDAY, holiday_reported(engine.clock.now().astimezone(zone(tz)))
    case = file_story(engine, story, reported)
    for hours, trigger, actor, data in story.steps:
        engine.fire(
            case.id,
            trigger,
            actor=cast.credential(actor, story.location),
            occurred_at=reported + timedelta(hours=hours),
            data=data,
        )
    console.rule(f"[bold]{story.type}[/bold] — {_(story.title)}")
    view = engine.case(case.id)
    render_deadlines(console, list(view.deadlines), title=_("Deadlines"), with_case=False)
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
                    _(
                        "  {kind}: {period} from {start}; its last day {last_day} is a rest day, "
                        "so Civil Code Art. 203 (民法典第二百零三条) moves it to {extended_to}: "
                        "due {due_at}, met {met} ({notices})"
                    ).format(
                        kind=d["kind"],
                        period=d.get("period"),
                        start=local_iso(e.occurred_at, tz),
                        last_day=rest["last_day"],
                        extended_to=rest["extended_to"],
                        due_at=d.get("due_at"),
                        met=met.get(d["kind"]) or "—",
                        notices=", ".join(rest["notices"]),
                    )
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
        print(_("shouhu demo: error: {error}").format(error=exc), file=sys.stderr)
        return exc.exit_code
    console.rule()
    last_quarter = quarter_of(datetime.now().astimezone(), back=1)
    folder = credentials_folder(args.db)
    see = f"--as {folder}/auditor.json"
    act = f"--as {folder}/police.json"
    console.print(
        _(
            "{n} reports of all six types and a village's ledger in {db}, every act signed by "
            "its operator. Try:"
        ).format(n=len(ids), db=args.db)
        + "\n"
        f"  .venv/bin/shouhu --db {args.db} {see} case list\n"
        f"  .venv/bin/shouhu --db {args.db} {see} case show {ids[0]}\n"
        f"  .venv/bin/shouhu --db {args.db} {act} case next {ids[0]}\n"
        f"  .venv/bin/shouhu --db {args.db} {act} case fire CASE TRIGGER\n"
        f"  .venv/bin/shouhu --db {args.db} audit verify\n"
        f"  .venv/bin/shouhu --db {args.db} {see} case list --type child_watch\n"
        f"  .venv/bin/shouhu --db {args.db} registry report --quarter {last_quarter}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
