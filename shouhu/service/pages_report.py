"""Filing a report at the desk (``GET``/``POST /report``): what ``shouhu report`` takes, as a
form; the engine validates it as it does the CLI's (its errors shown as it words them), and
refuses a probable duplicate naming the open case — filed anyway only when the operator says
it is another situation (``new_case``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shouhu.errors import NotAuthenticated, ShouhuError, TransitionRefused
from shouhu.service import problems
from shouhu.service.auth import Who, service, web_who
from shouhu.service.pages_common import (
    first,
    page,
    posted,
    reporter_kind_name,
    type_name,
)
from shouhu.workflows.vocab import MANDATORY_REPORTER_KINDS, REPORTER_KINDS

router = APIRouter(include_in_schema=False)

#: The reporter kind an operator of these roles files as, chosen in advance (they may change it).
OWN_KIND = {
    "village_committee": "village_committee",
    "school": "school",
    "medical_institution": "medical",
}

#: The fields of the form a person types into (kept when the form is shown again).
TEXT_FIELDS = (
    "type",
    "child_name",
    "child_birthdate",
    "child_id_number",
    "village",
    "township",
    "county",
    "reporter_kind",
    "reporter",
    "discovered_at",
    "occurred_at",
)


def report_form(
    request: Request,
    who: Who,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    refusal: str | None = None,
    duplicate: str | None = None,
) -> HTMLResponse:
    engine = service(request).engine()
    types = [(t, type_name(request, t)) for t in engine.workflows.types()]
    details: dict[str, dict[str, Any]] = {}
    for t in engine.workflows.types():
        for f in engine.workflows.latest(t).report_data:
            d = details.setdefault(f.name, {**f.describe(), "types": []})
            d["types"].append(type_name(request, t))
    scope = who.operator.scope
    defaults = {
        "township": scope.township or "",
        "village": scope.village or "",
        "county": scope.county or "",
        "reporter": who.operator.body or who.operator.name,
        "reporter_kind": OWN_KIND.get(who.operator.role, ""),
    }
    return page(
        request,
        "report.html",
        who,
        status=status,
        types=types,
        kinds=[(k, reporter_kind_name(k), k in MANDATORY_REPORTER_KINDS) for k in REPORTER_KINDS],
        details=list(details.values()),
        values={**defaults, **(values or {})},
        refusal=refusal,
        duplicate=duplicate,
    )


@router.get("/report")
def report_page(request: Request) -> HTMLResponse:
    who = web_who(request)
    chosen = request.query_params.get("type", "")
    return report_form(request, who, values={"type": chosen} if chosen else None)


@router.post("/report")
async def file_report(request: Request) -> Response:
    return await posted(request, lambda who, form: _file(request, who, form))


def _file(request: Request, who: Who, form: dict[str, list[str]]) -> Response:
    engine = service(request).engine()
    values = {k: first(form, k).strip() for k in TEXT_FIELDS}
    data = {
        key[len("data.") :]: vals[0].strip()
        for key, vals in form.items()
        if key.startswith("data.") and vals and vals[0].strip()
    }
    place = ", ".join(p for p in (values["village"], values["township"], values["county"]) if p)
    try:
        case = engine.report(
            values["type"],
            child={
                "name": values["child_name"],
                "birthdate": values["child_birthdate"],
                "id_number": values["child_id_number"] or None,
            },
            location=place,
            reporter={"kind": values["reporter_kind"], "name": values["reporter"]},
            discovered_at=values["discovered_at"] or None,
            occurred_at=values["occurred_at"] or None,
            data=data,
            new_case=first(form, "new_case") in ("1", "on", "true"),
            credential=who.credential,
        )
    except NotAuthenticated:
        raise
    except ShouhuError as exc:
        twin = None
        if isinstance(exc, TransitionRefused) and exc.rule == "duplicate":
            twin = str(exc.data.get("case_id") or "") or None
        return report_form(
            request,
            who,
            status=problems.status_of(exc),
            values={**values, **{f"data.{k}": v for k, v in data.items()}},
            refusal=exc.message,
            duplicate=twin,
        )
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
