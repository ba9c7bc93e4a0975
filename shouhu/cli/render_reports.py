"""Rich renderings of the auditors' and the ledger's reports: a replay, the compliance report,
the quarter's return and the holiday screening plan."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from shouhu.cli.render import _late, _t
from shouhu.engine.periods import format_period
from shouhu.engine.timeutil import local
from shouhu.i18n import N_, _


def render_replay(console: Console, r: Any, tz: str) -> None:
    """A replay: the state reached, each event as replay saw it, deadlines, and the verdict."""
    at = (
        " " + _("as of {time}").format(time=local(r.at, tz).strftime("%Y-%m-%d %H:%M"))
        if r.at
        else ""
    )
    head = _("Replay of {case}").format(case=r.case_id)
    state = _("state {state} (version {version})").format(state=r.state, version=r.version)
    console.print(f"[bold]{head}[/bold]{at} — {state}")
    table = Table(title=_("Events, fed back through their recorded definitions"))
    table.add_column("#", justify="right")
    table.add_column(_("occurred (local)"), no_wrap=True)
    table.add_column(_("trigger"), overflow="fold")
    table.add_column(_("state after"), overflow="fold")
    table.add_column(_("verdict"), overflow="fold")
    for s in r.steps:
        verdict = _("ok") if s.refused is None else _("ILLEGAL: {reason}").format(reason=s.refused)
        table.add_row(str(s.seq), _t(s.occurred_at, tz), s.trigger, s.state, verdict)
    console.print(table)
    if r.deadlines:
        dl = Table(title=_("Deadlines"))
        for col in (N_("kind"), N_("due (local)"), N_("status"), N_("met"), N_("lateness")):
            dl.add_column(_(col), overflow="fold")
        for d in r.deadlines:
            status = _("still open") if d.status == "pending" else d.status
            due = _("withheld (personal data)") if d.personal else _t(d.due_at, tz)
            dl.add_row(d.kind, due, status, _t(d.met_at, tz), _late(d.late_seconds))
        console.print(dl)
    if r.ok:
        console.print(f"[green]{_('replay matches the record')}[/green]" if r.at is None else "")
    for seq, reason in r.illegal:
        console.print(f"[red]{_('illegal event {seq}:').format(seq=seq)}[/red] {reason}")
    for diff in r.differences:
        console.print(f"[red]{_('differs from the stored case:')}[/red] {diff}")


def _lateness(seconds: int | None) -> str:
    return "" if seconds is None else _late(seconds)


def render_report(console: Console, report: Any) -> None:
    """The compliance report as tables."""
    d = report.to_dict()
    window = _("cases reported {first} … {last}: {cases}").format(
        first=d["from"], last=d["to"], cases=d["cases"]
    )
    console.print(f"[bold]{_('Compliance report')}[/bold] — {window}")
    t = Table(title=_("Cases by type and state"))
    t.add_column(_("type"))
    t.add_column(_("cases"), justify="right")
    for k, v in d["by_type"].items():
        t.add_row(k, str(v))
    for k, v in d["by_state"].items():
        t.add_row("  " + _("state {state}").format(state=k), str(v))
    console.print(t)
    t = Table(title=_("Deadlines"))
    t.add_column(_("kind"), overflow="fold")
    for col in (
        N_("on time"),
        N_("late"),
        N_("missed→done"),
        N_("missed open"),
        N_("open"),
        N_("fired"),
        N_("cancelled"),
    ):
        t.add_column(_(col), justify="right")
    t.add_column(_("median / worst late"), overflow="fold")
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
            title=_(
                "Due times not extended past rest days (Civil Code Art. 203): the pack has "
                "no rest days for the year"
            )
        )
        t.add_column(_("kind"))
        t.add_column(_("pending, met or missed"), justify="right")
        for kind, n in flagged.items():
            if n:
                t.add_row(kind, str(n))
        t.add_row(_("total"), str(sum(flagged.values())))
        console.print(t)
    t = Table(title=_("Reports by reporter kind (late = after the policy's bound, 001 §四(三)1)"))
    for col in (N_("reporter kind"), N_("mandatory"), N_("reports"), N_("late")):
        t.add_column(_(col))
    for kind, who in d["late_reports_by_reporter_kind"].items():
        t.add_row(
            kind, _("yes") if who["mandatory"] else _("no"), str(who["reports"]), str(who["late"])
        )
    console.print(t)
    if d["late_report_notices_by_superior_organ"]:
        t = Table(
            title=_("Late mandatory reports: notices to the superior organ (001 §四(三)1 上级机关)")
        )
        for col in (N_("superior organ"), N_("notices"), N_("reporting bodies"), N_("cases")):
            t.add_column(_(col), overflow="fold")
        for organ, sent in d["late_report_notices_by_superior_organ"].items():
            bodies = ", ".join(f"{b} ({n})" for b, n in sent["reporting_bodies"].items())
            t.add_row(organ, str(sent["notices"]), bodies, ", ".join(sent["cases"]))
        console.print(t)
    else:
        console.print(_("Late mandatory reports: no notice to a superior organ in the window."))
    praised = d["voluntary_reports_praised"]
    console.print(
        _(
            "Voluntary reports (citizens, social organisations): {reports}, "
            "praised (表扬和奖励, 001 §四(三)1): {praised}"
        ).format(reports=praised["reports"], praised=praised["praised"])
        + (
            " — " + ", ".join(p["case_id"] for p in praised["praised_cases"])
            if praised["praised_cases"]
            else ""
        )
        + "."
    )
    if d["six_month_ground"]:
        t = Table(title=_("Six-month ground reached (001 §四(三)4)"))
        for col in (N_("case"), N_("matured"), N_("petition followed")):
            t.add_column(_(col))
        for item in d["six_month_ground"]:
            t.add_row(item["case_id"], item["matured_at"], item["petitioned_at"] or _("no"))
        console.print(t)
    else:
        console.print(_("Six-month ground: reached by no case in the window."))
    console.print(_("Refused actions: {count}.").format(count=d["refused_actions"]))
    if d["cases_failing_replay"] is None:
        console.print(
            _(
                "Counted from the tables audit verify checks; --replay rebuilds every case "
                "from its events."
            )
        )
    elif d["cases_failing_replay"]:
        failing = ", ".join(d["cases_failing_replay"])
        console.print(f"[red]{_('Cases failing replay:')}[/red] {failing}")


def _place(p: Any) -> str:
    if p.village:
        return str(p.village)
    total = _("{township} total").format(township=p.township or _("(all)"))
    return f"[bold]{total}[/bold]"


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
    state = _("quarter ended") if ret.complete else _("quarter still running")
    head = _("Ledger return {quarter}").format(quarter=q)
    console.print(
        f"[bold]{head}[/bold] ({q.first_day} … {q.last_day}) — "
        + _(
            "as of {time} ({state}); 001 §四(二)2, to county civil affairs, "
            "copied to education and police"
        ).format(time=_t(ret.as_of, ret.zone), state=state)
    )
    places = _places(ret)
    t = Table(title=_("People: on the ledger, entries, exits (children / women / elderly)"))
    for col in (N_("township"), N_("village"), N_("on ledger"), N_("entries"), N_("exits")):
        t.add_column(
            _(col), justify="right" if col in ("on ledger", "entries", "exits") else "left"
        )
    for township, p in places:
        t.add_row(
            township,
            _place(p),
            " / ".join(str(n) for n in p.on_ledger.values()),
            " / ".join(str(n) for n in p.entries.values()),
            " / ".join(str(n) for n in p.exits.values()),
        )
    console.print(t)
    t = Table(title=_("Children by the ledger's category (003): on the ledger / entries"))
    t.add_column(_("township"))
    t.add_column(_("village"))
    for c in CHILD_CATEGORIES:
        t.add_column(c, justify="right")
    for township, p in places:
        t.add_row(
            township,
            _place(p),
            *(f"{p.children_on_ledger[c]} / {p.children_entries[c]}" for c in CHILD_CATEGORIES),
        )
    console.print(t)
    t = Table(title=_("Visit duties per month (children: monthly_visit, elderly: regular_visit)"))
    for col in (N_("township"), N_("village"), N_("month")):
        t.add_column(_(col))
    for who in (N_("children"), N_("elderly")):
        for col in (N_("due"), N_("done"), N_("missed"), N_("open")):
            t.add_column(f"{_(who)} {_(col)}", justify="right")
    for township, p in places:
        for m in q.months:
            cells = []
            for who in ("children", "elderly"):
                c = p.visits[who][m]
                cells += [str(c.due), str(c.done), str(c.missed), str(c.open)]
            t.add_row(township, _place(p), m, *cells)
    console.print(t)
    t = Table(title=_("Ledger updates and reports raised"))
    for col in (
        N_("township"),
        N_("village"),
        N_("updates"),
        N_("quarterly duty due/done/missed"),
        N_("reports"),
    ):
        t.add_column(_(col))
    for township, p in places:
        u = p.updates
        t.add_row(
            township,
            _place(p),
            str(p.update_events),
            f"{u.due}/{u.done}/{u.missed}"
            + (" " + _("({count} open)").format(count=u.open) if u.open else ""),
            str(p.reports_raised),
        )
    console.print(t)
    if ret.broken:
        console.print(f"[red]{_('Watches failing replay:')}[/red] {', '.join(ret.broken)}")


def render_screening(console: Console, plan: Any, names: dict[str, str]) -> None:
    """``registry screening``: the children to visit before the holiday, village by village."""
    head = _("Holiday screening")
    console.print(
        f"[bold]{head}[/bold] "
        + _(
            "before {day} (001 §四(三)5) — {due} of {on_ledger} children on the ledger are due "
            "a safety visit (no visit within {bound} of {day}, or a report open)"
        ).format(
            day=plan.before,
            due=len(plan.entries),
            on_ledger=plan.on_ledger,
            bound=format_period(plan.bound),
        )
    )
    if not plan.entries:
        return
    t = Table()
    cols = [N_("township"), N_("village"), N_("case"), *([N_("name")] if names else [])]
    for col in (*cols, N_("last visit"), N_("why"), N_("open reports")):
        if col == "case":
            t.add_column(_(col), no_wrap=True, min_width=16)
        else:
            t.add_column(_(col), overflow="fold")
    for e in plan.entries:
        t.add_row(
            e.township,
            e.village,
            e.case_id,
            *([names[e.case_id]] if names else []),
            _t(e.last_visit, plan.zone) or _("never"),
            ", ".join(e.reasons),
            ", ".join(e.open_reports),
        )
    console.print(t)
