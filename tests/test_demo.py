"""`make demo` is the main job: it must keep working and show all six report types."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from shouhu import Engine, FakeClock, workflows
from shouhu.demo import HOLIDAY, STORIES, VILLAGE_LEDGER, run


def test_demo_files_all_six_types_and_drives_each_to_closed(tmp_path: Path) -> None:
    """Every report type appears, every case ends closed, and the timelines are printed."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = io.StringIO()
    ids = run(url, Console(file=out, width=200))
    assert len(ids) == len(STORIES) + 1  # and the holiday case
    with Engine.open(url) as engine:
        views = [engine.case(i) for i in ids]
    assert {v.type for v in views} == set(workflows.types())
    assert all(v.state == "closed" for v in views)
    assert {v.outcome for v in views} == {"resolved", "unfounded"}
    text = out.getvalue()
    for v in views[: len(STORIES)]:
        assert f"Timeline of {v.id}" in text
    # The demo shows the rules refusing, with the rule and its citation.
    assert "refused by rule guard ground_holds (001 §四(三)4; Civil Code Art. 36" in text
    assert "refused by rule guard violence_stopped_and_child_safe (001 §四(三)2)" in text
    # No child's name is printed in the timelines (identity withheld by default).
    for story in (*STORIES, HOLIDAY):
        assert story.child["name"] not in text


def test_demo_shows_the_township_told_at_dispatch_and_a_holiday_extended_deadline(
    tmp_path: Path,
) -> None:
    """001 §四(三)2: the township is told when the police accept the report, and of a
    dismissal; Civil Code Art. 203: an assessment started on 2026-09-20 whose 15th day
    (10-05) falls in the National Day holiday runs out at the end of 10-08."""
    out = io.StringIO()
    clock = FakeClock(datetime.fromisoformat("2026-12-06T10:00:00+08:00"))
    run(f"sqlite:///{tmp_path / 'demo.db'}", Console(file=out, width=250), clock)
    text = out.getvalue()
    assert (
        "told: report_accepted → 青山镇 township government (乡镇人民政府/街道办事处) · at dispatch"
        in text
    )
    assert "told: report_dismissed → 白石乡 township government" in text
    assert (
        "assessment: P15D from 2026-09-20T10:00:00+08:00; its last day 2026-10-05 is a rest day, "
        "so Civil Code Art. 203 (民法典第二百零三条) moves it to 2026-10-08: due "
        "2026-10-09T00:00:00+08:00, met 2026-10-08T15:00:00+08:00"
    ) in text


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


def test_the_demo_acts_through_operators_each_act_signed_and_reports_anonymous(
    tmp_path: Path,
) -> None:
    """Issue 15: the demo makes its admin and the story's operators (police, township, county
    civil affairs, a village committee, the court, the scheduler), acts through their
    credentials (written 0600 beside the database), and its log verifies with every event but
    the reports signed."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run(url, Console(file=io.StringIO(), width=200))
    with Engine.open(url) as engine:
        roles = {op.role for op in engine.operators()}
        result = engine.verify()
    assert {"admin", "police", "township", "civil_affairs", "village_committee", "court"} <= roles
    assert "system" in roles
    assert result.ok
    assert result.anonymous == len(STORIES) + 1
    assert result.unsigned_before == 0
    assert result.signed == result.events - result.anonymous
    folder = tmp_path / "demo-credentials"
    files = sorted(p.name for p in folder.glob("*.json"))
    assert "police.json" in files
    assert "admin.json" in files
    assert all((folder / f).stat().st_mode & 0o077 == 0 for f in files)
