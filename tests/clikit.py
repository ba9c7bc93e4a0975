"""What the CLI tests type: the school's report about 王小明 (the values of
``tests/conftest.py``'s ``report_args``), as ``shouhu report`` arguments."""

from __future__ import annotations


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
