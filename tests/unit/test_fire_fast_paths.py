"""The shortcuts ``Engine.fire`` takes on its hot path give exactly what the long way gives:
the actor read from a plain dict without pydantic, and the case after a transition built
directly rather than by ``dataclasses.replace``."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from shouhu import InvalidInput, TransitionRefused
from shouhu.engine import validation as v
from shouhu.engine import zhinput
from shouhu.engine.model import CaseRecord
from shouhu.engine.transitions import _advanced
from shouhu.workflows.vocab import ROLES


def _through_the_model(value: Any) -> Any:
    """The long way: pydantic's ActorIn first, then the same checks (what ``actor`` did)."""
    try:
        a = v._coerce(v.ActorIn, value, "actor")
        name = v.clean_text(a.name, field="actor", max_length=100)
        role = a.role.strip() if isinstance(a.role, str) else a.role
        if role not in ROLES:  # a Chinese name or another case of the key, else refused
            role = zhinput.role(role, ROLES)
        return ("ok", name, role)
    except InvalidInput as exc:
        return ("refused", exc.message, exc.field)


def _parts(value: Any) -> Any:
    try:
        return ("ok", *v.actor_parts(value))
    except InvalidInput as exc:
        return ("refused", exc.message, exc.field)


NAMES = st.one_of(
    st.sampled_from(["李警官", " 李警官 ", "", "   ", "a\tb", "x" * 100, "x" * 101, "Ａ\u0301"]),
    st.text(max_size=120),
)
ROLE_TEXTS = st.one_of(
    st.sampled_from([*ROLES, " police ", "Police", "", "nobody", "system", "auditor"]),
    st.text(max_size=12),
)
ODD = st.sampled_from([None, 3, 2.5, True, ["police"], {"a": 1}, b"police"])


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(
        st.fixed_dictionaries({"name": NAMES, "role": ROLE_TEXTS}),
        st.fixed_dictionaries({"name": NAMES | ODD, "role": ROLE_TEXTS | ODD}),
        st.fixed_dictionaries({"name": NAMES}, optional={"role": ROLE_TEXTS, "x": NAMES}),
        st.dictionaries(st.sampled_from(["name", "role", "extra"]), NAMES | ODD),
        ODD,
        st.text(max_size=5),
    )
)
def test_a_plain_actor_is_checked_and_refused_as_the_model_checks_it(value: Any) -> None:
    assert _parts(value) == _through_the_model(value)
    if _parts(value)[0] == "ok":
        assert v.actor(value) == v.ActorIn(name=_parts(value)[1], role=_parts(value)[2])


def test_an_actor_given_as_a_mapping_or_a_model_takes_the_long_way_alike() -> None:
    class Frozen(dict[str, Any]):
        pass

    class Other(BaseModel):
        name: str
        role: str

    for value in (
        Frozen(name="李警官", role="police"),
        v.ActorIn(name=" 李警官 ", role=" police "),
        Other(name="李警官", role="police"),
    ):
        assert _parts(value) == _through_the_model(value)


@pytest.mark.parametrize("value", [{"name": "李", "role": "system"}, {"name": "李", "role": "x"}])
def test_firing_as_an_actor_refuses_as_before(value: dict[str, Any], engine: Any) -> None:
    case = engine.report(
        "solo_living",
        child={"name": "王小明", "birthdate": "2016-02-01"},
        location="石桥村, 青山镇",
        reporter={"kind": "school", "name": "青山镇中心小学"},
    )
    with pytest.raises((TransitionRefused, InvalidInput)) as fired:
        engine.fire(case.id, "dispatch", actor=value)
    message = str(fired.value)
    if value["role"] == "system":
        assert message == (
            "refused by rule role (engine): the system role is the scheduler's alone; "
            "no operator may claim it"
        )
        assert fired.value.data["role"] == "system"
    else:
        assert message == _through_the_model(value)[1]


def test_a_transition_copies_every_field_of_the_case_it_does_not_change() -> None:
    """Each field holds a value of its own: a field ``_advanced`` forgot (one added to
    CaseRecord later, say) would come out as its default, not as ``replace`` copies it."""
    case = CaseRecord(**{f.name: object() for f in fields(CaseRecord)})
    when = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    changes: dict[str, Any] = {
        "state": "dispatched",
        "version": 7,
        "head_hash": "h" * 64,
        "facts": {"stop_harm": True},
        "outcome": None,
        "last_occurred_at": when,
        "updated_at": when,
        "closed_at": None,
    }
    made, expected = _advanced(case, **changes), replace(case, **changes)
    for f in fields(CaseRecord):
        assert getattr(made, f.name) is getattr(expected, f.name), f.name
