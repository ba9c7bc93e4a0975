"""Diagrams from the definitions themselves (mermaid ``stateDiagram-v2``)."""

from __future__ import annotations

from collections.abc import Sequence

from shouhu.workflows.spec import WorkflowDef


def mermaid(wf: WorkflowDef, path: Sequence[str] = ()) -> str:
    """The workflow as a mermaid state diagram; states on ``path`` are highlighted."""
    lines = ["stateDiagram-v2", f"    %% {wf.type} v{wf.version} — generated from the definition"]
    for s in wf.states:
        lines.append(f'    state "{s.zh}<br/>{s.name}" as {s.name}')
    lines.append(f"    [*] --> {wf.initial}: {wf.opening}")
    edges: dict[tuple[str, str], list[str]] = {}
    for t in wf.transitions:
        if t.dest is None:
            continue
        for src in t.sources:
            names = edges.setdefault((src, t.dest), [])
            if t.trigger not in names:
                names.append(t.trigger)
    for (src, dest), names in edges.items():
        lines.append(f"    {src} --> {dest}: {' / '.join(names)}")
    for s in wf.states:
        if s.final:
            lines.append(f"    {s.name} --> [*]")
    # a report's stays are its measures; a watch's (the ledger) are its whole daily work
    kinds = ("measure",) if wf.opening == "report" else ("measure", "spine", "fact", "system")
    stays: dict[str, list[str]] = {}
    for t in wf.transitions:
        if t.dest is None and t.kind in kinds:
            for src in t.sources:
                stays.setdefault(src, []).append(t.trigger)
    label = "measures" if wf.opening == "report" else "stays"
    for state, names in stays.items():
        lines.append(f"    note right of {state}: {label}: {', '.join(names)}")
    if path:
        lines.append("    classDef taken fill:#ffe9a8,stroke:#b8860b,stroke-width:2px")
        lines.extend(f"    class {s} taken" for s in dict.fromkeys(path))
    return "\n".join(lines) + "\n"
