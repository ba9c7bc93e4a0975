"""`make demo` is the main job: it must keep working and show all six report types."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from shouhu import Engine, workflows
from shouhu.demo import STORIES, run


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
