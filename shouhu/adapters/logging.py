"""Where log lines go: stderr, as key=value text or JSON, personal data always redacted."""

from __future__ import annotations

import logging
import sys

import structlog

from shouhu.engine.logs import redact_personal_data


def configure(*, fmt: str = "console", level: str = "WARNING") -> None:
    """Send the ``shouhu`` loggers to stderr in ``fmt`` (console|json) from ``level`` up."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                redact_personal_data,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
            foreign_pre_chain=[structlog.stdlib.add_log_level],
        )
    )
    root = logging.getLogger("shouhu")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
