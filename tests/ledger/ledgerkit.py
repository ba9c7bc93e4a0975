"""A seeded ledger of people with a plan of what happens to each, and a hand count of the plan.

The plan is drawn first (who, where, when registered, which months visited, when they leave);
the engine is then driven through it in time order, with the scheduler sweeping now and then;
the hand count reads only the plan, with plain calendar arithmetic, never the engine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shouhu import Engine, FakeClock

ZONE = ZoneInfo("Asia/Shanghai")
VC = {"name": "村儿童主任", "role": "village_committee"}
TOWNSHIP = {"name": "镇民政办", "role": "township"}
PLACES = {
    "白水镇": ("青山村", "河口村", "石桥村"),
    "桂花镇": ("东岭村", "西岭村"),
}
MONTHS = ("2026-01", "2026-02", "2026-03")
Q_START = datetime(2026, 1, 1, tzinfo=ZONE)
Q_END = datetime(2026, 4, 1, tzinfo=ZONE)
KIND = {"child": "children", "woman": "women", "elderly": "elderly"}
VISIT = {"child": "record_visit", "elderly": "regular_visit"}
CLOSING = {
    "child": ("parents_returned", "moved_away"),
    "woman": ("husband_returned", "moved_away"),
    "elderly": ("family_returned", "moved_away", "deceased"),
}


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZONE)


def month_start(month: str) -> datetime:
    y, m = (int(x) for x in month.split("-"))
    return at(y, m, 1)


def next_month_start(month: str) -> datetime:
    y, m = (int(x) for x in month.split("-"))
    return at(y + (m == 12), m % 12 + 1, 1)


@dataclass
class Person:
    index: int
    kind: str
    township: str
    village: str
    registered: datetime
    birthdate: date
    leaves: datetime | None = None  # a closing trigger at this time
    closing: str | None = None
    visits: list[datetime] = field(default_factory=list)
    updates: list[datetime] = field(default_factory=list)
    contacts: list[datetime] = field(default_factory=list)
    reports: list[datetime] = field(default_factory=list)
    case_id: str = ""

    @property
    def ages_out(self) -> datetime | None:
        """00:00 on the day after the 16th birthday (children only)."""
        if self.kind != "child":
            return None
        b = self.birthdate
        return datetime.combine(
            b.replace(year=b.year + 16) + timedelta(days=1), datetime.min.time(), ZONE
        )

    @property
    def exit(self) -> datetime | None:
        """When the person leaves the ledger: the closing trigger or ageing out, the first."""
        times = [t for t in (self.leaves, self.ages_out) if t is not None]
        return min(times) if times else None


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole minute in [start, end), never on a month's first instant."""
    span = int((end - start).total_seconds() // 60)
    return start + timedelta(minutes=rng.randrange(1, span))


def plan(n: int, seed: int) -> list[Person]:
    """``n`` people registered between 2025-11 and 2026-04-20, with their quarter drawn."""
    rng = random.Random(seed)
    people: list[Person] = []
    for i in range(n):
        kind = rng.choices(("child", "woman", "elderly"), (6, 2, 2))[0]
        township = rng.choice(sorted(PLACES))
        village = rng.choice(PLACES[township])
        registered = _moment(rng, at(2025, 11, 1), at(2026, 4, 20))
        if kind == "child":
            if rng.random() < 0.08:  # turns 16 in the quarter (some on a month's last day)
                birth = rng.choice((date(2010, 1, 31), date(2010, 2, 28), date(2010, 3, 31)))
                if rng.random() < 0.5:
                    birth = date(2010, rng.randint(1, 3), rng.randint(1, 28))
            else:
                birth = date(rng.randint(2011, 2019), rng.randint(1, 12), rng.randint(1, 28))
        elif kind == "woman":
            birth = date(rng.randint(1975, 2000), rng.randint(1, 12), rng.randint(1, 28))
        else:
            birth = date(rng.randint(1935, 1960), rng.randint(1, 12), rng.randint(1, 28))
        p = Person(i, kind, township, village, registered, birth)
        if p.ages_out is not None and p.ages_out <= registered:
            p.birthdate = date(2014, 6, 1)  # would be refused: a younger child instead
        if rng.random() < 0.12:
            p.leaves = _moment(rng, registered, at(2026, 4, 25))
            p.closing = rng.choice(CLOSING[kind])
        end = min(t for t in (p.exit, at(2026, 4, 28)) if t is not None)
        months = ("2025-11", "2025-12", *MONTHS, "2026-04")
        for month in months:
            lo, hi = max(month_start(month), registered), min(next_month_start(month), end)
            if lo >= hi:
                continue
            if kind in VISIT and rng.random() < 0.7:
                p.visits += sorted(_moment(rng, lo, hi) for _ in range(rng.choice((1, 1, 2))))
            if kind == "woman" and rng.random() < 0.4:
                p.contacts.append(_moment(rng, lo, hi))
            if kind == "child" and rng.random() < 0.02:
                p.reports.append(_moment(rng, lo, hi))
        for q0, q1 in ((at(2025, 10, 1), Q_START), (Q_START, Q_END), (Q_END, at(2026, 7, 1))):
            lo, hi = max(q0, registered), min(q1, end)
            if lo < hi and rng.random() < 0.6:
                p.updates.append(_moment(rng, lo, hi))
        people.append(p)
    return people


def drive(engine: Engine, clock: FakeClock, people: list[Person], seed: int) -> None:
    """Every planned action in time order, the scheduler sweeping about every ten days."""
    rng = random.Random(seed + 1)
    actions: list[tuple[datetime, int, str, Person]] = []
    for p in people:
        actions.append((p.registered, 0, "register", p))
        if p.leaves is not None and (p.ages_out is None or p.leaves < p.ages_out):
            actions.append((p.leaves, 2, "leave", p))
        for t in p.visits:
            actions.append((t, 1, "visit", p))
        for t in p.updates:
            actions.append((t, 1, "update", p))
        for t in p.contacts:
            actions.append((t, 1, "contact", p))
        for t in p.reports:
            actions.append((t, 1, "report", p))
    sweep = at(2025, 11, 5) + timedelta(hours=rng.randrange(240))
    for when, _, what, p in sorted(actions, key=lambda a: (a[0], a[1], a[3].index)):
        while sweep <= when:
            clock.set(sweep)
            engine.run_due()
            sweep += timedelta(hours=rng.randrange(24, 480))
        clock.set(when)
        _act(engine, what, p)


def _act(engine: Engine, what: str, p: Person) -> None:
    if what == "register":
        data: dict[str, Any] = {}
        if p.kind == "child":
            data = {"parents_away": "both", "guardian": "祖母"}
        elif p.kind == "woman":
            data = {"husband_away_since": "2025-01-10"}
        p.case_id = engine.register(
            p.kind,
            person={"name": f"留守{p.kind}{p.index}", "birthdate": p.birthdate.isoformat()},
            location=f"{p.village}, {p.township}",
            actor=VC,
            data=data,
        ).id
        return
    trigger, actor, data = {
        "visit": (VISIT.get(p.kind, ""), VC, {"notes": "走访"}),
        "update": ("update_ledger", TOWNSHIP, {"notes": "更新"}),
        "contact": ("record_contact", TOWNSHIP, {"notes": "联系"}),
        "report": ("raise_report", VC, {"type": "solo_living"}),
        "leave": (p.closing or "", VC, {"notes": "出册"}),
    }[what]
    engine.fire(p.case_id, trigger, actor=actor, data=data)


# --- the hand count --------------------------------------------------------------------------


def _in(t: datetime, lo: datetime, hi: datetime) -> bool:
    return lo <= t < hi


def _duty(p: Person, done_at: list[datetime], lo: datetime, hi: datetime) -> str | None:
    """A period [lo, hi) duty of someone registered before it: done, missed, or not counted
    (the person left inside the period without the duty done: cancelled)."""
    x = p.exit
    if p.registered >= lo or (x is not None and x <= lo):
        return None
    until = hi if x is None else min(hi, x)
    if any(_in(t, lo, until) for t in done_at):
        return "done"
    if x is not None and x < hi:
        return None
    return "missed"


def hand_count(people: list[Person]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (township, village): the figures of the 2026Q1 return, counted from the plan."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for p in people:
        if p.registered >= Q_END:
            continue
        c = out.setdefault((p.township, p.village), _empty())
        k = KIND[p.kind]
        x = p.exit
        if x is None or x >= Q_END:
            c["on_ledger"][k] += 1
        if _in(p.registered, Q_START, Q_END):
            c["entries"][k] += 1
        if x is not None and _in(x, Q_START, Q_END):
            c["exits"][k] += 1
        c["update_events"] += sum(_in(t, Q_START, Q_END) for t in p.updates)
        c["reports_raised"] += sum(_in(t, Q_START, Q_END) for t in p.reports)
        if p.kind in VISIT:
            who = "children" if p.kind == "child" else "elderly"
            for m in MONTHS:
                got = _duty(p, p.visits, month_start(m), next_month_start(m))
                if got is not None:
                    c["visits"][who][m]["due"] += 1
                    c["visits"][who][m][got] += 1
        got = _duty(p, p.updates, Q_START, Q_END)
        if got is not None:
            c["updates"]["due"] += 1
            c["updates"][got] += 1
    return out


def _empty() -> dict[str, Any]:
    kinds = dict.fromkeys(KIND.values(), 0)

    def duty() -> dict[str, int]:
        return {"due": 0, "done": 0, "missed": 0, "open": 0}

    return {
        "on_ledger": dict(kinds),
        "entries": dict(kinds),
        "exits": dict(kinds),
        "visits": {w: {m: duty() for m in MONTHS} for w in ("children", "elderly")},
        "updates": duty(),
        "update_events": 0,
        "reports_raised": 0,
    }


def engine_figures(village: dict[str, Any]) -> dict[str, Any]:
    """A village of ``registry report --json`` in the hand count's shape."""
    updates = dict(village["ledger_updates"])
    return {
        "on_ledger": village["on_ledger"],
        "entries": village["entries"],
        "exits": village["exits"],
        "visits": village["visits"],
        "updates": {k: updates[k] for k in ("due", "done", "missed", "open")},
        "update_events": updates["events"],
        "reports_raised": village["reports_raised"],
    }


def seeded(url: str | None, n: int, seed: int, *, until: datetime) -> tuple[Engine, list[Person]]:
    """An engine (in memory, or on ``url``) driven through a plan of ``n`` people."""
    people = plan(n, seed)
    clock = FakeClock(at(2025, 10, 31).astimezone(UTC))
    engine = Engine.in_memory(clock=clock) if url is None else Engine.open(url, clock=clock)
    drive(engine, clock, people, seed)
    clock.set(until.astimezone(UTC))
    return engine, people
