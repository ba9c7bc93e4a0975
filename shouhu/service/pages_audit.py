"""The audit pages (审计): verification, anchoring a tree head, the access log, a case rebuilt
at a moment with its proof to download, and the compliance report with its charts — what
``shouhu audit verify | anchor | access | replay | prove | report`` do, at the desk."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shouhu.engine.timeutil import local, parse_day
from shouhu.errors import InvalidInput, ShouhuError
from shouhu.i18n import N_, _
from shouhu.service import charts, problems
from shouhu.service.auth import Who, service, web_who
from shouhu.service.pages_common import (
    AUDIT_ROLES,
    Form,
    first,
    forbidden,
    page,
    posted,
    reporter_kind_name,
    state_name,
    when,
)

router = APIRouter(include_in_schema=False)


def _auditor(request: Request) -> tuple[Who, HTMLResponse | None]:
    """The operator, and a 403 page unless their role audits (the auditor, the admin and the
    county's civil affairs)."""
    who = web_who(request)
    if who.operator.role in AUDIT_ROLES:
        return who, None
    return who, forbidden(
        request,
        who,
        _(
            "the audit pages are for the auditor, the admin and civil affairs; you are {role}"
        ).format(role=who.operator.role),
    )


@router.get("/audit")
def audit_home(request: Request) -> HTMLResponse:
    who, refused = _auditor(request)
    if refused is not None:
        return refused
    result = service(request).engine().verify()
    lines: list[str] = []
    lines += [f"BROKEN {b.case_id} seq {b.seq}: {b.reason}" for b in result.broken]
    for r in result.replay_failures:
        lines += [f"ILLEGAL {r.case_id} seq {seq}: {why}" for seq, why in r.illegal]
        lines += [f"DIFFERS {r.case_id}: {d}" for d in r.differences]
    lines += [
        f"BROKEN {x}" for x in result.journal_broken + result.registry_broken + result.tree_broken
    ]
    lines += [f"DERIVED {d.line()}" for d in result.derived]
    return page(request, "audit.html", who, result=result, problems=lines)


@router.post("/audit/anchor")
async def anchor(request: Request) -> Response:
    def sign(who: Who, form: Form) -> Response:
        _who, refused = _auditor(request)
        if refused is not None:
            return refused
        text = service(request).engine().anchor(credential=who.credential)
        return page(request, "anchor.html", who, tree_head=text)

    return await posted(request, sign)


@router.get("/audit/access")
def access_log(request: Request) -> HTMLResponse:
    who, refused = _auditor(request)
    if refused is not None:
        return refused
    engine = service(request).engine()
    case_id = request.query_params.get("case") or None
    rows = [
        {
            "case_id": a.case_id,
            "at": when(a.at, engine.zone),
            "actor": a.actor,
            "role": a.role,
            "what": a.what,
            "reason": a.reason,
        }
        for a in engine.accesses(case_id)
    ]
    return page(request, "access.html", who, rows=rows, case_id=case_id or "")


@router.get("/audit/replay")
def replay_form(request: Request) -> Response:
    """The audit page's "replay a case" form: to that case's replay."""
    web_who(request)
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse

    case_id = request.query_params.get("case", "").strip()
    if not case_id:
        raise InvalidInput(_("case: a case id is needed"), field="case")
    return RedirectResponse(f"/audit/replay/{quote(case_id, safe='')}", status_code=303)


@router.get("/audit/replay/{case_id}")
def replay(request: Request, case_id: str) -> HTMLResponse:
    """The case rebuilt from its events as of ``at`` (business time), in the reader's scope."""
    who = web_who(request)
    engine = service(request).engine()
    view = engine.case(case_id, reader=who.credential)  # in scope, as the CLI checks
    at = request.query_params.get("at", "").strip()
    refusal = None
    try:
        rebuilt = engine.replay(view.id, at=at or None)
    except InvalidInput as exc:
        refusal = exc.message
        rebuilt = engine.replay(view.id)
    doc = rebuilt.to_dict(engine.zone)
    wf = view.workflow
    steps = [
        {
            **s,
            "occurred": when(s["occurred_at"], engine.zone),
            "recorded": when(s["recorded_at"], engine.zone),
            "state_label": state_name(wf, s["state"]),
        }
        for s in doc["timeline"]
    ]
    return page(
        request,
        "replay.html",
        who,
        status=400 if refusal else 200,
        case=view,
        replay=doc,
        state_label=state_name(wf, doc["state"]),
        steps=steps,
        at=at,
        refusal=refusal,
    )


@router.post("/audit/cases/{case_id}/proof")
async def proof(request: Request, case_id: str) -> Response:
    """``audit anchor`` then ``audit prove``: a tree head signed by the reader now, and the
    case's events with their inclusion proofs against it, as a JSON download. Where operators
    exist it is an identity read (the file holds the report's personal data), recorded with
    who and the reason given. A POST with the form's CSRF value: it writes (the tree head's
    leaves, the read), so no GET does it."""

    def download(who: Who, form: Form) -> Response:
        engine = service(request).engine()
        reason = first(form, "reason").strip()
        if not reason:
            raise InvalidInput(_("reason: say why the proof is taken"), field="reason")
        engine.case(case_id, reader=who.credential)  # in scope, or refused before anything
        head = engine.anchor(credential=who.credential)
        document = engine.prove(case_id, head)
        engine.read_identity(case_id, actor=who.credential, reason=reason, what="audit prove")
        body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        name = f"proof-{document['case_id']}.json"
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return await posted(request, download)


# -- the compliance report -----------------------------------------------------------------

#: The outcome of a deadline for the charts: met in time, late (met late, or missed and done
#: late), missed (still undone).
OUTCOMES = (
    ("met_on_time", N_("met in time"), "#1e7b34"),
    ("late", N_("late"), "#8a5a00"),
    ("missed", N_("missed"), "#b3261e"),
)
REPORTS = (
    ("in_time", N_("reported in time"), "#1e7b34"),
    ("late", N_("reported late"), "#b3261e"),
)


def outcome_of(d: dict[str, Any]) -> int | None:
    """0 met in time, 1 late, 2 missed; None for a deadline not yet judged."""
    if d["status"] == "met":
        return 1 if d.get("late_seconds") else 0
    if d["status"] == "missed":
        return 1 if d.get("met_at") else 2
    return None


def by_township(request: Request, who: Who, first: date, last: date) -> dict[str, list[int]]:
    """Deadline outcomes per township over the cases reported in the window (the reader's
    scope)."""
    engine = service(request).engine()
    towns: dict[str, str] = {}
    for c in engine.cases(reader=who.credential):
        day = local(c.reported_at, engine.zone).date()
        if first <= day <= last:
            towns[c.id] = c.township
    out: dict[str, list[int]] = {}
    for d in engine.deadlines(reader=who.credential):
        town = towns.get(d["case_id"])
        k = outcome_of(d)
        if town is None or k is None:
            continue
        out.setdefault(town, [0, 0, 0])[k] += 1
    return dict(sorted(out.items()))


@router.get("/audit/report")
def compliance(request: Request) -> HTMLResponse:
    who, refused = _auditor(request)
    if refused is not None:
        return refused
    svc = service(request)
    engine = svc.engine()
    today = local(svc.now(), engine.zone).date()
    date_from = request.query_params.get("from", "").strip() or f"{today.year}-01-01"
    date_to = request.query_params.get("to", "").strip() or today.isoformat()
    context: dict[str, Any] = {"date_from": date_from, "date_to": date_to}
    try:
        report = engine.compliance_report(date_from, date_to)
        first, last = parse_day(date_from, field="from"), parse_day(date_to, field="to")
    except ShouhuError as exc:
        return page(
            request,
            "report_audit.html",
            who,
            status=problems.status_of(exc),
            refusal=exc.message,
            **context,
        )
    doc = report.to_dict()
    kinds = [
        (
            kind,
            [
                s["met_on_time"],
                s["met_late"] + s["missed_done_late"],
                s["missed_still_open"],
            ],
        )
        for kind, s in doc["deadlines"].items()
    ]
    towns = list(by_township(request, who, first, last).items())
    reporters = [
        (reporter_kind_name(kind), [r["reports"] - r["late"], r["late"]])
        for kind, r in doc["late_reports_by_reporter_kind"].items()
    ]
    context.update(
        report=doc,
        kind_rows=kinds,
        town_rows=towns,
        reporter_rows=reporters,
        chart_towns=charts.bar_chart(_("Deadline compliance by township"), towns, OUTCOMES),
        chart_kinds=charts.bar_chart(_("Deadline compliance by kind"), kinds, OUTCOMES),
        chart_reporters=charts.bar_chart(_("Late reports by reporter kind"), reporters, REPORTS),
    )
    return page(request, "report_audit.html", who, **context)
