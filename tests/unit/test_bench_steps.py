"""The scale benchmark's four steps a case are accepted by today's definitions: a change to
what a trigger requires must change the bench with it (CI runs ``make bench-quick``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from benchmarks import scale
from shouhu.cli import app


def test_the_scale_benchmark_moves_every_report_type_four_steps(tmp_path: Path) -> None:
    reports = tmp_path / "reports.csv"
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    scale.write_file(reports, len(scale.TYPES))
    done = CliRunner().invoke(
        app, ["--db", url, "import", "reports", str(reports), "--json"], prog_name="shouhu"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["imported"] == len(scale.TYPES)

    fired = scale.fire_all(url)

    assert fired["transitions"] == 4 * len(scale.TYPES)
    assert set(fired["states"]) == set(scale.TYPES)
