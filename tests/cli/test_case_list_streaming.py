"""``case list`` streams: however many cases there are, it holds a page at a time."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, ReportRequest
from shouhu.cli import app
from shouhu.cli.render import LIST_PAGE, render_case_list_pages
from shouhu.engine.views import CaseSummary


def _summary(i: int) -> CaseSummary:
    return CaseSummary(
        f"01K{i:013d}",
        "solo_living",
        "reported",
        1,
        "青山镇",
        "石桥村",
        datetime(2026, 3, 2, 0, 30, tzinfo=UTC),
        None,
    )


def test_past_a_page_the_listing_is_one_line_per_case_printed_as_the_rows_come_in() -> None:
    """2,500 cases: one header line, then one line per case — the columns of the table, each
    line whole (``grep`` finds a case's line, ``wc -l`` counts them) — each page printed
    before the next rows are read, then the count."""
    out = io.StringIO()
    console = Console(file=out, width=120, highlight=False)
    printed_when_read: dict[int, int] = {}

    def rows() -> Iterator[CaseSummary]:
        for i in range(2_500):
            printed_when_read[i] = out.getvalue().count("01K")
            yield _summary(i)

    render_case_list_pages(console, rows(), "Asia/Shanghai")
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "type", "state", "ver", "township", "village", "reported"]
    assert lines[-1] == "2,500 cases"
    assert len(lines) == 2_502
    for i, line in enumerate(lines[1:-1]):
        assert line.split() == [
            f"01K{i:013d}", "solo_living", "reported", "已报告", "1", "青山镇", "石桥村",
            "2026-03-02", "08:30",
        ]  # fmt: skip
    # the columns line up: every line's cells start where the header's do
    assert len({line.index("青山镇") for line in lines[1:-1]}) == 1
    # the first page was on the screen before the rows of the third were read
    assert printed_when_read[2 * LIST_PAGE + 1] >= LIST_PAGE


def test_a_long_listings_columns_are_as_wide_as_their_chinese_text_on_the_screen() -> None:
    """A township of six Chinese characters takes twelve cells: the village column after it
    starts at the same screen column on every line, whatever the township's length."""
    from dataclasses import replace

    from rich.cells import cell_len

    out = io.StringIO()
    towns = ["青山镇", "白石乡", "很长很长的镇"]
    render_case_list_pages(
        Console(file=out, width=120),
        (replace(_summary(i), township=towns[i % 3]) for i in range(LIST_PAGE + 3)),
        "Asia/Shanghai",
    )
    lines = out.getvalue().splitlines()[1:-1]
    assert {cell_len(line[: line.index("石桥村")]) for line in lines} == {
        cell_len(lines[0][: lines[0].index("石桥村")])
    }


def test_a_page_or_less_is_one_table_with_the_count_in_its_title() -> None:
    """Up to 1,000 cases, the table is the one operators know: "Cases (N)"."""
    out = io.StringIO()
    render_case_list_pages(
        Console(file=out, width=120), (_summary(i) for i in range(LIST_PAGE)), "Asia/Shanghai"
    )
    assert f"Cases ({LIST_PAGE})" in out.getvalue()
    assert "cases\n" not in out.getvalue()


def test_case_list_json_is_the_same_text_written_item_by_item(tmp_path: Path) -> None:
    """The streamed --json array is exactly what dumping the whole list would print."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    with Engine.open(url, clock=FakeClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))) as engine:
        engine.report_many(
            [
                ReportRequest(
                    "solo_living",
                    {"name": "王小明", "birthdate": "2016-02-01"},
                    "石桥村, 青山镇",
                    {"kind": "school", "name": "青山镇中心小学"},
                    occurred_at="2026-03-02T08:30",
                )
            ]
            * 3,
            new_case=True,  # the same child three times: three cases, as the test needs
        )
        expected = [c.to_dict(engine.zone) for c in engine.cases()]
    runner = CliRunner()
    for args, rows in (
        (["case", "list", "--json"], expected),
        (["case", "list", "--json", "--type", "missing_child"], []),
    ):
        result = runner.invoke(app, ["--db", url, *args], prog_name="shouhu")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
