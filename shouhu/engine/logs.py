"""Structured logs that never carry a child's personal data.

The engine logs through structlog on top of the standard ``logging`` module (logger name
``shouhu``), so an embedding system decides where lines go and at which level; with no
configuration only warnings reach stderr. :func:`redact_personal_data` runs on every line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

#: Keys whose values are personal data: removed from every log line, at any depth.
PERSONAL_KEYS = frozenset(
    {
        "name",
        "child",
        "child_name",
        "birthdate",
        "child_birthdate",
        "id_number",
        "child_id_number",
        "guardian",
        "guardian_name",
        "new_guardian",
        "entrusted_guardian",
    }
)
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if k in PERSONAL_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_personal_data(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: replace the values of personal keys with ``[redacted]``."""
    for key in list(event_dict):
        if key in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        elif isinstance(event_dict[key], Mapping | list | tuple):
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def get_logger(name: str = "shouhu") -> Any:
    """The engine's logger: structlog over stdlib logging, personal data redacted."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_log_level,
            redact_personal_data,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
