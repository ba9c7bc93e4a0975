"""守护 shouhu — an engine for the mandatory-reporting and rescue mechanism that protects rural
left-behind children.

>>> from shouhu import Engine, FakeClock
"""

from __future__ import annotations

from shouhu.api import Engine
from shouhu.engine.clock import Clock, FakeClock
from shouhu.engine.core import ReportRequest
from shouhu.engine.model import Actor, CaseRecord, Child, Event, Location, Reporter
from shouhu.engine.validation import ActorIn, ChildIn, ReporterIn
from shouhu.engine.views import CaseSummary, CaseView, EventView, TriggerOption
from shouhu.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ShouhuError,
    StoreUnavailable,
    TransitionRefused,
)

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "ActorIn",
    "CaseRecord",
    "CaseSummary",
    "CaseView",
    "Child",
    "ChildIn",
    "Clock",
    "Conflict",
    "Engine",
    "Event",
    "EventView",
    "FakeClock",
    "InvalidInput",
    "Location",
    "NotFound",
    "ReportRequest",
    "Reporter",
    "ReporterIn",
    "ShouhuError",
    "StoreUnavailable",
    "TransitionRefused",
    "TriggerOption",
    "__version__",
]
