"""The web desk's screenshots in docs/images (``make screenshots``): a fresh demo database
(tests/servicekit.py, with a case waiting on the township), served by ``shouhu serve``, shown
at 1366×768 in Debian's chromium through Playwright.

    python tools/screenshots.py                 # every picture, into docs/images
    python tools/screenshots.py --out /tmp/shots

It needs ``/usr/bin/chromium`` and a font with Chinese glyphs (without one chromium draws
boxes): ``apt-get install -y --no-install-recommends chromium fonts-noto-cjk``. It stops,
saying so, when either is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where the harness of the browser tests lives (deskserver, browserkit, servicekit), and the
#: checkout's shouhu: put first on sys.path by main().
PATHS = (ROOT / "tests" / "browser", ROOT / "tests", ROOT)

#: Each picture: file, who is logged in (None: nobody), and the page ({township}: the case
#: waiting on the township).
SHOTS = (
    ("web-login.png", None, "/login"),
    ("web-worklist.png", "township", "/"),
    ("web-case.png", "township", "/cases/{township}"),
    ("web-report.png", "township", "/report"),
    ("web-audit-report.png", "auditor", "/audit/report"),
    ("web-admin.png", "admin", "/admin/operators"),
)
FONTS = "apt-get install -y --no-install-recommends fonts-noto-cjk"


def missing() -> str | None:
    """What this machine lacks to take the pictures (None: nothing)."""
    from deskserver import CHROMIUM, NO_CHROMIUM

    if not CHROMIUM.exists():
        return NO_CHROMIUM.format(path=CHROMIUM)
    if shutil.which("fc-list") is None:
        return f"fc-list (fontconfig) is missing: cannot check for a Chinese font; {FONTS}"
    found = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    if not found.strip():
        return (
            "no font with Chinese glyphs is installed (fc-list :lang=zh is empty): chromium "
            f"would draw boxes — {FONTS}"
        )
    return None


def take(out: Path) -> list[Path]:
    from browserkit import log_in
    from deskserver import DESKTOP, Server, build_desk, launch_options
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="shouhu-shots-") as tmp:
        desk = build_desk(Path(tmp))
        with Server(desk, Path(tmp) / "serve.log") as server, sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            try:
                for name, who, path in SHOTS:
                    context = browser.new_context(base_url=server.url, viewport=DESKTOP)
                    page = context.new_page()
                    if who is not None:
                        log_in(page, desk, who)
                    answer = page.goto(path.format(**desk.cases))
                    status = answer.status if answer is not None else 0
                    if status != 200:
                        raise SystemExit(f"{path} answered {status}: no picture of it")
                    page.screenshot(path=out / name)
                    written.append(out / name)
                    context.close()
            finally:
                browser.close()
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    for folder in PATHS:
        sys.path.insert(0, str(folder))
    lacking = missing()
    if lacking:
        print(f"screenshots: {lacking}", file=sys.stderr)
        return 1
    for path in take(args.out):
        print(f"screenshots: wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
