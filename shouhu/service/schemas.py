"""The JSON API's bodies and responses as Pydantic models, so the OpenAPI document describes
them. Responses are the library's own JSON forms (the ``to_dict`` of its views, what the CLI's
``--json`` prints): the models name their fields and let any further field through
(``extra="allow"``), so a field the library adds is never dropped on the way out.

Errors are RFC 9457 problems (:mod:`shouhu.service.problems`); :func:`errors` documents them
on a route, under ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shouhu.service.problems import MEDIA_TYPE


class Out(BaseModel):
    """A response: the fields named here, and whatever else the library's JSON form has."""

    model_config = ConfigDict(extra="allow")


class In(BaseModel):
    """A request body: only the fields named here (another is bad input, 400)."""

    model_config = ConfigDict(extra="forbid")


# --- problems ---------------------------------------------------------------------------------


class Problem(Out):
    """An RFC 9457 problem: what went wrong, in the request's language (``Accept-Language``),
    with the rule and its citation where the rules refused, and the CLI's exit code."""

    type: str = Field(
        description="urn:shouhu:problem:<kind>", examples=["urn:shouhu:problem:refused"]
    )
    title: str
    status: int
    detail: str = Field(description="the message the CLI prints")
    exit_code: int = Field(description="the exit code the CLI gives for this error")
    instance: str | None = Field(None, description="the request's path")
    rule: str | None = Field(None, description="the rule that refused (role, scope, guard, …)")
    citation: str | None = Field(None, description="where the rule is written (001 §四(三)2 …)")
    field: str | None = Field(None, description="the input at fault")


PROBLEM_SCHEMA: dict[str, Any] = Problem.model_json_schema()

#: What each status means on this API (docs/api.md has the table).
STATUS_WORDS: dict[int | str, str] = {
    400: "Bad input (a field, a date, a limit, a cursor)",
    401: "Not authenticated: no bearer token, or an expired one",
    403: "Refused by role or scope (the rule names which)",
    404: "No such case",
    409: "Conflict: the case moved on (If-Match), or an idempotency key of another type",
    422: "Refused by the rules (a guard, a state, a probable duplicate …)",
    429: "Too many failed logins: try again after Retry-After seconds",
    "default": "Any other problem (503: the store is unavailable)",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses of a route: 401 always, ``codes``, and a default."""
    out: dict[int | str, dict[str, Any]] = {}
    keys: list[int | str] = [*sorted({401, *codes}), "default"]
    for code in keys:
        out[code] = {
            "description": STATUS_WORDS[code],
            "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
    return out


#: Response headers a route documents (:func:`headers`).
HEADER_WORDS: dict[str, str] = {
    "ETag": 'the case\'s version, quoted ("3"): send it back as If-Match',
    "Location": "the case's address, /api/v1/cases/{id}",
    "Link": '<…&cursor=…>; rel="next" while more cases remain',
}


def headers(status: int, *names: str) -> dict[int | str, dict[str, Any]]:
    """The success response ``status`` documented with the headers it carries."""
    return {
        status: {
            "headers": {
                name: {"description": HEADER_WORDS[name], "schema": {"type": "string"}}
                for name in names
            }
        }
    }


# --- bodies -----------------------------------------------------------------------------------


class ChildBody(In):
    name: str = Field(description="personal data: never logged, never returned")
    birthdate: str = Field(description="2016-04-10, 2016年4月10日, 2016/4/10 or 20160410")
    id_number: str | None = Field(None, description="18-digit resident id (checked, GB 11643)")


class ReporterBody(In):
    kind: str = Field(
        description="school, kindergarten, medical, village_committee, social_work, "
        "relief_agency, welfare_institution (mandatory); citizen, social_organisation "
        "(voluntary); or a Chinese name (学校, 医疗机构 …)"
    )
    name: str = Field(description="who reports (organisation or person)")


class ReportBody(In):
    """A mandatory report (强制报告, 001 §四(三)1), as ``shouhu report`` files it."""

    type: str = Field(description="a report type, or its Chinese name (独居, 失踪 …)")
    child: ChildBody
    location: str = Field(description="'VILLAGE, TOWNSHIP[, COUNTY]'", examples=["石桥村, 青山镇"])
    reporter: ReporterBody
    discovered_at: str | None = Field(None, description="when it was discovered (ISO 8601)")
    occurred_at: str | None = Field(None, description="when it was reported (default: now)")
    data: dict[str, Any] | None = Field(None, description="the type's report data")
    new_case: bool = Field(
        False, description="a new situation: file it even if it looks like a duplicate"
    )


class FireBody(In):
    trigger: str
    data: dict[str, Any] | None = None
    occurred_at: str | None = Field(None, description="business time (default: now)")


class PersonBody(In):
    name: str = Field(description="personal data: never logged, never returned")
    birthdate: str = Field(description="2016-04-10 or 2016年4月10日")
    id_number: str | None = None


class RegistrationBody(In):
    """A person put on the ledger (台账, 一人一档, 001 §四(二)2), as ``shouhu register``."""

    kind: str = Field(description="child, woman or elderly, a watch type, or 儿童 / 留守妇女 …")
    person: PersonBody
    location: str = Field(description="'VILLAGE, TOWNSHIP[, COUNTY]'")
    at: str | None = Field(None, description="business time (default: now)")
    data: dict[str, Any] | None = Field(
        None,
        description="child: parents_away, guardian, agreement_signed, category, father, "
        "mother, difficulty; woman: husband_away_since",
    )


class ReturnBody(In):
    """A township's quarterly return submitted (001 §四(二)2), as ``shouhu registry submit``."""

    township: str
    quarter: str = Field(examples=["2026Q3"])
    county: str | None = None
    at: str | None = Field(None, description="business time (default: now)")


# --- responses --------------------------------------------------------------------------------


class EventOut(Out):
    seq: int
    trigger: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    role: str
    occurred_at: str
    recorded_at: str
    data: dict[str, Any]
    citation: str
    hash: str
    operator_id: str | None = None
    signature: str | None = None


class CaseOut(Out):
    """A case now (the library's ``CaseView.to_dict``): no identity — name, birthdate and id
    number are withheld."""

    id: str
    type: str
    type_zh: str
    state: str
    state_zh: str
    state_en: str
    version: int = Field(description="also the ETag")
    outcome: str | None
    child: dict[str, Any]
    location: dict[str, Any]
    reporter: dict[str, Any]
    facts: dict[str, Any]
    deadlines: list[dict[str, Any]]
    history: list[EventOut]


class CaseLine(Out):
    id: str
    type: str
    state: str
    version: int
    township: str
    village: str
    reported_at: str
    outcome: str | None


class CasePage(Out):
    items: list[CaseLine]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: none")


class TriggerOut(Out):
    trigger: str
    label: str
    roles: list[str]
    to: list[str]
    data: list[dict[str, Any]]
    citation: str
    guards: list[dict[str, Any]]


class DeadlineOut(Out):
    case_id: str
    kind: str
    due_at: str
    status: str


class NoticeOut(Out):
    id: int
    key: str = Field(description="case:seq:kind")
    case_id: str
    kind: str
    recipient: str
    status: str
    attempts: int
    payload: dict[str, Any]


class ReplayOut(Out):
    case_id: str
    type: str
    at: str | None
    state: str
    version: int
    ok: bool
    timeline: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]


class VerificationOut(Out):
    ok: bool
    cases: int
    events: int
    broken: list[dict[str, Any]]
    replay_failures: list[dict[str, Any]]


class AnchorOut(Out):
    tree_head: str = Field(description="the signed tree head: keep it outside the database")
    size: int
    root: str
    at: str
    signer: str | None
    signature: str | None


class ProofOut(Out):
    """The inclusion-proof document of ``shouhu audit prove``: it holds personal data."""

    format: str
    case_id: str
    tree_head: str
    events: list[dict[str, Any]]


class ComplianceOut(Out):
    from_: str = Field(alias="from")
    to: str
    cases: int
    by_type: dict[str, int]
    by_state: dict[str, int]
    deadlines: dict[str, Any]


class LedgerReturnOut(Out):
    quarter: str
    from_: str = Field(alias="from")
    to: str
    as_of: str
    complete: bool
    citation: str
    townships: list[dict[str, Any]]
    total: dict[str, Any]
