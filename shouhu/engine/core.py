"""The engine: files reports, fires triggers, and shows cases — over any :class:`Store`.

:class:`Engine` is a facade. It holds what every part shares — the store, the clock, the zone,
the policy pack, the id factory, the logger — and binds each public method from the module
that owns it (a newcomer finds the code by its name; ``docs/architecture.md`` is the map):

============================  ===================================================================
``engine/intake.py``          ``report``, ``report_many``, ``reporting``, ``check_report``,
                              ``known_external``: reports, idempotency keys
``engine/duplicates.py``      the probable-duplicate refusal (report, batch, ``raise_report``)
``engine/ledger.py``          ``register``, ``registry_report``, ``screening`` (台账)
``engine/transitions.py``     ``fire``, ``fire_many``: one step, the catch-up of due duties,
                              the retries of a write that lost a race
``engine/staged.py``          a batch's write transaction (``fire_many``)
``engine/sweep.py``           ``run_due``: the deadline sweep, one row fired
``engine/rejudge.py``         ``rejudge``: flagged rest days judged anew (Civil Code Art. 203)
``engine/outbox.py``          ``notices``, ``deliver``, and the notices a step calls for
``engine/queries.py``         ``case``, ``history``, ``next``, ``cases``, ``deadlines``,
                              ``next_due``, ``accesses``, ``read_identity``
``engine/worklist.py``        ``worklist``: what waits on an operator, and counts per state
``engine/auditing.py``        ``verify``, ``replay``, ``replay_all``, ``compliance_report``
``engine/transparency.py``    ``anchor``, ``prove``: the transparency log's signed tree
                              heads and inclusion proofs
``engine/acting.py``          ``init_admin``, ``add_operator``, ``change_scope``,
                              ``disable_operator``, ``rotate_key``, ``operators``, ``operator``,
                              ``operator_registry``, ``authenticate``: operators, credentials,
                              scopes
``engine/records.py``         what the parts share: load and show a case, check an instant,
                              seal an event, log events
``engine/requests.py``        ``ReportRequest``, ``FireRequest``, ``Fired``
``engine/ids.py``             case ids
============================  ===================================================================

The methods are the parts' functions themselves, not wrappers: the same name, signature and
docstring, and no extra call on the hot paths. A part is imported when one of its methods is
first used (then the class holds the function itself): a command that shows a case loads the
queries, not intake, the sweep or the ledger. Every write is one
:class:`~shouhu.engine.ports.Commit`: the new events and the case's new projection,
atomically, guarded by the version the engine read. Nothing here reads the wall clock (the
:class:`~shouhu.engine.clock.Clock` is injected) or knows which database is used.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shouhu.engine.clock import Clock
from shouhu.engine.ids import new_case_id
from shouhu.engine.logs import get_logger
from shouhu.engine.periods import DEFAULT_ZONE
from shouhu.engine.policy import PolicyPack, default_pack
from shouhu.engine.ports import Store
from shouhu.engine.records import FUTURE_TOLERANCE, anniversary, parse_location
from shouhu.engine.requests import Fired, FireRequest, Instant, ReportRequest
from shouhu.workflows import DEFAULT, WorkflowSet

if TYPE_CHECKING:
    from shouhu.engine import (
        acting,
        auditing,
        intake,
        ledger,
        outbox,
        queries,
        rejudge,
        returns,
        sweep,
        transitions,
        transparency,
        worklist,
    )
    from shouhu.engine.duplicates import DUPLICATE_WINDOW
    from shouhu.engine.intake import IDEMPOTENCY_SOURCE
    from shouhu.engine.signing import Credential
    from shouhu.engine.transitions import FIRE_ATTEMPTS

#: Names found here that live in a part, loaded with it on first use (PEP 562).
_LAZY = {
    "DUPLICATE_WINDOW": "duplicates",
    "FIRE_ATTEMPTS": "transitions",
    "IDEMPOTENCY_SOURCE": "intake",
}


def __getattr__(name: str) -> Any:
    part = _LAZY.get(name)
    if part is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"shouhu.engine.{part}"), name)


class _Part:
    """A method of the facade, bound on first use to its part's function: the part's module is
    imported then, and the class holds the function itself from then on."""

    __slots__ = ("attr", "module")

    def __init__(self, module: str) -> None:
        self.module = module
        self.attr = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        func = getattr(importlib.import_module(f"shouhu.engine.{self.module}"), self.attr)
        if owner is None:
            owner = type(obj)
        setattr(owner, self.attr, func)
        return func if obj is None else func.__get__(obj, owner)


__all__ = [
    "DUPLICATE_WINDOW",
    "FIRE_ATTEMPTS",
    "FUTURE_TOLERANCE",
    "IDEMPOTENCY_SOURCE",
    "Engine",
    "FireRequest",
    "Fired",
    "Instant",
    "ReportRequest",
    "anniversary",
    "new_case_id",
    "parse_location",
]


class Engine:
    """Cases of the six report types, on an event-sourced store.

    >>> from shouhu import Engine
    >>> engine = Engine.open("sqlite:///cases.db")   # doctest: +SKIP
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        zone: str = DEFAULT_ZONE,
        policy: PolicyPack | None = None,
        id_factory: Callable[[datetime], str] | None = None,
        logger: Any = None,
        workflows: WorkflowSet | None = None,
    ) -> None:
        from shouhu.engine.timeutil import zone as _zone

        _zone(zone)  # fail early on an unknown zone
        self.store = store
        self.clock = clock
        #: The workflow definitions this engine files, fires and replays (default: the six
        #: report types and the ledger's three watches, :data:`shouhu.workflows.DEFAULT`).
        self.workflows: WorkflowSet = DEFAULT if workflows is None else workflows
        self.zone = zone
        self.policy = policy if policy is not None else default_pack()
        self.policy_version = self.policy.id
        self._new_id = id_factory or new_case_id
        self.log = logger if logger is not None else get_logger("shouhu.engine")
        self._std_log = logging.getLogger("shouhu.engine")
        #: The latest horizon a sweep of this engine fired up to (``run_due``), or None.
        self.swept_to: datetime | None = None
        #: The pack whose calendar this engine last re-judged flagged duties under (the sweep
        #: does it once per pack: ``rejudge``), or None.
        self.rejudged_under: str | None = None
        #: On a database with operators: the credential this engine's own acts — the sweep,
        #: re-judging rest days — are signed with (an operator of role ``system``), or None.
        self.credential: Credential | None = None

    # -- context management ------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The parts' methods (docs/architecture.md): typed as the functions, loaded on first use.
    if TYPE_CHECKING:
        # -- writing: reports (intake.py), the ledger (ledger.py), triggers (transitions.py) ----

        report = intake.report
        report_many = intake.report_many
        reporting = intake.reporting
        check_report = intake.check_report
        known_external = intake.known_external
        register = ledger.register
        submit_return = returns.submit_return
        fire = transitions.fire
        fire_many = transitions.fire_many

        # -- deadlines and notices (sweep.py, outbox.py) ------------------------------------------

        run_due = sweep.run_due
        rejudge = rejudge.rejudge
        notices = outbox.notices
        deliver = outbox.deliver

        # -- reading (queries.py) ------------------------------------------------------------------

        case = queries.case
        history = queries.history
        next = queries.next
        cases = queries.cases
        next_due = queries.next_due
        deadlines = queries.deadlines
        accesses = queries.accesses
        read_identity = queries.read_identity
        worklist = worklist.worklist

        # -- audit (auditing.py) and the ledger's returns (ledger.py) -----------------------------

        replay = auditing.replay
        verify = auditing.verify
        replay_all = auditing.replay_all
        anchor = transparency.anchor
        prove = transparency.prove
        compliance_report = auditing.compliance_report
        registry_report = ledger.registry_report
        screening = ledger.screening

        # -- operators (acting.py) ----------------------------------------------------------------

        init_admin = acting.init_admin
        add_operator = acting.add_operator
        change_scope = acting.change_scope
        disable_operator = acting.disable_operator
        rotate_key = acting.rotate_key
        operators = acting.operators
        operator = acting.operator
        operator_registry = acting.operator_registry
        authenticate = acting.authenticate
    else:
        # -- writing: reports (intake.py), the ledger (ledger.py), triggers (transitions.py) ----

        report = _Part("intake")
        report_many = _Part("intake")
        reporting = _Part("intake")
        check_report = _Part("intake")
        known_external = _Part("intake")
        register = _Part("ledger")
        submit_return = _Part("returns")
        fire = _Part("transitions")
        fire_many = _Part("transitions")

        # -- deadlines and notices (sweep.py, outbox.py) ------------------------------------------

        run_due = _Part("sweep")
        rejudge = _Part("rejudge")
        notices = _Part("outbox")
        deliver = _Part("outbox")

        # -- reading (queries.py) ------------------------------------------------------------------

        case = _Part("queries")
        history = _Part("queries")
        next = _Part("queries")
        cases = _Part("queries")
        next_due = _Part("queries")
        deadlines = _Part("queries")
        accesses = _Part("queries")
        read_identity = _Part("queries")
        worklist = _Part("worklist")

        # -- audit (auditing.py) and the ledger's returns (ledger.py) -----------------------------

        replay = _Part("auditing")
        verify = _Part("auditing")
        replay_all = _Part("auditing")
        anchor = _Part("transparency")
        prove = _Part("transparency")
        compliance_report = _Part("auditing")
        registry_report = _Part("ledger")
        screening = _Part("ledger")

        # -- operators (acting.py) ----------------------------------------------------------------

        init_admin = _Part("acting")
        add_operator = _Part("acting")
        change_scope = _Part("acting")
        disable_operator = _Part("acting")
        rotate_key = _Part("acting")
        operators = _Part("acting")
        operator = _Part("acting")
        operator_registry = _Part("acting")
        authenticate = _Part("acting")
