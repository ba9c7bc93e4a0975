"""The public surface: what `from shouhu import ...` offers is pinned, and errors map to exits."""

from __future__ import annotations

import shouhu
from shouhu import errors

PINNED = [
    "Access",
    "Actor",
    "ActorIn",
    "CaseRecord",
    "CaseSummary",
    "CaseView",
    "Channel",
    "Child",
    "ChildIn",
    "Clock",
    "ComplianceReport",
    "Conflict",
    "Credential",
    "Daemon",
    "DeliveryError",
    "Engine",
    "Event",
    "EventView",
    "FakeClock",
    "FireRequest",
    "Fired",
    "InvalidInput",
    "JsonlChannel",
    "LedgerReturn",
    "Location",
    "LogChannel",
    "NotAuthenticated",
    "NotFound",
    "Notice",
    "Operator",
    "PolicyPack",
    "Registry",
    "Rejudged",
    "Replay",
    "ReportRequest",
    "Reporter",
    "ReporterIn",
    "Scope",
    "Screening",
    "ShouhuError",
    "StoreUnavailable",
    "SystemClock",
    "TransitionRefused",
    "TriggerOption",
    "Verification",
    "WebhookChannel",
    "WorkflowSet",
    "__version__",
    "check_proof",
    "load_credential",
    "save_credential",
]


def test_the_public_names_are_pinned_and_sorted() -> None:
    """`shouhu.__all__` is exactly the pinned list, sorted; a change must be deliberate."""
    assert shouhu.__all__ == PINNED
    assert sorted(shouhu.__all__) == shouhu.__all__
    for name in shouhu.__all__:
        assert hasattr(shouhu, name), name


def test_every_error_is_a_shouhu_error_with_its_documented_exit_code() -> None:
    """One tree rooted at ShouhuError; exit codes 2 bad input, 3 refused, 4 conflict, 5 store,
    6 not authenticated."""
    codes = {
        errors.InvalidInput: 2,
        errors.NotFound: 2,
        errors.TransitionRefused: 3,
        errors.Conflict: 4,
        errors.StoreUnavailable: 5,
        errors.NotAuthenticated: 6,
    }
    for cls, code in codes.items():
        assert issubclass(cls, errors.ShouhuError)
        assert cls.exit_code == code
    assert sorted(errors.__all__) == sorted(c.__name__ for c in [*codes, errors.ShouhuError])


def test_listing_cases_with_an_unknown_filter_fails_at_the_call_not_later() -> None:
    """engine.cases(type="nope") raises at once, before anyone iterates."""
    import pytest

    engine = shouhu.Engine.in_memory()
    with pytest.raises(errors.InvalidInput, match="unknown report type"):
        engine.cases(type="nope")
    with pytest.raises(errors.InvalidInput, match="unknown state"):
        engine.cases(state="nope")


def test_the_public_names_are_the_real_objects_though_imported_on_first_use() -> None:
    """Each lazily imported name is the object its module defines; dir() lists them all."""
    import importlib

    import pytest

    homes = shouhu._HOMES  # where each name lives, imported on first access
    assert sorted(homes) == [n for n in shouhu.__all__ if n != "__version__"]
    for name, home in homes.items():
        assert getattr(shouhu, name) is getattr(importlib.import_module(home), name), name
    assert homes["Engine"] == "shouhu.api"
    assert {homes[n] for n in errors.__all__} == {"shouhu.errors"}
    assert set(shouhu.__all__) <= set(dir(shouhu))
    assert isinstance(shouhu.__version__, str)
    namespace: dict[str, object] = {}
    exec("from shouhu import *", namespace)
    assert namespace["Engine"] is shouhu.Engine
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = shouhu.Nope


def _guide() -> tuple[str, str]:
    """The library guide's text, and its Python blocks joined (the program the docs run)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "library-guide.md").read_text(
        encoding="utf-8"
    )
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return text, "\n".join(blocks)


def test_every_public_method_of_the_engine_is_called_in_the_library_guide() -> None:
    """Each method of Engine without a leading underscore has a runnable example in
    docs/library-guide.md (its Python blocks run in tests/docs/test_examples.py)."""
    import re

    methods = [n for n in dir(shouhu.Engine) if not n.startswith("_")]
    methods = [n for n in methods if callable(getattr(shouhu.Engine, n))]
    assert {"report", "fire", "run_due", "deliver", "verify", "anchor", "prove"} <= set(methods)
    _, code = _guide()
    missing = [n for n in methods if not re.search(rf"\.{n}\(", code)]
    assert not missing, f"no example in docs/library-guide.md calls {missing}"


def test_the_library_guide_names_every_export_and_imports_only_public_modules() -> None:
    """Every name of ``shouhu.__all__`` is named in the guide, and its examples import from
    ``shouhu`` (or ``shouhu.workflows``) only: what they need is exported."""
    import re

    text, code = _guide()
    unnamed = [n for n in shouhu.__all__ if f"`{n}`" not in text]
    assert not unnamed, f"docs/library-guide.md does not name {unnamed}"
    modules = set(re.findall(r"^\s*from (shouhu[\w.]*) import", code, re.MULTILINE))
    modules |= set(re.findall(r"^\s*import (shouhu[\w.]*)", code, re.MULTILINE))
    assert modules == {"shouhu", "shouhu.workflows"}, modules
