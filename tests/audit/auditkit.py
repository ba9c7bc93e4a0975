"""Helpers of the audit tests: a CLI runner on one SQLite file, an attacker DBA, case makers.

Cases are written through the library on a :class:`FakeClock` (so the record's times are known
to the second); the auditor's commands then run through the CLI on the same file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from shouhu import Engine
from shouhu.cli import app
from shouhu.engine.core import ReportRequest
from shouhu.engine.model import Notice
from shouhu.engine.ports import DeliveryError

ZONE = "Asia/Shanghai"
POLICE = {"name": "青山派出所 李警官", "role": "police"}
TOWNSHIP = {"name": "青山镇 儿童督导员 陈静", "role": "township"}
CIVIL = {"name": "县民政局 未成年人保护科", "role": "civil_affairs"}
CHILD = {"name": "王小明", "birthdate": "2016-02-01"}
SCHOOL = {"kind": "school", "name": "青山镇中心小学"}
#: Where the audit tests' fake clock stands: 2026-03-20T08:00 in Asia/Shanghai.
AUDIT_NOW = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)


@dataclass
class Cli:
    """Runs ``shouhu`` commands on one database file."""

    db: Path
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def url(self) -> str:
        return "sqlite:///" + str(self.db)

    def __call__(self, *args: str) -> Result:
        env = {
            "SHOUHU_DB": self.url,
            "SHOUHU_ZONE": None,
            "SHOUHU_POLICY": None,
            "SHOUHU_LOG_LEVEL": None,
            "SHOUHU_LOG_FORMAT": None,
            "COLUMNS": "160",
        }
        return self.runner.invoke(app, list(args), env=env, prog_name="shouhu")

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@dataclass
class Dba:
    """An attacker with the database file: drops the append-only triggers and edits rows."""

    db: Path

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        return con

    def drop_triggers(self) -> None:
        with self.connect() as con:
            con.execute("DROP TRIGGER IF EXISTS events_append_only_update")
            con.execute("DROP TRIGGER IF EXISTS events_append_only_delete")
        con.close()

    def execute(self, sql: str, *params: Any) -> int:
        con = self.connect()
        try:
            with con:
                cur = con.execute(sql, params)
                return cur.rowcount
        finally:
            con.close()

    def rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        con = self.connect()
        try:
            return list(con.execute(sql, params))
        finally:
            con.close()


def file_report(
    engine: Engine, type_: str = "solo_living", at: str = "2026-03-02T08:30:00", **overrides: Any
) -> str:
    """File a report (a school reports 王小明) at local time ``at``; returns the case id.
    Each is a case of its own (``new_case``): the audits file the one child many times."""
    args: dict[str, Any] = {
        "child": CHILD,
        "location": "石桥村, 青山镇",
        "reporter": SCHOOL,
        "occurred_at": at,
        "new_case": True,
    }
    args.update(overrides)
    return engine.report(type_, **args).id


def fire(
    engine: Engine, case_id: str, at: str, trigger: str, actor: dict[str, str] = POLICE, **data: Any
) -> None:
    engine.fire(case_id, trigger, actor=actor, occurred_at=at, data=data)


class _Channel:
    """A notice channel that delivers, or fails for good, as told."""

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail

    def send(self, notice: Notice) -> None:
        if self.fail:
            raise DeliveryError("HTTP 410 gone", permanent=True)


def seed_every_table(engine: Engine) -> None:
    """Rows in every derived table: reports moved along (deadlines met, missed, cancelled),
    a watch on the ledger, an imported report, notices delivered and failed, identity reads."""
    target = file_report(engine, at="2026-03-02T08:30:00")
    fire(engine, target, "2026-03-02T09:45:00", "dispatch")
    fire(
        engine,
        target,
        "2026-03-02T10:30:00",
        "designate_entrusted_guardian",
        guardian_name="王桂英",
    )
    fire(engine, target, "2026-03-02T10:40:00", "admonish_parents")
    fire(engine, target, "2026-03-02T11:00:00", "complete_emergency")
    fire(engine, target, "2026-03-02T12:00:00", "notify_township")
    fire(engine, target, "2026-03-03T09:00:00", "start_assessment", TOWNSHIP)
    file_report(
        engine,
        "missing_child",
        at="2026-03-03T10:00:00",
        child={"name": "李小红", "birthdate": "2015-06-01"},
    )
    engine.report_many(
        [
            ReportRequest(
                type="guardian_incapacity",
                child={"name": "赵小刚", "birthdate": "2014-09-09"},
                location="东坡村, 青山镇, 平安县",
                reporter={"kind": "citizen", "name": "12345 热线"},
                occurred_at="2026-03-04T10:00:00",
                external_id="A-17",
            ),
            ReportRequest(
                type="solo_living",
                child={"name": "钱小丽", "birthdate": "2013-11-11"},
                location="东坡村, 青山镇, 平安县",
                reporter={"kind": "citizen", "name": "12345 热线"},
                occurred_at="2026-03-04T11:00:00",
                external_id="A-18",
            ),
        ],
        source="12345",
    )
    engine.register(
        "child",
        person={"name": "孙小燕", "birthdate": "2017-01-05"},
        location="石桥村, 青山镇",
        actor={"name": "石桥村 儿童主任", "role": "village_committee"},
        at="2026-01-10T09:00:00",
        data={"parents_away": "both"},
    )
    engine.run_due()  # the missed dispatches and notices become deadline_missed, with notices
    notices = engine.notices()
    assert len(notices) >= 2, notices
    engine.deliver([_Channel("log")], limit=1)
    engine.deliver([_Channel("webhook", fail=True)], limit=1)
    engine.read_identity(target, actor=CIVIL, reason="核实监护人", what="case show")
    engine.read_identity(target, actor=POLICE, reason="出警记录", what="audit export html")
    engine.anchor()  # the transparency log's leaves
    seed_operators(engine)


def seed_operators(engine: Engine) -> None:
    """The operator registry (issue 15): an admin and a police officer, a second later, and a
    report the officer files and signs (the rows before are "before operators existed")."""
    from datetime import timedelta

    clock = engine.clock
    clock.set(clock.now() + timedelta(seconds=1))  # type: ignore[attr-defined]
    _, admin = engine.init_admin("县民政局 管理员", scope="平安县")
    _, police = engine.add_operator(admin, "李警官", role="police", scope="青山镇, 平安县")
    engine.report(
        "missing_child",
        child={"name": "周小军", "birthdate": "2016-05-05"},
        location="东坡村, 青山镇, 平安县",
        reporter={"kind": "school", "name": "东坡小学"},
        occurred_at="2026-03-19T10:00:00",
        credential=police,
    )
