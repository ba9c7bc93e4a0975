"""A typed embedder: the smallest program that uses shouhu as a library.

It opens an in-memory engine on a fake clock, files a report, reads what may happen next,
fires a trigger, reads the history and verifies the hash chain. The test suite runs it and
type-checks it with ``mypy --strict`` from outside the checkout
(tests/packaging/test_typed_embedder.py), so it shows what a type checker sees of shouhu
when it is installed.

    python examples/embedder.py
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shouhu import CaseView, Engine, EventView, FakeClock, TriggerOption, Verification

CST = timezone(timedelta(hours=8))  # Asia/Shanghai, the engine's default zone


def main() -> int:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=CST))
    with Engine.in_memory(clock=clock) as engine:
        case: CaseView = engine.report(
            "solo_living",
            child={"name": "李小明", "birthdate": "2015-06-01"},
            location="石桥村, 桂花镇, 咸安区",
            reporter={"kind": "school", "name": "桂花镇中心小学"},
            discovered_at="2026-03-02T08:30",
        )
        options: list[TriggerOption] = engine.next(case.id)
        triggers = sorted(o.trigger for o in options)
        print(f"case {case.id}: {case.state}; next: {', '.join(triggers)}")

        clock.advance(minutes=20)
        case = engine.fire(case.id, "dispatch", actor={"name": "王警官", "role": "police"})
        history: list[EventView] = engine.history(case.id)
        for event in history:
            print(f"  {event.seq} {event.trigger}: {event.from_state} → {event.to_state}")

        checked: Verification = engine.verify(case.id)
        print(f"verified: {checked.ok} ({checked.events} events)")
        return 0 if case.state == "dispatched" and checked.ok and len(history) == 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
