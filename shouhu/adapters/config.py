"""Where things are by default: the database URL, the jurisdiction's zone, the workflows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from shouhu.errors import InvalidInput
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.workflows import WorkflowSet

DEFAULT_DB_ENV = "SHOUHU_DB"
ZONE_ENV = "SHOUHU_ZONE"
WORKFLOWS_ENV = "SHOUHU_WORKFLOWS"


def data_dir() -> Path:
    """The user's data directory for shouhu (XDG on Linux, the usual places elsewhere)."""
    base = os.environ.get("XDG_DATA_HOME")
    if base:
        return Path(base) / "shouhu"
    home = Path.home()
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", home)) / "shouhu"
    if (home / "Library").is_dir() and os.uname().sysname == "Darwin":
        return home / "Library" / "Application Support" / "shouhu"
    return home / ".local" / "share" / "shouhu"


def default_db_url() -> str:
    """``$SHOUHU_DB`` or a SQLite file in the user's data directory."""
    return os.environ.get(DEFAULT_DB_ENV) or f"sqlite:///{data_dir() / 'shouhu.db'}"


def default_zone() -> str:
    return os.environ.get(ZONE_ENV) or "Asia/Shanghai"


def default_workflows() -> WorkflowSet:
    """The workflow set of ``$SHOUHU_WORKFLOWS``, else the default set.

    ``SHOUHU_WORKFLOWS`` names where an embedding system's workflows are, as
    ``package.module:NAME`` (several separated by commas; ``:NAME`` left out means
    ``:WORKFLOWS``). Each is a :class:`~shouhu.workflows.WorkflowSet` (taken as it is, for
    the first), a workflow definition or a sequence of them (added to the set). The module
    is imported as Python imports any: installed, or on ``PYTHONPATH``."""
    from shouhu import workflows

    spec = os.environ.get(WORKFLOWS_ENV, "").strip()
    if not spec:
        return workflows.DEFAULT
    out = workflows.DEFAULT
    for i, item in enumerate(part.strip() for part in spec.split(",")):
        value = _load(item)
        if isinstance(value, workflows.WorkflowSet):
            if i:
                value = out.with_(value)
            out = value
            continue
        if isinstance(value, workflows.WorkflowDef):
            value = (value,)
        defs: tuple[object, ...] = tuple(value) if isinstance(value, list | tuple) else ()
        if not defs or not all(isinstance(d, workflows.WorkflowDef) for d in defs):
            raise InvalidInput(
                _(
                    "{env}: {item!r} is not a WorkflowSet, a WorkflowDef or a sequence of them"
                ).format(env=WORKFLOWS_ENV, item=item),
                field="workflows",
            )
        out = out.with_(d for d in defs if isinstance(d, workflows.WorkflowDef))
    return out


def _load(item: str) -> object:
    """The object ``module:NAME`` names (``NAME`` defaults to ``WORKFLOWS``)."""
    import importlib

    module, _sep, name = item.partition(":")
    name = name or "WORKFLOWS"
    if not module or not all(p.isidentifier() for p in (*module.split("."), name)):
        raise InvalidInput(
            _("{env}: expected package.module:NAME, not {item!r}").format(
                env=WORKFLOWS_ENV, item=item[:80]
            ),
            field="workflows",
        )
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise InvalidInput(
            _("{env}: cannot import {module!r} ({exc}); is it installed, or on PYTHONPATH?").format(
                env=WORKFLOWS_ENV, module=module, exc=exc
            ),
            field="workflows",
        ) from None
    except ValueError as exc:  # a definition that does not hold: WorkflowDef says why
        raise InvalidInput(
            _("{env}: {module}: {exc}").format(env=WORKFLOWS_ENV, module=module, exc=exc),
            field="workflows",
        ) from None
    try:
        return getattr(found, name)
    except AttributeError:
        raise InvalidInput(
            _("{env}: module {module!r} has no {name!r}").format(
                env=WORKFLOWS_ENV, module=module, name=name
            ),
            field="workflows",
        ) from None
