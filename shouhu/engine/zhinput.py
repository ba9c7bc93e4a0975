"""What a person types for a key, resolved to the key: the English key in any case, or one
of its Chinese names (``shouhu.workflows.vocab``: 公安 → ``police``, 严重 → ``serious``),
full-width or half-width (NFKC); the key is what is stored. An unknown value is bad input
naming the accepted forms in the user's language and, where one is close, "did you mean …".

One :class:`Vocabulary` per list of keys: the roles, the reporter kinds, the report types,
the ledger's kinds, the states, a data field's choices. Building one is cheap and only
happens when a value is not already a key (the hot paths test the key first).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _, chinese
from shouhu.workflows.vocab import (
    CHOICE_NAMES,
    REPORT_TYPE_ALIASES,
    REPORT_TYPES,
    REPORTER_KIND_ALIASES,
    REPORTER_KINDS,
    ROLE_ALIASES,
    WATCH_KIND_NAMES,
    WATCH_KINDS,
    WATCH_TYPES,
)

if TYPE_CHECKING:
    from shouhu.workflows.spec import FieldDef
    from shouhu.workflows.workflowset import WorkflowSet


def normalise(text: str) -> str:
    """``text`` as it is looked up: NFKC (full-width letters, digits, brackets and colons
    are the half-width ones), trimmed, inner runs of spaces one space, lower case."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Keys, each with its Chinese names (the first the one shown), in the order given."""

    names: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _names in self.names)

    @property
    def index(self) -> Mapping[str, str]:
        """Every normalised key and name → its key (a key first; else the first key naming
        it)."""
        return _index(self)

    def shown(self, key: str) -> str:
        """A key as a person reads it: with its Chinese name in Chinese."""
        zh = dict(self.names).get(key, ())
        return f"{key}（{zh[0]}）" if chinese() and zh else key

    def accepted(self) -> str:
        """The accepted forms, listed in the user's language (English: the keys)."""
        if chinese():
            return "、".join(self.shown(k) for k in self.keys)
        return ", ".join(self.keys)

    def lookup(self, value: object) -> str | None:
        """The key ``value`` names, or None."""
        if not isinstance(value, str):
            return None
        return self.index.get(normalise(value))

    def guess(self, value: object) -> str | None:
        """The key closest to ``value`` (by key or name), if one is close."""
        if not isinstance(value, str) or not value.strip():
            return None
        index = self.index
        text = normalise(value)[:60]
        # a Chinese name is two to four characters: one mistyped of two is as close as it gets
        cutoff = 0.6 if text.isascii() else 0.5
        close = difflib.get_close_matches(text, list(index), n=1, cutoff=cutoff)
        return index[close[0]] if close else None

    def hint(self, value: object) -> str:
        """``: did you mean KEY?`` in the user's language, or nothing."""
        key = self.guess(value)
        return "" if key is None else _(": did you mean {guess}?").format(guess=self.shown(key))


@lru_cache(maxsize=256)
def _index(vocab: Vocabulary) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, _names in vocab.names:
        out.setdefault(normalise(key), key)
    for key, names in vocab.names:
        for name in names:
            out.setdefault(normalise(name), key)
    return out


def vocabulary(
    names: Mapping[str, Iterable[str]] | Iterable[tuple[str, Iterable[str]]],
) -> Vocabulary:
    """A vocabulary of ``{key: names}`` (or pairs), in the order given; names repeated
    within a key are kept once."""
    pairs = names.items() if isinstance(names, Mapping) else names
    return Vocabulary(tuple((k, tuple(dict.fromkeys(n))) for k, n in pairs))


def _shown_value(value: object) -> str:
    text = str(value)[:40]
    return repr(text)


def resolve(value: object, vocab: Vocabulary, *, field: str) -> str:
    """The key ``value`` names; :class:`InvalidInput` naming the accepted forms (and the
    closest, if one is close) when it names none."""
    key = vocab.lookup(value)
    if key is not None:
        return key
    raise InvalidInput(
        _("{field}: {value} is not one of {accepted}{hint}").format(
            field=field,
            value=_shown_value(value),
            accepted=vocab.accepted(),
            hint=vocab.hint(value),
        ),
        field=field,
    )


# --- the vocabularies ---------------------------------------------------------------------------


def _with(
    base: Mapping[str, str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    return {k: (zh, *aliases.get(k, ())) for k, zh in base.items()}


@lru_cache(maxsize=64)
def _roles(items: tuple[tuple[str, str], ...]) -> Vocabulary:
    return vocabulary((k, (zh, *ROLE_ALIASES.get(k, ()))) for k, zh in items)


def roles(named: Mapping[str, str] | Iterable[str]) -> Vocabulary:
    """The roles ``named`` (``{role: Chinese name}``, or the keys alone: their names are
    ``vocab.ROLES``' and the aliases)."""
    from shouhu.workflows.vocab import ROLES

    if isinstance(named, Mapping):
        items = tuple((str(k), str(v)) for k, v in named.items())
    else:
        items = tuple((k, ROLES.get(k, ROLE_ALIASES.get(k, ("",))[0])) for k in named)
    return _roles(items)


def role(value: object, named: Mapping[str, str] | Iterable[str]) -> str:
    """A role given as its key or a Chinese name (公安, 乡镇, 民政, 村委会, 法院 …)."""
    vocab = roles(named)
    key = vocab.lookup(value)
    if key is not None:
        return key
    raise InvalidInput(
        _("unknown role {role}{hint} (roles: {roles})").format(
            role=_shown_value(value), hint=vocab.hint(value), roles=vocab.accepted()
        ),
        field="role",
    )


REPORTER_KIND_VOCABULARY = vocabulary(_with(REPORTER_KINDS, REPORTER_KIND_ALIASES))


def reporter_kind(value: object) -> str:
    """A reporter kind given as its key or a Chinese name (学校, 幼儿园, 医疗机构 …)."""
    vocab = REPORTER_KIND_VOCABULARY
    key = vocab.lookup(value)
    if key is not None:
        return key
    raise InvalidInput(
        _("unknown reporter kind {kind}{hint} (kinds: {kinds})").format(
            kind=_shown_value(value), hint=vocab.hint(value), kinds=vocab.accepted()
        ),
        field="reporter_kind",
    )


def _type_names(workflows: WorkflowSet, type_: str) -> tuple[str, ...]:
    wf = workflows.latest(type_)
    return (
        wf.zh,
        *((REPORT_TYPES[type_],) if type_ in REPORT_TYPES else ()),
        *((WATCH_TYPES[type_],) if type_ in WATCH_TYPES else ()),
        *REPORT_TYPE_ALIASES.get(type_, ()),
    )


def report_types(workflows: WorkflowSet) -> Vocabulary:
    """The report types of ``workflows``, named by their workflow's Chinese name too."""
    return vocabulary((t, _type_names(workflows, t)) for t in workflows.types())


def report_type(value: object, workflows: WorkflowSet) -> str:
    """A report type given as its key or a Chinese name (脱离监护单独居住生活, 独居, 失踪 …)."""
    return _type_of(
        value,
        workflows.types(),
        lambda: report_types(workflows),
        N_("unknown report type {type}{hint} (types: {types})"),
    )


def all_types(workflows: WorkflowSet) -> Vocabulary:
    """Every type of ``workflows`` (reports, watches, a township's returns)."""
    return vocabulary((t, _type_names(workflows, t)) for t in workflows.all_types())


def any_type(value: object, workflows: WorkflowSet) -> str:
    """Any type given as its key or a Chinese name (a filter: ``case list --type``)."""
    return _type_of(
        value,
        workflows.all_types(),
        lambda: all_types(workflows),
        N_("unknown report type or watch type {type}{hint} (types: {types})"),
    )


def _type_of(
    value: object, keys: Sequence[str], names: Callable[[], Vocabulary], refusal: str
) -> str:
    """``value`` if it is one of ``keys``, else the key its name has in ``names`` (built only
    then); else bad input, said as ``refusal`` with the close names."""
    if isinstance(value, str) and value in keys:
        return value
    vocab = names()
    key = vocab.lookup(value)
    if key is not None:
        return key
    raise InvalidInput(
        _(refusal).format(type=_shown_value(value), hint=vocab.hint(value), types=vocab.accepted()),
        field="type",
    )


def watch_kinds(workflows: WorkflowSet) -> Vocabulary:
    """The ledger's short kinds (child, woman, elderly) and its watch types."""
    pairs: list[tuple[str, tuple[str, ...]]] = [
        (k, WATCH_KIND_NAMES.get(k, ())) for k, t in WATCH_KINDS.items() if t in workflows
    ]
    pairs += [(t, _type_names(workflows, t)) for t in workflows.watch_types()]
    return vocabulary(pairs)


def watch_kind(value: object, workflows: WorkflowSet) -> str:
    """``shouhu register KIND``'s kind (``child``, ``woman``, ``elderly``) or watch type,
    given as its key or a Chinese name (儿童, 留守妇女, 老年人, 农村留守儿童台账 …)."""
    if isinstance(value, str) and (value in WATCH_KINDS or value in workflows.watch_types()):
        return value
    vocab = watch_kinds(workflows)
    key = vocab.lookup(value)
    if key is not None:
        return key
    short = [k for k in vocab.keys if k in WATCH_KINDS]
    raise InvalidInput(
        _("unknown kind {kind}{hint} (kinds: {kinds})").format(
            kind=_shown_value(value),
            hint=vocab.hint(value),
            kinds=vocabulary((k, dict(vocab.names)[k]) for k in short).accepted(),
        ),
        field="kind",
    )


def states(workflows: WorkflowSet) -> Vocabulary:
    """Every state of every type's latest definition, named by its ``zh`` too."""
    seen: dict[str, list[str]] = {}
    for t in workflows.all_types():
        for s in workflows.latest(t).states:
            seen.setdefault(s.name, [])
            seen[s.name].append(s.zh)
    return vocabulary(seen)


def state(value: object, workflows: WorkflowSet) -> str:
    """A state given as its name or its Chinese name (``case list --state``)."""
    vocab = states(workflows)
    key = vocab.lookup(value)
    if key is not None:
        return key
    raise InvalidInput(
        _("unknown state {state}{hint}").format(state=_shown_value(value), hint=vocab.hint(value)),
        field="state",
    )


@lru_cache(maxsize=512)
def choices(keys: tuple[str, ...]) -> Vocabulary:
    """A data field's choices with their Chinese names (``vocab.CHOICE_NAMES``)."""
    return vocabulary((k, CHOICE_NAMES.get(k, ())) for k in keys)


def choice(value: object, f: FieldDef) -> str:
    """A value of a ``choice`` field given as its key or a Chinese name (严重 → serious)."""
    if isinstance(value, str) and value in f.choices:
        return value
    return resolve(value, choices(f.choices), field=f.name)


def trigger_hint(value: object, triggers: Iterable[str]) -> str:
    """``: did you mean TRIGGER?`` for a trigger not known, or nothing."""
    return vocabulary((t, ()) for t in triggers).hint(value)
