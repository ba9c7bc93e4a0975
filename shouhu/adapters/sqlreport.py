"""The auditor's report counted in SQL (``audit report``; issue 18): one ``GROUP BY`` over the
cases reported in the window, one over their deadline rows, and the few rows the report lists
by name — late reports, their notices, the dated events — on any SQLAlchemy dialect.

Every table read here is derived from the events and recomputed by ``audit verify``; the
engine turns the :class:`~shouhu.engine.compliance.Tally` into the report
(:func:`~shouhu.engine.compliance.from_tally`), the same numbers a replay of every case gives
(``tests/contract/test_compliance_tally.py``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shouhu.adapters.sqlcodec import _dec_dt
from shouhu.adapters.tables import CASES, DEADLINES, EVENTS, OUTBOX, UTCDateTime
from shouhu.engine.compliance import ReportWindow, Tally

_C, _D, _E, _N = CASES.c, DEADLINES.c, EVENTS.c, OUTBOX.c


def tally(conn: Connection, w: ReportWindow) -> Tally:
    """The report's counts of the cases reported in ``w``'s window, read in one connection.

    Each query finds the window's cases by ``ix_cases_window`` (and their deadline rows by
    ``ix_deadlines_case``) and counts from those indexes alone; the case type is grouped, not
    filtered (:func:`~shouhu.engine.compliance.from_tally` keeps ``w.types``), so no planner
    prefers an index on the type over the window."""
    window = sa.and_(_C.reported_at >= w.start, _C.reported_at < w.end)
    out = Tally()
    keys: tuple[Any, ...] = (
        _C.type,
        _C.state,
        _C.reporter_kind,
        _int(_C.reporter_mandatory),
        _int(_C.late),
    )
    out.cases = _grouped(conn, keys, CASES, window)
    late = sa.and_(window, _C.late == sa.true())
    named = sa.select(_C.type, _C.reporter_kind, _C.id).where(late).order_by(_C.id)
    out.late_cases = _rows(conn, named)
    # a row done after its due time keeps its two times (to count how late); the rest group
    met = _D.met_at.is_not(None)
    done_late = sa.or_(
        sa.and_(_D.status == "missed", met), sa.and_(_D.status == "met", _D.met_at > _D.due_at)
    )
    keys = (
        _C.type,
        _D.kind,
        _D.status,
        _int(met),
        _int(_D.not_extended),
        sa.case((done_late, _D.due_at)),
        sa.case((done_late, _D.met_at)),
    )
    out.deadlines = _grouped(conn, keys, DEADLINES.join(CASES, _C.id == _D.case_id), window)
    told = CASES.join(OUTBOX, sa.and_(_N.case_id == _C.id, _N.kind == "late_report"))
    notices = sa.select(_C.type, _N.recipient, _C.reporter_kind, _C.reporter_name, _C.id)
    out.notices = _rows(conn, notices.select_from(told).where(late).order_by(_C.id, _N.id))
    # the six-month ground is the scheduler's event when the maturity's deadline falls due: only
    # a case with that deadline row has one; a voluntary report may have been praised
    matures = sa.exists().where(_D.case_id == _C.id, _D.kind == w.matured)
    dated = sa.and_(
        window, sa.or_(matures, _C.reporter_kind.in_(w.voluntary)), _E.trigger.in_(w.dated)
    )
    steps = sa.select(_C.type, _C.id, _C.reporter_kind, _E.trigger, _E.seq, _E.occurred_at)
    steps = steps.select_from(CASES.join(EVENTS, _E.case_id == _C.id)).where(dated)
    out.steps = _rows(conn, steps.order_by(_C.id, _E.seq))
    return out


def _rows(conn: Connection, stmt: Any) -> list[Any]:
    return [tuple(r) for r in conn.execute(stmt)]


def _int(flag: Any) -> Any:
    """A boolean column or condition as 0 or 1."""
    return sa.type_coerce(sa.case((flag, 1), else_=0), sa.Integer)


def _grouped(conn: Connection, keys: tuple[Any, ...], source: Any, where: Any) -> list[Any]:
    """(keys…, count) of the rows of ``source`` that match ``where``: a ``GROUP BY``, but on
    SQLite counted here as the driver's rows stream past (each distinct key's times then
    read from their stored text) — SQLite's ``GROUP BY`` sorts every row into a temporary
    B-tree first, twice as long over a million cases' deadline rows."""
    stmt = sa.select(*keys).select_from(source).where(where)
    if conn.dialect.name != "sqlite":
        return _rows(conn, stmt.add_columns(sa.func.count()).group_by(*keys))
    result = conn.execute(stmt)
    try:  # the driver's own tuples: no result row made per row
        counted: Counter[tuple[Any, ...]] = Counter(iter(result.cursor))  # type: ignore[call-overload]
    finally:
        result.close()
    times = [isinstance(k.type, UTCDateTime) for k in keys]  # stored as text: read here
    return [
        (*(_dec_dt(v) if t else v for t, v in zip(times, key, strict=True)), n)
        for key, n in counted.items()
    ]
