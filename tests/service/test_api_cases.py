"""The API's reports and cases: filing (idempotency, duplicates), firing (If-Match), reading a
case, its history and next steps, listing a page at a time, deadlines and notices."""

from __future__ import annotations

import pytest
from apikit import CHILD_BIRTHDATE, CHILD_NAME, REPORT, problem, report
from servicekit import Desk

from shouhu.adapters.credentials import load

# --- filing a report --------------------------------------------------------------------------


def test_a_report_is_filed_signed_by_the_caller_201_with_its_location_and_etag(
    desk: Desk,
) -> None:
    api = desk.api("police")
    r = api.post("/api/v1/reports", json=REPORT)
    assert r.status_code == 201, r.text
    case = r.json()
    assert r.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert r.headers["etag"] == '"1"'
    assert (case["type"], case["state"], case["version"]) == ("solo_living", "reported", 1)
    assert case["history"][0]["operator_id"] == desk.operator_id("police")
    assert case["history"][0]["signature"]
    # no identity in a case view
    assert CHILD_NAME not in r.text
    assert CHILD_BIRTHDATE not in r.text
    with desk.engine() as engine:
        assert engine.case(case["id"]).history[0].operator_id == desk.operator_id("police")


def test_a_report_takes_chinese_names_and_dates_as_the_cli_does(desk: Desk) -> None:
    case = report(
        desk.api("police"),
        type="独居",
        child={"name": CHILD_NAME, "birthdate": "2016年4月10日"},
        reporter={"kind": "学校", "name": "青山镇中心小学"},
        discovered_at="2026年12月1日",
    )
    assert case["type"] == "solo_living"
    assert case["reporter"]["kind"] == "school"
    assert case["discovered_at"].startswith("2026-12-01T00:00:00")


def test_the_same_idempotency_key_and_body_give_the_same_case_back_with_200(desk: Desk) -> None:
    api = desk.api("police")
    first = api.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "school-7"})
    again = api.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "school-7"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    with desk.engine() as engine:
        filed = [c for c in engine.cases("solo_living") if c.state == "reported"]
    assert [c.id for c in filed] == [first.json()["id"]]


def test_a_key_replayed_by_an_operator_outside_the_cases_place_is_403_with_no_case_view(
    desk: Desk,
) -> None:
    """Idempotency keys are the database's, not the caller's: the case a key names is read as
    the caller, so another township's officer gets the engine's scope refusal, not the case."""
    first = desk.api("police").post(
        "/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "school-7"}
    )
    r = desk.api("police-2").post(
        "/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "school-7"}
    )
    doc = problem(r, 403)
    assert doc["rule"] == "scope"
    assert "location" not in r.headers
    assert '"history"' not in r.text
    assert doc["case_id"] == first.json()["id"]  # the engine's refusal names the case


def test_an_idempotency_key_first_used_for_another_type_is_409(desk: Desk) -> None:
    api = desk.api("police")
    api.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "school-7"})
    r = api.post(
        "/api/v1/reports",
        json={**REPORT, "type": "missing_child"},
        headers={"Idempotency-Key": "school-7"},
    )
    doc = problem(r, 409)
    assert "school-7" in doc["detail"]


def test_a_probable_duplicate_is_422_naming_the_open_case_its_rule_and_citation_in_chinese(
    desk: Desk,
) -> None:
    api = desk.api("police")
    first = report(api)
    r = api.post("/api/v1/reports", json=REPORT, headers={"Accept-Language": "zh-CN"})
    doc = problem(r, 422)
    assert doc["type"] == "urn:shouhu:problem:refused"
    assert doc["rule"] == "duplicate"
    assert doc["citation"] == "001 §四(三)1"
    assert doc["case_id"] == first["id"]
    assert "拒绝" in doc["detail"]
    assert first["id"] in doc["detail"]
    assert doc["title"] != "Refused by the rules"  # the title is Chinese too


def test_new_case_files_what_would_otherwise_be_a_probable_duplicate(desk: Desk) -> None:
    api = desk.api("police")
    first = report(api)
    second = report(api, new_case=True)
    assert second["id"] != first["id"]


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in REPORT.items() if k != "child"},
        {**REPORT, "child": {**REPORT["child"], "gender": "f"}},
        {**REPORT, "child": {"name": CHILD_NAME, "birthdate": "2016-13-40"}},
        {**REPORT, "type": "no_such_type"},
    ],
    ids=["no-child", "unknown-field", "bad-birthdate", "unknown-type"],
)
def test_a_report_with_bad_input_is_400_and_files_nothing(
    desk: Desk, body: dict[str, object]
) -> None:
    r = desk.api("police").post("/api/v1/reports", json=body)
    doc = problem(r, 400)
    assert doc["type"] == "urn:shouhu:problem:invalid-input"
    with desk.engine() as engine:
        assert not [c for c in engine.cases() if c.state == "reported"]


# --- firing a trigger -------------------------------------------------------------------------


def test_firing_with_the_current_version_moves_the_case_and_gives_the_new_etag(
    desk: Desk,
) -> None:
    api = desk.api("police")
    case = report(api)
    r = api.post(
        f"/api/v1/cases/{case['id']}/fire",
        json={"trigger": "dispatch"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    assert (r.json()["state"], r.json()["version"]) == ("dispatched", 2)
    assert r.json()["history"][-1]["operator_id"] == desk.operator_id("police")


def test_firing_with_a_stale_if_match_is_409_and_writes_nothing(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    api.post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    r = api.post(
        f"/api/v1/cases/{case['id']}/fire",
        json={"trigger": "complete_emergency"},
        headers={"If-Match": "1"},  # a bare number too
    )
    doc = problem(r, 409)
    assert doc["type"] == "urn:shouhu:problem:conflict"
    with desk.engine() as engine:
        assert engine.case(case["id"]).version == 2


def test_an_if_match_that_is_not_a_version_is_400(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    r = api.post(
        f"/api/v1/cases/{case['id']}/fire",
        json={"trigger": "dispatch"},
        headers={"If-Match": '"abc"'},
    )
    assert problem(r, 400)["field"] == "If-Match"


def test_a_trigger_another_role_fires_is_403_naming_the_rule_role(desk: Desk) -> None:
    case = report(desk.api("police"))
    r = desk.api("township").post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    doc = problem(r, 403)
    assert doc["rule"] == "role"


def test_a_trigger_not_allowed_in_the_state_is_422_with_rule_and_citation(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    api.post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    r = api.post(
        f"/api/v1/cases/{case['id']}/fire",
        json={"trigger": "dispatch"},
        headers={"Accept-Language": "zh-CN"},
    )
    doc = problem(r, 422)
    assert (doc["rule"], doc["citation"]) == ("state", "001 §四(三)2")
    assert "已出警" in doc["detail"]


def test_firing_on_a_case_that_does_not_exist_is_404(desk: Desk) -> None:
    r = desk.api("police").post("/api/v1/cases/01M9672QQW6T6TRZ/fire", json={"trigger": "dispatch"})
    assert problem(r, 404)["type"] == "urn:shouhu:problem:not-found"


# --- reading a case ---------------------------------------------------------------------------


def test_a_case_reads_with_its_version_as_etag_and_no_identity(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    r = api.get(f"/api/v1/cases/{case['id']}")
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    assert r.json()["child"]["identity"] == "withheld"
    assert CHILD_NAME not in r.text


def test_a_case_that_does_not_exist_is_404(desk: Desk) -> None:
    r = desk.api("police").get("/api/v1/cases/01M9672QQW6T6TRZ")
    assert problem(r, 404)["exit_code"] == 2


def test_history_gives_every_event_oldest_first_with_its_citation_and_signer(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    api.post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    events = api.get(f"/api/v1/cases/{case['id']}/history").json()
    assert [(e["seq"], e["trigger"], e["from"], e["to"]) for e in events] == [
        (1, "report", None, "reported"),
        (2, "dispatch", "reported", "dispatched"),
    ]
    assert events[1]["citation"] == "001 §四(三)2"
    assert {e["operator_id"] for e in events} == {desk.operator_id("police")}


def test_next_names_the_triggers_possible_now_and_who_may_fire_them(desk: Desk) -> None:
    api = desk.api("township")
    case = report(desk.api("police"))
    options = {o["trigger"]: o for o in api.get(f"/api/v1/cases/{case['id']}/next").json()}
    assert options["dispatch"]["roles"] == ["police"]
    assert options["dispatch"]["to"] == ["dispatched"]
    assert options["dispatch"]["citation"] == "001 §四(三)2"


# --- listing cases ----------------------------------------------------------------------------


def walk(api: object, first: str, *, by_link: bool) -> list[str]:
    """Every case id a client sees following the pages from ``first``."""
    seen: list[str] = []
    url: str | None = first
    while url is not None:
        r = api.get(url)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [c["id"] for c in page["items"]]
        if page["next_cursor"] is None:
            assert "link" not in r.headers
            url = None
        elif by_link:
            link = r.headers["link"]
            assert link.endswith('>; rel="next"')
            url = link[1 : link.index(">")]
        else:
            url = f"{first}&cursor={page['next_cursor']}"
    return seen


@pytest.mark.parametrize("key", ["admin", "township", "police-2"])
@pytest.mark.parametrize("by_link", [False, True], ids=["cursor", "link"])
def test_cursor_paging_gives_every_case_in_scope_exactly_once(
    desk: Desk, key: str, by_link: bool
) -> None:
    seen = walk(desk.api(key), "/api/v1/cases?limit=3", by_link=by_link)
    assert len(seen) == len(set(seen))
    with desk.engine() as engine:
        expected = [c.id for c in engine.cases(reader=load(desk.credential_path(key)))]
    assert seen == expected
    assert len(expected) > 3  # more than one page


def test_a_page_is_50_cases_unless_limit_says(desk: Desk) -> None:
    api = desk.api("admin")
    page = api.get("/api/v1/cases").json()
    assert len(page["items"]) == 18  # the demo's cases: all on one page of 50
    assert page["next_cursor"] is None
    assert len(api.get("/api/v1/cases?limit=5").json()["items"]) == 5


def test_the_filters_take_chinese_names_and_keep_the_paging(desk: Desk) -> None:
    api = desk.api("admin")
    items = walk(api, "/api/v1/cases?type=农村留守儿童台账&limit=2", by_link=True)
    with desk.engine() as engine:
        assert items == [c.id for c in engine.cases("child_watch")]
    closed = api.get("/api/v1/cases?state=已结案&limit=500").json()["items"]
    assert closed
    assert {c["state"] for c in closed} == {"closed"}


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=501", "limit=many", "cursor=!!", "cursor=4pyo", "type=no_such_type"],
)
def test_a_bad_limit_cursor_or_filter_is_400(desk: Desk, query: str) -> None:
    r = desk.api("admin").get(f"/api/v1/cases?{query}")
    assert problem(r, 400)["type"] == "urn:shouhu:problem:invalid-input"


# --- deadlines and notices --------------------------------------------------------------------


def test_deadlines_of_a_case_by_status_with_their_citation(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    pending = api.get(f"/api/v1/deadlines?case={case['id']}&status=pending").json()
    assert [(d["case_id"], d["kind"]) for d in pending] == [(case["id"], "dispatch")]
    assert pending[0]["citation"].startswith("001 §四(三)2")
    api.post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    met = api.get(f"/api/v1/deadlines?case={case['id']}&status=met").json()
    assert [d["kind"] for d in met] == ["dispatch"]


def test_deadlines_across_cases_are_only_those_in_the_callers_scope(desk: Desk) -> None:
    case = report(desk.api("police"))
    theirs = desk.api("police-2").get("/api/v1/deadlines?status=pending").json()
    ours = desk.api("police").get("/api/v1/deadlines?status=pending").json()
    assert case["id"] in {d["case_id"] for d in ours}
    assert case["id"] not in {d["case_id"] for d in theirs}


def test_an_unknown_deadline_status_or_time_is_400(desk: Desk) -> None:
    api = desk.api("police")
    assert problem(api.get("/api/v1/deadlines?status=late"), 400)["field"] == "status"
    assert problem(api.get("/api/v1/deadlines?due_before=soon"), 400)["field"] == "due_before"


def test_notices_of_a_case_name_their_recipient_and_carry_no_identity(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    api.post(f"/api/v1/cases/{case['id']}/fire", json={"trigger": "dispatch"})
    r = api.get(f"/api/v1/notices?case={case['id']}")
    assert r.status_code == 200
    (notice,) = r.json()
    assert notice["key"] == f"{case['id']}:2:report_accepted"
    assert notice["status"] == "pending"
    assert "青山镇" in notice["recipient"]
    assert CHILD_NAME not in r.text


def test_an_unknown_notice_status_is_400_and_an_unknown_case_404(desk: Desk) -> None:
    api = desk.api("police")
    assert problem(api.get("/api/v1/notices?status=lost"), 400)["field"] == "status"
    problem(api.get("/api/v1/notices?case=01M9672QQW6T6TRZ"), 404)


def test_a_last_page_that_is_exactly_full_has_no_next_cursor(desk: Desk) -> None:
    with desk.engine() as engine:
        scope = list(engine.cases(reader=load(desk.credential_path("police-2"))))
    r = desk.api("police-2").get(f"/api/v1/cases?limit={len(scope)}")
    assert [c["id"] for c in r.json()["items"]] == [c.id for c in scope]
    assert r.json()["next_cursor"] is None
    assert "link" not in r.headers
