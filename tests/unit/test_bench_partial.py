"""A benchmark group that fails does not take the groups measured before it down with it: a
full run lasts two hours, and the figures already measured are printed and written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench


def test_a_failing_group_keeps_the_figures_before_it_and_the_run_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("the sweep's file could not be built")

    monkeypatch.setattr(bench, "sweep_figure", broken)
    out = tmp_path / "figures.json"

    code = bench.main(["--quick", "--only", "durable,sweep", "--json", str(out)])

    assert code == 1
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["mode"] == "partial"
    assert [f["key"] for f in written["figures"]] == ["durable_transitions_per_s"]
    printed = capsys.readouterr()
    assert "durable transitions/s" in printed.out
    assert "a group failed: the sweep's file could not be built" in printed.out
    assert "RuntimeError" in printed.err


def test_a_run_whose_groups_all_end_writes_its_mode_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"

    assert bench.main(["--quick", "--only", "durable", "--json", str(out)]) == 0

    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["mode"] == "quick"
    assert [f["key"] for f in written["figures"]] == ["durable_transitions_per_s"]
    assert "a group failed" not in capsys.readouterr().out
