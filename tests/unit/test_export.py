"""The case export: one self-contained printable HTML page, and JSON to re-verify the chain."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from shouhu import Engine
from shouhu.adapters.export import export_html, export_json, state_diagram_svg
from shouhu.engine.audit import Broken, Replay, replay, verify_chain
from shouhu.engine.validation import id_check_digit
from shouhu.engine.views import CaseView
from shouhu.workflows import vocab

#: As in ``tests/conftest.py``: the fake clock's time, the zone, the child of ``report_args``.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
CHILD_NAME = "王小明"
CHILD_BIRTHDATE = "2016-02-01"
SCRIPT = '<script>alert("x")</script>'
ID17 = "11010120160201123"
ID_NUMBER = ID17 + id_check_digit(ID17)

#: The states the solo_living branch goes through, in order.
SOLO_PATH = [
    "reported",
    "dispatched",
    "emergency_handled",
    "township_notified",
    "assessing",
    "assessed",
    "assisting",
    "closed",
]


Steps = tuple[tuple[str, str, dict[str, Any]], ...]


def _closing(branches: dict[str, Steps], summary: str) -> Steps:
    """The solo_living branch to ``closed`` with ``summary`` as the closing summary."""
    steps = branches["solo_living"]
    assert steps[-1][0] == "close"
    return (*steps[:-1], ("close", "township", {"summary": summary}))


def _audit(engine: Engine, case_id: str) -> tuple[CaseView, Replay, Broken | None]:
    view = engine.case(case_id)
    events = [h.event for h in view.history]
    return (
        view,
        replay(events, zone=ZONE, projection=view.record),
        verify_chain(case_id, events, view.record),
    )


def _page(engine: Engine, case_id: str, *, identity: bool = False) -> str:
    view, rebuilt, broken = _audit(engine, case_id)
    return export_html(view, rebuilt, broken, zone=ZONE, identity=identity, generated_at=NOW)


def _json(engine: Engine, case_id: str, *, identity: bool = False) -> dict[str, Any]:
    view, rebuilt, broken = _audit(engine, case_id)
    doc = export_json(view, rebuilt, broken, zone=ZONE, identity=identity, generated_at=NOW)
    # as a third party reads it: through JSON text
    loaded: dict[str, Any] = json.loads(json.dumps(doc, ensure_ascii=False))
    return loaded


@pytest.fixture
def closed_case(driver: Any, branches: dict[str, Steps]) -> str:
    """A solo_living case closed with a closing summary that holds a script tag."""
    driver.report(
        "solo_living",
        child={"name": CHILD_NAME, "birthdate": CHILD_BIRTHDATE, "id_number": ID_NUMBER},
    )
    driver.run(_closing(branches, f"帮扶到位 {SCRIPT}"))
    return str(driver.case_id)


def _svg(page: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match is not None
    return ET.fromstring(match.group(0))


def _classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def _recompute(event: dict[str, Any], fields: list[str]) -> str:
    """The documented algorithm with hashlib and json alone."""
    content = {k: event[k] for k in fields if k in event}  # effects: only when present
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the page --------------------------------------------------------------------------------


def test_the_page_is_self_contained(engine: Engine, closed_case: str) -> None:
    """The page references nothing outside itself: no URL, no script, no stylesheet link."""
    page = _page(engine, closed_case)
    for needle in ("http://", "https://", "<script src", "<link", "@import", "<img", "<iframe"):
        assert needle not in page
    assert "<script" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only the diagram's own markers
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert "<style>" in page
    assert "@media print" in page
    assert "size: A4" in page
    assert '"Noto Sans CJK SC"' in page


def test_the_header_names_the_case_type_state_and_timing(engine: Engine, closed_case: str) -> None:
    """The header shows id, type with its Chinese label, the state in code, zh and en, and more."""
    page = _page(engine, closed_case)
    assert closed_case in page
    assert "solo_living" in page
    assert "脱离监护单独居住生活" in page
    assert "已结案" in page
    assert "Closed" in page
    assert "resolved" in page
    assert "石桥村" in page
    assert "青山镇" in page
    assert "mandatory reporter" in page
    assert "2026-03-02T08:10:00+08:00" in page  # discovered
    assert "on time" in page
    assert "0h20m" in page  # reported 20 minutes after discovery
    assert "2026-03-10T10:00:00+08:00" in page  # generated at


def test_a_late_report_is_marked_late_with_its_delay(driver: Any, engine: Engine) -> None:
    """A mandatory reporter who reports after the bound shows as LATE with the delay."""
    driver.report(discovered_at="2026-02-27T08:30")
    page = _page(engine, driver.case_id)
    assert "LATE" in page
    assert "3d00h00m" in page


def test_the_diagram_highlights_exactly_the_states_on_the_path(
    engine: Engine, closed_case: str
) -> None:
    """The state boxes with class ``taken`` are exactly the states the case went through."""
    svg = _svg(_page(engine, closed_case))
    states = {g.get("data-state"): _classes(g) for g in svg.iter("g") if "state" in _classes(g)}
    assert set(states) == set(engine.case(closed_case).workflow.state_names)
    assert {s for s, cls in states.items() if "taken" in cls} == set(SOLO_PATH)
    assert {s for s, cls in states.items() if "current" in cls} == {"closed"}


def test_the_diagram_highlights_exactly_the_transitions_taken(
    engine: Engine, closed_case: str
) -> None:
    """The arrows with class ``taken`` are exactly the consecutive pairs of the path."""
    svg = _svg(_page(engine, closed_case))
    edges = [p for p in svg.iter("path") if "edge" in _classes(p)]
    taken = {(p.get("data-from"), p.get("data-to")) for p in edges if "taken" in _classes(p)}
    assert taken == set(itertools.pairwise(SOLO_PATH))
    for p in edges:
        width = float(p.get("stroke-width", "0"))
        assert (width > 2) == ("taken" in _classes(p))


def test_the_diagram_draws_no_arrow_for_measures_facts_or_system_events(
    engine: Engine, closed_case: str
) -> None:
    """Only transitions to another state are drawn; measures stay in their state."""
    wf = engine.case(closed_case).workflow
    svg = _svg(state_diagram_svg(wf, SOLO_PATH))
    drawn = {(p.get("data-from"), p.get("data-to")) for p in svg.iter("path") if p.get("data-to")}
    expected = {(s, t.dest) for t in wf.transitions if t.dest for s in t.sources if s != t.dest}
    assert drawn == expected
    titles = " ".join(t.text or "" for t in svg.iter("title"))
    assert "designate_entrusted_guardian" not in titles
    assert "education_given" not in titles
    assert "deadline_missed" not in titles


def test_the_diagram_labels_each_state_in_chinese_and_code(
    engine: Engine, closed_case: str
) -> None:
    """Each state box carries its Chinese label and its code."""
    wf = engine.case(closed_case).workflow
    svg = _svg(state_diagram_svg(wf, []))
    for g in svg.iter("g"):
        if "state" in _classes(g):
            texts = [t.text for t in g.iter("text")]
            state = wf.state(g.get("data-state", ""))
            assert texts == [state.zh, state.name]
            assert "taken" not in _classes(g)


def test_the_timeline_has_a_row_for_every_event(engine: Engine, closed_case: str) -> None:
    """Every event has a row with its seq, times, trigger, from → to, citation and hash."""
    page = _page(engine, closed_case)
    view = engine.case(closed_case)
    assert page.count('<tr class="event') == view.version == len(view.history)
    for h in view.history:
        e = h.event
        assert f'id="event-{e.seq}"' in page
        assert f'title="{e.hash}"' in page
        assert f"<code>{e.trigger}</code>" in page
        assert f"{e.from_state or '—'} → {e.to_state}" in page
    assert "2026-03-02T08:35:00+08:00" in page  # dispatch, local time with its offset
    assert "001 §四(三)2" in page
    assert "started dispatch due 2026-03-02T09:30:00+08:00" in page
    assert "met dispatch (on time)" in page
    assert "王大爷" in page  # event data, compact


def test_a_late_duty_shows_its_lateness(engine: Engine, make_driver: Any) -> None:
    """A duty done after its deadline shows ``met (late …)`` in the timeline and compliance."""
    slow = make_driver(engine, step_minutes=90)
    slow.report()
    slow.fire("dispatch")  # 10:00 local, due 09:30
    page = _page(engine, slow.case_id)
    assert "met dispatch (late 0h30m)" in page
    assert re.search(r'data-kind="dispatch">.*?late 0h30m</td>', page, re.S)


def test_deadline_compliance_lists_every_deadline(driver: Any, engine: Engine) -> None:
    """Each deadline shows kind, due time, status, when met, and 'still open' when pending."""
    driver.report()
    driver.until("solo_living", "notify_township")
    page = _page(engine, driver.case_id)
    section = page.split("id='deadlines'")[1].split("</section>")[0]
    _, rebuilt, _ = _audit(engine, driver.case_id)
    assert {d.kind for d in rebuilt.deadlines} >= {"dispatch", "township_notice"}
    for d in rebuilt.deadlines:
        assert f'data-kind="{d.kind}"' in section
    assert "still open" in section  # township_notice is pending
    assert "2026-03-02T09:30:00+08:00" in section  # dispatch due
    assert "2026-03-02T08:35:00+08:00" in section  # dispatch met


def test_verification_shows_the_head_hash_and_the_replay(engine: Engine, closed_case: str) -> None:
    """A sound case: 'chain verified: N events, head hash <full hash>', replay matches."""
    page = _page(engine, closed_case)
    view = engine.case(closed_case)
    assert f"chain verified</span>: {view.version} events, head hash" in page
    assert f"<code>{view.head_hash}</code>" in page
    assert "replay matches the record" in page


def test_a_broken_chain_is_reported_at_its_seq(engine: Engine, closed_case: str) -> None:
    """A tampered event makes the page say BROKEN at its seq, with the reason."""
    view, rebuilt, _ = _audit(engine, closed_case)
    events = [h.event for h in view.history]
    events[2] = dataclasses.replace(events[2], data={"forged": True})
    broken = verify_chain(closed_case, events, view.record)
    assert broken is not None
    page = export_html(view, rebuilt, broken, zone=ZONE, identity=False, generated_at=NOW)
    assert "BROKEN at seq 3" in page
    assert "event 3&#x27;s content does not match its hash" in page
    assert "chain verified" not in page


def test_replay_differences_are_listed(engine: Engine, closed_case: str) -> None:
    """When replay disagrees with the record, the page lists the differences."""
    view = engine.case(closed_case)
    events = [h.event for h in view.history]
    wrong = dataclasses.replace(view.record, state="assessing")
    rebuilt = replay(events, zone=ZONE, projection=wrong)
    page = export_html(view, rebuilt, None, zone=ZONE, identity=False, generated_at=NOW)
    assert "replay does not match the record" in page
    assert "state: stored assessing, rebuilt closed" in page


def test_identity_is_withheld_everywhere_by_default(engine: Engine, closed_case: str) -> None:
    """Without identity: 'withheld', and never the child's name, birthdate or id number."""
    page = _page(engine, closed_case)
    assert "identity withheld" in page
    assert "withheld" in page
    for secret in (CHILD_NAME, CHILD_BIRTHDATE, ID_NUMBER):
        assert secret not in page
    # event 1's data is shown, with the child's identity fields withheld
    row = page.split('id="event-1"')[1].split("</tr>")[0]
    assert "<dt>child.name</dt><dd>withheld</dd>" in row
    assert "<dt>child.age_at_discovery</dt><dd>10</dd>" in row


def test_identity_is_shown_when_asked(engine: Engine, closed_case: str) -> None:
    """With identity: the child's name, birthdate and id number are on the page."""
    page = _page(engine, closed_case, identity=True)
    for secret in (CHILD_NAME, CHILD_BIRTHDATE, ID_NUMBER):
        assert secret in page
    assert "identity withheld" not in page


def test_the_childs_name_in_free_text_is_withheld_too(
    driver: Any, engine: Engine, branches: dict[str, Steps]
) -> None:
    """A later event naming the child in free text does not leak the name without identity."""
    driver.report()
    driver.run(_closing(branches, f"{CHILD_NAME}已返校"))
    page = _page(engine, driver.case_id)
    assert CHILD_NAME not in page
    assert "withheld已返校" in page
    doc = _json(engine, driver.case_id)
    assert CHILD_NAME not in json.dumps(doc, ensure_ascii=False)
    assert doc["events"][-1]["redacted"] is True
    assert doc["verifiable"] is False


def test_user_data_is_escaped(engine: Engine, closed_case: str) -> None:
    """A script tag in event data is shown as text, never as markup."""
    page = _page(engine, closed_case)
    assert SCRIPT not in page
    assert "<script" not in page
    row = page.split('id="event-11"')[1].split("</tr>")[0]  # the closing summary
    assert "&lt;script&gt;alert(" in row
    assert "&lt;/script&gt;" in row


FRACTION = re.compile(r"\d\d:\d\d:\d\d[.,]\d")


def test_no_time_on_the_page_shows_fractions_of_a_second(
    clock: Any, driver: Any, engine: Engine, branches: dict[str, Steps]
) -> None:
    """Recorded at 10:00:00.123456 and generated at a fraction of a second: every time on the
    page is shown to the second (the JSON export keeps the stored instants whole)."""
    clock.advance(microseconds=123456)
    driver.report(discovered_at="2026-03-02T08:10:00.5")
    driver.run(_closing(branches, "帮扶到位"))
    view, rebuilt, broken = _audit(engine, driver.case_id)
    assert any(h.event.recorded_at.microsecond for h in view.history)
    generated = NOW.replace(microsecond=654321)
    page = export_html(view, rebuilt, broken, zone=ZONE, identity=False, generated_at=generated)
    assert FRACTION.findall(page) == []
    assert "rec. 2026-03-10T10:00:00+08:00" in page
    assert "2026-03-02T08:10:00+08:00" in page  # discovered, as data and in the header
    doc = _json(engine, driver.case_id)
    assert FRACTION.search(json.dumps(doc))


def _data_cell(page: str, seq: int) -> str:
    row = page.split(f'id="event-{seq}"')[1].split("</tr>")[0]
    return row.split("<dl class='data'>")[1].split("</dl>")[0]


def test_event_data_is_shown_as_labelled_fields_not_json(engine: Engine, closed_case: str) -> None:
    """Each datum of an event is a <dt> label and a <dd> value; nested blocks as block.field;
    no JSON text in the data column."""
    page = _page(engine, closed_case)
    view = engine.case(closed_case)
    assessed = next(h.event for h in view.history if h.event.trigger == "complete_assessment")
    cell = _data_cell(page, assessed.seq)
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", cell)
    assert [label for label, _ in pairs] == list(assessed.data)
    safety = assessed.data["safety"]
    named = vocab.CHOICE_NAMES[safety][0]  # a choice: its key and its Chinese name
    assert ("safety", f"<code>{safety}</code> {named}") in pairs
    opening = _data_cell(page, 1)
    assert "<dt>reporter.kind</dt><dd><code>school</code> 学校</dd>" in opening
    assert "<dt>child.left_behind</dt><dd>yes</dd>" in opening
    assert "<dt>location.county</dt><dd>—</dd>" in opening
    for row in page.split('<tr class="event')[1:]:
        data = row.split("<td>")[5]  # the data cell: no JSON object
        assert "&quot;: " not in data
        assert "{&quot;" not in data


def test_a_choice_value_shows_its_chinese_name_when_the_vocabulary_has_one(
    engine: Engine, closed_case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a table of Chinese names for choice values, a choice shows its key and name; a
    value without a name shows its key alone."""
    from shouhu.workflows import vocab

    monkeypatch.setattr(vocab, "CHOICE_NAMES", {"high": ("高", "高风险")}, raising=False)
    page = _page(engine, closed_case)
    view = engine.case(closed_case)
    assessed = next(h.event for h in view.history if h.event.trigger == "complete_assessment")
    cell = _data_cell(page, assessed.seq)
    assert "<dt>guardianship</dt><dd><code>high</code> 高</dd>" in cell
    assert "<dt>health</dt><dd><code>low</code></dd>" in cell


def test_the_page_is_in_english_with_lang_en_by_default(engine: Engine, closed_case: str) -> None:
    """SHOUHU_LANG=en (the suite's): <html lang="en"> and English labels."""
    page = _page(engine, closed_case)
    assert '<html lang="en">' in page
    for label in ("Timeline", "State diagram", "Deadline compliance", "Verification", "Reporter"):
        assert label in page


def test_in_chinese_the_page_says_lang_zh_cn(
    engine: Engine, closed_case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHOUHU_LANG=zh_CN: <html lang="zh-CN">."""
    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    page = _page(engine, closed_case)
    assert '<html lang="zh-CN">' in page
    assert '<html lang="en">' not in page


def test_in_chinese_the_labels_are_chinese(
    engine: Engine, closed_case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHOUHU_LANG=zh_CN: the headings, the header's labels, the timeline's and the verdicts
    are Chinese (needs the catalogs with the export's messages)."""
    monkeypatch.setenv("SHOUHU_LANG", "zh_CN")
    page = _page(engine, closed_case)
    for label in ("时间线", "状态图", "时限", "校验", "报告人", "案件档案", "链校验通过"):
        assert label in page, label
    for english in ("Timeline", "State diagram", "Deadline compliance", "chain verified"):
        assert english not in page, english


def test_a_workflow_without_a_path_highlights_nothing(engine: Engine, closed_case: str) -> None:
    """An empty path: no state and no transition carries ``taken``."""
    wf = engine.case(closed_case).workflow
    svg = _svg(state_diagram_svg(wf, []))
    assert not [el for el in svg.iter() if "taken" in _classes(el)]
    assert svg.get("viewBox")


# -- JSON ------------------------------------------------------------------------------------


def test_json_events_recompute_with_hashlib_and_json_alone(
    engine: Engine, closed_case: str
) -> None:
    """With identity, every event's hash recomputes from the export by the documented algorithm."""
    doc = _json(engine, closed_case, identity=True)
    algo = doc["algorithm"]
    assert algo["hash"] == "sha256"
    prev = algo["genesis_prev_hash"]
    assert prev == "0" * 64
    for event in doc["events"]:
        assert event["prev_hash"] == prev
        assert _recompute(event, algo["fields"]) == event["hash"]
        prev = event["hash"]
    assert prev == doc["case"]["head_hash"] == doc["verification"]["head_hash"]
    assert doc["verifiable"] is True
    assert doc["reason"] is None


def test_json_events_carry_every_hashed_field(engine: Engine, closed_case: str) -> None:
    """Each event has all hashed fields, instants in canonical UTC, and its hash."""
    doc = _json(engine, closed_case, identity=True)
    fields = doc["algorithm"]["fields"]
    assert fields == [
        "case_id",
        "seq",
        "workflow",
        "workflow_version",
        "policy_version",
        "trigger",
        "from",
        "to",
        "actor",
        "role",
        "occurred_at",
        "recorded_at",
        "data",
        "effects",
        "prev_hash",
    ]
    assert "ffffffZ" in doc["algorithm"]["canonical_json"]
    utc = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
    for event in doc["events"]:
        assert (set(fields) - {"effects"}) | {"hash"} <= set(event)  # effects only if any
        assert utc.match(event["occurred_at"])
        assert utc.match(event["recorded_at"])
    assert doc["events"][0]["data"]["child"]["name"] == CHILD_NAME


def test_json_without_identity_is_not_verifiable(engine: Engine, closed_case: str) -> None:
    """Without identity, event 1's child is withheld and the export says it cannot verify."""
    doc = _json(engine, closed_case)
    assert doc["verifiable"] is False
    assert doc["verification"]["verifiable"] is False
    assert "--include-identity" in doc["reason"]
    assert "event 1 holds the child's identity" in doc["reason"]
    child = doc["events"][0]["data"]["child"]
    assert child["name"] == child["birthdate"] == child["id_number"] == "withheld"
    assert child["age_at_discovery"] == 10
    assert doc["case"]["child"]["identity"] == "withheld"
    text = json.dumps(doc, ensure_ascii=False)
    for secret in (CHILD_NAME, CHILD_BIRTHDATE, ID_NUMBER):
        assert secret not in text


def test_json_without_identity_verifies_from_event_two(engine: Engine, closed_case: str) -> None:
    """Events 2… recompute from event 1's hash even when event 1's data is withheld."""
    doc = _json(engine, closed_case)
    fields = doc["algorithm"]["fields"]
    first, *rest = doc["events"]
    assert first["redacted"] is True
    assert _recompute(first, fields) != first["hash"]
    prev = first["hash"]
    for event in rest:
        assert event["redacted"] is False
        assert event["prev_hash"] == prev
        assert _recompute(event, fields) == event["hash"]
        prev = event["hash"]


def test_json_carries_deadlines_verification_and_replay(engine: Engine, closed_case: str) -> None:
    """The JSON export has the deadlines, the verification outcome and the replay."""
    doc = _json(engine, closed_case, identity=True)
    view, rebuilt, _ = _audit(engine, closed_case)
    assert [d["kind"] for d in doc["deadlines"]] == [d.kind for d in rebuilt.deadlines]
    assert all(d["citation"] for d in doc["deadlines"])
    assert doc["verification"]["chain"] == "verified"
    assert doc["verification"]["events"] == view.version
    assert doc["verification"]["broken"] is None
    assert doc["replay"] == json.loads(json.dumps(rebuilt.to_dict(ZONE), ensure_ascii=False))
    assert doc["path"] == SOLO_PATH
    assert doc["case"]["state"] == "closed"
    assert doc["case"]["type_zh"] == "脱离监护单独居住生活"
    assert doc["generated_at"] == "2026-03-10T10:00:00+08:00"


def test_json_reports_a_broken_chain(engine: Engine, closed_case: str) -> None:
    """A broken chain is in the verification block with its seq and reason."""
    view, rebuilt, _ = _audit(engine, closed_case)
    broken = Broken(closed_case, 4, "event 4 does not link to event 3")
    doc = export_json(view, rebuilt, broken, zone=ZONE, identity=True, generated_at=NOW)
    assert doc["verification"]["chain"] == "broken"
    assert doc["verification"]["broken"] == broken.to_dict()


class _Reader(HTMLParser):
    """What a browser reads from the page: its elements and its text, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_value_in_the_html_export_is_escaped_by_the_template(
    driver: Any, engine: Engine, branches: dict[str, Steps]
) -> None:
    """Markup, ampersands and both quotes in any value (reporter, place, actor, free text, a
    broken chain's reason, replay's differences) reach the reader as text, never as markup;
    and template syntax in a value is shown, not evaluated."""
    hostile = "<script>\"x\"</script> & 'q' <b>b</b> {{ 7*7 }}"
    driver.report(
        reporter={"kind": "school", "name": f"小学 {hostile}"},
        location=f"石桥村{hostile}, 青山镇",
    )
    driver.run(_closing(branches, hostile))
    view, rebuilt, _ = _audit(engine, driver.case_id)
    rebuilt = dataclasses.replace(rebuilt, differences=(f"state: {hostile}",))
    broken = Broken(driver.case_id, 2, f"event 2: {hostile}")
    page = export_html(view, rebuilt, broken, zone=ZONE, identity=False, generated_at=NOW)
    assert hostile not in page
    assert "<script" not in page
    assert "<b>" not in page
    for escaped in ("&lt;script&gt;", "&lt;b&gt;b&lt;/b&gt;", "&amp;", "&#x27;q&#x27;"):
        assert escaped in page
    reader = _Reader()
    reader.feed(page)
    assert "script" not in reader.tags
    assert "b" not in reader.tags
    text = "".join(reader.text)
    # the reader sees each value exactly as given (``{{ 7*7 }}`` not evaluated): reporter,
    # place, summary, reason, difference
    assert text.count(hostile) >= 5
    assert f"BROKEN at seq 2: event 2: {hostile}" in text
    assert f"state: {hostile}" in text
    assert "summary" + hostile in text  # event data: the field's label, then its value
