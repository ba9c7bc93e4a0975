"""`make demo` is the main job: it must keep working and show all six report types."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from shouhu import Engine, FakeClock, workflows
from shouhu.demo import STORIES, VILLAGE_LEDGER, run


def test_demo_files_all_six_types_and_drives_each_to_closed(tmp_path: Path) -> None:
    """Every report type appears, every case ends closed, and the timelines are printed."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = io.StringIO()
    ids = run(url, Console(file=out, width=200))
    assert len(ids) == len(STORIES)
    with Engine.open(url) as engine:
        views = [engine.case(i) for i in ids]
    assert {v.type for v in views} == set(workflows.types())
    assert all(v.state == "closed" for v in views)
    assert {v.outcome for v in views} == {"resolved", "unfounded"}
    text = out.getvalue()
    for v in views:
        assert f"Timeline of {v.id}" in text
    # The demo shows the rules refusing, with the rule and its citation.
    assert "refused by rule guard ground_holds (001 §四(三)4)" in text
    assert "refused by rule guard violence_stopped_and_child_safe (001 §四(三)2)" in text
    # No child's name is printed in the timelines (identity withheld by default).
    for story in STORIES:
        assert story.child["name"] not in text


@pytest.mark.parametrize(
    "today",
    [None, "2026-01-01T00:30", "2026-03-31T23:30", "2026-07-15T12:00", "2027-02-28T08:00"],
)
def test_demo_keeps_a_village_ledger_beside_the_reports(tmp_path: Path, today: str | None) -> None:
    """Children, women and elders of one village are registered, visited month by month
    (one child ages out, one family returns), and the quarter's return and the screening plan
    are printed — without anyone's name; on whatever day the demo runs."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = io.StringIO()
    clock = None if today is None else FakeClock(datetime.fromisoformat(today + "+08:00"))
    run(url, Console(file=out, width=200), clock)
    with Engine.open(url) as engine:
        watches = {
            t: [engine.case(c.id) for c in engine.cases(type=t)]
            for t in ("child_watch", "woman_watch", "elderly_watch")
        }
        assert engine.verify().ok
    assert [len(w) for w in watches.values()] == [
        sum(r.kind == k for r in VILLAGE_LEDGER) for k in ("child", "woman", "elderly")
    ]
    assert all(len(w) >= 2 for w in watches.values())
    assert {c.record.location.village for w in watches.values() for c in w} == {"石桥村"}
    children = watches["child_watch"]
    assert {c.outcome for c in children} == {None, "aged_out", "parents_returned"}
    missed = [e for c in children for e in c.history if e.trigger == "deadline_missed"]
    visits = [e for c in children for e in c.history if e.trigger == "record_visit"]
    assert missed
    assert visits
    text = out.getvalue()
    assert "The ledger (台账)" in text
    assert "Ledger return 20" in text
    assert "Holiday screening before" in text
    for r in VILLAGE_LEDGER:
        assert r.name not in text
