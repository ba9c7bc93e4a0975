"""Withholding the child's identity: the one rule for whatever is shown without ``identity``.

The child's identity is the name, the birthdate and the id number (``IDENTITY_FIELDS``). It is
recorded in the opening event's identity block (``child`` for a report, ``person`` for a
register: ``IDENTITY_BLOCKS``) and on the case record. Shown without identity — a case view,
an event's JSON form, the audit export — it is withheld by :func:`redact`:

- in every identity block, at any depth, the identity fields are withheld (collapsed into one
  ``"identity": "withheld"``, or each kept with the value ``withheld`` where the shape must
  stay, as in the export of the hashed fields);
- in every string, keys too, the child's own name, birthdate and id number as text
  (``secrets``, from :func:`identity_secrets`) become ``withheld``: free text may name the child;
- a due time counted from the birthdate (``turns_16``) is withheld too
  (:func:`public_deadline`, :func:`public_effects`): it would reveal the birthdate.

Log lines follow a stricter rule of their own (``shouhu.engine.logs``): every personal key,
guardians' names included, is removed from every line whatever the caller asked for. Its keys
hold all of these (``PERSONAL_KEYS`` ⊇ ``IDENTITY_FIELDS`` ∪ ``IDENTITY_BLOCKS``).

The standard library only: this module is imported by the engine's views and the adapters alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "IDENTITY_BLOCKS",
    "IDENTITY_FIELDS",
    "WITHHELD",
    "identity_secrets",
    "public_deadline",
    "public_effects",
    "redact",
]

WITHHELD = "withheld"

#: The child's identity: withheld unless ``identity`` is asked for (with who, role and why).
IDENTITY_FIELDS = ("name", "birthdate", "id_number")
#: The event-data keys whose mapping holds an identity: a report's child, a register's person.
IDENTITY_BLOCKS = ("child", "person")


def redact(
    value: Any,
    *,
    identity: bool,
    secrets: Iterable[str] = (),
    keep_keys: bool = False,
) -> Any:
    """``value`` as it may be shown: as is with ``identity``; else a copy with the child's
    identity withheld — in every identity block at any depth (its identity fields replaced by
    one ``"identity": "withheld"``, or with ``keep_keys`` each kept with the value
    ``withheld``), and in every string, keys too, where one of ``secrets`` appears."""
    if identity:
        return value
    # the longest first, so a name inside a longer secret is not half-replaced
    texts = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
    return _redact(value, texts, keep_keys)


def _redact(value: Any, secrets: tuple[str, ...], keep_keys: bool) -> Any:
    if isinstance(value, str):
        return _text(value, secrets)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            shown = _text(str(key), secrets)
            if key in IDENTITY_BLOCKS and isinstance(item, Mapping):
                out[shown] = _block(item, secrets, keep_keys)
            else:
                out[shown] = _redact(item, secrets, keep_keys)
        return out
    if isinstance(value, list | tuple):
        return [_redact(item, secrets, keep_keys) for item in value]
    return value


def _block(block: Mapping[str, Any], secrets: tuple[str, ...], keep_keys: bool) -> dict[str, Any]:
    if keep_keys:
        return {
            k: WITHHELD if k in IDENTITY_FIELDS else _redact(v, secrets, keep_keys)
            for k, v in block.items()
        }
    rest = {k: _redact(v, secrets, keep_keys) for k, v in block.items() if k not in IDENTITY_FIELDS}
    return {"identity": WITHHELD, **rest}


def _text(value: str, secrets: tuple[str, ...]) -> str:
    for s in secrets:
        if s in value:
            value = value.replace(s, WITHHELD)
    return value


def identity_secrets(*blocks: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The identity fields' values in ``blocks`` as text to withhold wherever it appears
    (a value shorter than two characters is left: it would blank out unrelated text)."""
    found: set[str] = set()
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        for key in IDENTITY_FIELDS:
            text = str(block.get(key) or "").strip()
            if len(text) >= 2:
                found.add(text)
    return tuple(sorted(found, key=len, reverse=True))


def public_deadline(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """A deadline (a row's view, or an event's ``deadlines`` effect) with its due time — and
    the rest days that moved it (Art. 203) — withheld when it is counted from personal data
    (``turns_16``: the birthdate)."""
    counted = item.get("counted_from")
    if item.get("personal") or (isinstance(counted, str) and counted.startswith(WITHHELD)):
        shown = {**item, "due_at": WITHHELD}
        for key in ("rest_days", "rest_days_unknown_year"):  # Art. 203's days tell it too
            if key in shown:
                shown[key] = WITHHELD
        return shown
    return item


def public_effects(effects: Mapping[str, Any]) -> Mapping[str, Any]:
    """An event's effects with personal due times withheld."""
    items = effects.get("deadlines")
    if not isinstance(items, list) or not any(isinstance(i, Mapping) for i in items):
        return effects
    shown = [public_deadline(i) if isinstance(i, Mapping) else i for i in items]
    return {**effects, "deadlines": shown}
