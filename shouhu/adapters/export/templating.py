"""The Jinja2 environment of the case export.

The templates ship in ``shouhu/templates``. Every value put into an ``.html`` or ``.svg``
template is autoescaped by Jinja2 (MarkupSafe); nothing is escaped by hand. The stylesheet
(``.css``) is not autoescaped: it is not HTML, and it receives only the font stacks.

Labels are in the page's language: ``jinja2.ext.i18n`` with ``_`` and ``ngettext`` bound to
:mod:`shouhu.i18n` (read at render time, so the language is the one asked for then). The
templates call ``{{ _("…") }}`` with ``str.format`` placeholders, never ``{% trans %}``: a
translation is plain text, autoescaped like any value. :func:`page_lang` is the ``<html lang>``.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from shouhu.i18n import _, chinese, ngettext

ENV = Environment(
    loader=PackageLoader("shouhu", "templates"),
    autoescape=select_autoescape(
        enabled_extensions=("html", "svg"),
        disabled_extensions=("css",),
        default_for_string=True,
        default=True,
    ),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    extensions=["jinja2.ext.i18n"],
)
ENV.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)  # type: ignore[attr-defined]
ENV.filters["dash"] = lambda value: "—" if value is None else value

#: MarkupSafe writes a double quote as ``&#34;`` and a single one as ``&#39;``; the page has
#: always spelled them ``&quot;`` and ``&#x27;`` (what readers and tests search for). The same
#: characters either way: after autoescaping every ``&`` that came from a value is ``&amp;``,
#: so these sequences can only be the escaper's own, and respelling them un-escapes nothing.
_SPELLINGS = (("&#34;", "&quot;"), ("&#39;", "&#x27;"))


def page_lang() -> str:
    """The page's ``lang``: ``zh-CN`` when messages are in Chinese, else ``en``."""
    return "zh-CN" if chinese() else "en"


def render(name: str, /, **context: Any) -> Markup:
    """Template ``name`` rendered with ``context``, as markup ready to embed in another."""
    text = ENV.get_template(name).render(**context)
    for old, new in _SPELLINGS:
        text = text.replace(old, new)
    return Markup(text)
