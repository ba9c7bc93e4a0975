"""The case as one self-contained printable HTML page (no network at all)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shouhu.adapters.export.common import (
    FONT_STACK,
    MONO_STACK,
    Redactor,
    aware,
    case_header,
    case_path,
    compact,
    deadline_rows,
    duration,
    effects_text,
)
from shouhu.adapters.export.diagram_svg import state_diagram_svg
from shouhu.engine.audit import Broken, DeadlineCompliance, Replay
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.model import Event
from shouhu.engine.timeutil import local_iso
from shouhu.engine.views import CaseView, EventView, public_effects

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: FONTS; color: #1f2933; background: #fff; margin: 0 auto; max-width: 210mm;
  padding: 10mm 12mm; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; border-bottom: 1.5px solid #3e4c59;
  padding-bottom: 1mm; break-after: avoid; page-break-after: avoid; }
code, .mono { font-family: MONO; font-size: 0.92em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #cbd2d9; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }
th { background: #f0f4f8; font-weight: 600; }
table.header th { width: 30%; }
table.timeline { font-size: 8.6pt; table-layout: fixed; }
table.timeline td { overflow-wrap: anywhere; word-break: break-word; }
table.timeline col.seq { width: 5%; } table.timeline col.when { width: 17%; }
table.timeline col.what { width: 25%; } table.timeline col.who { width: 11%; }
table.timeline col.data { width: 20%; } table.timeline col.effects { width: 14%; }
table.timeline col.hash { width: 8%; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.refused td { background: #fdecea; }
.muted { color: #616e7c; }
.late, .bad { color: #b42318; font-weight: 600; }
.ok { color: #1a7f37; font-weight: 600; }
.withheld { font-style: italic; color: #616e7c; }
.diagram { border: 1px solid #cbd2d9; padding: 2mm; break-inside: avoid;
  page-break-inside: avoid; }
.legend { font-size: 9pt; margin: 1mm 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border: 1.5px solid #b8860b;
  background: #ffe9a8; vertical-align: middle; }
.swatch.edge { width: 18px; height: 0; border: 0; border-top: 3px solid #c0392b; }
ul.effects { margin: 0; padding-left: 1.1em; }
footer { margin-top: 8mm; border-top: 1px solid #cbd2d9; padding-top: 2mm; font-size: 8.8pt;
  color: #3e4c59; }
@page { size: A4; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 9.5pt; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  .diagram { border: 0; }
  h2 { margin-top: 5mm; }
}
"""


def _esc(value: Any) -> str:
    return html.escape("—" if value is None else str(value))


def _header_html(header: Mapping[str, Any], view: CaseView, identity: bool) -> str:
    r = view.record
    loc = header["location"]
    where = ", ".join(
        f"{_esc(loc[k])} <span class='muted'>({k})</span>"
        for k in ("village", "township", "county")
        if loc.get(k)
    )
    rep = header["reporter"]
    mandatory = (
        "mandatory reporter (强制报告责任主体)" if rep["mandatory"] else "not a mandatory reporter"
    )
    delay = duration(header["report_delay_seconds"])
    if header["late"]:
        timing = f'<span class="late">LATE</span>: reported {delay} after discovery'
    else:
        timing = f'<span class="ok">on time</span>: reported {delay} after discovery'
    child = header["child"]
    if identity:
        child_rows = (
            f"<tr><th>Child</th><td>{_esc(child['name'])}</td></tr>"
            f"<tr><th>Birthdate</th><td>{_esc(child['birthdate'])}</td></tr>"
            f"<tr><th>ID number</th><td>{_esc(child['id_number'])}</td></tr>"
        )
    else:
        child_rows = (
            '<tr><th>Child</th><td><span class="withheld">identity withheld</span> '
            '<span class="muted">(name, birthdate and id number: export with '
            "--include-identity)</span></td></tr>"
        )
    child_rows += (
        f"<tr><th>Left-behind (under 16)</th><td>{'yes' if child['left_behind'] else 'no'}"
        f"; aged {_esc(child['age_at_discovery'])} at discovery</td></tr>"
    )
    rows = [
        f"<tr><th>Case</th><td><code>{_esc(header['id'])}</code></td></tr>",
        f"<tr><th>Type</th><td><code>{_esc(header['type'])}</code> {_esc(header['type_zh'])} "
        f"<span class='muted'>({_esc(header['type_en'])}, workflow "
        f"v{_esc(header['workflow_version'])})</span></td></tr>",
        f"<tr><th>State</th><td><code>{_esc(header['state'])}</code> "
        f"{_esc(header['state_zh'])} <span class='muted'>({_esc(header['state_en'])})</span>"
        f" · version {_esc(header['version'])}</td></tr>",
        f"<tr><th>Outcome</th><td>{_esc(header['outcome'] or 'open')}"
        + (f" · closed {_esc(header['closed_at'])}" if header["closed_at"] else "")
        + "</td></tr>",
        child_rows,
        f"<tr><th>Location</th><td>{where}</td></tr>",
        f"<tr><th>Reporter</th><td><code>{_esc(rep['kind'])}</code> {_esc(rep['name'])} · "
        f"{mandatory}</td></tr>",
        f"<tr><th>Discovered</th><td>{_esc(header['discovered_at'])}</td></tr>",
        f"<tr><th>Reported</th><td>{_esc(header['reported_at'])} · {timing}"
        + ("" if r.reporter.mandatory else " <span class='muted'>(no bound applies)</span>")
        + "</td></tr>",
    ]
    return '<table class="header">' + "".join(rows) + "</table>"


def _timeline_html(history: Sequence[EventView], replay: Replay, zone: str, red: Redactor) -> str:
    refused = dict(replay.illegal)
    rows = []
    for h in history:
        e = h.event
        data = red.event_data(e)
        data_text = compact(data) if data else "—"
        shown_effects = public_effects(e.effects) if red.active else e.effects
        effects = [red.text(line) for line in effects_text(shown_effects, zone)]
        effects_html = (
            "<ul class='effects'>" + "".join(f"<li>{_esc(x)}</li>" for x in effects) + "</ul>"
            if effects
            else "—"
        )
        note = ""
        if e.seq in refused:
            why = _esc(red.text(refused[e.seq]))
            note = f"<div class='bad'>refused by the definition: {why}</div>"
        cls = "event refused" if e.seq in refused else "event"
        rows.append(
            f'<tr class="{cls}" id="event-{e.seq}" data-seq="{e.seq}">'
            f"<td>{e.seq}</td>"
            f"<td><div>{_esc(local_iso(e.occurred_at, zone))}</div>"
            f"<div class='muted'>rec. {_esc(local_iso(e.recorded_at, zone))}</div></td>"
            f"<td><code>{_esc(e.trigger)}</code>"
            f"<div>{_esc(e.from_state or '—')} → {_esc(e.to_state)}</div>"
            f"<div class='muted'>{_esc(red.text(h.label))}</div>"
            f"<div class='muted'>{_esc(h.citation)}</div>{note}</td>"
            f"<td>{_esc(red.text(e.actor))}<div class='muted'>{_esc(e.role)}</div></td>"
            f"<td class='mono'>{_esc(data_text)}</td>"
            f"<td>{effects_html}</td>"
            f'<td><code title="{_esc(e.hash)}">{_esc(e.hash[:10])}…</code></td>'
            "</tr>"
        )
    return (
        '<table class="timeline"><colgroup><col class="seq"><col class="when">'
        '<col class="what"><col class="who"><col class="data"><col class="effects">'
        '<col class="hash"></colgroup>'
        "<thead><tr><th>#</th><th>Occurred / recorded</th><th>Trigger, from → to, "
        "citation</th><th>Actor, role</th><th>Data</th><th>Effects</th><th>Hash</th></tr>"
        "</thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _compliance_html(
    deadlines: Sequence[DeadlineCompliance], rows: Sequence[Mapping[str, Any]]
) -> str:
    if not deadlines:
        return "<p class='muted'>No deadline was started in this case.</p>"
    out = []
    for d, row in zip(deadlines, rows, strict=True):
        if d.status == "pending":
            lateness = "still open"
        elif d.late_seconds is None:
            lateness = "—" if d.status != "missed" else "not yet done"
        elif d.late_seconds > 0:
            lateness = f"late {duration(d.late_seconds)}"
        else:
            lateness = "on time"
        cls = "bad" if d.status == "missed" or (d.late_seconds or 0) > 0 else ""
        out.append(
            f'<tr class="deadline" data-kind="{_esc(d.kind)}">'
            f"<td><code>{_esc(d.kind)}</code>"
            + (f"<div class='muted'>{_esc(row['citation'])}</div>" if row.get("citation") else "")
            + f"</td><td>{_esc(row['due_at'])}"
            + (f"<div class='muted'>{_esc(row['basis'])}</div>" if row.get("basis") else "")
            + f"</td><td>{_esc(d.status)}</td><td>{_esc(row['met_at'])}</td>"
            f"<td class='{cls}'>{_esc(lateness)}</td>"
            f"<td>{d.started_seq} → {_esc(d.closed_seq)}</td></tr>"
        )
    return (
        '<table class="deadlines"><thead><tr><th>Deadline</th><th>Due</th><th>Status</th>'
        "<th>Met at</th><th>Lateness</th><th>Events</th></tr></thead><tbody>"
        + "".join(out)
        + "</tbody></table>"
    )


def _verification_html(
    view: CaseView, events: Sequence[Event], broken: Broken | None, replay: Replay, red: Redactor
) -> str:
    if broken is None:
        chain = (
            f'<p class="verified"><span class="ok">chain verified</span>: {len(events)} events, '
            f"head hash <code>{_esc(view.record.head_hash)}</code></p>"
        )
    else:
        where = f" at seq {broken.seq}" if broken.seq is not None else ""
        chain = (
            f'<p class="broken"><span class="bad">BROKEN{where}</span>: '
            f"{_esc(red.text(broken.reason))}</p>"
            f"<p class='muted'>head hash on the case row: "
            f"<code>{_esc(view.record.head_hash)}</code></p>"
        )
    if replay.ok:
        rep = '<p class="replay"><span class="ok">replay matches the record</span></p>'
    else:
        items = [
            f"<li>event {seq}: {_esc(red.text(reason))}</li>" for seq, reason in replay.illegal
        ] + [f"<li>{_esc(red.text(d))}</li>" for d in replay.differences]
        rep = (
            '<p class="replay"><span class="bad">replay does not match the record</span>: '
            f"{len(replay.illegal)} illegal event(s), {len(replay.differences)} "
            f"difference(s)</p><ul>{''.join(items)}</ul>"
        )
    return chain + rep


def _footer_html(generated: str, zone: str) -> str:
    fields = ", ".join(HASHED_FIELDS)
    return (
        "<footer><p><strong>How to re-verify.</strong> Export the case as JSON "
        "(<code>shouhu audit export CASE --format json --include-identity --output FILE</code>). "
        "For each event in <code>seq</code> order, take the JSON object of its hashed fields "
        f"(<code>{_esc(fields)}</code>; <code>occurred_at</code> and <code>recorded_at</code> "
        "in UTC as <code>YYYY-MM-DDTHH:MM:SS.ffffffZ</code>), serialise it canonically "
        "(keys sorted, separators <code>(',', ':')</code>, UTF-8, non-ASCII kept as is) and "
        "compute its SHA-256: the hex digest must equal the event's <code>hash</code>. "
        f"Event 1's <code>prev_hash</code> is 64 zeros (<code>{GENESIS[:8]}…</code>); each "
        "later <code>prev_hash</code> is the previous event's hash, and the last hash is the "
        "case's head hash. Event 1 holds the child's identity, so only an export with "
        "identity re-verifies the whole chain. Or run <code>shouhu audit verify</code> and "
        "<code>shouhu audit replay CASE</code>. See docs/audit.md (canonical JSON and the "
        "hash inputs).</p>"
        f"<p class='muted'>Generated {_esc(generated)} · times are local ({_esc(zone)}) with "
        "their offset.</p></footer>"
    )


def export_html(
    view: CaseView,
    replay: Replay,
    broken: Broken | None,
    *,
    zone: str,
    identity: bool,
    generated_at: datetime,
) -> str:
    """One self-contained printable page (no network at all) for the case file."""
    red = Redactor(view, identity)
    history = view.history
    events = [h.event for h in history]
    header = case_header(view, zone, identity, red)
    generated = local_iso(aware(generated_at), zone)
    path = case_path(events)
    wf = view.workflow
    labels = {s.name: s.zh for s in wf.states}
    path_text = " → ".join(f"{labels.get(s, s)} {s}" for s in path)
    dl_rows = deadline_rows(view, replay, zone, red)
    css = CSS.replace("FONTS", FONT_STACK).replace("MONO", MONO_STACK)
    title = f"案件 {view.record.id} — {wf.zh} — audit export"
    body = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="shouhu">',
        f"<title>{_esc(title)}</title>",
        f"<style>{css}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>案件档案 Case <code>{_esc(view.record.id)}</code> · {_esc(wf.zh)}</h1>",
        f"<p class='muted'>Generated {_esc(generated)} · zone {_esc(zone)} · "
        + ("identity included" if identity else "identity withheld")
        + "</p>",
        _header_html(header, view, identity),
        "</header>",
        "<section id='diagram'><h2>State diagram 状态图</h2>",
        f"<div class='diagram'>{state_diagram_svg(wf, path)}</div>",
        "<p class='legend'><span class='swatch'></span> states the case went through · "
        "<span class='swatch edge'></span> transitions taken · the thickest border: the "
        "current state. Measures and recorded facts stay in their state and are not drawn.</p>",
        f"<p class='legend'>Path: {_esc(path_text)}</p></section>",
        f"<section id='timeline'><h2>Timeline 时间线 ({len(events)} events)</h2>",
        _timeline_html(history, replay, zone, red),
        "</section>",
        "<section id='deadlines'><h2>Deadline compliance 时限</h2>",
        _compliance_html(replay.deadlines, dl_rows),
        "</section>",
        "<section id='verification'><h2>Verification 校验</h2>",
        _verification_html(view, events, broken, replay, red),
        "</section>",
        _footer_html(generated, zone),
        "</body>",
        "</html>",
    ]
    return "\n".join(body) + "\n"
