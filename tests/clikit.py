"""What the CLI tests share: a shell running ``shouhu`` in process, and the school's report
about 王小明 (the values of ``tests/conftest.py``'s ``report_args``) as ``shouhu report``
arguments."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from shouhu.cli import app


def report_argv(
    *,
    location: str = "石桥村, 青山镇",
    discovered_at: str = "2026-03-02T08:10",
    at: str = "2026-03-02T08:30",
    birthdate: str = "2016-02-01",
    child: str = "王小明",
) -> list[str]:
    """``report solo_living …``: 青山镇中心小学 reports ``child`` at ``location``."""
    return [
        "report",
        "solo_living",
        "--child-name",
        child,
        "--child-birthdate",
        birthdate,
        "--location",
        location,
        "--reporter-kind",
        "school",
        "--reporter",
        "青山镇中心小学",
        "--discovered-at",
        discovered_at,
        "--at",
        at,
    ]


class CliShell:
    """Runs ``shouhu`` in process through typer's CliRunner (``self.runner``), with the
    environment of :attr:`env`; :meth:`ok` insists on exit 0."""

    runner: CliRunner

    @property
    def env(self) -> dict[str, str | None]:
        raise NotImplementedError

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env, prog_name="shouhu")

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result
