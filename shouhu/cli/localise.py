"""The CLI in the user's language: every command's help, every option's help, and the words
click and typer print themselves (``Usage:``, the panel titles, their usage errors).

Typer builds the click commands from their Python definitions, in English (the message ids).
:func:`localise` translates the tree in place when a command runs — on each run, since an
embedder or a test may change ``SHOUHU_LANG`` between runs — keeping each English original
beside its translation. ``tools/messages.py`` walks the same tree to extract the ids.
"""

import re
from collections.abc import Iterator
from typing import Any

from shouhu.i18n import N_, _

#: typer's words fixed at its import (English), re-read from these ids on each run.
_RICH_WORDS = {
    "DEPRECATED_STRING": N_("(deprecated) "),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
}
#: The usage errors of typer's click (it has no catalog of its own), as the words to say.
_USAGE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), words)
    for pattern, words in (
        (
            r"No such option: (?P<a>\S+)(?: \(Possible options: (?P<suggest>.*)\))?$",
            N_("No such option: {a}"),
        ),
        (
            r"No such command '(?P<a>.*?)'\.(?: Did you mean (?P<suggest>.*)\?)?$",
            N_("No such command {a!r}."),
        ),
        (r"Missing argument '(?P<a>.*)'\.$", N_("Missing argument {a!r}.")),
        (r"Missing option '(?P<a>.*)'\.$", N_("Missing option {a!r}.")),
        (r"Missing command\.$", N_("Missing command.")),
        (
            r"Got unexpected extra arguments? \((?P<a>.*)\)$",
            N_("Got unexpected extra arguments ({a})"),
        ),
        (r"Option '(?P<a>.*)' requires an argument\.$", N_("Option {a!r} requires a value.")),
        (
            r"Option '(?P<a>.*)' requires (?P<b>\d+) arguments\.$",
            N_("Option {a!r} requires {b} values."),
        ),
        (r"Option '(?P<a>.*)' does not take a value\.$", N_("Option {a!r} does not take a value.")),
        (r"Invalid value for (?P<a>.*?): (?P<b>.*)$", N_("Invalid value for {a}: {b}")),
    )
)
_DID_YOU_MEAN = N_("did you mean {names}?")
_ORIGINAL = "_shouhu_en"


def walk(command: Any) -> Iterator[Any]:
    """``command`` and every command under it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from walk(sub)


def texts(command: Any) -> Iterator[tuple[Any, str]]:
    """Each (object, attribute) holding words for a person: a command's help, short help
    and epilog, and its parameters' help."""
    for cmd in walk(command):
        for attr in ("help", "short_help", "epilog"):
            yield cmd, attr
        for param in cmd.params:
            yield param, "help"


def localise(root: Any) -> None:
    """Translate ``root``'s tree, and click's and typer's own words, into the user's language."""
    _patch_vendored_click()
    for obj, attr in texts(root):
        originals: dict[str, str | None] = obj.__dict__.setdefault(_ORIGINAL, {})
        if attr not in originals:
            originals[attr] = getattr(obj, attr, None)
        text = originals[attr]
        if text:
            setattr(obj, attr, _(text))


def usage_error(message: str) -> str:
    """A usage error of typer's click in the user's language (unknown ones as they are)."""
    for pattern, words in _USAGE_ERRORS:
        m = pattern.match(message)
        if m:
            found = {k: v or "" for k, v in m.groupdict().items()}
            said = _(words).format(**found)
            if found.get("suggest"):  # click's and typer's suggestions of a close name
                said = f"{said.rstrip('.。')}; {_(_DID_YOU_MEAN).format(names=found['suggest'])}"
            return said
    return message


def rich_words() -> None:
    """typer's help words in the user's language (it fixed them in English at import)."""
    from typer import rich_utils

    for name, english in _RICH_WORDS.items():
        setattr(rich_utils, name, _(english))


_PATCHED: list[bool] = []


def _patch_vendored_click() -> None:
    """typer's click writes ``Usage:`` and the help option's help in English, with no
    catalog: once per process, have them ask ours (in the language of each run)."""
    if _PATCHED:
        return
    _PATCHED.append(True)
    from typer._click import core, formatting

    write_usage = formatting.HelpFormatter.write_usage

    def localised_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = localised_usage  # type: ignore[method-assign]
    get_help_option = core.Command.get_help_option

    def localised_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    core.Command.get_help_option = localised_help_option  # type: ignore[method-assign]
