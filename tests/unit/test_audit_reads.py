"""The quick reads of ``verify`` give what the full ones give, for any value.

``verify`` hashes a stored event with :func:`~shouhu.engine.hashing.stored_event_hash` from
text instants (:func:`_dec_dt_text`) and JSON objects decoded by :func:`_dec_object`; the
full path decodes datetimes and hashes with :func:`~shouhu.engine.hashing.event_hash`. Any
difference between the two would be a record the one calls broken and the other sound.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhu.adapters.sqlcodec import _dec_dt, _dec_dt_text, _dec_json, _dec_object
from shouhu.engine.hashing import (
    _SORTED_KEYS,
    HASHED_FIELDS,
    STORED_ROW,
    event_hash,
    stored_event_hash,
)
from shouhu.engine.model import Link
from shouhu.engine.timeutil import utc_iso

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
OBJECTS = st.dictionaries(st.text(), JSON, max_size=5)
#: What a column can hold once SQLite and the driver are done with it (and a DBA has been in).
COLUMN = st.text() | st.none() | st.integers() | st.floats() | st.booleans()
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))]
)
SCALAR_FIELDS = (
    "case_id",
    "seq",
    "workflow",
    "workflow_version",
    "policy_version",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "role",
    "prev_hash",
)
INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30), timezones=ZONES
)


def test_the_hashed_members_are_written_in_sorted_order() -> None:
    assert tuple(sorted(HASHED_FIELDS)) == _SORTED_KEYS


def test_a_link_is_laid_out_as_the_row_the_hash_reads() -> None:
    """``Link.computed_hash`` hands the link itself to ``stored_row_hash``."""
    names = tuple(f.replace("_utc", "_at") for f in Link._fields[: len(STORED_ROW)])
    assert names == STORED_ROW


@settings(max_examples=400, deadline=None)
@given(
    fields=st.fixed_dictionaries(dict.fromkeys(SCALAR_FIELDS, COLUMN)),
    occurred=INSTANTS,
    recorded=INSTANTS,
    data=OBJECTS,
    effects=OBJECTS,
    empty_effects_key=st.booleans(),
)
def test_the_hash_of_a_stored_event_is_the_hash_of_the_event(
    fields: dict[str, Any],
    occurred: datetime,
    recorded: datetime,
    data: dict[str, Any],
    effects: dict[str, Any],
    empty_effects_key: bool,
) -> None:
    """Any values (including those a tampered row could hold) hash alike on both paths."""
    full = event_hash(
        **fields,
        occurred_at=occurred,
        recorded_at=recorded,
        data=data,
        effects=effects,
        empty_effects_key=empty_effects_key,
    )
    quick = stored_event_hash(
        **fields,
        occurred_at=utc_iso(occurred),
        recorded_at=utc_iso(recorded),
        data=data,
        effects=effects,
        empty_effects_key=empty_effects_key,
    )
    assert quick == full


def _spellings(dt: datetime) -> st.SearchStrategy[str]:
    naive = dt.replace(tzinfo=None)
    return st.sampled_from(
        [
            naive.isoformat(" ", "microseconds"),  # what the store writes
            naive.isoformat(" "),
            naive.isoformat("T", "seconds"),
            naive.isoformat("T", "milliseconds"),
            dt.isoformat(" ", "microseconds"),  # with its offset (which _dec_dt ignores)
            dt.isoformat(),
            naive.isoformat(" ", "microseconds")[:19],
        ]
    )


@settings(max_examples=300, deadline=None)
@given(text=INSTANTS.flatmap(_spellings))
def test_an_instant_read_as_text_is_the_text_of_the_instant_read(text: str) -> None:
    assert _dec_dt_text(text) == utc_iso(_dec_dt(text))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "2026-13-01 00:00:00", "yesterday", "2026-03-02 25:00"])
def test_an_unreadable_instant_is_refused_on_both_paths(text: str) -> None:
    with pytest.raises(ValueError, match=r"\w") as full:
        _dec_dt(text)
    with pytest.raises(ValueError, match=re.escape(str(full.value))):
        _dec_dt_text(text)


@settings(max_examples=300, deadline=None)
@given(
    value=OBJECTS | JSON,
    before=st.sampled_from(["", " ", "\n", "\t "]),
    after=st.sampled_from(["", " ", "\r\n"]),
    separators=st.sampled_from([None, (",", ":"), (" , ", " : ")]),
    ascii_only=st.booleans(),
)
def test_a_json_column_decodes_as_the_full_decoder_decodes_it(
    value: Any, before: str, after: str, separators: Any, ascii_only: bool
) -> None:
    text = before + json.dumps(value, separators=separators, ensure_ascii=ascii_only) + after
    try:
        expected: Any = dict(_dec_json(text) or {})
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            _dec_object(text)
        return
    assert _dec_object(text) == expected


@pytest.mark.parametrize(
    "text",
    [None, "{}", "null", "[]", '[["a", 1]]', '{"a": 1} ', '{"a": 1}x', "", "{", "\ufeff{}", "1"],
)
def test_odd_json_columns_decode_or_fail_as_the_full_decoder_does(text: str | None) -> None:
    try:
        expected: Any = dict(_dec_json(text) or {})
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            _dec_object(text)
        return
    assert _dec_object(text) == expected


@settings(max_examples=300, deadline=None)
@given(
    instant=INSTANTS,
    tz=st.sampled_from(["Asia/Shanghai", "UTC", "Asia/Urumqi", "America/New_York"]),
    form=st.sampled_from(["seconds", "minutes", "microseconds"]),
)
def test_an_instant_the_engine_wrote_reads_as_the_full_reader_reads_it(
    instant: datetime, tz: str, form: str
) -> None:
    """``stored_instant`` (verify's reader of the effects' due times) is ``parse_instant``'s
    answer for every text ``local_iso`` writes, to the microsecond."""
    from zoneinfo import ZoneInfo

    from shouhu.engine.timeutil import parse_instant, stored_instant

    text = instant.astimezone(ZoneInfo(tz)).isoformat(timespec=form)
    assert stored_instant(text) == parse_instant(text, "UTC")
    assert stored_instant(text).tzinfo == UTC


@pytest.mark.parametrize("text", ["", "2026-13-01T00:00:00+08:00", "yesterday", "2026-03-02"])
def test_a_stored_instant_that_is_not_one_is_refused_as_parse_instant_refuses_it(
    text: str,
) -> None:
    from shouhu.engine.timeutil import parse_instant, stored_instant
    from shouhu.errors import InvalidInput

    try:
        expected: object = parse_instant(text, "UTC")
    except InvalidInput as exc:
        expected = type(exc)
    try:
        got: object = stored_instant(text)
    except InvalidInput as exc:
        got = type(exc)
    assert got == expected
