"""Loading policy packs: the shipped default, or a city's own (``--policy``, SHOUHU_POLICY)."""

from __future__ import annotations

import os
from pathlib import Path

from shouhu.engine.policy import PolicyPack, default_pack, parse_pack
from shouhu.errors import InvalidInput
from shouhu.i18n import _
from shouhu.workflows import WorkflowSet

POLICY_ENV = "SHOUHU_POLICY"


def load_pack(
    path: str | os.PathLike[str] | None = None, *, wfs: WorkflowSet | None = None
) -> PolicyPack:
    """The pack at ``path``, else ``$SHOUHU_POLICY``, else the default; a pack that extends a
    shipped one comes back resolved, complete (``pack.to_toml()`` is its effective text).
    ``wfs``: the workflows whose triggers and types the pack may name (default: the default
    set)."""
    chosen = path if path is not None else os.environ.get(POLICY_ENV) or None
    if chosen is None:
        return default_pack()
    p = Path(chosen)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(
            _("policy {p!r}: no such file").format(p=str(p)), field="policy"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("policy {p!r}: cannot be read ({exc})").format(p=str(p), exc=exc), field="policy"
        ) from None
    return parse_pack(text, p.name, wfs=wfs)
