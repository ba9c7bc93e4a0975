"""Where log lines go: stderr, as key=value text or JSON, personal data always redacted."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import structlog


def configure(*, fmt: str = "console", level: str = "WARNING") -> None:
    """Send the ``shouhu`` loggers to stderr in ``fmt`` (console|json) from ``level`` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LazyFormatter(fmt))
    root = logging.getLogger("shouhu")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
    # APScheduler (the daemon's wake-ups) says what went wrong with a job through its own
    # loggers: the same lines, in the same format, warnings and up (its INFO is per job).
    aps = logging.getLogger("apscheduler")
    for old in list(aps.handlers):
        aps.removeHandler(old)
    aps.addHandler(handler)
    aps.setLevel(max(logging.WARNING, root.level))
    aps.propagate = False


class _LazyFormatter(logging.Formatter):
    """structlog's formatter for ``fmt``, built when the first line is written: a command that
    logs nothing (``--help``, most reads) does not import structlog for it."""

    def __init__(self, fmt: str) -> None:
        super().__init__()
        self._kind = fmt
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            self._formatter = _processor_formatter(self._kind)
        return self._formatter.format(record)


def _processor_formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    import structlog

    from shouhu.engine.logs import redact_personal_data

    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            redact_personal_data,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
        foreign_pre_chain=[structlog.stdlib.add_log_level],
    )
