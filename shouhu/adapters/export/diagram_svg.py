"""The workflow's state diagram as inline SVG: a fixed snake layout for the spine states, the
rest in rows below, arcs over or under a row for transitions that skip a neighbour."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from shouhu.adapters.export.common import FONT_STACK, MONO_STACK
from shouhu.adapters.export.templating import render
from shouhu.workflows.spec import WorkflowDef

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


def state_diagram_svg(workflow: WorkflowDef, path: Sequence[str]) -> Markup:
    """The workflow's states and state-changing transitions as inline SVG (no script, no
    external reference). States on ``path`` have class ``taken`` (filled, bold), the last one
    also ``current``; the transitions between consecutive states of ``path`` have class
    ``taken`` (thick, coloured). Measures, facts and system events (no destination) stay in
    their state and are not drawn. Drawn by the template ``state_diagram.svg``."""
    boxes = _layout(workflow)
    edges = _edges(workflow)
    routes, top, bottom = _routes(boxes, edges)
    on_path = set(path)
    taken = {(a, b) for a, b in itertools.pairwise(path) if a != b}
    current = path[-1] if path else None
    cols = 1 + max(b.col for b in boxes.values())
    entry: dict[str, Any] | None = None
    # the entry: a dot and an arrow into the initial state
    if workflow.initial in boxes:
        b = boxes[workflow.initial]
        ent = workflow.initial in on_path
        entry = {
            "cx": _f(b.x - 30),
            "cy": _f(b.cy),
            "colour": C_EDGE_TAKEN if ent else C_EDGE,
            "d": f"M{_f(b.x - 24)},{_f(b.cy)} L{_f(b.x)},{_f(b.cy)}",
            "width": 3 if ent else 1.4,
            "marker": "shouhu-arrow-taken" if ent else "shouhu-arrow",
        }
    # untaken edges first, so the taken ones are drawn over them
    drawn = []
    for (src, dst), triggers in sorted(edges.items(), key=lambda kv: kv[0] in taken):
        is_taken = (src, dst) in taken
        drawn.append(
            {
                "cls": "edge taken" if is_taken else "edge",
                "src": src,
                "dst": dst,
                "d": routes[(src, dst)],
                "stroke": C_EDGE_TAKEN if is_taken else C_EDGE,
                "width": 3 if is_taken else 1.4,
                "marker": "shouhu-arrow-taken" if is_taken else "shouhu-arrow",
                "triggers": triggers,
            }
        )
    states = []
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
        states.append(
            {
                "name": s.name,
                "zh": s.zh,
                "en": s.en,
                "classes": classes,
                "final": s.final,
                "x": _f(b.x),
                "y": _f(b.y),
                "x4": _f(b.x + 4),
                "y4": _f(b.y + 4),
                "cx": _f(b.cx),
                "zh_y": _f(b.cy - 4),
                "name_y": _f(b.cy + 15),
                "rx": 14 if s.final else 6,
                "fill": C_TAKEN_FILL if is_on else C_FILL,
                "stroke": C_TAKEN_STROKE if is_on else C_STROKE,
                "sw": 3.5 if s.name == current else (2.2 if is_on else 1.2),
                "weight": "bold" if is_on else "normal",
            }
        )
    return render(
        "state_diagram.svg",
        y0=math.floor(top - PAD),
        width=MARGIN_X + (cols - 1) * COL_PITCH + BOX_W + PAD,
        height=math.ceil(bottom - top + 2 * PAD),
        title=f"{workflow.zh} {workflow.type} v{workflow.version}",
        font_stack=FONT_STACK,
        mono_stack=MONO_STACK,
        c_edge=C_EDGE,
        c_edge_taken=C_EDGE_TAKEN,
        box_w=BOX_W,
        box_h=BOX_H,
        entry=entry,
        edges=drawn,
        states=states,
    ).rstrip("\n")
