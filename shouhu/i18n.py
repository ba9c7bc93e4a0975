"""The language of every message a person reads: zh-CN and English, through gettext catalogs.

The catalogs are ``shouhu/locale/<lang>/LC_MESSAGES/shouhu.po``, kept with Babel
(``make messages`` extracts the message ids, updates both catalogs and compiles them; the
compiled ``.mo`` files ship in the wheel). Message ids are the English text; the English
catalog holds each id's English words, so a test can hold every id translated in both.

The language is ``SHOUHU_LANG`` if set, else the locale (``LC_ALL``, ``LC_MESSAGES``,
``LANG``, in POSIX order): Chinese (``zh…``) gives zh-CN, anything else English. It is read
on each call (an embedder or a test may change it); a catalog is read from disk once, when a
message in its language is first wanted — never at import.

JSON output and log keys stay English and stable: machines read them. Only text meant for a
person goes through :func:`_`.

Placeholders are ``str.format`` names, so that a translation may reorder them::

    _("unknown trigger {trigger}").format(trigger=name)
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final

DOMAIN: Final = "shouhu"
LOCALE_DIR: Final = Path(__file__).parent / "locale"
#: The languages shipped, the first the default for a Chinese locale.
LANGUAGES: Final[tuple[str, ...]] = ("zh_CN", "en")
#: Where the language is read from, first found wins.
LANGUAGE_VARS: Final[tuple[str, ...]] = ("SHOUHU_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


_USING: ContextVar[str | None] = ContextVar("shouhu_language", default=None)


def language() -> str:
    """``zh_CN`` or ``en``: what :func:`using` set, else what the environment asks for (see
    the module's doc)."""
    chosen = _USING.get()
    if chosen is not None:
        return chosen
    for var in LANGUAGE_VARS:
        value = os.environ.get(var)
        if value:
            return normalise(value)
    return "en"


def normalise(value: str) -> str:
    """A language or locale name (``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``en_US``, ``C``) as
    one of :data:`LANGUAGES`: Chinese is zh-CN, anything else English."""
    return "zh_CN" if value.strip().lower().startswith("zh") else "en"


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the block (this thread or task only): e.g. English for
    the text a JSON document carries, which machines read."""
    token = _USING.set(normalise(lang))
    try:
        yield
    finally:
        _USING.reset(token)


def chinese() -> bool:
    """Whether messages are in Chinese now."""
    return language() == "zh_CN"


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (read once); ids stand for themselves without one."""
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


def _(message: str) -> str:
    """``message`` in the user's language."""
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the user's language."""
    return catalog(language()).ngettext(singular, plural, n)


def one_or_many(n: int, one: str, many: str) -> str:
    """The words for ``n`` things, ``one`` (for 1) or ``many`` (both marked with :func:`N_`),
    in the user's language: English and Chinese need no more forms than these."""
    return _(one) if n == 1 else _(many)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs where it is defined (data, constants); it is
    translated with :func:`_` where it is shown."""
    return message


__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "catalog",
    "chinese",
    "language",
    "ngettext",
    "normalise",
    "using",
]
