"""The API's audit and ledger routes: replay, verify, anchors, proofs (an identity read), the
compliance report, registrations and the quarterly returns."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from apikit import CHILD_NAME, problem, report
from servicekit import Desk

# --- replay and verify ------------------------------------------------------------------------


def test_a_case_replays_from_its_events_and_as_of_a_moment_before_a_trigger(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api, occurred_at="2026-12-01T09:00", discovered_at="2026-12-01T08:00")
    api.post(
        f"/api/v1/cases/{case['id']}/fire",
        json={"trigger": "dispatch", "occurred_at": "2026-12-01T10:00"},
    )
    now = api.get(f"/api/v1/cases/{case['id']}/replay").json()
    assert (now["ok"], now["state"], now["version"]) == (True, "dispatched", 2)
    before = api.get(f"/api/v1/cases/{case['id']}/replay", params={"at": "2026-12-01T09:30"})
    assert before.status_code == 200, before.text
    assert (before.json()["state"], before.json()["version"]) == ("reported", 1)
    assert before.json()["at"].startswith("2026-12-01T09:30:00")


def test_a_replay_at_a_time_that_is_not_one_is_400(desk: Desk) -> None:
    api = desk.api("police")
    case = report(api)
    r = api.get(f"/api/v1/cases/{case['id']}/replay", params={"at": "yesterday-ish"})
    problem(r, 400)


def test_verify_checks_the_whole_log_or_one_case(desk: Desk) -> None:
    api = desk.api("auditor")
    whole = api.get("/api/v1/verify").json()
    assert whole["ok"] is True
    assert whole["cases"] == 18
    assert whole["broken"] == []
    case = report(desk.api("police"))
    one = api.get("/api/v1/verify", params={"case": case["id"]}).json()
    assert (one["ok"], one["cases"], one["events"]) == (True, 1, 1)


def test_verify_of_a_case_that_does_not_exist_is_404(desk: Desk) -> None:
    problem(desk.api("auditor").get("/api/v1/verify?case=01M9672QQW6T6TRZ"), 404)


def test_verify_names_an_event_edited_behind_the_engines_back(desk: Desk) -> None:
    case = report(desk.api("police"))
    con = sqlite3.connect(desk.db)
    with con:  # an attacker with the file: the append-only triggers dropped
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("UPDATE events SET actor = 'someone else' WHERE case_id = ?", (case["id"],))
    con.close()
    doc = desk.api("auditor").get("/api/v1/verify", params={"case": case["id"]}).json()
    assert doc["ok"] is False
    assert [b["case_id"] for b in doc["broken"]] == [case["id"]]


# --- anchors and proofs -----------------------------------------------------------------------


def anchor(api: Any) -> str:
    r = api.post("/api/v1/anchors")
    assert r.status_code == 201, r.text
    text: str = r.json()["tree_head"]
    return text


def test_an_anchor_is_a_tree_head_signed_by_the_caller_that_verify_then_holds(desk: Desk) -> None:
    api = desk.api("auditor")
    r = api.post("/api/v1/anchors")
    assert r.status_code == 201
    head = r.json()
    assert head["tree_head"].startswith("shouhu-sth-v1 ")
    assert head["signer"] == desk.operator_id("auditor")
    assert head["size"] > 0
    held = api.get("/api/v1/verify", params={"anchor": head["tree_head"]}).json()
    assert held["ok"] is True
    assert held["tree_head"]["holds"] is True


def test_a_proof_is_a_recorded_identity_read_by_the_caller_with_the_reason(desk: Desk) -> None:
    police = desk.api("police")
    case = report(police)
    sth = anchor(desk.api("auditor"))
    r = police.get(
        f"/api/v1/cases/{case['id']}/proof", params={"anchor": sth, "reason": "法院调阅"}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["format"], doc["case_id"], doc["tree_head"]) == ("shouhu-proof-v1", case["id"], sth)
    assert [e["seq"] for e in doc["events"]] == [1]
    assert CHILD_NAME in r.text  # the hashes cover the identity: the read is recorded
    with desk.engine() as engine:
        (read,) = engine.accesses(case["id"])
    assert (read.actor, read.role, read.reason, read.what) == (
        "李警官",
        "police",
        "法院调阅",
        "audit prove",
    )


def test_a_proof_without_a_reason_is_400_and_reads_nothing(desk: Desk) -> None:
    police = desk.api("police")
    case = report(police)
    sth = anchor(police)
    r = police.get(f"/api/v1/cases/{case['id']}/proof", params={"anchor": sth})
    assert problem(r, 400)["field"] == "reason"
    with desk.engine() as engine:
        assert engine.accesses(case["id"]) == []


def test_a_proof_against_a_tree_head_that_is_not_one_is_400(desk: Desk) -> None:
    police = desk.api("police")
    case = report(police)
    r = police.get(
        f"/api/v1/cases/{case['id']}/proof", params={"anchor": "not a head", "reason": "核实"}
    )
    assert problem(r, 400)["field"] == "anchor"


# --- the compliance report --------------------------------------------------------------------


def test_the_compliance_report_counts_the_cases_reported_in_the_window(desk: Desk) -> None:
    api = desk.api("civil_affairs")
    doc = api.get("/api/v1/reports/compliance", params={"from": "2026年1月1日", "to": "2026-12-31"})
    assert doc.status_code == 200, doc.text
    body = doc.json()
    assert (body["from"], body["to"], body["cases"]) == ("2026-01-01", "2026-12-31", 18)
    assert body["by_type"]["child_watch"] == 6


def test_a_compliance_window_that_ends_before_it_begins_is_400(desk: Desk) -> None:
    r = desk.api("auditor").get(
        "/api/v1/reports/compliance", params={"from": "2026-12-31", "to": "2026-01-01"}
    )
    assert problem(r, 400)["field"] == "to"


# --- the ledger -------------------------------------------------------------------------------

CHILD = {
    "kind": "儿童",
    "person": {"name": "张小红", "birthdate": "2018年5月1日"},
    "location": "石桥村, 青山镇",
    "data": {"parents_away": "both", "guardian": "张奶奶"},
}


def test_a_village_committee_puts_a_child_on_the_ledger(desk: Desk) -> None:
    r = desk.api("village_committee").post("/api/v1/registrations", json=CHILD)
    assert r.status_code == 201, r.text
    case = r.json()
    assert r.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert (case["type"], case["state"]) == ("child_watch", "on_ledger")
    assert case["history"][0]["operator_id"] == desk.operator_id("village_committee")
    assert "张小红" not in r.text


def test_the_same_child_on_the_ledger_again_is_409_naming_the_open_watch(desk: Desk) -> None:
    api = desk.api("village_committee")
    first = api.post("/api/v1/registrations", json=CHILD).json()
    doc = problem(api.post("/api/v1/registrations", json=CHILD), 409)
    assert doc["case_id"] == first["id"]


def test_the_police_keep_no_ledger_403_rule_role(desk: Desk) -> None:
    r = desk.api("police").post("/api/v1/registrations", json=CHILD)
    assert problem(r, 403)["rule"] == "role"


def test_a_child_of_16_is_not_left_behind_400(desk: Desk) -> None:
    older = {**CHILD, "person": {"name": "张小红", "birthdate": "2005-05-01"}}
    r = desk.api("village_committee").post("/api/v1/registrations", json=older)
    assert problem(r, 400)["rule"] == "under_16"


def test_data_a_kind_does_not_take_is_400_naming_what_it_takes(desk: Desk) -> None:
    elder = {
        "kind": "elderly",
        "person": {"name": "王秀英", "birthdate": "1948-05-20"},
        "location": "石桥村, 青山镇",
        "data": {"parents_away": "both"},
    }
    r = desk.api("village_committee").post("/api/v1/registrations", json=elder)
    assert "parents_away" in problem(r, 400)["detail"]


def test_the_quarterly_return_counts_the_ledger_per_township(desk: Desk) -> None:
    doc = desk.api("civil_affairs").get("/api/v1/returns", params={"quarter": "2026Q3"}).json()
    assert (doc["quarter"], doc["complete"]) == ("2026Q3", True)
    (township,) = doc["townships"]
    assert township["township"] == "青山镇"
    assert township["on_ledger"] == {"children": 6, "women": 2, "elderly": 2}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"quarter": "2026Q9"}, "quarter"), ({"quarter": "2026Q3", "township": "青山"}, "township")],
)
def test_a_return_of_no_quarter_or_township_is_400(
    desk: Desk, params: dict[str, str], field: str
) -> None:
    r = desk.api("civil_affairs").get("/api/v1/returns", params=params)
    assert problem(r, 400)["field"] == field


def test_a_township_submits_its_return_once(desk: Desk) -> None:
    api = desk.api("township")
    body = {"township": "青山镇", "quarter": "2026Q3"}
    r = api.post("/api/v1/returns", json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["type"], r.json()["state"]) == ("township_return", "on_duty")
    doc = problem(api.post("/api/v1/returns", json=body), 422)
    assert (doc["rule"], doc["guard"]) == ("guard", "quarters_in_order")


def test_only_a_township_submits_a_return_403(desk: Desk) -> None:
    r = desk.api("police").post("/api/v1/returns", json={"township": "青山镇", "quarter": "2026Q3"})
    assert problem(r, 403)["rule"] == "role"
