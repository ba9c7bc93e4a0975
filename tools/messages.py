"""Keep the message catalogs with Babel: extract, update, compile — or check (``--check``).

    python tools/messages.py            # extract the ids, update both catalogs, compile them
    python tools/messages.py --check    # exit 1 naming each id not translated, or a stale .mo

The ids come from three places:

- the package's source: every ``_("…")``, ``N_("…")`` and ``ngettext("…", "…", n)``, and
  the web desk's templates (``shouhu/service/templates``: ``{{ _("…") }}``, ``{% trans %}``);
- the CLI's command tree as typer builds it: each command's and option's help (written as
  plain ``help=`` strings and docstrings, translated when a command runs: ``cli/localise``);
- the words click and typer print themselves (``Usage:``, ``Options``, their usage errors).

The English catalog holds each id's English words (filled in from the id where empty), so
the check holds both catalogs complete: no message falls through to its id.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shouhu"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "shouhu.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
#: typer's modules with words a user of the CLI sees (its vendored click has none: those
#: are in ``cli/localise``).
LIBRARY_SOURCES = (
    ("typer", "core.py"),
    ("typer", "rich_utils.py"),
)
LANGUAGES = ("zh_CN", "en")


def template() -> Catalog:
    """Every message id, with where it comes from."""
    cat = Catalog(project="shouhu", charset="utf-8")
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("service/templates/**.html", "jinja2")],
        options_map={"service/templates/**.html": {"trimmed": "true"}},
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        cat.add(message, locations=[(f"shouhu/{filename}", lineno)], auto_comments=comments)
    for name, where, message in _cli_texts():
        cat.add(message, locations=[(f"cli:{name}", 0)], auto_comments=[where])
    import importlib

    for package, module in LIBRARY_SOURCES:
        base = Path(importlib.import_module(package).__file__ or "").parent
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(base / module), keywords=KEYWORDS
        ):
            cat.add(message, locations=[(f"{package}/{module}", lineno)])
    return cat


def _cli_texts() -> list[tuple[str, str, str]]:
    """(command path, what, words) of every help text in the CLI's tree."""
    import typer.main

    sys.path.insert(0, str(ROOT))
    from shouhu.cli import app
    from shouhu.cli.localise import texts

    out = []
    root = typer.main.get_command(app)
    for obj, attr in texts(root):
        value = getattr(obj, attr, None)
        if value:
            out.append((getattr(obj, "name", "") or "shouhu", attr, value))
    return out


def _po(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "shouhu.po"


def _read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, project="shouhu", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def update(translations: dict[str, str] | None = None) -> None:
    pot = template()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as f:
        write_po(f, pot, width=100, sort_output=True)
    for lang in LANGUAGES:
        path = _po(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        cat = _read(path, lang)
        # a copy each: Babel adds the template's new messages to the catalog without copying
        cat.update(copy.deepcopy(pot), no_fuzzy_matching=True)
        cat.obsolete.clear()
        if lang == "zh_CN":
            for msg in cat:
                if msg.id and (translations or {}).get(msg.id):
                    msg.string = (translations or {})[msg.id]
        if lang == "en":
            for msg in cat:
                if msg.id and not msg.string:
                    msg.string = msg.id
        with path.open("wb") as f:
            write_po(f, cat, width=100, sort_output=True, ignore_obsolete=True)
        with path.with_suffix(".mo").open("wb") as f:
            write_mo(f, cat)


def problems() -> list[str]:
    """Each id not translated in a catalog, each stale compiled catalog."""
    pot = template()
    out: list[str] = []
    for lang in LANGUAGES:
        path = _po(lang)
        cat = _read(path, lang)
        for msg in pot:
            if not msg.id:
                continue
            have = cat.get(msg.id)
            if (
                have is None
                or not have.string
                or (isinstance(have.string, tuple) and not all(have.string))
            ):
                out.append(f"{lang}: not translated: {msg.id!r}")
            elif have is not None and have.fuzzy:
                out.append(f"{lang}: fuzzy: {msg.id!r}")
        mo = path.with_suffix(".mo")
        if not mo.exists():
            out.append(f"{lang}: {mo.relative_to(ROOT)} is missing (run make messages)")
            continue
        buf = io.BytesIO()
        write_mo(buf, cat)
        with mo.open("rb") as f:
            compiled = read_mo(f)
        want = {m.id: m.string for m in read_mo(io.BytesIO(buf.getvalue())) if m.id}
        got = {m.id: m.string for m in compiled if m.id}
        if want != got:
            out.append(f"{lang}: {mo.relative_to(ROOT)} is stale (run make messages)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check, change nothing")
    parser.add_argument(
        "--import",
        dest="imports",
        nargs="*",
        default=[],
        metavar="JSON",
        help="fill the zh_CN catalog from files of {id: translation} (then update)",
    )
    args = parser.parse_args(argv)
    os.environ["SHOUHU_LANG"] = "en"  # the tree's texts in English: the ids
    if args.check:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    update(_imported(args.imports))
    return 0


def _imported(paths: list[str]) -> dict[str, str]:
    import json

    out: dict[str, str] = {}
    for path in paths:
        out.update(json.loads(Path(path).read_text(encoding="utf-8")))
    return out


if __name__ == "__main__":
    sys.exit(main())
