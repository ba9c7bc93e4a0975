"""The one error tree of shouhu.

Every error the engine raises on purpose is a ``ShouhuError``. Each class carries the data a
caller needs to act on it and the exit code the CLI maps it to::

    ShouhuError                      (exit 1, never raised bare)
    ├── InvalidInput                 exit 2  bad type, trigger, case, kind, date, data, time rule
    │   └── NotFound                 exit 2  no such case (an unknown id is bad input)
    ├── TransitionRefused            exit 3  the rules say no (state, role, guard, duplicate), cited
    ├── Conflict                     exit 4  someone else wrote first (optimistic concurrency)
    ├── StoreUnavailable             exit 5  the database cannot be opened, is busy or read-only
    └── NotAuthenticated             exit 6  no credential, or one the operator registry refuses
"""

from __future__ import annotations

from typing import Any


class ShouhuError(Exception):
    """Root of every error shouhu raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data: dict[str, Any] = data

    def __str__(self) -> str:
        return self.message


class InvalidInput(ShouhuError):
    """The input cannot be accepted as given: unknown name, malformed value, or a time rule broken.

    ``field`` names the offending input where there is one.
    """

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(message, field=field, **data)
        self.field = field


class NotFound(InvalidInput):
    """No case with this id exists."""

    def __init__(self, message: str, *, case_id: str, **data: Any) -> None:
        super().__init__(message, field="case", case_id=case_id, **data)
        self.case_id = case_id


class TransitionRefused(ShouhuError):
    """The workflow refuses the trigger.

    ``rule`` is one of ``state``, ``role`` or ``guard`` — or ``duplicate``: a report about a
    child with an open report of its type (``data["case_id"]``); ``citation`` the clause behind
    it.
    """

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        citation: str,
        trigger: str,
        state: str,
        **data: Any,
    ) -> None:
        super().__init__(
            message, rule=rule, citation=citation, trigger=trigger, state=state, **data
        )
        self.rule = rule
        self.citation = citation
        self.trigger = trigger
        self.state = state


class Conflict(ShouhuError):
    """Another writer changed the case first; nothing was written."""

    exit_code = 4

    def __init__(
        self, message: str, *, case_id: str, expected: int | None, actual: int | None, **data: Any
    ) -> None:
        super().__init__(message, case_id=case_id, expected=expected, actual=actual, **data)
        self.case_id = case_id
        self.expected = expected
        self.actual = actual


class StoreUnavailable(ShouhuError):
    """The store cannot be used: unreachable, locked past the wait, read-only or full."""

    exit_code = 5


class NotAuthenticated(ShouhuError):
    """No credential where one is needed, or one that does not verify against the operator
    registry (another database's, a disabled operator's, a key rotated away, tampered);
    nothing was written."""

    exit_code = 6


__all__ = [
    "Conflict",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "ShouhuError",
    "StoreUnavailable",
    "TransitionRefused",
]
