"""The bad-input campaign: prints how many generated inputs this session ran."""

from __future__ import annotations

from typing import Any

import fuzzkit


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if fuzzkit.RAN:
        total = sum(fuzzkit.RAN.values())
        parts = ", ".join(f"{k} {v:,}" for k, v in sorted(fuzzkit.RAN.items()))
        terminalreporter.write_line(f"fuzz: {total:,} generated inputs ({parts})")
