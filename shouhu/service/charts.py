"""Server-side SVG for the desk: a workflow's diagram with the path a case took, and bar
charts for the compliance report. Inline SVG, no script, no style attribute (the CSP forbids
inline styles; colours are presentation attributes and classes in desk.css), each with a
``<title>``, ``role="img"`` and an ``aria-label``; every bar carries its number as text.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from shouhu.i18n import _, chinese
from shouhu.workflows.spec import WorkflowDef

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 168, 48, 56, 18, 12


def _layers(wf: WorkflowDef) -> dict[str, int]:
    """Each state's column: its distance from the initial state (unreachable ones last)."""
    edges: dict[str, list[str]] = {}
    for t in wf.transitions:
        if t.dest is None:
            continue
        for src in t.sources:
            edges.setdefault(src, []).append(t.dest)
    depth = {wf.initial: 0}
    queue = [wf.initial]
    while queue:
        s = queue.pop(0)
        for d in edges.get(s, []):
            if d not in depth:
                depth[d] = depth[s] + 1
                queue.append(d)
    last = max(depth.values(), default=0) + 1
    return {s.name: depth.get(s.name, last) for s in wf.states}


def workflow_svg(wf: WorkflowDef, path: Sequence[str] = (), current: str | None = None) -> Markup:
    """The workflow's states as boxes in columns (by distance from the start), its moves as
    arrows; the states and moves on ``path`` highlighted, ``current`` outlined."""
    depth = _layers(wf)
    columns: dict[int, list[str]] = {}
    for s in wf.states:
        columns.setdefault(depth[s.name], []).append(s.name)
    pos: dict[str, tuple[int, int]] = {}
    for col, names in sorted(columns.items()):
        for row, name in enumerate(names):
            pos[name] = (PAD + col * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y))
    width = PAD * 2 + (max(columns) + 1) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + max(len(n) for n in columns.values()) * (BOX_H + GAP_Y) - GAP_Y
    taken_edges = set(itertools.pairwise(path))
    on_path = set(path)
    title = _("Workflow of {type}: the path this case took is highlighted").format(
        type=wf.zh if chinese() else wf.en
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f"aria-label={quoteattr(title)}>",
        f"<title>{escape(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#5b6773"/></marker>'
        '<marker id="arrow-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#b8860b"/></marker></defs>',
    ]
    seen: set[tuple[str, str]] = set()
    for t in wf.transitions:
        if t.dest is None:
            continue
        for src in t.sources:
            if (src, t.dest) in seen or src == t.dest:
                continue
            seen.add((src, t.dest))
            taken = (src, t.dest) in taken_edges
            parts.append(_edge(pos[src], pos[t.dest], taken))
    for s in wf.states:
        x, y = pos[s.name]
        cls = ["state"]
        if s.name in on_path:
            cls.append("taken")
        if s.name == current:
            cls.append("current")
        if s.final:
            cls.append("final")
        fill = "#ffe9a8" if s.name in on_path else "#ffffff"
        stroke = "#b8860b" if s.name in on_path else "#5b6773"
        width_ = 4 if s.name == current else (2 if s.name in on_path else 1)
        label = s.zh if chinese() else s.en
        parts.append(
            f'<g class="{" ".join(cls)}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{width_}"/>'
            f'<text x="{x + BOX_W // 2}" y="{y + 20}" text-anchor="middle" font-size="14" '
            f'fill="#1d2733">{escape(label[:14])}</text>'
            f'<text x="{x + BOX_W // 2}" y="{y + 38}" text-anchor="middle" font-size="11" '
            f'fill="#5b6773">{escape(s.name)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _edge(a: tuple[int, int], b: tuple[int, int], taken: bool) -> str:
    (ax, ay), (bx, by) = a, b
    colour, marker, w = ("#b8860b", "arrow-taken", 3) if taken else ("#9aa7b3", "arrow", 1)
    cls = "move taken" if taken else "move"
    if bx > ax:  # forward: right side to left side
        x1, y1, x2, y2 = ax + BOX_W, ay + BOX_H // 2, bx, by + BOX_H // 2
        mid = (x1 + x2) // 2
        d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
    else:  # back or within a column: below the boxes
        x1, y1, x2, y2 = ax + BOX_W // 2, ay + BOX_H, bx + BOX_W // 2, by + BOX_H
        low = max(y1, y2) + GAP_Y
        d = f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}"
    return (
        f'<path class="{cls}" d="{d}" fill="none" stroke="{colour}" stroke-width="{w}" '
        f'marker-end="url(#{marker})"/>'
    )


#: The series of a deadline chart: (key, label, colour).
SERIES = (
    ("met_on_time", "met in time", "#1e7b34"),
    ("late", "late", "#8a5a00"),
    ("missed", "missed", "#b3261e"),
)


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str, str]],
) -> Markup:
    """Horizontal stacked bars, one row per label, one segment per series, each segment's
    number written on it (and the row's parts again after the bar, for any colour sight)."""
    label_w, bar_w, row_h, top = 210, 400, 30, 34
    total_max = max((sum(v) for _k, v in rows), default=0) or 1
    width = label_w + bar_w + 170
    height = top + max(len(rows), 1) * row_h + 30
    names = [_(s[1]) for s in series]
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=False))
        for label, values in rows
    )
    aria = f"{title}. {summary}" if rows else f"{title}. {_('No data')}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f"aria-label={quoteattr(aria)}>",
        f"<title>{escape(title)}</title>",
    ]
    x = label_w
    for (_key, _name, colour), name in zip(series, names, strict=False):  # the legend
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="17" font-size="12" fill="#1d2733">{escape(name)}</text>'
        )
        x += 16 + 14 * len(name) + 16
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="12" '
            f'fill="#1d2733">{escape(label[:30])}</text>'
        )
        x = label_w
        for (key, _name, colour), value in zip(series, values, strict=False):
            w = round(bar_w * value / total_max)
            if value:
                parts.append(
                    f'<rect class="bar {key}" x="{x}" y="{y + 4}" width="{max(w, 2)}" '
                    f'height="{row_h - 10}" fill="{colour}"><title>{escape(label)} · '
                    f"{escape(_(_name))}: {value}</title></rect>"
                )
                if w >= 18:
                    parts.append(
                        f'<text class="value" x="{x + w / 2:.0f}" y="{y + 19}" '
                        f'text-anchor="middle" font-size="12" fill="#ffffff">{value}</text>'
                    )
            x += w
        numbers = " / ".join(str(v) for v in values)
        parts.append(
            f'<text class="total" x="{x + 8}" y="{y + 19}" font-size="12" '
            f'fill="#1d2733">{numbers}</text>'
        )
    if not rows:
        parts.append(
            f'<text x="{label_w}" y="{top + 18}" font-size="12" fill="#5b6773">'
            f"{escape(_('No data'))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
