"""The probable-duplicate refusal: a report about a child with an open report of its type
within the policy pack's ``duplicate_window`` — checked by :meth:`Engine.report`,
:meth:`Engine.report_many`, :meth:`Engine.reporting` and the ledger's ``raise_report``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from shouhu.engine.model import CaseRecord
from shouhu.engine.policy import DeadlineRule, default_pack
from shouhu.engine.ports import Commit, Transaction, same_child
from shouhu.errors import TransitionRefused
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.core import Engine


#: The policy pack's check that sets the window of the duplicate-report refusal.
DUPLICATE_WINDOW = "duplicate_window"


def duplicate_rule(self: Engine) -> DeadlineRule:
    """The pack's ``duplicate_window`` check; a pack without one keeps the default's."""
    rule = self.policy.check(DUPLICATE_WINDOW) or _default_check(DUPLICATE_WINDOW)
    assert rule is not None  # the default pack has it
    return rule


def refuse_duplicates(
    self: Engine, tx: Transaction, commits: Sequence[Commit], *, batch: bool
) -> None:
    """Refuse the first new report (in the batch's order) about a child who has an open
    report of its type within the duplicate window — a stored case, or an earlier request
    of the batch. Checked in (type, birthdate) order, so that on PostgreSQL every
    transaction takes its advisory locks in one order (no deadlock between batches)."""
    rule = duplicate_rule(self)
    order = sorted(
        range(len(commits)),
        key=lambda i: (commits[i].case.type, commits[i].case.child.birthdate, i),
    )
    earlier: dict[tuple[str, date], list[tuple[int, CaseRecord]]] = {}
    refused: dict[int, TransitionRefused] = {}
    for i in order:
        case = commits[i].case
        child = case.child
        since, until = window(self, rule, case.reported_at)
        group = earlier.setdefault((case.type, child.birthdate), [])
        same = [
            j
            for j, c in group
            if since <= c.reported_at <= until
            and same_child(c.child.id_number, c.child.name, child.id_number, child.name)
        ]
        if same:
            refused[i] = duplicate_report(
                self,
                case,
                None,
                _("request {index} of this batch").format(index=same[0]),
                rule,
                "report",
                "",
            )
        else:
            twin = tx.open_report(case.type, child, since, until)
            if twin is not None:
                shown = _("case {case_id}").format(case_id=twin)
                refused[i] = duplicate_report(self, case, twin, shown, rule, "report", "")
        group.append((i, case))
    if refused:
        index = min(refused)
        exc = refused[index]
        if batch:
            exc.message = _("request {index}: {message}").format(index=index, message=exc.message)
            exc.args = (exc.message,)
            exc.data["index"] = index
        raise exc


def window(self: Engine, rule: DeadlineRule, at: datetime) -> tuple[datetime, datetime]:
    """The duplicate window around a report made ``at``: its period either side."""
    width = rule.due(at, self.zone) - at
    return at - width, at + width


def duplicate_report(
    self: Engine,
    case: CaseRecord,
    twin: str | None,
    shown: str,
    rule: DeadlineRule,
    trigger: str,
    state: str,
) -> TransitionRefused:
    """The refusal of a probable duplicate: it names the open case (``shown``: ``case ID``
    or the batch's earlier request), never the child."""
    clause = rule.citation.split(" — ")[0].strip()
    hint = (
        _(
            "add to that case; if this is a new situation, file it with new_case=True "
            "(CLI: --new-case)"
        )
        if trigger == "report"
        else _("add to that case instead")
    )
    return TransitionRefused(
        _("refused by rule {rule} ({citation}): {why}").format(
            rule="duplicate",
            citation=_("{clause}; {name} {period}, a {basis} rule of the policy pack").format(
                clause=clause, name=rule.name, period=rule.period, basis=rule.basis
            ),
            why=_(
                "the same child has an open {type} report, {shown}, made within {period} of "
                "this one — a probable duplicate; {hint}"
            ).format(type=case.type, shown=shown, period=rule.period, hint=hint),
        ),
        rule="duplicate",
        citation=clause,
        trigger=trigger,
        state=state,
        case_id=twin,
    )


def refuse_raised_twin(
    self: Engine, tx: Transaction, watch: CaseRecord, report: CaseRecord
) -> None:
    """``raise_report`` is refused as :meth:`report` refuses a probable duplicate: the
    child has an open report of the type within the pack's duplicate window."""
    rule = duplicate_rule(self)
    since, until = window(self, rule, report.reported_at)
    twin = tx.open_report(report.type, report.child, since, until)
    if twin is not None:
        raise duplicate_report(
            self,
            report,
            twin,
            _("case {case_id}").format(case_id=twin),
            rule,
            "raise_report",
            watch.state,
        )


@cache
def _default_check(name: str) -> DeadlineRule | None:
    """A check of the default pack (read once): what a city pack without it keeps."""
    return default_pack().check(name)
