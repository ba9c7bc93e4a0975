"""The typed requests the engine takes (:class:`ReportRequest`, :class:`FireRequest`) and what
a sweep returns (:class:`Fired`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine.model import Location

if TYPE_CHECKING:
    from shouhu.engine.signing import Credential

Instant = str | datetime | date


@dataclass(frozen=True, slots=True)
class Fired:
    """A deadline the scheduler fired: the case, the kind, when it was due, the event it made."""

    case_id: str
    kind: str
    due_at: datetime
    trigger: str
    seq: int


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """Everything a report needs; the typed form of :meth:`Engine.report`'s arguments."""

    type: str
    child: Mapping[str, Any] | BaseModel
    location: str | Mapping[str, Any] | Location
    reporter: Mapping[str, Any] | BaseModel
    discovered_at: Instant | None = None
    occurred_at: Instant | None = None
    data: Mapping[str, Any] | None = None
    external_id: str | None = None  # the sending system's id (batch intake), unique per source


@dataclass(frozen=True, slots=True)
class FireRequest:
    """One trigger to fire; the typed form of :meth:`Engine.fire`'s arguments, for
    :meth:`Engine.fire_many`."""

    case_id: str
    trigger: str
    actor: Mapping[str, Any] | BaseModel | Credential  # a credential, on a governed database
    occurred_at: Instant | None = None
    data: Mapping[str, Any] | BaseModel | None = None
    expected_version: int | None = None
