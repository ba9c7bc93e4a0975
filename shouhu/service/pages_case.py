"""The case page (``GET /cases/{id}``): header, identity on request (recorded), the workflow
diagram, the timeline, deadlines, notices and the next steps as forms; firing a step
(``POST /cases/{id}/fire``) and reading the identity (``POST /cases/{id}/identity``).

The engine judges every step with the operator's credential: a refusal is shown as it says
it (the rule and its clause), with 422 — 403 for role or scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shouhu.engine.redact import WITHHELD, public_deadline
from shouhu.errors import NotAuthenticated, NotFound, ShouhuError
from shouhu.service import charts, problems
from shouhu.service.auth import Who, service, web_who
from shouhu.service.pages_common import (
    first,
    left,
    page,
    posted,
    reporter_kind_name,
    state_name,
    when,
    words,
)

router = APIRouter(include_in_schema=False)


def field_inputs(trigger: str, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A trigger's data fields as the form shows them: input kind, id, name, choices."""
    out = []
    for f in fields:
        kind = f["kind"]
        widget = {
            "choice": "select",
            "choices": "multi",
            "bool": "checkbox",
            "date": "date",
            "datetime": "instant",
        }.get(kind, "text")
        out.append(
            {
                **f,
                "widget": widget,
                "id": f"{trigger}-{f['name']}",
                "input": f"data.{f['name']}",
            }
        )
    return out


def form_data(form: dict[str, list[str]], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The posted data of a trigger, as the CLI's ``--data`` would give it (text; lists
    comma-separated; a checkbox true, or false when a required one is left unticked)."""
    data: dict[str, Any] = {}
    for f in fields:
        values = [v for v in form.get(f"data.{f['name']}", []) if v.strip()]
        if f["kind"] == "bool":
            if values:
                data[f["name"]] = "true"
            elif f["required"]:
                data[f["name"]] = "false"
        elif f["kind"] == "choices":
            if values:
                data[f["name"]] = ",".join(values)
        elif values:
            data[f["name"]] = values[0]
    return data


def case_context(request: Request, who: Who, case_id: str) -> dict[str, Any]:
    """What the case page shows (the engine refuses a case outside the operator's scope)."""
    svc = service(request)
    engine = svc.engine()
    tz, now, role = engine.zone, svc.now(), who.operator.role
    view = engine.case(case_id, reader=who.credential)
    r = view.record
    wf = view.workflow
    zh, en = view.state_labels
    history = []
    path: list[str] = []
    for ev in view.history:
        e = ev.event
        doc = ev.to_dict(tz)
        if e.to_state and (not path or path[-1] != e.to_state):
            path.append(e.to_state)
        history.append(
            {
                "seq": e.seq,
                "label": ev.label,
                "trigger": e.trigger,
                "from": "" if e.from_state in (None, e.to_state) else state_name(wf, e.from_state),
                "to": state_name(wf, e.to_state),
                "actor": e.actor,
                "role": e.role,
                "citation": ev.citation,
                "occurred": when(e.occurred_at, tz),
                "recorded": when(e.recorded_at, tz),
                "data": {} if e.seq == 1 else doc["data"],
                "signed": bool(e.signature),
            }
        )
    deadlines = []
    for d in view.deadlines:
        shown = public_deadline(d)
        row = {**shown, "due": "", "left": "", "overdue": False}
        if shown["due_at"] != WITHHELD:
            due = datetime.fromisoformat(str(shown["due_at"]))
            row["due"] = when(due, tz)
            if d["status"] == "pending":
                row["left"], row["overdue"] = left(due, now)
        row["overdue"] = row["overdue"] or d["status"] == "missed"
        row["met"] = when(d.get("met_at"), tz)
        deadlines.append(row)
    options = engine.next(view.id, reader=who.credential)
    mine = [o for o in options if role in o.roles]
    others = [o for o in options if role not in o.roles]
    steps = [
        {"option": o, "fields": field_inputs(o.trigger, list(o.data)), "label": o.label}
        for o in mine
    ]
    notices = engine.notices(case_id=view.id)
    return {
        "case": view,
        "record": r,
        "type_label": words(wf.zh, wf.en),
        "state_label": words(zh, en),
        "reporter_kind": reporter_kind_name(r.reporter.kind),
        "reported": when(r.reported_at, tz),
        "discovered": when(r.discovered_at, tz),
        "history": history,
        "deadlines": deadlines,
        "notices": [
            {
                "kind": n.kind,
                "recipient": n.recipient,
                "status": n.status,
                "created": when(n.created_at, tz),
                "delivered": when(n.delivered_at, tz),
            }
            for n in notices
        ],
        "steps": steps,
        "others": others,
        "diagram": charts.workflow_svg(wf, path, r.state),
        "now": when(now, tz),
        "state_name": lambda s: state_name(wf, s),
    }


def _label_of(request: Request, who: Who, case_id: str, trigger: str) -> str:
    view = service(request).engine().case(case_id, reader=who.credential)
    rows = view.workflow.rows(trigger) if trigger in view.workflow.triggers else ()
    return rows[0].label if rows else trigger


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str) -> HTMLResponse:
    who = web_who(request)
    context = case_context(request, who, case_id)
    done = request.query_params.get("done")
    if done:
        context["done"] = _label_of(request, who, case_id, done)
    return page(request, "case.html", who, **context)


def _refused(request: Request, who: Who, case_id: str, exc: ShouhuError, **extra: Any) -> Response:
    """The case page again with the engine's refusal (422; 403 for role or scope; 400 for bad
    input; 409 for a case changed meanwhile) — or the error page where the case cannot be
    read by this operator at all."""
    if isinstance(exc, NotFound | NotAuthenticated):
        raise exc
    try:
        context = case_context(request, who, case_id)
    except ShouhuError:
        raise exc from None
    doc = problems.body(exc)
    context.update(extra)
    return page(
        request,
        "case.html",
        who,
        status=problems.status_of(exc),
        refusal=doc["detail"],
        refusal_rule=doc.get("rule"),
        refusal_citation=doc.get("citation"),
        **context,
    )


@router.post("/cases/{case_id}/fire")
async def fire(request: Request, case_id: str) -> Response:
    return await posted(request, lambda who, form: _fire(request, who, case_id, form))


def _fire(request: Request, who: Who, case_id: str, form: dict[str, list[str]]) -> Response:
    engine = service(request).engine()
    trigger = first(form, "trigger").strip()
    try:
        version_text = first(form, "expected_version").strip()
        expected = int(version_text) if version_text.isdigit() else None
        wf = engine.case(case_id, reader=who.credential).workflow
        fields = [f.describe() for f in wf.fields(trigger) if not f.by_engine] if trigger else []
        view = engine.fire(
            case_id,
            trigger,
            actor=who.credential,
            data=form_data(form, fields),
            occurred_at=first(form, "occurred_at").strip() or None,
            expected_version=expected,
        )
    except ShouhuError as exc:
        return _refused(request, who, case_id, exc, posted=form)
    return RedirectResponse(f"/cases/{view.id}?done={trigger}", status_code=303)


@router.post("/cases/{case_id}/identity")
async def identity(request: Request, case_id: str) -> Response:
    return await posted(
        request, lambda who, form: _identity(request, who, case_id, first(form, "reason"))
    )


def _identity(request: Request, who: Who, case_id: str, reason: str) -> Response:
    """Read the identity (recorded in the access log with who and why) and show it once, on
    this response only: it is kept nowhere."""
    engine = service(request).engine()
    try:
        child = engine.read_identity(case_id, actor=who.credential, reason=reason)
    except ShouhuError as exc:
        return _refused(request, who, case_id, exc)
    context = case_context(request, who, case_id)
    return page(request, "case.html", who, identity=child, **context)
