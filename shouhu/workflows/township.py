"""``township_return`` — a township's standing duty to submit its ledger every quarter (报送).

001 §四(二)2 — 乡镇人民政府(街道办事处)……同时每个季度要向县(市)区民政部门报送农村留守儿童信息,
并抄报县(市)区教育部门和公安部门.

One case per township (its place is the township; it holds no person): it opens at the
township's first submission (``shouhu registry submit``, :meth:`Engine.submit_return`), and each
``submit_return`` records one quarter's return, sends it to county civil affairs with copies to
the county education and public security bureaus (three notices), and starts the duty of the
next quarter: due the pack's ``quarterly_submission`` period after that quarter ends (a
``basis = "local"`` choice: the documents say 每个季度 and no day). A quarter whose return is not
in by then is recorded by the scheduler as ``deadline_missed``, and county civil affairs is told.
Quarters are submitted in order, each once: the return of a quarter already submitted, or one
that skips a quarter not yet submitted, is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from shouhu.i18n import N_, _
from shouhu.workflows.spec import (
    DataRule,
    Facts,
    FieldDef,
    Guard,
    NoticeDef,
    StateDef,
    TransitionDef,
    WorkflowDef,
)

C_SUBMIT = (
    "001 §四(二)2 — 同时每个季度要向县(市)区民政部门报送农村留守儿童信息,"
    "并抄报县(市)区教育部门和公安部门"
)
C_MISSED = (
    "001 §四(二)2 — 每个季度要向县(市)区民政部门报送; "
    "001 §三 市民政局 — 督促基层民政部门健全信息报送机制"
)

#: The quarter a return is for: ``2026Q3``.
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(text: object) -> tuple[int, int] | None:
    """``(year, quarter)`` of ``2026Q3``; None if it is not one."""
    m = QUARTER.match(str(text)) if isinstance(text, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def quarter_text(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def quarter_starts(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_ends(year: int, quarter: int) -> date:
    """The quarter's last day."""
    ny, nq = next_quarter(year, quarter)
    return quarter_starts(ny, nq) - timedelta(days=1)


def due_from(quarter: str) -> str | None:
    """The last day of the quarter after ``quarter`` (ISO): the next duty counts from it."""
    q = parse_quarter(quarter)
    return None if q is None else quarter_ends(*next_quarter(*q)).isoformat()


def _in_order(facts: Facts, data: Mapping[str, Any]) -> str | None:
    last = parse_quarter(facts.get("last_quarter"))
    given = parse_quarter(data.get("quarter"))
    if last is None or given is None:
        return None  # the first return a township submits may be of any quarter begun
    expected = next_quarter(*last)
    if given <= last:
        return _("the return of {quarter} was submitted already (last: {last})").format(
            quarter=data.get("quarter"), last=quarter_text(*last)
        )
    if given != expected:
        return _(
            "the return of {quarter} is not in yet: quarters are submitted in order, each once"
        ).format(quarter=quarter_text(*expected))
    return None


IN_ORDER = Guard(
    "quarters_in_order",
    N_("each quarter's return is submitted once, in order"),
    C_SUBMIT,
    _in_order,
)


def _due_from_engine(data: Mapping[str, Any]) -> str | None:
    if parse_quarter(data.get("quarter")) is None:
        return _("quarter must be a calendar quarter such as 2026Q3, not {quarter}").format(
            quarter=repr(data.get("quarter"))
        )
    if data.get("next_quarter_ends") != due_from(str(data["quarter"])):
        return _(
            "next_quarter_ends is set by the engine from the quarter "
            "(shouhu registry submit, Engine.submit_return)"
        )
    return None


SUBMIT_DATA = (
    FieldDef(
        "quarter",
        "text",
        required=True,
        max_length=6,
        description=N_("the calendar quarter of the return, e.g. 2026Q3"),
    ),
    FieldDef(
        "next_quarter_ends",
        "text",  # a day to come: a date field may not lie after its event
        # not ``required``: the rule below says who fills it
        max_length=10,
        description=N_("set by the engine: the next quarter's last day, its duty counted from it"),
        by_engine=True,
    ),
)


def _submitted(facts: Facts, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return {
        "last_quarter": data["quarter"],
        "returns_submitted": int(facts.get("returns_submitted") or 0) + 1,
    }


NOTICES = (
    NoticeDef("quarterly_return", "county civil affairs (县级民政部门)", C_SUBMIT),
    NoticeDef(
        "quarterly_return_copy",
        "county education bureau (县级教育行政部门), copy (抄报)",
        C_SUBMIT,
    ),
    NoticeDef(
        "quarterly_return_copy_police",
        "county public security bureau (县级公安机关), copy (抄报)",
        C_SUBMIT,
    ),
)

WORKFLOW = WorkflowDef(
    type="township_return",
    version=1,
    zh="乡镇农村留守儿童信息季度报送",
    en="A township's quarterly submission of its ledger",
    citation=C_SUBMIT,
    states=(
        StateDef("on_duty", "按季报送", "Submitting quarterly"),
        StateDef("ended", "不再报送", "No longer submitting", final=True),
    ),
    initial="on_duty",
    opening="open_returns",
    transitions=(
        TransitionDef(
            "submit_return",
            ("on_duty",),
            None,
            ("township",),
            C_SUBMIT,
            N_(
                "the township submits its quarter's ledger to county civil affairs, copied to the "
                "county education and public security bureaus (报送, 抄报)"
            ),
            data=SUBMIT_DATA,
            guards=(IN_ORDER,),
            rules=(
                DataRule("the quarter, and the day the next duty counts from", _due_from_engine),
            ),
            effect=_submitted,
            notices=NOTICES,
        ),
        TransitionDef(
            "end_returns",
            ("on_duty",),
            "ended",
            ("civil_affairs",),
            C_SUBMIT,
            N_("the township keeps no ledger any more (merged or abolished): its duty ends"),
            data=(FieldDef("reason", "text", required=True, description=N_("why the duty ends")),),
            outcome="ended",
        ),
        TransitionDef(
            "deadline_missed",
            ("on_duty",),
            None,
            ("system",),
            C_MISSED,
            N_("a quarter's return was not in by its due time; county civil affairs is told"),
            data=(
                FieldDef("kind", "text", required=True, max_length=64),
                FieldDef("due_at", "datetime", required=True),
                FieldDef("notify", "text", max_length=200),
            ),
            kind="system",
            notices=(NoticeDef("deadline_missed", "{notify}", C_MISSED),),
        ),
    ),
    description=(
        N_(
            "One case per township, opened at its first submission: each quarter's return goes to "
            "county civil affairs, copied to education and police; a quarter not in by its "
            "due time "
            "is recorded as missed and county civil affairs is told."
        )
    ),
)
