"""The township's quarterly submission (报送): :meth:`Engine.submit_return`.

001 §四(二)2 — 乡镇人民政府(街道办事处)……同时每个季度要向县(市)区民政部门报送农村留守儿童信息,
并抄报县(市)区教育部门和公安部门.

Each township has one ``township_return`` case (``shouhu.workflows.township``), found by its
name under the intake source :data:`SOURCE` (the intake table's unique key: two first
submissions racing open one case, the other is read back). The case opens (``open_returns``)
at the township's first submission; each submission is the trigger ``submit_return``, whose
notices and next quarter's duty are the workflow's and the pack's, as for any trigger.

The functions taking ``self`` are :class:`~shouhu.engine.core.Engine`'s methods, bound there.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shouhu.engine import validation as v
from shouhu.engine.acting import Acting, check_place, resolve, signing
from shouhu.engine.model import Child, Location, Reporter
from shouhu.engine.ports import Commit
from shouhu.engine.records import occurred_instant, open_case
from shouhu.engine.requests import Instant
from shouhu.engine.timeutil import local_date
from shouhu.engine.views import CaseView
from shouhu.errors import Conflict, InvalidInput, TransitionRefused
from shouhu.i18n import _
from shouhu.workflows.township import due_from, parse_quarter, quarter_starts

if TYPE_CHECKING:
    from collections.abc import Mapping

    from shouhu.engine.core import Engine
    from shouhu.engine.signing import Credential

#: The intake source under which each township's case is recorded (external id: the township).
SOURCE = "township-returns"
TYPE = "township_return"
#: A township's case holds no person: its person columns hold these (never shown as a child).
NO_PERSON = Child("", date(1970, 1, 1), None, left_behind=False, age_at_discovery=0)


def submit_return(
    self: Engine,
    township: str,
    quarter: str,
    *,
    actor: Mapping[str, Any] | BaseModel | Credential,
    county: str | None = None,
    occurred_at: Instant | None = None,
) -> CaseView:
    """Record that ``township`` submitted its return of ``quarter`` (``2026Q3``) to county
    civil affairs, copied to the county education and public security bureaus; returns the
    township's case. The first submission opens the case. Refused (:class:`TransitionRefused`)
    for a role other than ``township``, a quarter already submitted or one out of order;
    :class:`InvalidInput` for a quarter not yet begun or not a quarter."""
    if TYPE not in self.workflows:
        raise InvalidInput(
            _("this engine's workflows have no {type}").format(type=TYPE), field="township"
        )
    name = v.clean_text(township, field="township", max_length=50)
    where = None if county is None else v.clean_text(county, field="county", max_length=50)
    q = parse_quarter(quarter)
    if q is None:
        raise InvalidInput(
            _("quarter: expected a calendar quarter such as 2026Q3, not {quarter!r}").format(
                quarter=str(quarter)[:20]
            ),
            field="quarter",
        )
    who = resolve(self, actor)
    wf = self.workflows.latest(TYPE)
    row = wf.rows("submit_return")[0]
    if who.role not in row.roles:
        raise TransitionRefused(
            _("refused by rule {rule} ({citation}): {why}").format(
                rule="role",
                citation=row.citation,
                why=_("the return is the township's to submit, not {role}'s").format(role=who.role),
            ),
            rule="role",
            citation=row.citation,
            trigger="submit_return",
            state="",
            role=who.role,
        )
    now = self.clock.now()
    when = occurred_instant(self, occurred_at, now)
    if local_date(when, self.zone) < quarter_starts(*q):
        raise InvalidInput(
            _("quarter: {quarter} has not begun").format(quarter=quarter), field="quarter"
        )
    key = name if where is None else f"{name}, {where}"
    case_id = self.store.known_external(SOURCE, [key]).get(key)
    if case_id is None:
        place = Location("", name, where)
        check_place(who, place, "submit_return", case_id="(new)")
        case_id = _open(self, key, place, who, when)
    return self.fire(
        case_id,
        "submit_return",
        actor=who.credential or {"name": who.name, "role": who.role},
        occurred_at=when,
        data={"quarter": str(quarter), "next_quarter_ends": due_from(str(quarter))},
    )


def _open(self: Engine, key: str, loc: Location, who: Acting, when: Any) -> str:
    """The township's case, opened now (or, if another writer opened it first, that one)."""
    by = (who.name, who.role)
    wf = self.workflows.latest(TYPE)
    now = self.clock.now()
    case_id = self._new_id(now)
    data = {
        "location": loc.as_dict(),
        "registrar": {"name": by[0], "role": by[1]},
        "intake": {"source": SOURCE, "external_id": key},
    }
    ev, record = open_case(
        self,
        case_id,
        wf,
        by,
        when,
        now,
        data,
        {},
        {
            "child": NO_PERSON,
            "location": loc,
            "reporter": Reporter(by[1], by[0], False),
            "discovered_at": when,
            "facts": {},
        },
    )
    try:
        with self.store.write() as tx:
            signing(tx, who).append(Commit(record, (ev,), None, external=(SOURCE, key)))
    except Conflict:
        found = self.store.known_external(SOURCE, [key]).get(key)
        if found is None:
            raise
        return found
    return case_id
