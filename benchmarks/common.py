"""What every benchmark module shares: the figure row, the inputs, the clock, raw ``sqlite3``
connections with the engine's settings, peak RSS, the PostgreSQL server, and the printed table."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy.engine import make_url

from shouhu import Engine, FakeClock, ReportRequest, __version__
from shouhu.adapters.sqlstore import BUSY_TIMEOUT_MS

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3
#: Where the engine's clock starts: after every report and transition below.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
POLICE = {"name": "李警官", "role": "police"}


@dataclass
class Figure:
    """One row of the table (and of the JSON); ``detail`` holds the raw measurements."""

    key: str
    label: str
    unit: str  # "/s" (higher is better) or "MB" (lower is better)
    ours: float
    baseline: float | None
    ratio: float | None
    goal: str
    passed: bool
    detail: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None  # why the figure was not measured (e.g. no PostgreSQL)


# -- inputs ------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("小明", "小红", "小刚", "晓燕", "子涵", "浩然", "欣怡", "宇轩")
VILLAGES = ("石桥村", "柳树村", "河湾村", "高家村")
TOWNSHIPS = ("青山镇", "白沙镇", "龙泉乡")


def report_request(i: int) -> ReportRequest:
    """The ``i``-th report: a suspected harm, names and dates varied so rows are not identical.

    The same child comes back every 5,040 reports, all made at one instant: the benchmarks file
    them with ``new_case=True`` (each its own case; no duplicate-report lookup)."""
    return ReportRequest(
        "suspected_harm",
        child={
            "name": SURNAMES[i % 10] + GIVEN[i // 10 % 8],
            "birthdate": date(2010 + i % 9, 1 + i % 12, 1 + i % 28).isoformat(),
        },
        location=f"{VILLAGES[i % 4]}, {TOWNSHIPS[i % 3]}",
        reporter={"kind": "school", "name": f"{TOWNSHIPS[i % 3]}中心小学"},
        discovered_at="2026-03-02T08:10",
        occurred_at="2026-03-02T08:30",
        data={"description": "孩子手臂有多处淤青，称是在家里被打的"},
    )


class TickingClock(FakeClock):
    """A fake clock that moves on by a millisecond each time it is read, as a real one would
    between reports. (Under a clock that stands still every case id shares its time part and
    keeps only 30 random bits: 100,000 ids would collide.)"""

    def now(self) -> datetime:
        return self.advance(milliseconds=1)


def open_engine(path: Path) -> Engine:
    return Engine.open(f"sqlite:///{path}", clock=TickingClock(NOW))


def raw_connect(path: Path) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection with the settings the engine's store uses."""
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = FULL")
    con.execute("PRAGMA foreign_keys = ON")
    return con


def columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA table_info({table})")]


def quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def peak_rss_kb() -> int:
    """This process's peak resident set size, in KiB.

    On Linux ``ru_maxrss`` is not enough: it keeps the high-water mark of the process that
    forked us (the benchmark itself, which has just filed 100,000 cases), so ``VmHWM`` — the
    peak of this process's own memory since its ``exec`` — is read instead.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_UNREACHABLE = "PostgreSQL not reachable"


class PgServer:
    """The server the PostgreSQL figures run on: makes, copies and drops their databases."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url).set(database="postgres")
        self.made: list[str] = []
        self.tag = f"shouhu_bench_{os.getpid()}"

    @classmethod
    def find(cls) -> PgServer | None:
        """``SHOUHU_BENCH_PG``, else ``SHOUHU_TEST_PG``'s server, else 127.0.0.1:5432; None
        if psycopg is missing or no server answers within 3 s."""
        url = os.environ.get("SHOUHU_BENCH_PG") or os.environ.get("SHOUHU_TEST_PG") or PG_DEFAULT
        try:
            import psycopg

            server = cls(url)
            psycopg.connect(server.conninfo(), connect_timeout=3).close()
        except Exception:
            return None
        return server

    def sqlalchemy_url(self, db: str) -> str:
        return self.url.set(database=db).render_as_string(hide_password=False)

    def conninfo(self, db: str = "postgres") -> str:
        url = self.url.set(drivername="postgresql", database=db)
        return url.render_as_string(hide_password=False)

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.conninfo()) as con:
            return str(con.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]

    def create(self, name: str, template: str | None = None) -> str:
        """A new database ``<tag>_<name>`` (a copy of ``template`` if given); its name."""
        import psycopg

        db = f"{self.tag}_{name}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.conninfo(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{db}"{copy}')
        self.made.append(db)
        return db

    def size(self, db: str) -> int:
        """The database's size on disk, in bytes."""
        import psycopg

        with psycopg.connect(self.conninfo()) as con:
            row = con.execute("SELECT pg_database_size(%s)", (db,)).fetchone()
        return int(row[0]) if row else 0

    def drop(self, db: str) -> None:
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if db in self.made:
            self.made.remove(db)

    def drop_all(self) -> None:
        for db in list(self.made):
            try:
                self.drop(db)
            except Exception as exc:
                progress(f"could not drop database {db}: {exc}")

    def engine(self, db: str) -> Engine:
        return Engine.open(self.sqlalchemy_url(db), clock=TickingClock(NOW))


def progress(message: str) -> None:
    sys.stdout.flush()
    print(f"· {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "shouhu": __version__,
    }


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms"
    return f"{value:,.0f}/s" if unit == "/s" else f"{value:,.1f} MB"


HEAD = ("figure", "ours", "baseline", "ratio", "goal", "result")


def cells(f: Figure) -> tuple[str, str, str, str, str, str]:
    """A figure's row as printed: label, ours, baseline, ratio, goal, PASS / MISS / SKIP."""
    if f.skipped is not None:
        return (f.label, f"skipped: {f.skipped}", "", "", f.goal, "SKIP")
    return (
        f.label,
        show(f.ours, f.unit),
        show(f.baseline, f.unit),
        "—" if f.ratio is None else f"{f.ratio:.2f}×",
        f.goal,
        "PASS" if f.passed else "MISS",
    )


def markdown(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table (``docs/performance.md`` holds the last full run's)."""
    rows = [HEAD, tuple("---" for _ in HEAD), *(cells(f) for f in figures)]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows)


def table(figures: Sequence[Figure]) -> str:
    head = HEAD
    body = [cells(f) for f in figures]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in (head, *body)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
