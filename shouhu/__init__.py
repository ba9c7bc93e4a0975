"""守护 shouhu — an engine for the mandatory-reporting and rescue mechanism that protects rural
left-behind children.

>>> from shouhu import Engine, FakeClock

The public names are imported on first use (PEP 562), so that ``import shouhu`` — and the
operator CLI's ``--help`` — does not pay for the engine, pydantic or the workflow machines.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shouhu.adapters.channels import JsonlChannel, LogChannel, WebhookChannel
    from shouhu.adapters.clock import SystemClock
    from shouhu.adapters.credentials import load as load_credential
    from shouhu.adapters.credentials import save as save_credential
    from shouhu.adapters.scheduler import Daemon
    from shouhu.api import Engine
    from shouhu.engine.audit import Replay
    from shouhu.engine.clock import Clock, FakeClock
    from shouhu.engine.compliance import ComplianceReport
    from shouhu.engine.core import FireRequest, ReportRequest
    from shouhu.engine.model import (
        Access,
        Actor,
        CaseRecord,
        Child,
        Event,
        Location,
        Notice,
        Reporter,
    )
    from shouhu.engine.operators import Operator, Registry, Scope
    from shouhu.engine.policy import PolicyPack
    from shouhu.engine.ports import Channel, DeliveryError
    from shouhu.engine.registry import LedgerReturn
    from shouhu.engine.rejudge import Rejudged
    from shouhu.engine.requests import Fired
    from shouhu.engine.screening import Screening
    from shouhu.engine.signing import Credential
    from shouhu.engine.transparency import check_proof
    from shouhu.engine.validation import ActorIn, ChildIn, ReporterIn
    from shouhu.engine.verification import Verification
    from shouhu.engine.views import CaseSummary, CaseView, EventView, TriggerOption
    from shouhu.errors import (
        Conflict,
        InvalidInput,
        NotAuthenticated,
        NotFound,
        ShouhuError,
        StoreUnavailable,
        TransitionRefused,
    )
    from shouhu.workflows import WorkflowSet

__version__ = "0.1.0"

__all__ = [
    "Access",
    "Actor",
    "ActorIn",
    "CaseRecord",
    "CaseSummary",
    "CaseView",
    "Channel",
    "Child",
    "ChildIn",
    "Clock",
    "ComplianceReport",
    "Conflict",
    "Credential",
    "Daemon",
    "DeliveryError",
    "Engine",
    "Event",
    "EventView",
    "FakeClock",
    "FireRequest",
    "Fired",
    "InvalidInput",
    "JsonlChannel",
    "LedgerReturn",
    "Location",
    "LogChannel",
    "NotAuthenticated",
    "NotFound",
    "Notice",
    "Operator",
    "PolicyPack",
    "Registry",
    "Rejudged",
    "Replay",
    "ReportRequest",
    "Reporter",
    "ReporterIn",
    "Scope",
    "Screening",
    "ShouhuError",
    "StoreUnavailable",
    "SystemClock",
    "TransitionRefused",
    "TriggerOption",
    "Verification",
    "WebhookChannel",
    "WorkflowSet",
    "__version__",
    "check_proof",
    "load_credential",
    "save_credential",
]

#: Where each lazily imported public name lives.
_HOMES: dict[str, str] = {
    "Engine": "shouhu.api",
    "load_credential": "shouhu.adapters.credentials",
    "save_credential": "shouhu.adapters.credentials",
    "Credential": "shouhu.engine.signing",
    "Operator": "shouhu.engine.operators",
    "Scope": "shouhu.engine.operators",
    "NotAuthenticated": "shouhu.errors",
    "Clock": "shouhu.engine.clock",
    "FakeClock": "shouhu.engine.clock",
    "ReportRequest": "shouhu.engine.core",
    "FireRequest": "shouhu.engine.core",
    "Actor": "shouhu.engine.model",
    "CaseRecord": "shouhu.engine.model",
    "Child": "shouhu.engine.model",
    "Event": "shouhu.engine.model",
    "Location": "shouhu.engine.model",
    "Reporter": "shouhu.engine.model",
    "ActorIn": "shouhu.engine.validation",
    "ChildIn": "shouhu.engine.validation",
    "ReporterIn": "shouhu.engine.validation",
    "CaseSummary": "shouhu.engine.views",
    "CaseView": "shouhu.engine.views",
    "EventView": "shouhu.engine.views",
    "TriggerOption": "shouhu.engine.views",
    "Conflict": "shouhu.errors",
    "InvalidInput": "shouhu.errors",
    "NotFound": "shouhu.errors",
    "ShouhuError": "shouhu.errors",
    "StoreUnavailable": "shouhu.errors",
    "TransitionRefused": "shouhu.errors",
    "Access": "shouhu.engine.model",
    "Channel": "shouhu.engine.ports",
    "ComplianceReport": "shouhu.engine.compliance",
    "Daemon": "shouhu.adapters.scheduler",
    "DeliveryError": "shouhu.engine.ports",
    "Fired": "shouhu.engine.requests",
    "JsonlChannel": "shouhu.adapters.channels",
    "LedgerReturn": "shouhu.engine.registry",
    "LogChannel": "shouhu.adapters.channels",
    "Notice": "shouhu.engine.model",
    "PolicyPack": "shouhu.engine.policy",
    "Registry": "shouhu.engine.operators",
    "Rejudged": "shouhu.engine.rejudge",
    "Replay": "shouhu.engine.audit",
    "Screening": "shouhu.engine.screening",
    "SystemClock": "shouhu.adapters.clock",
    "Verification": "shouhu.engine.verification",
    "WebhookChannel": "shouhu.adapters.channels",
    "WorkflowSet": "shouhu.workflows",
    "check_proof": "shouhu.engine.transparency",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access, then keep it here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
