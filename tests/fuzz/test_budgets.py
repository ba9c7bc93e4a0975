"""The campaign's size: each fuzz test fails unless it ran its whole budget (fuzzkit.Counter),
so the budgets' sum is the least number of generated inputs a CI run goes through."""

from __future__ import annotations

import fuzzkit as fk


def test_the_campaign_budgets_add_up_to_at_least_ten_thousand() -> None:
    assert sum(fk.BUDGETS.values()) >= 10_000
    assert all(fk.budget(name) >= n for name, n in fk.BUDGETS.items())
