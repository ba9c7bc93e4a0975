"""Shared fixtures: a fake clock, engines on both stores, and helpers that file and drive cases.

Every time in these tests is on the :class:`~shouhu.FakeClock`, which stands at
2026-03-10T10:00+08:00. Reports are filed at 2026-03-02T08:30 local time; the ``Driver`` fires
each trigger a few minutes after the previous one, so times always move forward and never pass
the clock.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from shouhu import CaseView, Engine, FakeClock

# The suite reads English messages, whatever the machine's locale: tests of the Chinese
# surface ask for it (SHOUHU_LANG=zh_CN, or LANG with SHOUHU_LANG unset) where they run.
os.environ["SHOUHU_LANG"] = "en"

#: Where the fake clock stands: 2026-03-10T10:00 in Asia/Shanghai.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
#: When reports are discovered and filed (local time, Asia/Shanghai).
DISCOVERED_AT = "2026-03-02T08:10"
REPORTED_AT = "2026-03-02T08:30"
ZONE = "Asia/Shanghai"

CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-02-01"

POLICE = {"name": "李警官", "role": "police"}

#: A closing sequence shared by the guardianship and harm branches (after the emergency).
_ASSESS = (
    ("notify_township", "police", {}),
    ("start_assessment", "township", {}),
    (
        "complete_assessment",
        "township",
        {
            "safety": "medium",
            "guardianship": "high",
            "health": "low",
            "participants": "civil_affairs,police,education,village_committee",
        },
    ),
)
_ASSIST_AND_CLOSE = (
    (
        "arrange_assistance",
        "township",
        {"services": "guardianship_guidance,psychological_counselling"},
    ),
    ("close", "township", {"summary": "帮扶到位"}),
)

#: For each report type, a branch of (trigger, role, data) that takes a new case to ``closed``.
BRANCHES: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "solo_living": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("admonish_parents", "police", {}),
        ("designate_entrusted_guardian", "police", {"guardian_name": "王大爷"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "missing_child": (
        ("dispatch", "police", {}),
        ("start_search", "police", {}),
        ("child_located", "police", {}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "guardian_incapacity": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("place_in_temporary_care", "police", {"placement": "village_committee"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
    "guardian_nonperformance": (
        ("dispatch", "police", {}),
        ("order_parents_return", "police", {}),
        ("place_in_temporary_care", "police", {"placement": "close_relative"}),
        ("record_unsupervised_danger", "police", {"description": "独自在家,煤气未关"}),
        ("education_given", "police", {}),
        ("refused_to_correct", "village_committee", {}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        ("start_intervention", "civil_affairs", {}),
        ("petition_revocation", "civil_affairs", {"ground": "unsupervised_danger_uncorrected"}),
        ("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"}),
        ("close", "township", {}),
    ),
    "suspected_abuse": (
        ("dispatch", "police", {}),
        (
            "stop_violence",
            "police",
            {"seriously_hurt": True, "safety_threatened": False, "unattended_in_danger": False},
        ),
        ("collect_evidence", "police", {}),
        ("record_perpetrator", "police", {"relation": "parent", "act": "domestic_violence"}),
        ("arrange_medical_care", "police", {}),
        ("record_injury_assessment", "police", {"severity": "serious"}),
        ("place_in_shelter", "civil_affairs", {"placement": "temporary_shelter"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        ("start_intervention", "police", {}),
        ("police_sanction", "police", {"kind": "criminal_case"}),
        ("petition_revocation", "village_committee", {"ground": "serious_harm"}),
        ("record_court_decision", "court", {"outcome": "revoked", "new_guardian": "王奶奶"}),
        ("close", "township", {}),
    ),
    "suspected_harm": (
        ("dispatch", "police", {}),
        ("stop_harm", "police", {}),
        ("collect_evidence", "police", {}),
        ("arrange_medical_care", "police", {}),
        ("record_injury_assessment", "police", {"severity": "minor"}),
        ("complete_emergency", "police", {}),
        *_ASSESS,
        *_ASSIST_AND_CLOSE,
    ),
}


def report_args(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Engine.report`` (a school reports 王小明, aged 10)."""
    args: dict[str, Any] = {
        "child": {"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE},
        "location": "石桥村, 青山镇",
        "reporter": {"kind": "school", "name": "青山镇中心小学"},
        "discovered_at": DISCOVERED_AT,
        "occurred_at": REPORTED_AT,
        "data": {},
    }
    args.update(overrides)
    return args


@dataclass
class Driver:
    """Files a report and fires triggers on it, each a few minutes after the last."""

    engine: Engine
    case_id: str = ""
    at: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    step_minutes: int = 5

    def report(
        self, type_: str = "solo_living", *, new_case: bool = True, **overrides: Any
    ) -> CaseView:
        """File a report about 王小明. Drivers file the same child again and again (each test
        drives its own cases), so by default as a new situation: no duplicate refusal."""
        case = self.engine.report(type_, new_case=new_case, **report_args(**overrides))
        self.case_id = case.id
        return case

    def next_time(self) -> datetime:
        self.at += timedelta(minutes=self.step_minutes)
        return self.at

    def fire(
        self,
        trigger: str,
        role: str = "police",
        data: Mapping[str, Any] | None = None,
        *,
        expected_version: int | None = None,
        actor: str = "经办人",
    ) -> CaseView:
        """Fire ``trigger`` as ``role`` at the next time; the time advances even on refusal."""
        return self.engine.fire(
            self.case_id,
            trigger,
            actor={"name": actor, "role": role},
            occurred_at=self.next_time(),
            data=dict(data or {}),
            expected_version=expected_version,
        )

    def run(self, steps: tuple[tuple[str, str, dict[str, Any]], ...]) -> CaseView:
        case = self.engine.case(self.case_id)
        for trigger, role, data in steps:
            case = self.fire(trigger, role, data)
        return case

    def until(self, type_: str, trigger: str) -> CaseView:
        """Run ``type_``'s branch up to (not including) the first ``trigger``."""
        steps = BRANCHES[type_]
        names = [s[0] for s in steps]
        return self.run(steps[: names.index(trigger)])


@pytest.fixture(autouse=True)
def _keep_shouhu_logging() -> Iterator[None]:
    """The CLI reconfigures the ``shouhu`` logger; put it back after every test."""
    logger = logging.getLogger("shouhu")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at 2026-03-10T10:00+08:00 until a test moves it."""
    return FakeClock(NOW)


@pytest.fixture
def engine(clock: FakeClock) -> Iterator[Engine]:
    """An engine on a fresh in-memory store."""
    with Engine.in_memory(clock=clock, zone=ZONE) as eng:
        yield eng


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return "sqlite:///" + str(tmp_path / "cases.db")


@pytest.fixture
def sqlite_engine(clock: FakeClock, sqlite_url: str) -> Iterator[Engine]:
    """An engine on a fresh SQLite file in the test's temporary directory."""
    with Engine.open(sqlite_url, clock=clock, zone=ZONE) as eng:
        yield eng


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_engine(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Any
) -> Iterator[Engine]:
    """An engine on each store in turn: the contract suite runs once per store (PostgreSQL:
    an emptied throw-away database, see :func:`pg_url`; skipped if no server answers)."""
    if request.param == "memory":
        eng = Engine.in_memory(clock=clock, zone=ZONE)
    elif request.param == "postgresql":
        eng = Engine.open(request.getfixturevalue("pg_url"), clock=clock, zone=ZONE)
    else:
        eng = Engine.open("sqlite:///" + str(tmp_path / "contract.db"), clock=clock, zone=ZONE)
    with eng:
        yield eng


@pytest.fixture
def driver(engine: Engine) -> Driver:
    """A driver on the in-memory engine."""
    return Driver(engine)


@pytest.fixture
def branches() -> dict[str, tuple[tuple[str, str, dict[str, Any]], ...]]:
    """Each type's branch to ``closed``."""
    return BRANCHES


@pytest.fixture
def make_driver() -> Any:
    """A factory of drivers for any engine."""
    return Driver


# --- PostgreSQL ----------------------------------------------------------------------------------

#: The environment variable naming a throw-away PostgreSQL database for the tests.
PG_ENV = "SHOUHU_TEST_PG"
#: Where the tests look for a server when ``SHOUHU_TEST_PG`` is not set (trust auth, as on CI).
PG_DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_UNREACHABLE = (
    "PostgreSQL is not reachable on 127.0.0.1:5432 (set SHOUHU_TEST_PG): "
    "the PostgreSQL tests skip, the rest run"
)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as libpq/psycopg/psql take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class PgDatabase:
    """A throw-away PostgreSQL database: its SQLAlchemy URL, and a way to empty it."""

    url: str

    @property
    def conninfo(self) -> str:
        return libpq_url(self.url)

    @property
    def name(self) -> str:
        return str(make_url(self.url).database)

    def connect(self, **kwargs: Any) -> Any:
        import psycopg

        return psycopg.connect(self.conninfo, connect_timeout=5, **kwargs)

    def drop_schema(self) -> None:
        """Drop everything: the next engine creates the schema of the code under test."""
        with self.connect(autocommit=True) as con:
            con.execute("SET lock_timeout = '20s'")
            con.execute("DROP SCHEMA IF EXISTS public CASCADE")
            con.execute("CREATE SCHEMA public")

    def empty(self) -> None:
        """Delete every row of every table but ``alembic_version`` (the schema's revision),
        children first, and restart the id sequences.

        Much faster than dropping the schema or TRUNCATE (which make new files for every
        table and index); a lock held by a leaked connection fails within 20 s, not never.
        """
        with self.connect() as con:
            con.execute("SET LOCAL synchronous_commit = off")
            con.execute("SET LOCAL lock_timeout = '20s'")
            tables = [r[0] for r in con.execute(_PG_TABLES)]
            refs: dict[str, set[str]] = {t: set() for t in tables}
            for child, parent in con.execute(_PG_REFERENCES):
                if child in refs and parent in refs and child != parent:
                    refs[parent].add(child)
            done: list[str] = []
            while len(done) < len(tables):
                ready = [t for t in tables if t not in done and refs[t] <= set(done)]
                done += ready or [t for t in tables if t not in done]  # a cycle: CASCADE order
            for table in done:
                con.execute(f'DELETE FROM "{table}"')
            for (seq,) in con.execute(_PG_SEQUENCES).fetchall():
                con.execute(f'ALTER SEQUENCE "{seq}" RESTART')


_PG_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename <> 'alembic_version' ORDER BY tablename"
)
_PG_REFERENCES = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = 'public'
"""
_PG_SEQUENCES = "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"


def _pg_reachable(url: str) -> str | None:
    """None if a server answers at ``url``, else why not (one line)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(libpq_url(url), connect_timeout=3, autocommit=True).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())[:200] or type(exc).__name__
    return None


def _drop_left_behind(con: Any) -> None:
    """Drop the databases of earlier sessions on this machine that were killed before their
    end (``shouhu_test_<pid>_…`` whose process is gone)."""
    rows = con.execute("SELECT datname FROM pg_database WHERE datname LIKE 'shouhu_test_%'")
    for (db,) in rows.fetchall():
        pid = db.split("_")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            con.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        except OSError:
            pass  # a process we may not signal: alive


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    """A throw-away PostgreSQL database for this session.

    ``SHOUHU_TEST_PG`` names one: its schema is dropped at the start (whoever made the
    database drops it; if it does not answer, the tests that need it fail: it was asked for).
    Otherwise a database ``shouhu_test_<pid>_<random>`` is created on 127.0.0.1:5432 as user
    postgres and dropped at the end. No server: every test that needs it skips, saying why.
    """
    given = os.environ.get(PG_ENV)
    if given:
        why = _pg_reachable(given)
        if why is not None:
            pytest.fail(f"{PG_ENV}={make_url(given)!r} cannot be used: {why}", pytrace=False)
        db = PgDatabase(given)
        db.drop_schema()
        yield db
        return
    if _pg_reachable(PG_DEFAULT_SERVER) is not None:
        pytest.skip(PG_UNREACHABLE)
    import psycopg

    name = f"shouhu_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = libpq_url(PG_DEFAULT_SERVER)
    with psycopg.connect(admin, autocommit=True) as con:
        _drop_left_behind(con)
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PgDatabase(make_url(PG_DEFAULT_SERVER).set(database=name).render_as_string(False))
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: PgDatabase) -> str:
    """The SQLAlchemy URL of the session's PostgreSQL database, emptied for this test."""
    pg_database.empty()
    return pg_database.url
