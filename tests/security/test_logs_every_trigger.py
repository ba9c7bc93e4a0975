"""No log line carries personal data, whatever the event: every trigger of every workflow.

For each workflow the test reaches each trigger by the shortest path the definition allows,
fires it with data of every field (names where a field holds a name), trying each choice of a
choice field until the rules accept it, then lets the scheduler fire what falls due over a year
(missed duties, the six-month maturity, a child turning 16, an orphan turning 18, the court's new
guardian on the watch, under the pack cn-national-default@2026.2). Every trigger of every workflow
must have been recorded at least once, and every line logged at DEBUG, as console text and as
JSON, is searched for the child's name, birthdate (both spellings), id number and the
guardian's name. Notices are searched too.
"""

from __future__ import annotations

import io
import json
import sys
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shouhu import Engine, FakeClock, ShouhuError, workflows
from shouhu.adapters.logging import configure
from shouhu.engine.policy import parse_pack, shipped_packs
from shouhu.workflows.spec import FieldDef, TransitionDef, WorkflowDef
from tests.security.test_security import CHILD, GUARDIAN, SECRETS

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: The pack with the ledger's turns_18 and holiday_handover (child_watch v2).
NATIONAL = parse_pack(shipped_packs()["cn-national-default@2026.2"])
PLACE = "石桥村, 青山镇"
VC = {"name": "石桥村委会", "role": "village_committee"}


def shortest_paths(wf: WorkflowDef) -> dict[str, list[TransitionDef]]:
    """For each state, the shortest list of (non-system) transitions leading to it."""
    best: dict[str, list[TransitionDef]] = {wf.initial: []}
    queue = deque([wf.initial])
    while queue:
        state = queue.popleft()
        for t in wf.transitions:
            if t.kind == "system" or t.dest is None or state not in t.sources:
                continue
            if t.dest not in best:
                best[t.dest] = [*best[state], t]
                queue.append(t.dest)
    return best


def value(f: FieldDef, now: datetime, choice: int = 0) -> Any:
    if f.kind == "name":
        return GUARDIAN
    if f.kind == "choice":
        return f.choices[choice % len(f.choices)]
    if f.kind == "choices":
        return [f.choices[choice % len(f.choices)]]
    if f.kind == "datetime":
        return (now - timedelta(hours=1)).isoformat()
    if f.kind == "date":
        return "2025-06-01"
    if f.kind == "bool":
        return True
    return "经办记录"


def variants(fields: tuple[FieldDef, ...], now: datetime) -> list[dict[str, Any]]:
    """Every field filled, then only the required ones (and names); each with each choice of
    each choice field in turn."""
    given = [f for f in fields if not f.by_engine]
    out = []
    for keep in (given, [f for f in given if f.required or f.kind == "name"]):
        base = {f.name: value(f, now) for f in keep}
        out.append(base)
        for f in keep:
            if f.kind in ("choice", "choices"):
                out += [{**base, f.name: value(f, now, i)} for i in range(1, len(f.choices))]
    return out


STEMS = "甲乙丙丁戊己庚辛壬癸"


def open_case(
    engine: Engine,
    wf: WorkflowDef,
    birthdate: str | None = None,
    reporter: dict[str, str] | None = None,
    late: bool = False,
) -> str:
    n = sum(1 for _ in engine.cases())
    if wf.opening == "open_returns":  # a township's quarterly submissions: a township each
        day = engine.clock.now().date()
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        township = {"name": "青山镇 督导员", "role": "township"}
        return engine.submit_return(f"青山镇{n}", quarter, actor=township).id
    if wf.opening == "register":
        kind = wf.type.split("_")[0]
        birth = {"child": CHILD["birthdate"], "woman": "1990-05-01", "elderly": "1950-05-01"}
        # one open watch per person: a name each (n, the cases so far)
        person = {
            "name": CHILD["name"] + STEMS[n // 10 % 10] + STEMS[n % 10],
            "birthdate": birthdate or birth[kind],
        }
        if kind == "child" and n == 0:
            person["id_number"] = CHILD["id_number"]
        data = {
            "child": {"parents_away": "both", "guardian": GUARDIAN},
            "woman": {"husband_away_since": "2025-01-01"},
            "elderly": {},
        }[kind]
        return engine.register(kind, person=person, location=PLACE, actor=VC, data=data).id
    data = {f.name: value(f, engine.clock.now()) for f in wf.report_data}
    return engine.report(
        wf.type,
        child=CHILD,
        location=PLACE,
        reporter=reporter or {"kind": "school", "name": "青山镇中心小学"},
        # a late one: its superior organ is told (late_report), without the child
        discovered_at=engine.clock.now() - (timedelta(days=2) if late else timedelta(minutes=20)),
        data=data,
        new_case=True,  # the one child, a case for each path
    ).id


def fire(engine: Engine, clock: FakeClock, case_id: str, t: TransitionDef, wf: WorkflowDef) -> bool:
    """Fire ``t`` with the first data variant the rules accept; whether one was."""
    clock.advance(minutes=30)
    for data in variants(wf.fields(t.trigger), clock.now()):
        for role in t.roles:
            try:
                engine.fire(case_id, t.trigger, actor={"name": "经办人", "role": role}, data=data)
            except ShouhuError:
                continue
            return True
    return False


def advance(
    engine: Engine, clock: FakeClock, case_id: str, t: TransitionDef, wf: WorkflowDef
) -> None:
    """Fire ``t``; if a guard wants measures or facts first, record those the state allows
    (each once), then try again."""
    if fire(engine, clock, case_id, t, wf):
        return
    state = engine.case(case_id).state
    for stay in wf.transitions:
        if stay.dest is None and stay.kind != "system" and state in stay.sources:
            fire(engine, clock, case_id, stay, wf)
    fire(engine, clock, case_id, t, wf)


def exercise(engine: Engine, clock: FakeClock, wf: WorkflowDef) -> None:
    """Each non-system trigger from a fresh case, then a year of sweeps on a few more."""
    paths = shortest_paths(wf)
    for t in wf.transitions:
        if t.kind == "system":
            continue
        source = min((s for s in t.sources if s in paths), key=lambda s: len(paths[s]))
        # praise is for a citizen's report (001 §四(三)1)
        citizen = {"kind": "citizen", "name": "村民"} if t.trigger == "commend_reporter" else None
        case_id = open_case(engine, wf, reporter=citizen)
        if t.trigger in ("petition_restoration", "record_restoration_decision"):
            # restoration follows a revocation (Civil Code Art. 38): the court revokes first
            court = next(r for r in wf.transitions if r.when == ("outcome", "revoked"))
            for step in paths[court.sources[0]]:
                advance(engine, clock, case_id, step, wf)
            clock.advance(minutes=30)
            engine.fire(  # not for an intentional crime against the child, which bars it
                case_id,
                court.trigger,
                actor={"name": "法官", "role": "court"},
                data={"outcome": "revoked", "new_guardian": GUARDIAN, "intentional_crime": False},
            )
        for step in paths[source]:
            if engine.case(case_id).state in step.sources:
                advance(engine, clock, case_id, step, wf)
        advance(engine, clock, case_id, t, wf)
    # the scheduler's own events: missed duties, maturities, ageing out
    open_case(engine, wf, late=True)
    if wf.type == "child_watch":
        open_case(engine, wf, birthdate="2010-06-01")
    nonperforming = open_case(engine, wf)
    for t in wf.transitions:
        if t.trigger == "record_nonperformance":
            paths_to = [s for s in t.sources if s in paths]
            for step in paths[min(paths_to, key=lambda s: len(paths[s]))]:
                advance(engine, clock, nonperforming, step, wf)
            advance(engine, clock, nonperforming, t, wf)
    if wf.type == "child_watch":
        court_decides_about_the_first_child(engine, clock)
        # an orphan who turns 18 within the sweeps below (turns_18, pack 2026.2)
        engine.register(
            "child",
            person={"name": CHILD["name"] + "孤", "birthdate": "2008-09-01"},
            location=PLACE,
            actor=VC,
            data={"category": "orphan", "father": "deceased", "mother": "deceased"},
        )
    for _ in range(14):
        clock.advance(days=30)
        engine.run_due()
    rejudged(engine, clock, wf)


def rejudged(engine: Engine, clock: FakeClock, wf: WorkflowDef) -> None:
    """Civil Code Art. 203 re-judged: a (test) duty of 15 days, started now (2027), flagged
    under a pack without 2027's rest days, then re-judged under one that has them (a TEST
    FIXTURE calendar, not the law)."""
    meets = next(t.trigger for t in wf.transitions if t.dest is None and t.kind != "system")
    probe = (
        '[pack]\nname = "probe"\nversion = "1"\nextends = "cn-national-default@2026.2"\n'
        f'[deadlines.probe]\nkind = "duty"\nperiod = "P15D"\napplies_to = ["{wf.type}"]\n'
        f'starts_on = ["{wf.opening}"]\nmet_by = ["{meets}"]\ncancelled_by = []\n'
        'basis = "local"\ncitation = "test"\n'
    )
    year = '[calendar.2027]\nrest = ["2027-05-01/2027-05-05"]\ncitation = "TEST FIXTURE"\n'
    before = Engine(engine.store, clock, zone="Asia/Shanghai", policy=parse_pack(probe, "p.toml"))
    open_case(before, wf)
    after = parse_pack(probe.replace('"1"', '"2"', 1) + year, "p2.toml")
    Engine(engine.store, clock, zone="Asia/Shanghai", policy=after).rejudge()  # as a daemon starts


def court_decides_about_the_first_child(engine: Engine, clock: FakeClock) -> None:
    """A report about the first watched child (the same id number) taken to the court, whose
    new guardian the watch records (guardian_changed)."""
    report = workflows.latest("guardian_nonperformance")
    court = next(t for t in report.transitions if t.when == ("outcome", "revoked"))
    case_id = open_case(engine, report)
    for step in shortest_paths(report)[court.sources[0]]:
        advance(engine, clock, case_id, step, report)
    advance(engine, clock, case_id, court, report)


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_no_log_line_of_any_trigger_of_any_workflow_carries_personal_data(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure(fmt=fmt, level="debug")
    recorded: dict[str, set[str]] = {}
    notices: list[str] = []
    for type_ in workflows.all_types():
        wf = workflows.latest(type_)
        clock = FakeClock(START)
        with Engine.in_memory(clock=clock, zone="Asia/Shanghai", policy=NATIONAL) as engine:
            exercise(engine, clock, wf)
            recorded[type_] = {
                e.trigger for c in engine.cases(type=type_) for e in engine.case(c.id).history
            }
            notices += [json.dumps(n.payload, ensure_ascii=False) for n in engine.notices()]
    missing = {
        t: sorted(set(workflows.latest(t).triggers) - recorded[t]) for t in workflows.all_types()
    }
    missing = {t: m for t, m in missing.items() if m}
    assert not missing, missing
    logged = out.getvalue()
    assert logged.count("\n") > 500  # every event and sweep was logged, at DEBUG
    for secret in SECRETS:
        assert secret not in logged, secret
        for text in notices:
            assert secret not in text, (secret, text[:200])
