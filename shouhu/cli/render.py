"""Rich tables for people: cases, timelines, next steps, workflows. Chinese and English labels."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shouhu.engine.deadlines import status_words
from shouhu.engine.periods import format_period
from shouhu.engine.timeutil import local
from shouhu.engine.views import (
    WITHHELD,
    CaseSummary,
    CaseView,
    TriggerOption,
    public_deadline,
)
from shouhu.i18n import N_, _
from shouhu.workflows.spec import WorkflowDef


def _t(dt: Any, tz: str) -> str:
    return local(dt, tz).strftime("%Y-%m-%d %H:%M") if dt is not None else ""


def _state(wf: WorkflowDef, name: str | None) -> str:
    if name is None:
        return ""
    s = wf.state(name)
    return f"{name} {s.zh}"


def state_words(zh: str, en: str) -> str:
    """A state's words for a person: Chinese and English (``已出警 / Police dispatched``), or
    in Chinese the Chinese alone."""
    from shouhu.i18n import chinese

    return zh if chinese() else f"{zh} / {en}"


def role_words(role: str) -> str:
    """A role for a person: its key (``police``), or in Chinese its Chinese name (公安机关)."""
    from shouhu.i18n import chinese

    if not chinese():
        return role
    from shouhu.workflows.vocab import ROLES

    return ROLES.get(role, role)


def _data(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    return "; ".join(parts)


def render_case(console: Console, view: CaseView, tz: str, *, identity: bool = False) -> None:
    """A case's header, facts, deadlines and timeline."""
    r = view.record
    zh, en = view.state_labels
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row(_("case"), r.id)
    head.add_row(_("type"), f"{r.type} {view.workflow.zh}")
    outcome = _(" — outcome {outcome}").format(outcome=r.outcome) if r.outcome else ""
    head.add_row(_("state"), f"{r.state} {state_words(zh, en)}" + outcome)
    head.add_row(_("version"), str(r.version))
    who = _("person") if view.workflow.opening == "register" else _("child")
    if identity:
        idn = _(", id {id_number}").format(id_number=r.child.id_number) if r.child.id_number else ""
        born = _("{name}, born {birthdate}").format(
            name=r.child.name, birthdate=r.child.birthdate.isoformat()
        )
        head.add_row(who, born + idn)
    else:
        head.add_row(who, _("identity withheld (--include-identity to show)"))
    if view.workflow.opening == "register":
        age = _("{age} at registration").format(age=r.child.age_at_discovery)
        head.add_row(_("age"), age)
        head.add_row(_("location"), str(r.location))
        head.add_row(
            _("registered"),
            _("{time} by {reporter} ({kind})").format(
                time=_t(r.reported_at, tz), reporter=r.reporter.name, kind=r.reporter.kind
            ),
        )
    else:
        left = _("yes (under 16)") if r.child.left_behind else _("no (16 or 17)")
        head.add_row(
            _("age"),
            _("{age} at discovery; left-behind age: {left}").format(
                age=r.child.age_at_discovery, left=left
            ),
        )
        head.add_row(_("location"), str(r.location))
        mand = _("mandatory reporter") if r.reporter.mandatory else _("voluntary reporter")
        head.add_row(_("reporter"), f"{r.reporter.name} ({r.reporter.kind}, {mand})")
        delay = r.report_delay_seconds
        head.add_row(
            _("reported"),
            _("{reported} (discovered {discovered}, delay {hours}h{minutes}m{late})").format(
                reported=_t(r.reported_at, tz),
                discovered=_t(r.discovered_at, tz),
                hours=delay // 3600,
                minutes=f"{delay % 3600 // 60:02d}",
                late=_(" — LATE") if r.late else "",
            ),
        )
    head.add_row(_("head hash"), r.head_hash)
    console.print(head)
    if view.deadlines:
        rows = [d if identity else dict(public_deadline(d)) for d in view.deadlines]
        render_deadlines(console, rows, title=_("Deadlines"), with_case=False)
    else:
        console.print(Text(_("Deadlines: none recorded"), style="dim"))
    console.print(timeline_table(view, tz, identity=identity))


def timeline_table(view: CaseView, tz: str, *, identity: bool = False) -> Table:
    """The case's history as a table: when, what, from → to, who, citation."""
    wf = view.workflow
    table = Table(title=_("Timeline of {case}").format(case=view.id))
    table.add_column("#", justify="right")
    table.add_column(_("occurred (local)"))
    table.add_column(_("trigger"), overflow="fold")
    table.add_column(_("from → to"))
    table.add_column(_("actor (role)"))
    table.add_column(_("data"))
    table.add_column(_("citation"))
    for ev in view.history:
        e = ev.event
        if e.seq == 1 and e.trigger in ("report", "register"):
            who = "child" if e.trigger == "report" else "person"
            opening = e.data.get(e.trigger, {})
            data = _data(opening) if opening else ""
            if identity:
                data = f"{who}={e.data[who]['name']}" + (f"; {data}" if data else "")
        else:
            data = _data(e.data)
        moved = (
            _state(wf, e.to_state)
            if e.from_state is None
            else (
                _state(wf, e.to_state)
                if e.from_state != e.to_state
                else f"{_('(stays)')} {e.to_state}"
            )
        )
        if e.from_state is not None and e.from_state != e.to_state:
            moved = f"{e.from_state} → {_state(wf, e.to_state)}"
        table.add_row(
            str(e.seq),
            _t(e.occurred_at, tz),
            e.trigger,
            moved,
            f"{e.actor} ({role_words(e.role)})",
            data,
            ev.citation,
        )
    return table


#: Past this many cases, ``case list`` prints its table a page at a time (memory stays flat).
LIST_PAGE = 1_000


def render_case_list_pages(console: Console, rows: Iterable[CaseSummary], tz: str) -> None:
    """One table when there are at most :data:`LIST_PAGE` cases; else a plain listing, one line
    per case under one header line, written a page of :data:`LIST_PAGE` at a time as the rows
    stream in, then the count — a listing of every case is read by ``less``, ``grep`` and
    ``wc -l`` as much as by eye, and a boxed table with wrapped cells is neither (and it took
    50 times as long to draw)."""
    it = iter(rows)
    head = list(itertools.islice(it, LIST_PAGE + 1))
    if len(head) <= LIST_PAGE:
        render_case_list(console, head, tz)
        return
    listing = _Listing(tz)
    out = console.file
    out.write(listing.header())
    rest = itertools.chain(head, it)
    del head
    shown = 0
    while page := list(itertools.islice(rest, LIST_PAGE)):
        out.write(listing.page(page))
        out.flush()
        shown += len(page)
    console.print(_("{count} cases").format(count=f"{shown:,}"))


class _Listing:
    """The lines of a long ``case list``: the columns of the table, each cell padded to its
    column's width on the screen (a Chinese character takes two cells). Types, states, times
    and ids have widths known before the first row; a page's township and village columns are
    as wide as that page's longest."""

    def __init__(self, tz: str) -> None:
        from rich.cells import cell_len

        from shouhu.cli.common import _workflows

        self.tz = tz
        self.width = cell_len
        self.wfs = _workflows()
        self.states: dict[tuple[str, str], str] = {}
        types = [wf.type for wf in self.wfs]
        states = [_state(wf, s.name) for wf in self.wfs for s in wf.states]
        self.names = [_(c) for c in (N_("id"), N_("type"), N_("state"), N_("ver"))]
        self.places = [_(N_("township")), _(N_("village"))]
        self.widths = [
            max(16, cell_len(self.names[0])),
            max(map(cell_len, [*types, self.names[1]])),
            max(map(cell_len, [*states, self.names[2]])),
            max(3, cell_len(self.names[3])),
        ]
        self.place_widths = [max(8, cell_len(n)) for n in self.places]

    def pad(self, text: str, width: int) -> str:
        return text + " " * (width - self.width(text))

    def header(self) -> str:
        cells = [self.pad(n, w) for n, w in zip(self.names, self.widths, strict=True)]
        cells += [self.pad(n, w) for n, w in zip(self.places, self.place_widths, strict=True)]
        return "  ".join([*cells, _("reported")]) + "\n"

    def state(self, r: CaseSummary) -> str:
        key = (r.type, r.state)
        text = self.states.get(key)
        if text is None:
            text = self.states[key] = _state(self.wfs.latest(r.type), r.state)
        return text

    def page(self, rows: list[CaseSummary]) -> str:
        w_id, w_type, w_state, w_ver = self.widths
        width, pad = self.width, self.pad
        w_town = max(self.place_widths[0], *(width(r.township) for r in rows))
        w_village = max(self.place_widths[1], *(width(r.village) for r in rows))
        return "".join(
            f"{r.id:<{w_id}}  {r.type:<{w_type}}  {pad(self.state(r), w_state)}  "
            f"{r.version:>{w_ver}}  {pad(r.township, w_town)}  {pad(r.village, w_village)}  "
            f"{_t(r.reported_at, self.tz)}\n"
            for r in rows
        )


def render_case_list(
    console: Console, rows: list[CaseSummary], tz: str, *, title: str | None = None
) -> None:
    table = Table(title=title or _("Cases ({count})").format(count=len(rows)))
    table.add_column(_("id"), no_wrap=True, min_width=16)
    for col in (N_("type"), N_("state"), N_("ver"), N_("township"), N_("village"), N_("reported")):
        table.add_column(_(col), overflow="fold")
    from shouhu.cli.common import _workflows

    wfs = _workflows()
    for r in rows:
        wf = wfs.latest(r.type)
        table.add_row(
            r.id,
            r.type,
            _state(wf, r.state),
            str(r.version),
            r.township,
            r.village,
            _t(r.reported_at, tz),
        )
    console.print(table)


def render_next(console: Console, view: CaseView, options: list[TriggerOption]) -> None:
    """What can happen next, one block per trigger (readable on any terminal width)."""
    zh, en = view.state_labels
    head = _("Next for {case}").format(case=view.id)
    now = _("now {state} {words}").format(state=view.state, words=state_words(zh, en))
    console.print(f"[bold]{head}[/bold] — {now}")
    if not options:
        console.print(_("No triggers: the case is closed."))
        return
    for o in options:
        console.print(
            Text.assemble(
                ("• ", "bold"),
                (o.trigger, "bold"),
                _(" → {to}   roles: {roles}   ({citation})").format(
                    to=", ".join(o.to), roles=", ".join(o.roles), citation=o.citation
                ),
            )
        )
        console.print(Text(f"    {_(o.label)}", style="dim"))
        if o.data:
            data = "; ".join(
                f"{d['name']}{'*' if d['required'] else ''}"
                + (f" ∈ {' | '.join(d['choices'])}" if d.get("choices") else f" ({d['kind']})")
                for d in o.data
            )
            console.print(Text("    " + _("data: {data}").format(data=data)))
        for g in o.guards:
            if "holds_for" in g:
                ((key, vals),) = g["holds_for"].items()
                state = (
                    _("holds for {key}={values}").format(key=key, values=" | ".join(vals))
                    if vals
                    else _("holds for no {key} yet").format(key=key)
                )
            else:
                state = (
                    _("holds") if g["holds"] else _("not yet — {reason}").format(reason=g["reason"])
                )
            guard = _("guard {name} ({citation}): {state}").format(
                name=g["name"], citation=g["citation"], state=state
            )
            console.print(Text(f"    {guard}"))
    console.print(
        Text(_("* required. Lists are comma-separated: --data services=a,b"), style="dim")
    )


def workflow_json(wf: WorkflowDef) -> dict[str, Any]:
    """The definition as JSON (guards and effects by name)."""
    return {
        "type": wf.type,
        "zh": wf.zh,
        "en": wf.en,
        "version": wf.version,
        "citation": wf.citation,
        "initial": wf.initial,
        "states": [{"name": s.name, "zh": s.zh, "en": s.en, "final": s.final} for s in wf.states],
        "report_data": [f.describe() for f in wf.report_data],
        "transitions": [
            {
                "trigger": t.trigger,
                "from": list(t.sources),
                "to": t.dest,
                "roles": list(t.roles),
                "kind": t.kind,
                "label": t.label,
                "data": [f.describe() for f in t.data],
                "guards": [
                    {"name": g.name, "description": g.description, "citation": g.citation}
                    for g in t.guards
                ],
                "when": dict([t.when]) if t.when else None,
                "outcome": t.outcome,
                "citation": t.citation,
            }
            for t in wf.transitions
        ],
    }


def render_workflow(console: Console, wf: WorkflowDef) -> None:
    version = _("(version {version}, {citation})").format(version=wf.version, citation=wf.citation)
    console.print(f"[bold]{wf.type}[/bold] {wf.zh} — {wf.en} {version}")
    if wf.description:
        console.print(_(wf.description))
    states = " → ".join(f"{s.name} {s.zh}" for s in wf.states)
    console.print(_("States: {states}").format(states=states))
    table = Table(title=_("Transitions"))
    table.add_column(_("trigger"), no_wrap=True)
    for col in (N_("from"), N_("to"), N_("roles"), N_("data"), N_("guard"), N_("citation")):
        table.add_column(_(col), overflow="fold")
    for t in wf.transitions:
        data = ", ".join(f.name + ("*" if f.required else "") for f in t.data)
        when = (
            " " + _("(when {key}={value})").format(key=t.when[0], value=t.when[1]) if t.when else ""
        )
        table.add_row(
            t.trigger + when,
            ", ".join(t.sources),
            t.dest or _("(stays)"),
            ", ".join(t.roles),
            data,
            ", ".join(g.name for g in t.guards),
            t.citation,
        )
    console.print(table)


def _late(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds == 0:
        return _("on time")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = f"{rest // 60:02d}"
    if days:
        return _("late {days}d{hours}h{minutes}m").format(days=days, hours=hours, minutes=minutes)
    return _("late {hours}h{minutes}m").format(hours=hours, minutes=minutes)


def render_deadlines(
    console: Console, rows: list[dict[str, Any]], *, title: str, with_case: bool = True
) -> None:
    """Deadlines: kind, due time (local, with offset), status, when met and how late."""
    table = Table(title=title)
    if with_case:
        table.add_column(_("case"), no_wrap=True, min_width=16)
    table.add_column(_("kind"), overflow="fold")
    table.add_column(_("due (local)"), overflow="fold")
    table.add_column(_("status"), no_wrap=True)
    table.add_column(_("met"), overflow="fold")
    for d in rows:
        due = (
            d["due_at"][:16].replace("T", " ") + " " + d["due_at"][19:]
            if d["due_at"] != WITHHELD
            else _("withheld (personal data)")
        )
        if d.get("rest_days_unknown_year"):  # Art. 203 not applied: no calendar for the year
            due += " " + _("(not extended: no {year} rest-day calendar)").format(
                year=d["rest_days_unknown_year"]
            )
        met = (d["met_at"] or "")[:16].replace("T", " ")
        status = status_words(d["status"])
        cells = [d["kind"], due, status, f"{met} {_late(d.get('late_seconds'))}".strip()]
        table.add_row(*([d["case_id"], *cells] if with_case else cells))
    console.print(table)


def render_policy(console: Console, pack: Any) -> None:
    """The pack in force, one block per deadline (readable on any terminal width)."""
    console.print(f"[bold]{pack.id}[/bold] ({pack.source}) — {pack.description}")
    for r in pack.rules:
        console.print(
            Text.assemble(
                ("• ", "bold"),
                (r.name, "bold"),
                "  "
                + _("{kind}, {period} ({described}), basis: {basis}").format(
                    kind=r.kind, period=r.period, described=format_period(r.period), basis=r.basis
                ),
            )
        )
        starts = ", ".join(str(s) for s in r.starts_on) or _("— (checked at the report)")
        console.print(Text("    " + _("starts on: {events}").format(events=starts)))
        if r.met_by:
            console.print(Text("    " + _("met by: {events}").format(events=", ".join(r.met_by))))
        if r.cancelled_by:
            cancelled = ", ".join(r.cancelled_by)
            console.print(Text("    " + _("cancelled by: {events}").format(events=cancelled)))
        console.print(Text("    " + _("citation: {citation}").format(citation=r.citation)))
        for label, value in (
            (N_("told when missed"), r.supervisor),
            (N_("told"), r.notify),
            (N_("note"), r.note),
        ):
            if value:
                console.print(Text(f"    {_(label)}: {value}", style="dim"))
        if pack.calendar and not r.extends and r.kind == "duty" and r.period.is_calendar:
            reason = _("not extended past rest days: {reason}").format(reason=r.art203_reason)
            console.print(Text(f"    {reason}", style="dim"))
    for y in pack.calendar.years:
        console.print(
            Text(
                _(
                    "• rest days {year} (Civil Code Art. 203): {rest} holiday rest days, "
                    "{work} weekend days worked — {citation}"
                ).format(year=y.year, rest=len(y.rest), work=len(y.work), citation=y.citation)
            )
        )
