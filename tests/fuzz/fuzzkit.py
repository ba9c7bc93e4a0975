"""What the bad-input campaign shares: its budgets, its strategies and its checks.

Budgets: each test of the campaign runs ``budget(name)`` generated inputs (hypothesis
``max_examples``), counts the inputs it actually ran, and fails if that count is short; the
budgets of the CI run add up to at least 10,000 (checked by
``test_the_campaign_budgets_add_up_to_at_least_ten_thousand``). ``SHOUHU_SOAK=1`` multiplies
every budget by :data:`SOAK_FACTOR` for the long run. Runs are derandomized (the same inputs on
every run) and keep no example database, so CI is reproducible.
"""

from __future__ import annotations

import os
import sqlite3
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from shouhu import workflows
from shouhu.workflows.vocab import REPORTER_KINDS, ROLES

#: The fake clock's time and the zone (as in tests/conftest.py).
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-02-01"


def report_args(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Engine.report`` (tests/conftest.py's: a school reports 王小明)."""
    args: dict[str, Any] = {
        "child": {"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": "2026-03-02T08:10",
        "occurred_at": "2026-03-02T08:30",
        "data": {},
    }
    args.update(overrides)
    return args


#: The generated inputs each test runs in CI (the long version multiplies them).
BUDGETS: dict[str, int] = {
    "library_report": 2800,
    "library_fire": 2800,
    "library_register": 1400,
    "library_reads": 800,
    "cli": 1200,
    "import_library": 500,
    "import_cli": 150,
    "policy_pack": 1000,
    "policy_inherit": 500,
}
SOAK_FACTOR = 20
SOAK = os.environ.get("SHOUHU_SOAK") == "1"

#: Inputs run so far in this session, by test (printed at the end by the conftest).
RAN: dict[str, int] = {}


def budget(name: str) -> int:
    return BUDGETS[name] * (SOAK_FACTOR if SOAK else 1)


def campaign_settings(name: str) -> settings:
    return settings(
        max_examples=budget(name),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


@dataclass
class Counter:
    """Counts the inputs a test ran; :meth:`check` fails the test if the count is short."""

    name: str
    n: int = 0
    accepted: int = 0
    refused: int = 0

    def __call__(self) -> None:
        self.n += 1
        RAN[self.name] = RAN.get(self.name, 0) + 1

    def saw(self, error: object) -> None:
        """Count an input's outcome: accepted (no error) or refused."""
        if error is None:
            self.accepted += 1
        else:
            self.refused += 1

    def check(self) -> None:
        """The budget ran, and the inputs reached both outcomes (the generator is no
        stream of rejects, nor of easy successes)."""
        assert self.n >= budget(self.name), f"{self.name}: ran {self.n} < {budget(self.name)}"
        assert self.accepted, f"{self.name}: no input was accepted"
        assert self.refused, f"{self.name}: no input was refused"


# --- the database, byte for byte ------------------------------------------------------------


def snapshot(db: Path) -> tuple[bytes, bytes]:
    """The database file and its write-ahead log, byte for byte (-shm is only an index of the
    log that readers also touch; it holds no data)."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes(), (wal.read_bytes() if wal.exists() else b"")


def count_rows(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


# --- strategies -----------------------------------------------------------------------------

#: Characters and texts that break naive code: NUL, controls, bidi overrides, emoji and
#: combining marks, full-width forms, quotes, SQL and JSON and CSV metacharacters.
NASTY: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t",
    "\n",
    "\r\n",
    "\x1b[31m",
    "\x7f",
    "\u202e李四",  # right-to-left override (not the fixtures' child: a column may echo it)
    "\u200f\u200e",
    "\u200d",
    "\ufeff",
    "👧🏻",
    "👨‍👩‍👧",
    "e\u0301",
    "Ａ，Ｂ",
    "'; DROP TABLE cases; --",
    '" OR 1=1 --',
    "') OR ('1'='1",
    "%s%s%n",
    "{}",
    '{"a": [1, {"b": null}]}',
    "[",
    "\\",
    "\\u0000",
    '"',
    ",,,",
    '"a","b"',
    "null",
    "NaN",
    "-1",
    "0",
    "1e309",
    "true",
    "None",
    "\ud800",  # a lone surrogate: what undecodable bytes become in argv
    "\udcff",
    "x" * 101,
    "长" * 2001,
    "y" * 20_000,
)

unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
ascii_junk = st.text(string.printable, max_size=40)
nasty = st.sampled_from(NASTY)
text_junk = st.one_of(nasty, unicode_text, ascii_junk)

DAYS = (
    "2016-02-01",
    "2026-02-30",
    "2026-02-29",
    "2024-02-29",
    "2026-13-01",
    "2026-00-10",
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2200-12-31",
    "2201-01-01",
    "9999-12-31",
    "20160201",
    "2016-2-1",
    "2016/02/01",
    "２０１６-０２-０１",
    "2016-02-01T00:00",
    "2016-W05-1",
    "2016-032",
)
TIMES = ("", "T08:30", "T00:00", "T23:59:59", "T24:00", "T23:59:60", " 08:30", "T08:30:00.123456")
OFFSETS = ("", "Z", "+08:00", "+14:30", "-23:59", "+24:00", "-00:00", "+05:45", "+0800", "z")

day_text = st.one_of(
    st.sampled_from(DAYS),
    st.dates().map(lambda d: d.isoformat()),
    st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
)
instant_text = st.one_of(
    st.builds(
        lambda d, t, o: d + t + o,
        st.sampled_from(DAYS),
        st.sampled_from(TIMES),
        st.sampled_from(OFFSETS),
    ),
    st.builds(
        lambda d, t, o: d.isoformat() + t + o,
        st.dates(),
        st.sampled_from(TIMES),
        st.sampled_from(OFFSETS),
    ),
    st.datetimes().map(lambda dt: dt.isoformat()),
    st.sampled_from(("2026-03-02T09:00", "2026-03-02T09:00+08:00", "2026-03-02T01:00Z")),
)

#: Python values of every JSON-ish type, and some that are not JSON at all.
any_value: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        text_junk,
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.dates(),
        st.datetimes(),
        st.binary(max_size=8),
        instant_text,
        day_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _every(attr: Callable[[Any], Any]) -> list[str]:
    out: set[str] = set()
    for wf in workflows.REGISTRY.values():
        out.update(attr(wf))
    return sorted(out)


ALL_TRIGGERS = _every(lambda wf: [*wf.triggers, wf.opening])
ALL_FIELDS = _every(
    lambda wf: [f.name for t in wf.transitions for f in t.data] + [f.name for f in wf.report_data]
)
ALL_CHOICES = _every(
    lambda wf: [c for t in wf.transitions for f in (*t.data, *wf.report_data) for c in f.choices]
)

trigger_name = st.one_of(st.sampled_from(ALL_TRIGGERS), text_junk)
role_name = st.one_of(
    st.sampled_from([*ROLES, " police ", "Police", "SYSTEM", "system\x00", "auditor "]),
    text_junk,
)
reporter_kind = st.one_of(st.sampled_from(list(REPORTER_KINDS)), text_junk)
report_type = st.one_of(
    st.sampled_from([*workflows.all_types(), "lost_pet", " solo_living", "SOLO_LIVING"]),
    text_junk,
)
field_value = st.one_of(
    st.sampled_from(ALL_CHOICES),
    st.sampled_from(("true", "false", "是", "low,high", "low,,", "王大爷")),
    day_text,
    instant_text,
    any_value,
)
data_mapping = st.dictionaries(
    st.one_of(st.sampled_from(ALL_FIELDS), text_junk), field_value, max_size=4
)
location_text = st.one_of(
    st.sampled_from(
        (
            "石桥村, 青山镇",
            "石桥村，青山镇，咸安区",
            "石桥村",
            "a, b, c, d",
            ", ,",
            "石桥村,\x00青山镇",
        )
    ),
    text_junk,
)
