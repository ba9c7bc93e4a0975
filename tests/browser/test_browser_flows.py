"""Issue 17's flows in a real browser: a township supervisor moves a case through its forms
and meets a refusal; a police officer outside the scope cannot see the case; an auditor
replays a case to a moment of its history and downloads a proof the library accepts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from browserkit import case_state, library, log_in, step_form, submit
from deskserver import Desk
from playwright.sync_api import Page, expect

import shouhu
from shouhu import workflows
from shouhu.adapters.credentials import load
from shouhu.engine.timeutil import local_iso

#: The seeded case's steps for the township, as its forms name them (the trigger's label).
START_ASSESSMENT = "乡镇会同有关部门开展调查评估并建立评估档案"
COMPLETE_ASSESSMENT = "对安全处境、监护情况和身心健康状况的评估已完成"
GROUND_FOUND = "有关单位认定撤销监护人资格的情形成立"

pytestmark = pytest.mark.slow  # a real server and a real browser


def test_a_township_supervisor_fires_steps_through_the_forms_and_sees_a_refusal_in_chinese(
    page: Page, desk: Desk
) -> None:
    case_id = desk.cases["township"]
    log_in(page, desk, "township")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    page.get_by_role("link", name=case_id, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case_id)
    expect(case_state(page)).to_contain_text("已通报乡镇")

    status = submit(page, step_form(page, "start_assessment"), START_ASSESSMENT)
    assert status == 200
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}\?done=start_assessment$"))
    expect(page.locator(".notice")).to_be_visible()
    expect(case_state(page)).to_contain_text("调查评估中")

    form = step_form(page, "complete_assessment")
    form.locator("select[name='data.safety']").select_option("medium")
    form.locator("select[name='data.guardianship']").select_option("high")
    form.locator("select[name='data.health']").select_option("low")
    form.locator("select[name='data.participants']").select_option(["police", "village_committee"])
    assert submit(page, form, COMPLETE_ASSESSMENT) == 200
    expect(case_state(page)).to_contain_text("已评估")

    # ground (c) needs a perpetrator and serious harm on the record: the rules say no
    form = step_form(page, "record_ground_found")
    form.locator("select[name='data.ground']").select_option("serious_harm")
    assert submit(page, form, GROUND_FOUND) == 422
    refusal = page.locator(".refusal")
    expect(refusal).to_contain_text("001 §四(三)4")
    expect(refusal).to_contain_text("拒绝")
    expect(refusal).to_contain_text("实施家庭暴力、虐待或遗弃农村留守儿童")
    expect(case_state(page)).to_contain_text("已评估")

    with library(desk) as (engine, admin):
        view = engine.case(case_id, reader=admin)
        assert view.state == "assessed"
        township = desk.operator_id("township")
        fired = [h.event for h in view.history][-2:]
        assert [e.trigger for e in fired] == ["start_assessment", "complete_assessment"]
        assert all(e.operator_id == township and e.signature for e in fired)
        assert fired[1].data["participants"] == ["police", "village_committee"]


def test_a_police_officer_of_another_township_cannot_open_a_qingshan_case(
    page: Page, desk: Desk
) -> None:
    case_id = desk.cases["township"]
    log_in(page, desk, "police-2")
    response = page.goto(f"/cases/{case_id}")
    assert response is not None
    assert response.status == 403
    expect(page.locator(".refusal")).to_contain_text("属地")
    expect(page.locator("body")).not_to_contain_text("赵小雨")
    expect(page.get_by_role("heading", level=1)).to_have_text("因角色或辖区被拒绝")
    page.goto("/cases")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=case_id)).to_have_count(0)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    expect(page.get_by_role("link", name=case_id)).to_have_count(0)


def test_an_auditor_replays_a_case_to_a_moment_of_its_history_and_downloads_its_proof(
    page: Page, desk: Desk, tmp_path: Path
) -> None:
    case_id = desk.cases["closed"]
    with library(desk) as (engine, admin):
        events = [h.event for h in engine.case(case_id, reader=admin).history]
        zone = engine.zone
    middle, after = events[len(events) // 2], events[len(events) // 2 + 1]
    assert middle.to_state != events[-1].to_state, "the middle of the history is not its end"
    moment = middle.occurred_at + timedelta(minutes=1)
    assert moment < after.occurred_at
    at = local_iso(moment, zone)[:16].replace("T", " ")  # 2026-09-26 10:31, as one types it
    then = workflows.get(middle.workflow, middle.workflow_version).state(middle.to_state)

    log_in(page, desk, "auditor")
    page.goto(f"/audit/replay/{case_id}")
    page.get_by_label("时间").fill(at)
    page.get_by_label("时间").press("Enter")
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"[?&]at="))
    expect(page.locator(".replay-state")).to_contain_text(then.zh)
    events_shown = page.locator("table").last.locator("tbody tr")
    expect(events_shown).to_have_count(middle.seq)
    expect(events_shown.last.locator("td").first).to_have_text(str(middle.seq))

    with page.expect_download() as download:
        page.get_by_role("button", name="下载证明").click()
    assert download.value.suggested_filename == f"proof-{case_id}.json"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["case_id"] == case_id
    assert shouhu.check_proof(document) == []
    checked = subprocess.run(
        [sys.executable, "-m", "shouhu", "audit", "check-proof", str(saved)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with library(desk) as (engine, _admin):
        read = engine.accesses(case_id)[-1]  # the proof holds the identity: a recorded read
    assert read.role == "auditor"
    assert read.what == "audit prove"


def test_the_township_acts_at_once_after_the_police_notify_it_with_the_forms_default_time(
    page: Page, desk: Desk
) -> None:
    """The police notify the township (their desk, CLI or API records the time to the
    microsecond) and the supervisor, notified, takes the next step at once with the form's
    default time: it is accepted. (Both happen within one minute, a second or more into it:
    a default cut to the minute would come before the police's step.)"""
    case_id = desk.cases["police"]
    log_in(page, desk, "township")
    second = datetime.now().second
    if second < 1 or second > 50:
        time.sleep((61 - second) % 60 + 1)
    with library(desk) as (engine, _admin):
        engine.fire(case_id, "notify_township", actor=load(desk.credential_path("police")))
    page.goto(f"/cases/{case_id}")
    expect(case_state(page)).to_contain_text("已通报乡镇")
    status = submit(page, step_form(page, "start_assessment"), START_ASSESSMENT)
    assert status == 200, page.locator(".refusal").all_inner_texts()
    expect(case_state(page)).to_contain_text("调查评估中")


def test_an_unknown_case_shows_the_error_page_in_chinese_with_the_way_back(
    page: Page, desk: Desk
) -> None:
    log_in(page, desk, "police")
    response = page.goto("/cases/0000000000000000")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("没有这个案件")
    expect(page.locator(".refusal")).to_contain_text("0000000000000000")
    page.get_by_role("link", name="返回我的待办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
