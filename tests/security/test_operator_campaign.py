"""A seeded campaign of acts by every kind of operator on a governed database: each role in
scopes of two townships of one county, the county, another county and one village; some
operators disabled, some keys rotated (the old credential kept), tampered credentials
(another operator's key, another database's name) and a second database's credentials —
against cases in and out of each scope, with the triggers the case offers now and others.

Each attempt's acceptance is predicted here, independently of the engine's checks: the
credential is current, of an active operator of this database, AND the operator's role is
among the trigger's rows' roles from the case's state (the workflow definition) AND the
case's place lies in the operator's scope. The engine may refuse more (a guard, missing
data); it may never accept an attempt the prediction refuses, may raise nothing but a
:class:`~shouhu.ShouhuError`, and a refused attempt writes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shouhu import Engine, FakeClock, ShouhuError
from shouhu.engine.memory import MemoryStore
from shouhu.engine.signing import Credential
from shouhu.errors import NotAuthenticated, TransitionRefused

SEED = 15
ATTEMPTS = 10_000
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

QINGSHAN = "青山镇, 山城县"
BAISHUI = "白水镇, 山城县"
COUNTY = "山城县"
PINGAN = "平安县"
DONGSHAN = "东山镇, 平安县"
SHIQIAO = "石桥村, 青山镇, 山城县"

#: Where cases are: (village, township, county).
PLACES = (
    ("石桥村", "青山镇", "山城县"),
    ("东坡村", "青山镇", "山城县"),
    ("白水村", "白水镇", "山城县"),
    ("东山村", "东山镇", "平安县"),
)

#: Data that lets some triggers pass their fields (others get none, or the wrong ones).
DATA: dict[str, dict[str, Any]] = {
    "designate_entrusted_guardian": {"guardian_name": "王大爷"},
    "place_in_temporary_care": {"placement": "village_committee"},
    "stop_violence": {
        "seriously_hurt": False,
        "safety_threatened": True,
        "unattended_in_danger": False,
    },
    "complete_assessment": {
        "safety": "medium",
        "guardianship": "high",
        "health": "low",
        "participants": "civil_affairs,police,education,village_committee",
    },
    "arrange_assistance": {"services": "guardianship_guidance,psychological_counselling"},
    "close": {"summary": "帮扶到位"},
}
OTHER_TRIGGERS = (
    "dispatch",
    "close",
    "start_assessment",
    "notify_township",
    "revoke_guardianship",
    "run_due",
    "no_such_trigger",
    "report",
)


@dataclass(frozen=True)
class Holder:
    """A credential someone holds, and whether the registry should accept it now."""

    label: str
    credential: Any  # a Credential, or a claim that is not one
    role: str
    scope: str
    current: bool


def _covers(scope: str, place: tuple[str, str, str]) -> bool:
    """The scope ``VILLAGE, TOWNSHIP, COUNTY`` (or shorter; ``*`` everywhere) holds the place."""
    if scope == "*":
        return True
    parts = [p.strip() for p in scope.split(",")][::-1]  # county first
    return all(mine == theirs for mine, theirs in zip(parts, place[::-1], strict=False))


def _people(engine: Engine, clock: FakeClock) -> list[Holder]:
    _, root = engine.init_admin("省管理员")
    clock.advance(minutes=1)
    _, admin = engine.add_operator(root, "县管理员", role="admin", scope=COUNTY)
    clock.advance(minutes=1)
    out = [
        Holder("root admin", root, "admin", "*", True),
        Holder("admin", admin, "admin", COUNTY, True),
    ]
    plan = (
        ("police", QINGSHAN),
        ("police", BAISHUI),
        ("police", COUNTY),
        ("police", DONGSHAN),
        ("township", QINGSHAN),
        ("township", BAISHUI),
        ("township", DONGSHAN),
        ("civil_affairs", COUNTY),
        ("civil_affairs", PINGAN),
        ("village_committee", SHIQIAO),
        ("court", COUNTY),
        ("court", PINGAN),
        ("auditor", COUNTY),
        ("system", "*"),
    )
    for i, (role, scope) in enumerate(plan):
        by = root if scope in ("*", PINGAN, DONGSHAN) else admin
        _, cred = engine.add_operator(by, f"{role}{i}", role=role, scope=scope)
        out.append(Holder(f"{role} of {scope}", cred, role, scope, True))
    clock.advance(minutes=1)
    # disabled: a police officer and a township clerk of 青山镇
    for role in ("police", "township"):
        op, cred = engine.add_operator(admin, f"停用{role}", role=role, scope=QINGSHAN)
        clock.advance(minutes=1)
        engine.disable_operator(admin, op.id)
        out.append(Holder(f"disabled {role}", cred, role, QINGSHAN, False))
    # rotated: by the admin, and by the operator themselves; the old credential kept
    for role, self_rotated in (("police", False), ("township", True)):
        op, old = engine.add_operator(admin, f"换钥{role}", role=role, scope=QINGSHAN)
        clock.advance(minutes=1)
        new = engine.rotate_key(old if self_rotated else admin, op.id)
        out.append(Holder(f"rotated-away {role}", old, role, QINGSHAN, False))
        out.append(Holder(f"rotated {role}", new, role, QINGSHAN, True))
    clock.advance(minutes=1)
    police = next(h for h in out if h.label == f"police of {QINGSHAN}")
    township = next(h for h in out if h.label == f"township of {QINGSHAN}")
    p, t = police.credential, township.credential
    out += [
        Holder("police id, township key", Credential(p.operator_id, p.database, t.key), "police",
               QINGSHAN, False),
        Holder("police, other database name", Credential(p.operator_id, "0" * 64, p.key),
               "police", QINGSHAN, False),
        Holder("a name and role", {"name": "李警官", "role": "police"}, "police", "*", False),
        Holder("nothing", None, "police", "*", False),
    ]  # fmt: skip
    # another database's operators, their credentials brought here
    other = Engine(MemoryStore(), FakeClock(START), zone="Asia/Shanghai")
    _, root2 = other.init_admin("别库管理员")
    _, police2 = other.add_operator(root2, "别库警官", role="police", scope=QINGSHAN)
    out += [
        Holder("other database's admin", root2, "admin", "*", False),
        Holder("other database's police", police2, "police", QINGSHAN, False),
        Holder("other database's id, our police's key",
               Credential(police2.operator_id, police2.database, p.key), "police", QINGSHAN,
               False),
    ]  # fmt: skip
    return out


def _report(engine: Engine, rng: random.Random, n: int, credential: Any = None) -> str:
    village, township, county = rng.choice(PLACES)
    return engine.report(
        rng.choice(engine.workflows.types()),
        child={"name": f"孩子{n}", "birthdate": "2015-06-01"},
        location=f"{village}, {township}, {county}",
        reporter={"kind": "school", "name": "中心小学"},
        credential=credential,
    ).id


def _predicted(engine: Engine, holder: Holder, case_id: str, trigger: str) -> bool:
    case = engine.store.load(case_id)
    assert case is not None
    wf = engine.workflows.get(case.type, case.workflow_version)
    roles = {r for row in wf.rows(trigger) if case.state in row.sources for r in row.roles}
    place = (case.location.village, case.location.township, case.location.county)
    return (
        holder.current
        and holder.role != "system"
        and holder.role in roles
        and _covers(holder.scope, place)  # type: ignore[arg-type]
    )


def test_a_seeded_campaign_accepts_nothing_outside_role_scope_and_a_current_credential() -> None:
    rng = random.Random(SEED)
    clock = FakeClock(START)
    engine = Engine(MemoryStore(), clock, zone="Asia/Shanghai")
    holders = _people(engine, clock)
    current = [h for h in holders if h.current]
    children = 0
    cases: list[str] = []
    for _ in range(24):
        children += 1
        cases.append(_report(engine, rng, children))
    tally = {"accepted": 0, "refused": 0, "wrongly_accepted": 0, "tracebacks": 0, "wrote": 0}
    refusals: dict[str, int] = {}
    wrong: list[Any] = []
    misjudged: list[Any] = []
    crashes: list[str] = []
    accepted_by: dict[str, int] = {}
    for _ in range(ATTEMPTS):
        clock.advance(minutes=rng.randint(1, 30))
        holder = rng.choice(current if rng.random() < 0.5 else holders)
        before = engine.store.events_recorded()
        if rng.random() < 0.03:  # a report filed with the credential
            children += 1
            # anyone may report: without a credential, an anonymous report
            ok_expected = holder.credential is None or (
                holder.current and isinstance(holder.credential, Credential)
            )
            try:
                cases.append(_report(engine, rng, children, holder.credential))
            except ShouhuError as exc:
                tally["refused"] += 1
                refusals[type(exc).__name__] = refusals.get(type(exc).__name__, 0) + 1
                tally["wrote"] += engine.store.events_recorded() != before
                if ok_expected and isinstance(exc, NotAuthenticated):
                    misjudged.append((holder.label, "report", exc.message))
                continue
            except Exception as exc:  # counted: there must be none
                tally["tracebacks"] += 1
                crashes.append(repr(exc))
                continue
            tally["accepted"] += 1
            tally["wrongly_accepted"] += not ok_expected
            if not ok_expected:
                wrong.append((holder.label, "report"))
            continue
        case_id = rng.choice(cases)
        case = engine.store.load(case_id)
        assert case is not None
        offered = [o.trigger for o in engine.next(case_id)]
        if offered and rng.random() < 0.7:
            trigger = rng.choice(offered)
        else:
            trigger = rng.choice(OTHER_TRIGGERS)
        expected = _predicted(engine, holder, case_id, trigger)
        version = case.version
        try:
            engine.fire(case_id, trigger, actor=holder.credential, data=DATA.get(trigger))
        except ShouhuError as exc:
            tally["refused"] += 1
            kind = getattr(exc, "rule", None) or type(exc).__name__
            refusals[kind] = refusals.get(kind, 0) + 1
            after = engine.store.load(case_id)
            assert after is not None
            tally["wrote"] += engine.store.events_recorded() != before or after.version != version
            # refused for what the prediction does not weigh (a guard, data, the state): not
            # for who acts, nor where
            who_or_where = isinstance(exc, NotAuthenticated) or (
                isinstance(exc, TransitionRefused) and exc.rule in ("role", "scope")
            )
            if expected and who_or_where:
                misjudged.append((holder.label, trigger, exc.message))
            continue
        except Exception as exc:  # counted: there must be none
            tally["tracebacks"] += 1
            crashes.append(repr(exc))
            continue
        tally["accepted"] += 1
        tally["wrongly_accepted"] += not expected
        if not expected:
            wrong.append((holder.label, trigger, case.state, str(case.location), case.type))
        accepted_by[holder.label] = accepted_by.get(holder.label, 0) + 1
        if rng.random() < 0.1:  # keep cases to act on
            children += 1
            cases.append(_report(engine, rng, children))
    assert tally["wrongly_accepted"] == 0, (tally, wrong)
    assert tally["tracebacks"] == 0, (tally, crashes[:5])
    assert misjudged == []
    assert tally["wrote"] == 0, tally
    assert tally["accepted"] + tally["refused"] == ATTEMPTS, tally
    # the campaign reached every refusal it is about, and moved cases
    assert tally["accepted"] >= 500, tally
    for kind in ("NotAuthenticated", "role", "scope"):
        assert refusals.get(kind, 0) >= 100, refusals
    assert not any(h.label in accepted_by for h in holders if not h.current)
    for label in ("rotated police", "rotated township", f"police of {QINGSHAN}"):
        assert accepted_by.get(label, 0) > 0, accepted_by
    v = engine.verify()
    assert v.ok, v.to_dict()
    assert v.signed + v.anonymous >= tally["accepted"]  # the anonymous: reports without one
