"""System transitions that every workflow shares and no person fires.

``rest_days_rejudged`` (Civil Code Art. 203, issue 14): a duty whose last day fell in a year the
policy pack had no State Council notice for was computed without extension and flagged; when
the engine runs under a pack whose calendar now has that year, the case's flagged duties are
re-judged by one recorded event of this transition — its effects move each due time past the
rest days, or confirm it (:mod:`shouhu.engine.rejudge`). The case stays where it is.

《民法典》第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
"""

from __future__ import annotations

from dataclasses import replace

from shouhu.i18n import N_
from shouhu.workflows.spec import FieldDef, TransitionDef

#: How the re-judging event cites the law.
C_ART_203 = "Civil Code Art. 203 (《民法典》第二百零三条)"

#: The re-judging event, from no state yet: each workflow adds it from its open states with
#: :func:`rest_days_rejudged` (the spine's, the watches').
REST_DAYS_REJUDGED = TransitionDef(
    "rest_days_rejudged",
    (),
    None,
    ("system",),
    C_ART_203,
    N_(
        "a pack now has the rest days of a year a duty's last day fell in: its due time is "
        "re-judged (moved past the rest days, or confirmed)"
    ),
    data=(
        FieldDef(
            "kinds",
            "text",
            required=True,
            max_length=400,
            description=N_("the duties re-judged"),
            by_engine=True,
        ),
        FieldDef(
            "policy",
            "text",
            max_length=200,
            description=N_("the pack that re-judged them"),
            by_engine=True,
        ),
    ),
    kind="system",
)


def rest_days_rejudged(sources: tuple[str, ...]) -> TransitionDef:
    """:data:`REST_DAYS_REJUDGED` from a workflow's open states (the case stays where it is)."""
    return replace(REST_DAYS_REJUDGED, sources=sources)


__all__ = ["C_ART_203", "REST_DAYS_REJUDGED", "rest_days_rejudged"]
