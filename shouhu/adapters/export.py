"""A case for the file: one self-contained printable HTML page, or JSON to re-verify the chain.

The page needs no network at all: inline CSS (with print rules for A4), the workflow's state
diagram drawn here as inline SVG with the path the case took highlighted, the timeline, the
deadlines' compliance, and what verification and replay found. Everything shown is escaped.

The JSON export carries every hashed field of every event exactly as hashed, and the algorithm,
so a third party can recompute the chain with ``hashlib`` and ``json`` alone. Event 1 holds the
child's identity (covered by its hash): without ``identity`` it is withheld there, and the
export says the whole chain cannot be re-verified from it (events 2… still verify from event 1's
hash).

Identity (the child's name, birthdate and id number) appears only when ``identity=True``;
otherwise it is replaced by ``withheld`` wherever it would appear, including free text.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shouhu.engine.audit import Broken, DeadlineCompliance, Replay
from shouhu.engine.hashing import GENESIS, HASHED_FIELDS
from shouhu.engine.model import Event
from shouhu.engine.timeutil import local_iso, utc_iso
from shouhu.engine.views import WITHHELD, CaseView, EventView, public_effects
from shouhu.workflows.spec import WorkflowDef

__all__ = ["export_html", "export_json", "state_diagram_svg"]

FORMAT = "shouhu-case-export"
FORMAT_VERSION = 1

CANONICAL_JSON = (
    "keys sorted, separators (',', ':'), UTF-8, non-ASCII kept, "
    "instants UTC YYYY-MM-DDTHH:MM:SS.ffffffZ; 'effects' present only when not empty"
)
NOT_VERIFIABLE = (
    "event 1 holds the child's identity: export with --include-identity to re-verify the "
    "whole chain (events 2… verify from event 1's hash)"
)
IDENTITY_FIELDS = ("name", "birthdate", "id_number")

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
MONO_STACK = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", Menlo, Consolas, monospace'

# -- identity --------------------------------------------------------------------------------


class _Redactor:
    """Replaces the child's identity by ``withheld`` in anything shown (a no-op with identity)."""

    def __init__(self, view: CaseView, identity: bool) -> None:
        self.active = not identity
        secrets: set[str] = set()
        if self.active:
            child = view.record.child
            secrets.update(
                s
                for s in (child.name, child.birthdate.isoformat(), child.id_number)
                if s and len(s.strip()) >= 2
            )
            for h in view.history[:1]:
                block = h.event.data.get("child")
                if isinstance(block, Mapping):
                    secrets.update(
                        str(block[k]).strip()
                        for k in IDENTITY_FIELDS
                        if block.get(k) and len(str(block[k]).strip()) >= 2
                    )
        # the longest first, so a name inside a longer secret is not half-replaced
        self.secrets = tuple(sorted(secrets, key=len, reverse=True))

    def text(self, value: str) -> str:
        for s in self.secrets:
            if s in value:
                value = value.replace(s, WITHHELD)
        return value

    def value(self, obj: Any) -> Any:
        """``obj`` with every string (keys too) redacted."""
        if not self.active:
            return obj
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.value(v) for v in obj]
        return obj

    def event_data(self, e: Event) -> dict[str, Any]:
        """The event's data as it may be shown: event 1's child identity withheld."""
        if not self.active:
            return e.data
        data = dict(e.data)
        child = data.get("child")
        if e.seq == 1 and isinstance(child, Mapping):
            data["child"] = {k: (WITHHELD if k in IDENTITY_FIELDS else v) for k, v in child.items()}
        out: dict[str, Any] = self.value(data)
        return out


# -- formatting helpers ----------------------------------------------------------------------


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _duration(seconds: int | float | None) -> str:
    """``0h30m``, ``2d03h15m``; seconds only when there are some."""
    if seconds is None:
        return "—"
    total = int(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{days}d{hours:02d}h{minutes:02d}m" if days else f"{hours}h{minutes:02d}m"
    if secs:
        text += f"{secs:02d}s"
    return sign + text


def _local_text(value: Any, zone: str) -> str:
    """A stored ISO instant shown in ``zone`` (as is when it is not one)."""
    if not isinstance(value, str):
        return str(value)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if dt.tzinfo is None:
        return value
    return local_iso(dt, zone)


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "), default=str)


def _effects_text(effects: Mapping[str, Any], zone: str) -> list[str]:
    """An event's effects as short lines: ``started dispatch due …``, ``met (late 0h30m)``."""
    lines: list[str] = []
    for key, value in effects.items():
        if key == "report" and isinstance(value, Mapping):
            late = value.get("late")
            delay = _duration(value.get("delay_seconds"))
            bound = value.get("bound")
            verdict = "LATE" if late else "on time"
            lines.append(
                f"report {verdict} (delay {delay}" + (f"; bound {bound})" if bound else ")")
            )
        elif key == "deadlines" and isinstance(value, list):
            lines.extend(_deadline_effect(item, zone) for item in value)
        else:
            lines.append(f"{key}: {_compact(value)}")
    return lines


def _deadline_effect(item: Any, zone: str) -> str:
    if not isinstance(item, Mapping):
        return _compact(item)
    kind = str(item.get("kind", "?"))
    action = str(item.get("action", "?"))
    due = _local_text(item.get("due_at"), zone)
    if action == "started":
        return f"started {kind} due {due}"
    if action == "met":
        late = int(item.get("late_seconds") or 0)
        return f"met {kind} (" + (f"late {_duration(late)})" if late > 0 else "on time)")
    if action == "met_late":
        return f"met {kind} after it was missed (late {_duration(item.get('late_seconds'))})"
    if action == "cancelled":
        reason = item.get("reason")
        return f"cancelled {kind}" + (f" ({reason})" if reason else "")
    if action in {"missed", "fired"}:
        return f"{action} {kind} (due {due})"
    return f"{action} {kind} (due {due})"


def _path(events: Sequence[Event]) -> list[str]:
    """The states a case went through, in order (a state repeated only after leaving it)."""
    out: list[str] = []
    for e in events:
        if not out or out[-1] != e.to_state:
            out.append(e.to_state)
    return out


# -- the case header (shared by both forms) --------------------------------------------------


def _case_header(view: CaseView, zone: str, identity: bool, red: _Redactor) -> dict[str, Any]:
    r = view.record
    wf = view.workflow
    try:
        state = wf.state(r.state)
        state_zh, state_en = state.zh, state.en
    except KeyError:
        state_zh, state_en = r.state, r.state
    child: dict[str, Any] = {
        "left_behind": r.child.left_behind,
        "age_at_discovery": r.child.age_at_discovery,
    }
    if identity:
        child = {
            "name": r.child.name,
            "birthdate": r.child.birthdate.isoformat(),
            "id_number": r.child.id_number,
            **child,
        }
    else:
        child = {"identity": WITHHELD, **child}
    header = {
        "id": r.id,
        "type": r.type,
        "type_zh": wf.zh,
        "type_en": wf.en,
        "workflow_version": r.workflow_version,
        "state": r.state,
        "state_zh": state_zh,
        "state_en": state_en,
        "version": r.version,
        "outcome": r.outcome,
        "child": child,
        "location": r.location.as_dict(),
        "reporter": {
            "kind": r.reporter.kind,
            "name": r.reporter.name,
            "mandatory": r.reporter.mandatory,
        },
        "discovered_at": local_iso(r.discovered_at, zone),
        "reported_at": local_iso(r.reported_at, zone),
        "report_delay_seconds": r.report_delay_seconds,
        "late": r.late,
        "closed_at": local_iso(r.closed_at, zone) if r.closed_at else None,
        "head_hash": r.head_hash,
        "facts": r.facts,
    }
    # the identity block itself is what identity=True asks for; everything else is redacted
    out: dict[str, Any] = {**red.value({k: v for k, v in header.items() if k != "child"})}
    out["child"] = child
    return {k: out[k] for k in header}


def _deadline_rows(
    view: CaseView, replay: Replay, zone: str, red: _Redactor
) -> list[dict[str, Any]]:
    """Each deadline's compliance from the replay, with the stored row's basis and citation."""
    stored: dict[tuple[str, datetime], Mapping[str, Any]] = {}
    for stored_row in view.deadlines:
        try:
            due = datetime.fromisoformat(str(stored_row.get("due_at")))
        except ValueError:
            continue
        if due.tzinfo is not None:
            stored[(str(stored_row.get("kind")), due)] = stored_row
    out = []
    for d in replay.deadlines:
        row = stored.get((d.kind, d.due_at), {})
        out.append(
            {
                "kind": d.kind,
                "due_at": WITHHELD if d.personal and red.active else local_iso(d.due_at, zone),
                "status": d.status,
                "met_at": local_iso(d.met_at, zone) if d.met_at else None,
                "late_seconds": d.late_seconds,
                "started_seq": d.started_seq,
                "closed_seq": d.closed_seq,
                "basis": row.get("basis"),
                "citation": row.get("citation"),
            }
        )
    result: list[dict[str, Any]] = red.value(out)
    return result


def _verification(
    view: CaseView, events: Sequence[Event], broken: Broken | None, replay: Replay
) -> dict[str, Any]:
    return {
        "chain": "verified" if broken is None else "broken",
        "events": len(events),
        "head_hash": view.record.head_hash,
        "last_event_hash": events[-1].hash if events else None,
        "broken": broken.to_dict() if broken is not None else None,
        "replay_ok": replay.ok,
    }


# -- JSON ------------------------------------------------------------------------------------


def _hashed_event(e: Event) -> dict[str, Any]:
    """Every hashed field of ``e`` exactly as hashed (see ``shouhu.engine.hashing``):
    ``effects`` only when it is not empty."""
    out: dict[str, Any] = {
        "case_id": e.case_id,
        "seq": e.seq,
        "workflow": e.workflow,
        "workflow_version": e.workflow_version,
        "policy_version": e.policy_version,
        "trigger": e.trigger,
        "from": e.from_state,
        "to": e.to_state,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": utc_iso(e.occurred_at),
        "recorded_at": utc_iso(e.recorded_at),
        "data": e.data,
        "prev_hash": e.prev_hash,
    }
    if e.effects:
        out["effects"] = dict(e.effects)
    return out


def export_json(
    view: CaseView,
    replay: Replay,
    broken: Broken | None,
    *,
    zone: str,
    identity: bool,
    generated_at: datetime,
) -> dict[str, Any]:
    """Everything a third party needs to re-verify the case's chain with the documented
    algorithm: the case, the algorithm, every event's hashed fields and hash, the deadlines,
    what verification and replay found. Without ``identity`` event 1's child identity is
    withheld, so the export is marked ``verifiable: false``."""
    red = _Redactor(view, identity)
    events = [h.event for h in view.history]
    out_events: list[dict[str, Any]] = []
    redacted_seqs: list[int] = []
    for e in events:
        item = _hashed_event(e)
        if red.active:
            shown = {
                **red.value({k: v for k, v in item.items() if k != "data"}),
                "data": red.event_data(e),
            }
            if "effects" in shown:  # a due time counted from the birthdate reveals it
                shown["effects"] = dict(public_effects(shown["effects"]))
            # hashes and the canonical form carry no identity; keep the hashed keys' order
            shown = {k: shown[k] for k in item}
            redacted = shown != item
        else:
            shown, redacted = item, False
        if redacted:
            redacted_seqs.append(e.seq)
        out_events.append({**shown, "hash": e.hash, "redacted": redacted})
    verifiable = not redacted_seqs
    reason: str | None = None
    if not verifiable:
        later = [s for s in redacted_seqs if s != 1]
        if 1 in redacted_seqs:
            reason = NOT_VERIFIABLE
            if later:
                reason += (
                    "; events "
                    + ", ".join(map(str, later))
                    + " named the child in their content and were redacted too"
                )
        else:
            reason = (
                "events "
                + ", ".join(map(str, later))
                + " name the child in their content and were redacted: export with "
                "--include-identity to re-verify the whole chain"
            )
    verification = _verification(view, events, broken, replay)
    verification.update(verifiable=verifiable, reason=reason)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": local_iso(_aware(generated_at), zone),
        "zone": zone,
        "identity": identity,
        "verifiable": verifiable,
        "reason": reason,
        "case": _case_header(view, zone, identity, red),
        "workflow": {
            "type": view.workflow.type,
            "version": view.workflow.version,
            "zh": view.workflow.zh,
            "en": view.workflow.en,
        },
        "path": _path(events),
        "algorithm": {
            "hash": "sha256",
            "canonical_json": CANONICAL_JSON,
            "fields": list(HASHED_FIELDS),
            "genesis_prev_hash": GENESIS,
            "chain": (
                "hash = sha256(canonical JSON of the object of `fields`).hexdigest(); "
                "event 1's prev_hash is genesis_prev_hash, each later prev_hash is the previous "
                "event's hash; the case's head hash is the last event's hash"
            ),
        },
        "events": out_events,
        "deadlines": _deadline_rows(view, replay, zone, red),
        "verification": verification,
        "replay": red.value(replay.to_dict(zone)),
    }


# -- the state diagram -----------------------------------------------------------------------

#: Where each spine state goes: (column, row). A snake: the first row left to right, the
#: second right to left, so the spine reads as one line and ``closed`` sits under ``reported``.
SPINE_LAYOUT: dict[str, tuple[int, int]] = {
    "reported": (0, 0),
    "dispatched": (1, 0),
    "emergency_handled": (2, 0),
    "township_notified": (3, 0),
    "assessing": (4, 0),
    "assessed": (4, 1),
    "assisting": (3, 1),
    "intervening": (2, 1),
    "petitioned": (1, 1),
    "closed": (0, 1),
}

BOX_W, BOX_H = 150, 56
COL_PITCH, ROW_PITCH = 196, 136
MARGIN_X, MARGIN_TOP = 44, 0
PAD = 16

C_TAKEN_FILL, C_TAKEN_STROKE = "#ffe9a8", "#b8860b"
C_FILL, C_STROKE = "#ffffff", "#8a96a3"
C_EDGE, C_EDGE_TAKEN = "#9aa5b1", "#c0392b"


@dataclass(frozen=True, slots=True)
class _Box:
    name: str
    col: int
    row: int

    @property
    def x(self) -> float:
        return MARGIN_X + self.col * COL_PITCH

    @property
    def y(self) -> float:
        return MARGIN_TOP + self.row * ROW_PITCH

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


def _layout(wf: WorkflowDef) -> dict[str, _Box]:
    boxes: dict[str, _Box] = {}
    used = set()
    for s in wf.states:
        if s.name in SPINE_LAYOUT and SPINE_LAYOUT[s.name] not in used:
            col, row = SPINE_LAYOUT[s.name]
            boxes[s.name] = _Box(s.name, col, row)
            used.add((col, row))
    rest = [s.name for s in wf.states if s.name not in boxes]
    first_row = 1 + max((b.row for b in boxes.values()), default=-1)
    for i, name in enumerate(rest):
        boxes[name] = _Box(name, i % 5, first_row + i // 5)
    return boxes


def _edges(wf: WorkflowDef) -> dict[tuple[str, str], list[str]]:
    """(source, destination) → triggers, for every transition that changes state."""
    edges: dict[tuple[str, str], list[str]] = {}
    for t in wf.transitions:
        if t.dest is None:
            continue
        for src in t.sources:
            if src == t.dest:
                continue
            names = edges.setdefault((src, t.dest), [])
            if t.trigger not in names:
                names.append(t.trigger)
    return edges


def _clip(box: _Box, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from the box's centre towards (tx, ty) leaves the box."""
    dx, dy = tx - box.cx, ty - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else math.inf,
        (BOX_H / 2) / abs(dy) if dy else math.inf,
    )
    return box.cx + dx * scale, box.cy + dy * scale


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _routes(
    boxes: Mapping[str, _Box], edges: Mapping[tuple[str, str], list[str]]
) -> tuple[dict[tuple[str, str], str], float, float]:
    """An SVG path for each edge (straight between neighbours, arcs over or under a row),
    and the highest and lowest points the arcs reach."""
    arcs: dict[tuple[str, str], str] = {}  # edge → side ("top" or "bottom") for skip arcs
    for src, dst in edges:
        a, b = boxes[src], boxes[dst]
        if a.row == b.row and abs(a.col - b.col) >= 2:
            leftward = b.col < a.col
            arcs[(src, dst)] = "top" if a.row == 0 or not leftward else "bottom"
    # spread the arcs' ports along each box side, ordered by the other end's column
    ports: dict[tuple[str, str], list[tuple[int, tuple[str, str], str]]] = {}
    for (src, dst), side in arcs.items():
        ports.setdefault((src, side), []).append((boxes[dst].col, (src, dst), "src"))
        ports.setdefault((dst, side), []).append((boxes[src].col, (src, dst), "dst"))
    port_x: dict[tuple[tuple[str, str], str], float] = {}
    for (name, _side), items in ports.items():
        items.sort(key=lambda i: (i[0], i[2]))
        box = boxes[name]
        for i, (_, edge, end) in enumerate(items, start=1):
            port_x[(edge, end)] = box.x + BOX_W * i / (len(items) + 1)
    out: dict[tuple[str, str], str] = {}
    top = min(b.y for b in boxes.values())
    bottom = max(b.y + BOX_H for b in boxes.values())
    for src, dst in edges:
        a, b = boxes[src], boxes[dst]
        arc = arcs.get((src, dst))
        if arc is not None:
            sx, dx = port_x[((src, dst), "src")], port_x[((src, dst), "dst")]
            span = abs(a.col - b.col)
            depth = 22 + 20 * (span - 1)
            if arc == "bottom":
                y0, yc = a.y + BOX_H, a.y + BOX_H + depth
                bottom = max(bottom, y0 + 0.75 * depth)  # a cubic's apex: 3/4 of the way
            else:
                y0, yc = a.y, a.y - depth
                top = min(top, y0 - 0.75 * depth)
            out[(src, dst)] = (
                f"M{_f(sx)},{_f(y0)} C{_f(sx)},{_f(yc)} {_f(dx)},{_f(yc)} {_f(dx)},{_f(y0)}"
            )
            continue
        offset = 8.0 if (dst, src) in edges else 0.0
        if a.row == b.row:  # neighbours on a row
            sign = 1 if b.col > a.col else -1
            y = a.cy - offset * sign
            x1 = a.cx + sign * BOX_W / 2
            x2 = b.cx - sign * BOX_W / 2
            out[(src, dst)] = f"M{_f(x1)},{_f(y)} L{_f(x2)},{_f(y)}"
        elif a.col == b.col:  # one above the other
            sign = 1 if b.row > a.row else -1
            x = a.cx + offset * sign
            y1 = a.cy + sign * BOX_H / 2
            y2 = b.cy - sign * BOX_H / 2
            out[(src, dst)] = f"M{_f(x)},{_f(y1)} L{_f(x)},{_f(y2)}"
        else:
            x1, y1 = _clip(a, b.cx, b.cy)
            x2, y2 = _clip(b, a.cx, a.cy)
            out[(src, dst)] = f"M{_f(x1)},{_f(y1)} L{_f(x2)},{_f(y2)}"
    return out, top, bottom


def state_diagram_svg(workflow: WorkflowDef, path: Sequence[str]) -> str:
    """The workflow's states and state-changing transitions as inline SVG (no script, no
    external reference). States on ``path`` have class ``taken`` (filled, bold), the last one
    also ``current``; the transitions between consecutive states of ``path`` have class
    ``taken`` (thick, coloured). Measures, facts and system events (no destination) stay in
    their state and are not drawn."""
    boxes = _layout(workflow)
    edges = _edges(workflow)
    routes, top, bottom = _routes(boxes, edges)
    on_path = set(path)
    taken = {(a, b) for a, b in itertools.pairwise(path) if a != b}
    current = path[-1] if path else None
    cols = 1 + max(b.col for b in boxes.values())
    width = MARGIN_X + (cols - 1) * COL_PITCH + BOX_W + PAD
    y0, height = math.floor(top - PAD), math.ceil(bottom - top + 2 * PAD)
    e = html.escape
    title = f"{workflow.zh} {workflow.type} v{workflow.version}"
    parts = [
        f'<svg class="state-diagram" role="img" viewBox="0 {y0} {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMin meet" '
        f'font-family="{e(FONT_STACK)}" aria-label="{e("state diagram: " + title)}">',
        f"<title>{e('state diagram: ' + title)}</title>",
        "<defs>",
        '<marker id="shouhu-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{C_EDGE}"/></marker>',
        '<marker id="shouhu-arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="5" markerHeight="5" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{C_EDGE_TAKEN}"/></marker>',
        "</defs>",
    ]
    # the entry: a dot and an arrow into the initial state
    if workflow.initial in boxes:
        b = boxes[workflow.initial]
        ent = workflow.initial in on_path
        colour = C_EDGE_TAKEN if ent else C_EDGE
        parts.append(
            f'<g class="entry"><circle cx="{_f(b.x - 30)}" cy="{_f(b.cy)}" r="6" '
            f'fill="{colour}"/><path d="M{_f(b.x - 24)},{_f(b.cy)} L{_f(b.x)},{_f(b.cy)}" '
            f'stroke="{colour}" stroke-width="{3 if ent else 1.4}" fill="none" '
            f'marker-end="url(#shouhu-arrow{"-taken" if ent else ""})"/>'
            "<title>report</title></g>"
        )
    # untaken edges first, so the taken ones are drawn over them
    for (src, dst), triggers in sorted(edges.items(), key=lambda kv: kv[0] in taken):
        is_taken = (src, dst) in taken
        cls = "edge taken" if is_taken else "edge"
        stroke = C_EDGE_TAKEN if is_taken else C_EDGE
        marker = "shouhu-arrow-taken" if is_taken else "shouhu-arrow"
        parts.append(
            f'<path class="{cls}" data-from="{e(src)}" data-to="{e(dst)}" '
            f'd="{routes[(src, dst)]}" fill="none" stroke="{stroke}" '
            f'stroke-width="{3 if is_taken else 1.4}" marker-end="url(#{marker})">'
            f"<title>{e(' / '.join(triggers))}: {e(src)} → {e(dst)}</title></path>"
        )
    for s in workflow.states:
        b = boxes[s.name]
        is_on = s.name in on_path
        classes = ["state"]
        if is_on:
            classes.append("taken")
        if s.name == current:
            classes.append("current")
        if s.final:
            classes.append("final")
        fill = C_TAKEN_FILL if is_on else C_FILL
        stroke = C_TAKEN_STROKE if is_on else C_STROKE
        sw = 3.5 if s.name == current else (2.2 if is_on else 1.2)
        weight = "bold" if is_on else "normal"
        parts.append(
            f'<g class="{" ".join(classes)}" data-state="{e(s.name)}">'
            f"<title>{e(s.zh)} · {e(s.en)} ({e(s.name)})</title>"
            f'<rect x="{_f(b.x)}" y="{_f(b.y)}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="{14 if s.final else 6}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
        )
        if s.final:
            parts.append(
                f'<rect x="{_f(b.x + 4)}" y="{_f(b.y + 4)}" width="{BOX_W - 8}" '
                f'height="{BOX_H - 8}" rx="10" fill="none" stroke="{stroke}" stroke-width="1"/>'
            )
        parts.append(
            f'<text x="{_f(b.cx)}" y="{_f(b.cy - 4)}" text-anchor="middle" font-size="14" '
            f'font-weight="{weight}" fill="#1f2933">{e(s.zh)}</text>'
            f'<text x="{_f(b.cx)}" y="{_f(b.cy + 15)}" text-anchor="middle" font-size="11" '
            f'font-family="{e(MONO_STACK)}" font-weight="{weight}" fill="#3e4c59">'
            f"{e(s.name)}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


# -- HTML ------------------------------------------------------------------------------------

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
    delay = _duration(header["report_delay_seconds"])
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


def _timeline_html(history: Sequence[EventView], replay: Replay, zone: str, red: _Redactor) -> str:
    refused = dict(replay.illegal)
    rows = []
    for h in history:
        e = h.event
        data = red.event_data(e)
        data_text = _compact(data) if data else "—"
        shown_effects = public_effects(e.effects) if red.active else e.effects
        effects = [red.text(line) for line in _effects_text(shown_effects, zone)]
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
            lateness = f"late {_duration(d.late_seconds)}"
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
    view: CaseView, events: Sequence[Event], broken: Broken | None, replay: Replay, red: _Redactor
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
    red = _Redactor(view, identity)
    history = view.history
    events = [h.event for h in history]
    header = _case_header(view, zone, identity, red)
    generated = local_iso(_aware(generated_at), zone)
    path = _path(events)
    wf = view.workflow
    labels = {s.name: s.zh for s in wf.states}
    path_text = " → ".join(f"{labels.get(s, s)} {s}" for s in path)
    deadline_rows = _deadline_rows(view, replay, zone, red)
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
        _compliance_html(replay.deadlines, deadline_rows),
        "</section>",
        "<section id='verification'><h2>Verification 校验</h2>",
        _verification_html(view, events, broken, replay, red),
        "</section>",
        _footer_html(generated, zone),
        "</body>",
        "</html>",
    ]
    return "\n".join(body) + "\n"
