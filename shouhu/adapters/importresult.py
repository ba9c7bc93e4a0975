"""What a batch import reports: the refused rows, the counts, the progress it shows."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from shouhu.i18n import N_, _, one_or_many

#: Above this many rows the result carries no ``case_ids`` map.
CASE_IDS_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class BadRow:
    """A refused row: where it is, which report it was, and why (one line)."""

    line: int
    external_id: str | None
    reason: str

    def __str__(self) -> str:
        ident = (
            _("external_id {external_id}").format(external_id=self.external_id)
            if self.external_id
            else _("no external_id")
        )
        return _("line {line} ({ident}): {reason}").format(
            line=self.line, ident=ident, reason=self.reason
        )

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "external_id": self.external_id, "reason": self.reason}


@dataclass
class ImportResult:
    """What an import did. ``case_ids`` (external id → case id, for the rows imported now or
    before) is None for files of more than :data:`CASE_IDS_LIMIT` rows."""

    read: int = 0
    imported: int = 0
    already_imported: int = 0
    refused: list[BadRow] = field(default_factory=list)
    case_ids: dict[str, str] | None = None
    all_or_nothing: bool = False

    @property
    def ok(self) -> bool:
        """Every row was imported, now or before."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "read": self.read,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "refused": [b.to_dict() for b in self.refused],
        }
        if self.case_ids is not None:
            out["case_ids"] = dict(self.case_ids)
        return out

    def summary(self) -> str:
        text = one_or_many(
            self.read,
            N_(
                "read {read} row: imported {imported}, already imported {already}, "
                "refused {refused}"
            ),
            N_(
                "read {read} rows: imported {imported}, already imported {already}, "
                "refused {refused}"
            ),
        ).format(
            read=self.read,
            imported=self.imported,
            already=self.already_imported,
            refused=len(self.refused),
        )
        if self.all_or_nothing and self.refused:
            text += _(" (--all-or-nothing: nothing was imported)")
        return text


class Progress(Protocol):
    """Told how far an import has come: a phase with its total (bytes when checking, rows when
    importing), then the amount done and the rows gone through."""

    def start(self, description: str, total: int) -> None: ...

    def update(self, completed: int, rows: int) -> None: ...


# --- a progress bar ---------------------------------------------------------------------------


class RichProgress:
    """A rich progress bar on stderr, one task per phase (use as a context manager)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _Bar

        self._bar = _Bar(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn(_("{task.fields[rows]:>9,} rows")),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> RichProgress:
        self._stack.enter_context(self._bar)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def start(self, description: str, total: int) -> None:
        self._task = self._bar.add_task(description, total=total, rows=0)

    def update(self, completed: int, rows: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=completed, rows=rows)
