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
    """File a report (a school reports 王小明) at local time ``at``; returns the case id."""
    args: dict[str, Any] = {
        "child": CHILD,
        "location": "石桥村, 青山镇",
        "reporter": SCHOOL,
        "occurred_at": at,
    }
    args.update(overrides)
    return engine.report(type_, **args).id


def fire(
    engine: Engine, case_id: str, at: str, trigger: str, actor: dict[str, str] = POLICE, **data: Any
) -> None:
    engine.fire(case_id, trigger, actor=actor, occurred_at=at, data=data)
