"""The library under generated bad input: every call either gives a correct result or raises a
``ShouhuError`` of the documented kind (exit code 2, 3, 4 or 5, a one-line message), and a call
that raises leaves the SQLite file and its write-ahead log byte for byte as they were.

One engine on one file serves all the inputs of a test, so later inputs meet the cases (and the
growing log) that earlier ones made. Budgets: see ``fuzzkit.BUDGETS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fuzzkit as fk
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shouhu import Engine, FakeClock, ShouhuError
from shouhu.workflows import types


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "fuzz.db"


@pytest.fixture
def lib(db: Path) -> Iterator[Engine]:
    with Engine.open("sqlite:///" + str(db), clock=FakeClock(fk.NOW), zone=fk.ZONE) as eng:
        yield eng


def outcome(db: Path, call: Callable[[], Any]) -> tuple[Any, ShouhuError | None]:
    """Run ``call``: its result, or the ``ShouhuError`` it raised with the database unchanged.

    Anything else raised is a bug and fails the test (hypothesis shows the input).
    """
    before = fk.snapshot(db)
    try:
        return call(), None
    except ShouhuError as exc:
        error = exc
    assert error.exit_code in {2, 3, 4, 5}, (type(error), error)
    text = str(error)
    assert text.strip(), type(error)
    assert len(text.splitlines()) == 1, text
    assert fk.snapshot(db) == before, f"{type(error).__name__}: {text} — but the file changed"
    return None, error


# --- report ---------------------------------------------------------------------------------

_REPORT_KEYS = ("child", "location", "reporter", "discovered_at", "occurred_at", "data")


@st.composite
def report_call(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """A report's type and keyword arguments: a good report with one to four parts broken."""
    args = fk.report_args()
    args["child"] = dict(args["child"])
    args["reporter"] = dict(args["reporter"])
    type_: Any = draw(st.one_of(st.sampled_from(types()), fk.report_type, fk.any_value))
    for _ in range(draw(st.integers(1, 4))):
        part = draw(
            st.sampled_from(
                (
                    "child.name",
                    "child.birthdate",
                    "child.id_number",
                    "child.extra",
                    "child",
                    "location",
                    "reporter.kind",
                    "reporter.name",
                    "reporter",
                    "discovered_at",
                    "occurred_at",
                    "data",
                    "data.key",
                )
            )
        )
        top, _, sub = part.partition(".")
        if sub and not isinstance(args[top], dict):
            args[top] = {}
        if sub == "name":
            args[top][sub] = draw(fk.text_junk)
        elif sub == "birthdate":
            args[top][sub] = draw(st.one_of(fk.day_text, fk.any_value))
        elif sub == "id_number":
            args[top][sub] = draw(
                st.one_of(st.text("0123456789Xx", min_size=15, max_size=20), fk.any_value)
            )
        elif sub == "extra":
            args[top][draw(fk.text_junk)] = draw(fk.any_value)
        elif sub == "kind":
            args[top][sub] = draw(fk.reporter_kind)
        elif sub == "key":
            args["data"] = {**(args["data"] or {}), **draw(fk.data_mapping)}
        elif top == "location":
            args[top] = draw(st.one_of(fk.location_text, fk.any_value))
        elif top in ("discovered_at", "occurred_at"):
            args[top] = draw(st.one_of(fk.instant_text, fk.any_value))
        elif top == "data":
            args[top] = draw(st.one_of(fk.data_mapping, fk.any_value))
        else:
            args[top] = draw(fk.any_value)
    return type_, args


def test_a_report_of_any_input_is_filed_or_refused_with_nothing_written(
    lib: Engine, db: Path
) -> None:
    """Engine.report: a new case at version 1 in state reported, or a documented error."""
    ran = fk.Counter("library_report")

    @fk.campaign_settings("library_report")
    @given(report_call())
    def run(call: tuple[Any, dict[str, Any]]) -> None:
        ran()
        type_, args = call
        case, error = outcome(db, lambda: lib.report(type_, **args))
        ran.saw(error)
        if error is None:
            assert (case.version, case.state) == (1, "reported")
            assert lib.case(case.id).record.head_hash == case.record.head_hash

    run()
    ran.check()


# --- fire -----------------------------------------------------------------------------------


@pytest.fixture
def cases(lib: Engine, branches: dict[str, Any], make_driver: Any) -> list[str]:
    """A case of each type, part-way along its branch (so many triggers can apply)."""
    out = []
    for type_, steps in branches.items():
        d = make_driver(lib, at=datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
        d.report(type_)
        d.run(steps[: len(steps) // 2])
        out.append(d.case_id)
    return out


def draw_fire(
    draw: Callable[..., Any], lib: Engine, case_ids: list[str]
) -> tuple[Any, Any, dict[str, Any]]:
    """A call to fire: half the time one of the case's possible triggers with a role that may
    fire it and good data, then zero to two parts broken; else anything at all."""
    case_id: Any = draw(st.sampled_from(case_ids))
    # What is drawn must not depend on the cases' states (which earlier inputs change): every
    # draw is made, and the choices among the possible triggers are fixed draws taken modulo.
    possible, pick = (
        draw(st.booleans()),
        draw(st.lists(st.integers(0, 999), min_size=8, max_size=8)),
    )
    any_trigger: Any = draw(st.one_of(fk.trigger_name, fk.any_value))
    any_role: Any = draw(fk.role_name)
    broken = draw(st.integers(0, 3))
    options = lib.next(case_id)
    kwargs: dict[str, Any] = {}
    if possible and options:
        opt = options[pick[0] % len(options)]
        trigger: Any = opt.trigger
        kwargs["actor"] = {"name": "经办人", "role": opt.roles[pick[1] % len(opt.roles)]}
        kwargs["data"] = {
            f["name"]: f["choices"][pick[2 + i % 6] % len(f["choices"])]
            if f.get("choices")
            else "记录"
            for i, f in enumerate(opt.data)
            if f.get("required") or pick[2 + i % 6] % 2
        }
    else:
        trigger = any_trigger
        kwargs["actor"] = {"name": "李警官", "role": any_role}
    for _ in range(broken):
        part = draw(st.sampled_from(("case", "trigger", "actor", "at", "data", "version")))
        if part == "case":
            case_id = draw(
                st.one_of(
                    st.sampled_from(case_ids).map(str.lower),
                    st.sampled_from(("NOSUCHCASE000000", "01M8998TM2SHA6BF", "", " ")),
                    fk.text_junk,
                    fk.any_value,
                )
            )
        elif part == "trigger":
            trigger = draw(st.one_of(fk.trigger_name, fk.any_value))
        elif part == "actor":
            kwargs["actor"] = draw(
                st.one_of(
                    st.builds(lambda n, r: {"name": n, "role": r}, fk.text_junk, fk.role_name),
                    st.dictionaries(
                        st.sampled_from(("name", "role", "x")), fk.any_value, max_size=3
                    ),
                    fk.any_value,
                )
            )
        elif part == "at":
            kwargs["occurred_at"] = draw(st.one_of(fk.instant_text, fk.any_value))
        elif part == "data":
            kwargs["data"] = draw(st.one_of(fk.data_mapping, fk.any_value))
        else:
            kwargs["expected_version"] = draw(st.one_of(st.integers(-2, 40), fk.any_value))
    return case_id, trigger, kwargs


def test_a_trigger_fired_with_any_input_moves_the_case_one_event_or_writes_nothing(
    lib: Engine, db: Path, cases: list[str]
) -> None:
    """Engine.fire: the case one version further, or a documented error and no write."""
    ran = fk.Counter("library_fire")

    @fk.campaign_settings("library_fire")
    @given(st.data())
    def run(data: st.DataObject) -> None:
        ran()
        case_id, trigger, kwargs = draw_fire(data.draw, lib, cases)
        before = None
        if isinstance(case_id, str) and case_id.strip().upper() in cases:
            before = lib.case(case_id).version
        view, error = outcome(db, lambda: lib.fire(case_id, trigger, **kwargs))
        ran.saw(error)
        if error is None:
            assert before is not None
            assert view.version == before + 1
            assert view.history[-1].event.trigger == trigger

    run()
    ran.check()


# --- register -------------------------------------------------------------------------------


@st.composite
def register_call(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    kind = draw(
        st.one_of(
            st.sampled_from(("child", "woman", "elderly", "child_watch", "Child", "pet")),
            fk.text_junk,
            fk.any_value,
        )
    )
    birth = {"child": "2016-02-01", "woman": "1990-05-01", "elderly": "1950-05-01"}.get(
        kind if isinstance(kind, str) else "", "2016-02-01"
    )
    person: Any = {"name": "王小明", "birthdate": birth}
    data: Any = {"child": {"parents_away": "both"}, "woman": {"husband_away_since": "2025-01-01"}}
    args: dict[str, Any] = {
        "person": person,
        "location": "石桥村, 青山镇",
        "actor": {"name": "石桥村委会", "role": "village_committee"},
        "at": "2026-03-02T09:00",
        "data": dict(data.get(kind, {})) if isinstance(kind, str) else {},
    }
    for _ in range(draw(st.integers(0, 3))):
        part = draw(
            st.sampled_from(("name", "birthdate", "id_number", "location", "role", "at", "data"))
        )
        if part in ("name", "birthdate", "id_number"):
            person[part] = draw(st.one_of(fk.day_text, fk.text_junk, fk.any_value))
        elif part == "location":
            args["location"] = draw(st.one_of(fk.location_text, fk.any_value))
        elif part == "role":
            args["actor"] = {"name": draw(fk.text_junk), "role": draw(fk.role_name)}
        elif part == "at":
            args["at"] = draw(st.one_of(fk.instant_text, fk.any_value))
        else:
            args["data"] = draw(st.one_of(fk.data_mapping, fk.any_value))
    return kind, args


def test_registering_any_input_opens_one_watch_or_writes_nothing(lib: Engine, db: Path) -> None:
    """Engine.register: a new watch case, or a documented error (a second registration of the
    same person is a Conflict) and no write."""
    ran = fk.Counter("library_register")

    @fk.campaign_settings("library_register")
    @given(register_call())
    def run(call: tuple[Any, dict[str, Any]]) -> None:
        ran()
        kind, args = call
        case, error = outcome(db, lambda: lib.register(kind, **args))
        ran.saw(error)
        if error is None:
            assert case.version == 1
            assert case.type.endswith("_watch")

    run()
    ran.check()


# --- reads ----------------------------------------------------------------------------------


@st.composite
def read_call(draw: st.DrawFn, case_ids: list[str]) -> tuple[str, Callable[[Engine], Any]]:
    """A read with generated arguments: case, history, next, cases, deadlines, replay, …"""
    cid: Any = draw(st.one_of(st.sampled_from(case_ids), fk.text_junk, fk.any_value))
    text: Any = draw(st.one_of(fk.text_junk, fk.any_value, st.none()))
    at: Any = draw(st.one_of(fk.instant_text, fk.any_value, st.none()))
    limit: Any = draw(st.one_of(st.integers(-3, 5), st.none(), fk.any_value))
    which = draw(
        st.sampled_from(
            (
                "case",
                "history",
                "next",
                "cases",
                "deadlines",
                "replay",
                "verify",
                "notices",
                "accesses",
                "compliance_report",
                "read_identity",
            )
        )
    )
    calls: dict[str, Callable[[Engine], Any]] = {
        "case": lambda e: e.case(cid),
        "history": lambda e: e.history(cid),
        "next": lambda e: e.next(cid),
        "cases": lambda e: list(e.cases(text, at, limit=limit, after=text)),
        "deadlines": lambda e: list(e.deadlines(case_id=cid, status=text, due_before=at)),
        "replay": lambda e: e.replay(cid, at=at),
        "verify": lambda e: e.verify(cid, anchor=text),
        "notices": lambda e: e.notices(status=text, case_id=cid),
        "accesses": lambda e: e.accesses(cid),
        "compliance_report": lambda e: e.compliance_report(text, at),
        "read_identity": lambda e: e.read_identity(
            cid, actor={"name": "刘检察官", "role": draw(fk.role_name)}, reason=text
        ),
    }
    return which, calls[which]


def test_reads_with_any_input_answer_or_refuse_and_write_nothing_but_identity_reads(
    lib: Engine, db: Path, cases: list[str]
) -> None:
    """Every read either answers or raises a documented error; only a granted identity read
    (an access event) changes the file."""
    ran = fk.Counter("library_reads")

    @fk.campaign_settings("library_reads")
    @given(read_call(cases))
    def run(call: tuple[str, Callable[[Engine], Any]]) -> None:
        ran()
        which, read = call
        before = fk.snapshot(db)
        _, error = outcome(db, lambda: read(lib))
        ran.saw(error)
        if error is None and which != "read_identity":
            assert fk.snapshot(db) == before, f"{which} wrote to the database"

    run()
    ran.check()
