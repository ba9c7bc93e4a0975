"""The desk's worklist (我的待办, ``GET /``) and the case list (``GET /cases``)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shouhu.engine.redact import WITHHELD, public_deadline
from shouhu.engine.timeutil import local, zone
from shouhu.service.auth import service, web_who
from shouhu.service.pages_common import left, page, state_name, type_name, when

router = APIRouter(include_in_schema=False)

#: One page of the case list.
PAGE = 50
#: The ledger's visit duty the worklist shows the village committee and the township.
VISIT = "monthly_visit"
VISIT_ROLES = frozenset({"village_committee", "township"})


def _due(d: dict[str, Any]) -> datetime | None:
    shown = public_deadline(d)
    if shown["due_at"] == WITHHELD:
        return None
    return datetime.fromisoformat(str(shown["due_at"]))


def end_of_month(now: datetime, tz: str) -> datetime:
    """The first moment of next month, local time."""
    today = local(now, tz).date()
    first = today.replace(day=1) + timedelta(days=32)
    return datetime.combine(first.replace(day=1), time(0), tzinfo=zone(tz))


@router.get("/")
def worklist(request: Request) -> HTMLResponse:
    """Cases in my scope waiting on my role (the engine's next steps), soonest deadline first;
    counts per state; the ledger's visits due this month for a village or a township."""
    who = web_who(request)
    engine = service(request).engine()
    cred, role, tz = who.credential, who.operator.role, engine.zone
    now = service(request).now()
    soonest: dict[str, dict[str, Any]] = {}
    for d in engine.deadlines(status="pending", reader=cred):
        due = _due(d)
        if due is not None and (d["case_id"] not in soonest or due < soonest[d["case_id"]]["at"]):
            soonest[d["case_id"]] = {"at": due, "kind": d["kind"]}
    counts: dict[str, int] = {}
    waiting: list[dict[str, Any]] = []
    villages: dict[str, str] = {}
    for c in engine.cases(reader=cred):
        wf = engine.workflows.latest(c.type)
        villages[c.id] = c.village
        label = state_name(wf, c.state)
        counts[label] = counts.get(label, 0) + 1
        if c.state not in wf.state_names or wf.state(c.state).final:
            continue
        mine = [o for o in engine.next(c.id, reader=cred) if role in o.roles]
        if not mine:
            continue
        soon = soonest.get(c.id)
        row: dict[str, Any] = {
            "id": c.id,
            "type": type_name(request, c.type),
            "state": label,
            "place": f"{c.village}, {c.township}",
            "steps": mine,
            "due": None,
            "left": "",
            "overdue": False,
        }
        if soon is not None:
            row["due"] = when(soon["at"], tz)
            row["kind"] = soon["kind"]
            row["left"], row["overdue"] = left(soon["at"], now)
        waiting.append(row)
    never = datetime.max.replace(tzinfo=zone(tz))
    waiting.sort(key=lambda r: (soonest[r["id"]]["at"] if r["id"] in soonest else never, r["id"]))
    visits: list[dict[str, Any]] = []
    if role in VISIT_ROLES:
        before = end_of_month(now, tz)
        for d in engine.deadlines(status="pending", due_before=before, reader=cred):
            if d["kind"] != VISIT:
                continue
            due = _due(d)
            text, over = left(due, now) if due is not None else ("", False)
            visits.append(
                {
                    "id": d["case_id"],
                    "village": villages.get(d["case_id"], ""),
                    "due": when(due, tz) if due else "",
                    "left": text,
                    "overdue": over,
                }
            )
    return page(
        request,
        "worklist.html",
        who,
        waiting=waiting,
        counts=sorted(counts.items(), key=lambda kv: -kv[1]),
        visits=visits,
        show_visits=role in VISIT_ROLES,
    )


@router.get("/cases")
def case_list(request: Request) -> HTMLResponse:
    """Cases in my scope, filtered, a page at a time (下一页: ``after`` the last id shown)."""
    who = web_who(request)
    engine = service(request).engine()
    q = request.query_params
    type_ = q.get("type") or None
    state = q.get("state") or None
    after = q.get("after") or None
    overdue = q.get("overdue") in ("1", "on", "true")
    rows = list(
        engine.cases(
            type_, state, limit=PAGE + 1, after=after, overdue=overdue, reader=who.credential
        )
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    shown = [
        {
            "id": r.id,
            "type": type_name(request, r.type),
            "state": state_name(engine.workflows.latest(r.type), r.state),
            "version": r.version,
            "township": r.township,
            "village": r.village,
            "reported": when(r.reported_at, engine.zone),
        }
        for r in rows
    ]
    nxt = None
    if more and rows:
        from urllib.parse import urlencode

        params = {
            k: v
            for k, v in (("type", type_), ("state", state), ("overdue", "1" if overdue else None))
            if v
        }
        nxt = "/cases?" + urlencode({**params, "after": rows[-1].id})
    types = [(t, type_name(request, t)) for t in engine.workflows.all_types()]
    states: dict[str, str] = {}
    for wf in engine.workflows:
        for s in wf.states:
            states.setdefault(s.name, state_name(wf, s.name))
    return page(
        request,
        "cases.html",
        who,
        rows=shown,
        next_page=nxt,
        types=types,
        states=sorted(states.items()),
        chosen={"type": type_ or "", "state": state or "", "overdue": overdue, "after": after},
    )
