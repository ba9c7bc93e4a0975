"""The workflow pages are generated from the definitions and must not go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouhu import workflows
from shouhu.docgen import page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows"


@pytest.mark.parametrize("type_", workflows.types())
def test_each_workflow_page_matches_its_definition(type_: str) -> None:
    """docs/workflows/<type>.md is exactly what `make docs` generates from the definition."""
    committed = (DOCS / f"{type_}.md").read_text(encoding="utf-8")
    assert committed == page(workflows.latest(type_)), f"run `make docs`: {type_}.md is stale"


@pytest.mark.parametrize("type_", workflows.types())
def test_each_page_draws_every_state_and_cites_every_transition(type_: str) -> None:
    """Every state appears in the page's diagram and every trigger in its tables."""
    text = (DOCS / f"{type_}.md").read_text(encoding="utf-8")
    wf = workflows.latest(type_)
    assert "```mermaid\nstateDiagram-v2" in text
    for s in wf.states:
        assert f"as {s.name}\n" in text
    for t in wf.transitions:
        assert f"| `{t.trigger}`" in text
