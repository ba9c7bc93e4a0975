"""Comparing what a store holds with what the log says (:mod:`shouhu.engine.derive`), one
case at a time, and naming every difference by table, column and row (:class:`Difference`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shouhu.engine.columns import (
    _CASE_CELLS,
    _DEADLINE_CELLS,
    _DEADLINE_TIMES,
    ACCESS_COLUMNS,
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    INTAKE_COLUMNS,
    NOTICE_COLUMNS,
    PERSONAL_CASE_COLUMNS,
    WITHHELD,
)
from shouhu.engine.notices import normal_payload
from shouhu.i18n import _

if TYPE_CHECKING:
    from shouhu.engine.derive import CaseTables, JournalState, _Due

# -- differences -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """A stored row of a derived table that is not what the log says.

    ``column`` None: the whole row — ``stored`` None for a row the log calls for and the store
    lacks, ``derived`` None for a stored row the log does not call for (a forged or a stray
    row). ``row`` names the row within its case: ``case``, ``deadline 2 (dispatch)``, a
    notice's key, ``intake 12345/A-17``, ``access 3``.
    """

    case_id: str | None
    table: str
    row: str
    column: str | None
    stored: Any
    derived: Any

    def line(self) -> str:
        """One line: ``<case> <table>.<column> (<row>): stored …, derived …``."""
        where = self.table if self.column is None else f"{self.table}.{self.column}"
        who = self.case_id or "-"
        if self.column is None:
            what = (
                _("stored, not in the log") if self.derived is None else _("in the log, not stored")
            )
            return f"{who} {where} ({self.row}): {what}"
        shown = _("stored {stored}, derived {derived}").format(
            stored=_show(self.stored), derived=_show(self.derived)
        )
        return f"{who} {where} ({self.row}): {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "stored": self.stored,
            "derived": self.derived,
        }


def _show(value: Any) -> str:
    if value == WITHHELD:
        return WITHHELD
    text = repr(value) if not isinstance(value, dict) else repr(dict(sorted(value.items())))
    return text if len(text) <= 120 else text[:117] + "..."


_FRESH = {
    "status": "pending",
    "attempts": 0,
    "next_attempt_at": None,
    "last_error": None,
    "delivered_at": None,
    "channel": None,
}


def compare_case(
    case_id: str,
    tables: CaseTables | None,
    case: Sequence[Any] | None,
    deadlines: Sequence[Sequence[Any]],
    notices: Sequence[Sequence[Any]],
    intake: Sequence[Sequence[Any]],
    journal: JournalState,
) -> list[Difference]:
    """Every difference between one case's stored rows (cells, as the store's
    ``stored_cells`` gives them) and what the log says (``tables`` None: the case has no
    events, so each stored row names a case that is not there)."""
    out: list[Difference] = []
    if tables is None:  # rows that name a case the log does not have: their case_id is wrong
        if case is not None:
            out.append(Difference(case_id, "cases", "case", "id", case_id, NO_CASE))
        kind, key = DEADLINE_COLUMNS.index("kind"), NOTICE_COLUMNS.index("key")
        source, ext = INTAKE_COLUMNS.index("source"), INTAKE_COLUMNS.index("external_id")
        out += [_orphan(case_id, "deadlines", f"deadline {d[kind]}") for d in deadlines]
        out += [_orphan(case_id, "outbox", str(n[key])) for n in notices]
        out += [_orphan(case_id, "intake", f"intake {i[source]}/{i[ext]}") for i in intake]
        return out
    for why in tables.problems:
        out.append(Difference(case_id, "events", "log", None, why, why))
    if case is None:
        out.append(Difference(case_id, "cases", "case", None, None, "row"))
    else:
        want = _CASE_CELLS(tables.case)
        if tuple(case) != want:
            for col, s, d in zip(CASE_COLUMNS, case, want, strict=True):
                if s != d:
                    if col in PERSONAL_CASE_COLUMNS:
                        s = d = WITHHELD
                    out.append(Difference(case_id, "cases", "case", col, s, d))
    out += _compare_deadlines(case_id, tables.deadlines, deadlines)
    out += _compare_notices(case_id, tables.notices, notices, journal)
    want_intake = tables.intake + journal.intake.get(case_id, [])
    out += _compare_intake(case_id, want_intake, intake)
    return out


#: What verify derives for the case id of a row whose case has no events.
NO_CASE = "no case of that id in the log"


def _orphan(case_id: str, table: str, row: str) -> Difference:
    return Difference(case_id, table, row, "case_id", case_id, NO_CASE)


def _stray(case_id: str, table: str, row: str) -> Difference:
    return Difference(case_id, table, row, None, "row", None)


def _compare_deadlines(
    case_id: str, derived: Sequence[_Due], stored: Sequence[Sequence[Any]]
) -> list[Difference]:
    """Stored rows in id order against the rows the events started, in the order they did."""
    out: list[Difference] = []
    names = DEADLINE_COLUMNS[1:]
    for i in range(max(len(stored), len(derived))):
        if (
            i < len(stored)
            and i < len(derived)
            and stored[i][1:] == _DEADLINE_CELLS(derived[i].columns)
        ):
            continue
        name = f"deadline {i + 1}"
        if i >= len(derived):
            out.append(_stray(case_id, "deadlines", f"{name} ({stored[i][2]})"))
            continue
        due = derived[i]
        name = f"{name} ({due.columns['kind']})"
        if i >= len(stored):
            out.append(Difference(case_id, "deadlines", name, None, None, "row"))
            continue
        for col, s in zip(names, stored[i][1:], strict=True):
            d = due.columns[col]
            if s != d:
                if due.personal and col in _DEADLINE_TIMES:
                    s = d = WITHHELD
                out.append(Difference(case_id, "deadlines", name, col, s, d))
    return out


def _compare_notices(
    case_id: str,
    derived: Sequence[dict[str, Any]],
    stored: Sequence[Sequence[Any]],
    journal: JournalState,
) -> list[Difference]:
    out: list[Difference] = []
    names = NOTICE_COLUMNS[1:]
    at = names.index("payload")
    for i in range(max(len(stored), len(derived))):
        if i >= len(derived):
            out.append(_stray(case_id, "outbox", str(stored[i][1])))
            continue
        columns = {**derived[i], **journal.notices.get(derived[i]["key"], _FRESH)}
        want = tuple(columns[c] for c in names)
        if i >= len(stored):
            out.append(Difference(case_id, "outbox", columns["key"], None, None, "row"))
            continue
        got = tuple(stored[i][1:])
        if got == want:
            continue
        # the engine wrote the payload's times in its zone, verify made them in its own
        got = (*got[:at], normal_payload(got[at]), *got[at + 1 :])
        want = (*want[:at], normal_payload(want[at]), *want[at + 1 :])
        for col, s, d in zip(names, got, want, strict=True):
            if s != d:
                out.append(Difference(case_id, "outbox", columns["key"], col, s, d))
    return out


def _compare_intake(
    case_id: str, derived: Sequence[dict[str, Any]], stored: Sequence[Sequence[Any]]
) -> list[Difference]:
    out: list[Difference] = []
    names = INTAKE_COLUMNS[1:]
    left = [tuple(d[c] for c in names) for d in derived]
    for row in stored:
        got = tuple(row[1:])
        name = f"intake {got[0]}/{got[1]}"
        if got in left:
            left.remove(got)
            continue
        # the same row with a column changed (three of four still agree): name the column
        near = next((d for d in left if _agree(d, got) >= 3), None)
        if near is None:
            out.append(_stray(case_id, "intake", name))
            continue
        left.remove(near)
        for col, s, d in zip(names, got, near, strict=True):
            if s != d:
                out.append(Difference(case_id, "intake", name, col, s, d))
    for d in left:
        out.append(Difference(case_id, "intake", f"intake {d[0]}/{d[1]}", None, None, "row"))
    return out


def _agree(a: Sequence[Any], b: Sequence[Any]) -> int:
    return sum(x == y for x, y in zip(a, b, strict=True))


def compare_accesses(stored: Iterable[Sequence[Any]], journal: JournalState) -> list[Difference]:
    """The access log (cells in id order) against the journal's identity reads, in order."""
    out: list[Difference] = []
    rows = list(stored)
    want = journal.accesses
    names = ACCESS_COLUMNS[1:]
    for i in range(max(len(rows), len(want))):
        name = f"access {i + 1}"
        if i >= len(want):
            out.append(Difference(rows[i][1], "access_log", name, None, "row", None))
            continue
        e = want[i]
        body = e.body
        derived = (
            e.case_id,
            body.get("actor"),
            body.get("role"),
            body.get("reason"),
            body.get("what"),
            body.get("at"),
        )
        if i >= len(rows):
            out.append(Difference(e.case_id, "access_log", name, None, None, "row"))
            continue
        got = tuple(rows[i][1:])
        if got == derived:
            continue
        for col, s, d in zip(names, got, derived, strict=True):
            if s != d:
                out.append(Difference(e.case_id, "access_log", name, col, s, d))
    return out


# -- joining streams by case -------------------------------------------------------------------


def group_by_case(
    *streams: Iterable[Any], keys: Sequence[Any]
) -> Iterator[tuple[str, list[list[Any]]]]:
    """Merge streams each ordered by case id (``keys[i](item)`` gives it) into, per case id in
    order, one list per stream; memory holds one case at a time."""
    iters = [iter(s) for s in streams]
    n = len(iters)
    heads: list[Any] = [next(it, None) for it in iters]
    ids: list[str | None] = [None if h is None else keys[i](h) for i, h in enumerate(heads)]
    while True:
        live = [x for x in ids if x is not None]
        if not live:
            return
        cid = min(live)
        groups: list[list[Any]] = []
        for i in range(n):
            if ids[i] != cid:
                groups.append([])
                continue
            group = [heads[i]]
            it, key = iters[i], keys[i]
            for item in it:
                k = key(item)
                if k != cid:
                    heads[i], ids[i] = item, k
                    break
                group.append(item)
            else:
                heads[i], ids[i] = None, None
            groups.append(group)
        yield cid, groups
