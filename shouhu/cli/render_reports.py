"""Rich renderings of the auditors' and the ledger's reports: a replay, the compliance report,
the quarter's return and the holiday screening plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from shouhu.cli.render import _late, _t
from shouhu.engine.periods import format_period
from shouhu.engine.timeutil import local


def render_replay(console: Console, r: Any, tz: str) -> None:
    """A replay: the state reached, each event as replay saw it, deadlines, and the verdict."""
    at = f" as of {local(r.at, tz).strftime('%Y-%m-%d %H:%M')}" if r.at else ""
    console.print(f"[bold]Replay of {r.case_id}[/bold]{at} — state {r.state} (version {r.version})")
    table = Table(title="Events, fed back through their recorded definitions")
    table.add_column("#", justify="right")
    table.add_column("occurred (local)", no_wrap=True)
    table.add_column("trigger", overflow="fold")
    table.add_column("state after", overflow="fold")
    table.add_column("verdict", overflow="fold")
    for s in r.steps:
        verdict = "ok" if s.refused is None else f"ILLEGAL: {s.refused}"
        table.add_row(str(s.seq), _t(s.occurred_at, tz), s.trigger, s.state, verdict)
    console.print(table)
    if r.deadlines:
        dl = Table(title="Deadlines")
        for col in ("kind", "due (local)", "status", "met", "lateness"):
            dl.add_column(col, overflow="fold")
        for d in r.deadlines:
            status = "still open" if d.status == "pending" else d.status
            due = "withheld (personal data)" if d.personal else _t(d.due_at, tz)
            dl.add_row(d.kind, due, status, _t(d.met_at, tz), _late(d.late_seconds))
        console.print(dl)
    if r.ok:
        console.print("[green]replay matches the record[/green]" if r.at is None else "")
    for seq, reason in r.illegal:
        console.print(f"[red]illegal event {seq}:[/red] {reason}")
    for diff in r.differences:
        console.print(f"[red]differs from the stored case:[/red] {diff}")


def _lateness(seconds: int | None) -> str:
    return "" if seconds is None else _late(seconds)


def render_report(console: Console, report: Any) -> None:
    """The compliance report as tables."""
    d = report.to_dict()
    console.print(
        f"[bold]Compliance report[/bold] — cases reported {d['from']} … {d['to']}: {d['cases']}"
    )
    t = Table(title="Cases by type and state")
    t.add_column("type")
    t.add_column("cases", justify="right")
    for k, v in d["by_type"].items():
        t.add_row(k, str(v))
    for k, v in d["by_state"].items():
        t.add_row(f"  state {k}", str(v))
    console.print(t)
    t = Table(title="Deadlines")
    t.add_column("kind", overflow="fold")
    for col in ("on time", "late", "missed→done", "missed open", "open", "fired", "cancelled"):
        t.add_column(col, justify="right")
    t.add_column("median / worst late", overflow="fold")
    for kind, s in d["deadlines"].items():
        t.add_row(
            kind,
            str(s["met_on_time"]),
            str(s["met_late"]),
            str(s["missed_done_late"]),
            str(s["missed_still_open"]),
            str(s["open"]),
            str(s["fired"]),
            str(s["cancelled"]),
            f"{_lateness(s['median_lateness_seconds'])} / {_lateness(s['worst_lateness_seconds'])}"
            if s["worst_lateness_seconds"] is not None
            else "",
        )
    console.print(t)
    flagged = {k: s["not_extended_no_calendar"] for k, s in d["deadlines"].items()}
    if any(flagged.values()):  # issue 14: flagged, not silently assumed
        t = Table(
            title="Due times not extended past rest days (Civil Code Art. 203): the pack has "
            "no rest days for the year"
        )
        t.add_column("kind")
        t.add_column("pending, met or missed", justify="right")
        for kind, n in flagged.items():
            if n:
                t.add_row(kind, str(n))
        t.add_row("total", str(sum(flagged.values())))
        console.print(t)
    t = Table(title="Reports by reporter kind (late = after the policy's bound, 001 §四(三)1)")
    for col in ("reporter kind", "mandatory", "reports", "late"):
        t.add_column(col)
    for kind, who in d["late_reports_by_reporter_kind"].items():
        t.add_row(kind, "yes" if who["mandatory"] else "no", str(who["reports"]), str(who["late"]))
    console.print(t)
    if d["late_report_notices_by_superior_organ"]:
        t = Table(
            title="Late mandatory reports: notices to the superior organ (001 §四(三)1 上级机关)"
        )
        for col in ("superior organ", "notices", "reporting bodies", "cases"):
            t.add_column(col, overflow="fold")
        for organ, sent in d["late_report_notices_by_superior_organ"].items():
            bodies = ", ".join(f"{b} ({n})" for b, n in sent["reporting_bodies"].items())
            t.add_row(organ, str(sent["notices"]), bodies, ", ".join(sent["cases"]))
        console.print(t)
    else:
        console.print("Late mandatory reports: no notice to a superior organ in the window.")
    praised = d["voluntary_reports_praised"]
    console.print(
        f"Voluntary reports (citizens, social organisations): {praised['reports']}, "
        f"praised (表扬和奖励, 001 §四(三)1): {praised['praised']}"
        + (
            " — " + ", ".join(p["case_id"] for p in praised["praised_cases"])
            if praised["praised_cases"]
            else ""
        )
        + "."
    )
    if d["six_month_ground"]:
        t = Table(title="Six-month ground reached (001 §四(三)4)")
        for col in ("case", "matured", "petition followed"):
            t.add_column(col)
        for item in d["six_month_ground"]:
            t.add_row(item["case_id"], item["matured_at"], item["petitioned_at"] or "no")
        console.print(t)
    else:
        console.print("Six-month ground: reached by no case in the window.")
    console.print(f"Refused actions: {d['refused_actions']}.")
    if d["cases_failing_replay"]:
        console.print(f"[red]Cases failing replay:[/red] {', '.join(d['cases_failing_replay'])}")


def _place(p: Any) -> str:
    return p.village if p.village else f"[bold]{p.township or '(all)'} total[/bold]"


def _places(ret: Any) -> list[tuple[str, Any]]:
    """Each township's villages, then the township's total; the grand total last."""
    out: list[tuple[str, Any]] = []
    for t in ret.townships:
        out += [(v.township, v) for v in ret.villages if v.township == t.township]
        out.append((t.township, t))
    if len(ret.townships) > 1:
        out.append(("", ret.total))
    return out


def render_ledger_return(console: Console, ret: Any) -> None:
    """``registry report``: the quarter's return as four tables."""
    from shouhu.workflows.vocab import CHILD_CATEGORIES

    q = ret.quarter
    state = "quarter ended" if ret.complete else "quarter still running"
    console.print(
        f"[bold]Ledger return {q}[/bold] ({q.first_day} … {q.last_day}) — as of "
        f"{_t(ret.as_of, ret.zone)} ({state}); 001 §四(二)2, to county civil affairs, "
        "copied to education and police"
    )
    places = _places(ret)
    t = Table(title="People: on the ledger, entries, exits (children / women / elderly)")
    for col in ("township", "village", "on ledger", "entries", "exits"):
        t.add_column(col, justify="right" if col in ("on ledger", "entries", "exits") else "left")
    for township, p in places:
        t.add_row(
            township,
            _place(p),
            " / ".join(str(n) for n in p.on_ledger.values()),
            " / ".join(str(n) for n in p.entries.values()),
            " / ".join(str(n) for n in p.exits.values()),
        )
    console.print(t)
    t = Table(title="Children by the ledger's category (003): on the ledger / entries")
    t.add_column("township")
    t.add_column("village")
    for c in CHILD_CATEGORIES:
        t.add_column(c, justify="right")
    for township, p in places:
        t.add_row(
            township,
            _place(p),
            *(f"{p.children_on_ledger[c]} / {p.children_entries[c]}" for c in CHILD_CATEGORIES),
        )
    console.print(t)
    t = Table(title="Visit duties per month (children: monthly_visit, elderly: regular_visit)")
    for col in ("township", "village", "month"):
        t.add_column(col)
    for who in ("children", "elderly"):
        for col in ("due", "done", "missed", "open"):
            t.add_column(f"{who} {col}", justify="right")
    for township, p in places:
        for m in q.months:
            cells = []
            for who in ("children", "elderly"):
                c = p.visits[who][m]
                cells += [str(c.due), str(c.done), str(c.missed), str(c.open)]
            t.add_row(township, _place(p), m, *cells)
    console.print(t)
    t = Table(title="Ledger updates and reports raised")
    for col in ("township", "village", "updates", "quarterly duty due/done/missed", "reports"):
        t.add_column(col)
    for township, p in places:
        u = p.updates
        t.add_row(
            township,
            _place(p),
            str(p.update_events),
            f"{u.due}/{u.done}/{u.missed}" + (f" ({u.open} open)" if u.open else ""),
            str(p.reports_raised),
        )
    console.print(t)
    if ret.broken:
        console.print(f"[red]Watches failing replay:[/red] {', '.join(ret.broken)}")


def render_screening(console: Console, plan: Any, names: dict[str, str]) -> None:
    """``registry screening``: the children to visit before the holiday, village by village."""
    console.print(
        f"[bold]Holiday screening[/bold] before {plan.before} (001 §四(三)5) — "
        f"{len(plan.entries)} of {plan.on_ledger} children on the ledger are due a safety "
        f"visit (no visit within {format_period(plan.bound)} of {plan.before}, or a report open)"
    )
    if not plan.entries:
        return
    t = Table()
    cols = ["township", "village", "case", *(["name"] if names else [])]
    for col in (*cols, "last visit", "why", "open reports"):
        if col == "case":
            t.add_column(col, no_wrap=True, min_width=16)
        else:
            t.add_column(col, overflow="fold")
    for e in plan.entries:
        t.add_row(
            e.township,
            e.village,
            e.case_id,
            *([names[e.case_id]] if names else []),
            _t(e.last_visit, plan.zone) or "never",
            ", ".join(e.reasons),
            ", ".join(e.open_reports),
        )
    console.print(t)
