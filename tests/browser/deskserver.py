"""A real ``shouhu serve`` for the browser tests and the screenshots: the service's demo
database (tests/servicekit.py: every operator has a password) with a few cases filed and
moved through the library, served by the command an operator runs, as a subprocess.

The browser is Debian's chromium (``/usr/bin/chromium``), driven by Playwright: its own
browser download is not used (and not reachable from CI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import servicekit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
#: Why there is no browser, and what to do about it (`make test` installs it where it can:
#: tools/system-deps.sh).
NO_CHROMIUM = (
    "{path} is missing: the web desk's browser tests need Debian's chromium — run "
    "`apt-get install chromium` (`make test` does where it may: tools/system-deps.sh); "
    "Playwright's own browser download is not used"
)
#: The laptop the flows are written for, and the phone the layout must fit.
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def require_chromium(path: Path = CHROMIUM) -> None:
    """Fail (never skip) the test that needs a browser, naming the fix, when there is none."""
    if not path.exists():
        import pytest

        pytest.fail(NO_CHROMIUM.format(path=path), pytrace=False)


def launch_options() -> dict[str, Any]:
    """How Playwright starts Debian's chromium (no sandbox: CI runs as root)."""
    return {"executable_path": str(CHROMIUM), "args": ["--no-sandbox"]}


# --- the database -------------------------------------------------------------------------


#: The child of the case the township moves (a new child: no duplicate of a demo story).
CHILD = {"name": "赵小雨", "birthdate": "2017-05-06", "id_number": "500230201705060029"}
LOCATION = "石桥村, 青山镇, 丰都县"
SCHOOL = {"kind": "school", "name": "青山镇中心小学"}
OTHER_CHILD = {"name": "钱小林", "birthdate": "2016-11-20"}
#: The police's emergency steps of a solo_living case, up to emergency_handled.
EMERGENCY = (
    "dispatch",
    "order_parents_return",
    "admonish_parents",
    "parents_returned",
    "complete_emergency",
)


@dataclass
class Desk(servicekit.Desk):
    """The database a server serves, its operators' credentials (servicekit's), and the
    seeded cases."""

    cases: dict[str, str] = field(default_factory=dict)


def build_desk(folder: Path) -> Desk:
    """The demo with passwords (servicekit.build) and two solo_living cases of 青山镇, filed
    by a school this morning and moved by the police through the library: ``township``
    waits on the township (state township_notified), ``police`` on the police's notice to the
    township (emergency_handled). ``closed``: the closed demo case of 青山镇 with the longest
    history (for replay and proofs)."""
    from servicekit import build  # tests/ is on sys.path (pytest; tools/screenshots.py)

    from shouhu.adapters.credentials import load
    from shouhu.api import Engine

    build(folder)
    desk = Desk(folder)
    police = load(desk.credential_path("police"))
    with Engine.open(desk.url, create=False) as engine:
        # reported this morning, three hours ago; the police acted within the hour
        start = engine.clock.now() - timedelta(hours=3)
        for key, child, steps in (
            ("township", CHILD, (*EMERGENCY, "notify_township")),
            ("police", OTHER_CHILD, EMERGENCY),
        ):
            case = engine.report(
                "solo_living",
                child=child,
                location=LOCATION,
                reporter=SCHOOL,
                discovered_at=start - timedelta(minutes=20),
                occurred_at=start,
            )
            for n, trigger in enumerate(steps, start=1):
                at = start + timedelta(minutes=10 * n)
                case = engine.fire(case.id, trigger, actor=police, occurred_at=at)
            desk.cases[key] = case.id
        admin = load(desk.credential_path("admin"))
        longest = max(
            (c for c in engine.cases(state="closed", reader=admin) if c.township == "青山镇"),
            key=lambda c: c.version,
        )
        desk.cases["closed"] = longest.id
    return desk


# --- the server -----------------------------------------------------------------------------


class Server(servicekit.Server):
    """``shouhu serve`` on a :class:`Desk`'s database."""

    def __init__(self, desk: Desk, log: Path) -> None:
        super().__init__(desk.url, desk.folder, log)
        self.desk = desk
