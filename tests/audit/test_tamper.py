"""Tampering with the SQLite file, as a DBA could: ``audit verify`` names the case and seq.

The attacker first drops the append-only triggers (``events_append_only_update`` and
``events_append_only_delete``), then edits, deletes or reorders events. A careful attacker who
rewrites the chain and the case's head together passes a plain ``verify``; an anchor kept
outside the database catches that, for everything recorded before the anchor.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from auditkit import CIVIL, POLICE, TOWNSHIP, ZONE, Cli, Dba, file_report, fire

from shouhu import Engine, FakeClock
from shouhu.engine.auditing import digest_anchor
from shouhu.engine.hashing import event_hash
from shouhu.engine.model import Event

CST = timezone(timedelta(hours=8))

ANCHOR = re.compile(
    r"^shouhu-anchor-v1:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z):(\d+):([0-9a-f]{64})$"
)


def seed(engine: Engine) -> tuple[str, str, str]:
    """Three cases: the target (6 events), and two bystanders (3 and 2 events)."""
    # guardian_incapacity: an entrusted guardian ends the emergency (no admonition, which the
    # second definition of solo_living asks for)
    target = file_report(engine, "guardian_incapacity", at="2026-03-02T08:30:00")
    fire(engine, target, "2026-03-02T09:45:00", "dispatch")  # 15 minutes late
    fire(
        engine,
        target,
        "2026-03-02T10:30:00",
        "designate_entrusted_guardian",
        guardian_name="王桂英",
    )
    fire(engine, target, "2026-03-02T11:00:00", "complete_emergency")
    fire(engine, target, "2026-03-02T12:00:00", "notify_township")
    fire(engine, target, "2026-03-03T09:00:00", "start_assessment", TOWNSHIP)
    second = file_report(engine, "missing_child", at="2026-03-03T10:00:00")
    fire(engine, second, "2026-03-03T10:20:00", "dispatch")
    fire(engine, second, "2026-03-03T10:25:00", "start_search")
    third = file_report(engine, "guardian_incapacity", at="2026-03-04T10:00:00")
    fire(engine, third, "2026-03-04T10:30:00", "dispatch")
    return target, second, third


@pytest.fixture
def cases(lib: Engine, dba: Dba) -> tuple[str, str, str]:
    """The three cases, written and closed; the attacker has dropped the triggers."""
    ids = seed(lib)
    lib.close()
    dba.drop_triggers()
    return ids


def broken_lines(cli: Cli, code: int = 1) -> tuple[list[str], list[str]]:
    """``audit verify``: its BROKEN lines on stdout and its ``shouhu: broken`` lines on stderr."""
    result = cli("audit", "verify")
    assert result.exit_code == code, (result.stdout, result.stderr)
    out = [line for line in result.stdout.splitlines() if line.startswith("BROKEN")]
    err = [line for line in result.stderr.splitlines() if line.startswith("shouhu: broken:")]
    return out, err


def assert_only_broken(cli: Cli, case_id: str, seq: int, reason: str) -> None:
    """Exactly this case is reported, at this seq, on stdout and in one stderr line; in JSON
    too."""
    out, err = broken_lines(cli)
    assert len(out) == 1, out
    assert out[0].startswith(f"BROKEN {case_id} at seq {seq}: "), out
    assert reason in out[0]
    assert len(err) == 1, err
    assert err[0].startswith(f"shouhu: broken: {case_id} seq {seq}: "), err
    data = json.loads(cli("audit", "verify", "--json").stdout)
    assert data["ok"] is False
    assert [(b["case_id"], b["seq"]) for b in data["broken"]] == [(case_id, seq)]


def test_the_untouched_database_verifies(cli: Cli, cases: tuple[str, str, str]) -> None:
    """Before any tampering (triggers dropped, nothing edited) verify passes: exit 0."""
    result = cli("audit", "verify")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.strip().endswith("verified 3 cases, 11 events: ok")
    assert result.stderr == ""


def test_the_triggers_stop_an_honest_mistake(lib: Engine, dba: Dba) -> None:
    """With the triggers in place, an UPDATE or DELETE on events is refused by SQLite."""
    case_id = file_report(lib)
    lib.close()
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        dba.execute("UPDATE events SET actor = 'x' WHERE case_id = ?", case_id)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        dba.execute("DELETE FROM events WHERE case_id = ?", case_id)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", "json_set(data, '$.guardian_name', '张三')"),
        ("actor", "'青山派出所 王警官'"),
        ("occurred_at", "'2026-03-02 02:20:00.000000'"),
        ("recorded_at", "'2026-03-19 00:00:00.000000'"),
        ("role", "'township'"),
        ("effects", "'{\"deadlines\": []}'"),
        ("hash", "'" + "ab" * 32 + "'"),
    ],
)
def test_an_edited_field_of_event_3_is_named(
    cli: Cli, dba: Dba, cases: tuple[str, str, str], column: str, value: str
) -> None:
    """Editing any hashed field (or the hash) of event 3 breaks the case at seq 3, and only
    that case is reported."""
    target = cases[0]
    assert (
        dba.execute(f"UPDATE events SET {column} = {value} WHERE case_id = ? AND seq = 3", target)
        == 1
    )
    assert_only_broken(cli, target, 3, "event 3's content does not match its hash")


def test_deleting_the_last_event_is_a_head_mismatch_at_its_seq(
    cli: Cli, dba: Dba, cases: tuple[str, str, str]
) -> None:
    """The case row still says version 6: the log ends at 5, so seq 6 is missing."""
    target = cases[0]
    assert dba.execute("DELETE FROM events WHERE case_id = ? AND seq = 6", target) == 1
    assert_only_broken(cli, target, 6, "the case row is at version 6, the log at 5")


def test_deleting_the_last_event_and_fixing_the_case_row_is_still_caught(
    cli: Cli, dba: Dba, cases: tuple[str, str, str]
) -> None:
    """Moving the case row's version back without its head hash still fails at seq 5."""
    target = cases[0]
    dba.execute("DELETE FROM events WHERE case_id = ? AND seq = 6", target)
    dba.execute("UPDATE cases SET version = 5 WHERE id = ?", target)
    assert_only_broken(cli, target, 5, "head hash")


def test_deleting_a_middle_event_is_a_gap(cli: Cli, dba: Dba, cases: tuple[str, str, str]) -> None:
    """Event 4 removed: seq 4 is missing."""
    target = cases[0]
    dba.execute("DELETE FROM events WHERE case_id = ? AND seq = 4", target)
    assert_only_broken(cli, target, 4, "seq 4 is missing")


@pytest.mark.parametrize(("a", "b"), [(2, 3), (3, 5), (1, 6)])
def test_swapped_events_are_named_at_the_first_swapped_seq(
    cli: Cli, dba: Dba, cases: tuple[str, str, str], a: int, b: int
) -> None:
    """Two events' seq values swapped: broken at the lower of the two."""
    target = cases[0]
    dba.execute("UPDATE events SET seq = -1 WHERE case_id = ? AND seq = ?", target, a)
    dba.execute("UPDATE events SET seq = ? WHERE case_id = ? AND seq = ?", a, target, b)
    dba.execute("UPDATE events SET seq = ? WHERE case_id = ? AND seq = -1", b, target)
    assert_only_broken(
        cli,
        target,
        a,
        f"event {a} does not link to event {a - 1}"
        if a > 1
        else "event 1 does not link to event 0",
    )


def test_every_broken_case_is_named_once(cli: Cli, dba: Dba, cases: tuple[str, str, str]) -> None:
    """Two cases tampered with: each named, with its own first bad seq; the third is not."""
    target, second, third = cases
    dba.execute("UPDATE events SET actor = 'x' WHERE case_id = ? AND seq = 2", target)
    dba.execute("DELETE FROM events WHERE case_id = ? AND seq = 3", second)
    out, err = broken_lines(cli)
    assert sorted(line.split(":")[0] for line in out) == sorted(
        [f"BROKEN {target} at seq 2", f"BROKEN {second} at seq 3"]
    )
    assert len(err) == 2
    assert not any(third in line for line in out + err)
    assert cli("audit", "verify", third).exit_code == 0
    single = cli("audit", "verify", target)
    assert single.exit_code == 1
    assert second not in single.stdout


def test_a_deleted_case_row_leaves_its_events_named(
    cli: Cli, dba: Dba, cases: tuple[str, str, str]
) -> None:
    """The case row deleted, its events kept: the orphaned events are still found and named."""
    target = cases[0]
    dba.execute("DELETE FROM deadlines WHERE case_id = ?", target)
    dba.execute("DELETE FROM cases WHERE id = ?", target)
    out, err = broken_lines(cli)
    assert len(out) == 1
    assert out[0].startswith(f"BROKEN {target} at seq ")
    assert out[0].endswith("events without a case row (cases.id)")
    assert len(err) == 1
    assert target in err[0]


def test_a_case_row_whose_events_are_all_gone_is_named_at_seq_1(
    cli: Cli, dba: Dba, cases: tuple[str, str, str]
) -> None:
    """Every event of a case deleted, its row kept: broken at seq 1."""
    second = cases[1]
    dba.execute("DELETE FROM events WHERE case_id = ?", second)
    assert_only_broken(cli, second, 1, "the case row has no events")


# --- a rewritten chain, and anchors ---------------------------------------------------------


def rewrite(db: Path, case_id: str, edit: dict[int, dict[str, object]]) -> None:
    """The careful attacker: edit events, recompute every later hash and link, and point the
    case row at the new head — the chain is sound again."""
    with Engine.open("sqlite:///" + str(db), zone=ZONE) as engine:
        events = engine.store.events(case_id)
    new: list[Event] = []
    prev = "0" * 64
    for e in events:
        changed = replace(e, **edit.get(e.seq, {}), prev_hash=prev)  # type: ignore[arg-type]
        h = event_hash(
            case_id=changed.case_id,
            seq=changed.seq,
            workflow=changed.workflow,
            workflow_version=changed.workflow_version,
            policy_version=changed.policy_version,
            trigger=changed.trigger,
            from_state=changed.from_state,
            to_state=changed.to_state,
            actor=changed.actor,
            role=changed.role,
            occurred_at=changed.occurred_at,
            recorded_at=changed.recorded_at,
            data=changed.data,
            effects=changed.effects,
            prev_hash=prev,
        )
        new.append(replace(changed, hash=h))
        prev = h
    Dba(db).drop_triggers()  # opening the store above put them back
    con = sqlite3.connect(db)
    with con:
        for e in new:
            con.execute(
                "UPDATE events SET occurred_at = ?, actor = ?, effects = ?, data = ?, "
                "prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?",
                (
                    e.occurred_at.replace(tzinfo=None).isoformat(" ", "microseconds"),
                    e.actor,
                    json.dumps(e.effects, ensure_ascii=False),
                    json.dumps(e.data, ensure_ascii=False),
                    e.prev_hash,
                    e.hash,
                    e.case_id,
                    e.seq,
                ),
            )
        con.execute("UPDATE cases SET head_hash = ? WHERE id = ?", (prev, case_id))
    con.close()


def backdate_dispatch(db: Path, case_id: str, *, rows_too: bool = True) -> None:
    """Make the late dispatch (09:45, 15 minutes late) look on time (09:25): the event and
    the chain after it, and (``rows_too``, as a careful attacker would) the dispatch deadline's
    row that the event met."""
    with Engine.open("sqlite:///" + str(db), zone=ZONE) as engine:
        dispatch = engine.store.events(case_id)[1]
    assert dispatch.trigger == "dispatch"
    effects = json.loads(json.dumps(dispatch.effects))
    effects["deadlines"][0]["late_seconds"] = 0
    when = dispatch.occurred_at - timedelta(minutes=20)
    rewrite(db, case_id, {2: {"occurred_at": when, "effects": effects}})
    if rows_too:
        text = when.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        Dba(db).execute(
            "UPDATE deadlines SET met_at = ?, closed_at = ? "
            "WHERE case_id = ? AND kind = 'dispatch'",
            text,
            text,
            case_id,
        )
        # … and the notice the dispatch wrote to the township (report_accepted), which names
        # the event's time
        dba = Dba(db)
        (row,) = dba.rows("SELECT id, payload FROM outbox WHERE case_id = ? AND seq = 2", case_id)
        payload = json.loads(row["payload"])
        payload["event"]["occurred_at"] = when.astimezone(CST).isoformat()
        dba.execute("UPDATE outbox SET payload = ? WHERE id = ?", json.dumps(payload), row["id"])


def test_a_rewritten_chain_with_its_deadline_row_left_as_it_was_fails_plain_verify(
    lib: Engine, cli: Cli, dba: Dba, db: Path
) -> None:
    """Backdating the late dispatch and recomputing the chain, but not the deadline row it
    met, fails plain verify: the row is rebuilt from the events and its met time differs."""
    target, _, _ = seed(lib)
    lib.close()
    dba.drop_triggers()
    backdate_dispatch(db, target, rows_too=False)
    plain = cli("audit", "verify")
    assert plain.exit_code == 1, (plain.stdout, plain.stderr)
    assert f"DERIVED {target} deadlines.met_at (deadline 1 (dispatch))" in plain.stdout


def test_a_rewritten_chain_passes_plain_verify_but_not_an_earlier_anchor(
    lib: Engine, cli: Cli, dba: Dba, db: Path
) -> None:
    """Backdating the late dispatch and recomputing the chain and head passes plain verify and
    replay (now "on time"); ``verify --anchor`` with an anchor taken before exits 1."""
    target, _, _ = seed(lib)
    anchor = digest_anchor(lib)
    lib.close()
    assert ANCHOR.match(anchor), anchor
    assert cli("audit", "verify", "--anchor", anchor).exit_code == 0

    dba.drop_triggers()
    backdate_dispatch(db, target)

    plain = cli("audit", "verify")
    assert plain.exit_code == 0, (plain.stdout, plain.stderr)
    rebuilt = cli.json("audit", "replay", target)
    dispatch = next(d for d in rebuilt["deadlines"] if d["kind"] == "dispatch")
    assert (dispatch["late_seconds"], dispatch["met_at"]) == (0, "2026-03-02T09:25:00+08:00")

    anchored = cli("audit", "verify", "--anchor", anchor)
    assert anchored.exit_code == 1, anchored.stdout
    assert "DOES NOT HOLD" in anchored.stdout
    assert "shouhu: broken: the anchor does not hold" in anchored.stderr
    data = json.loads(cli("audit", "verify", "--anchor", anchor, "--json").stdout)
    assert data["ok"] is False
    assert data["broken"] == []
    assert data["anchor"]["holds"] is False


def test_an_anchor_still_holds_after_legitimate_later_events(
    lib: Engine, cli: Cli, audit_clock: FakeClock
) -> None:
    """Events and cases recorded after the anchor's time do not disturb it."""
    target, second, _ = seed(lib)
    anchor = digest_anchor(lib)
    audit_clock.advance(hours=1)
    fire(
        lib,
        target,
        "2026-03-05T09:00:00",
        "complete_assessment",
        TOWNSHIP,
        safety="low",
        guardianship="medium",
        health="low",
        participants="civil_affairs,police",
    )
    fire(lib, second, "2026-03-05T09:00:00", "child_located")
    file_report(lib, "suspected_harm", at="2026-03-06T09:00:00")
    assert lib.verify(anchor=anchor).ok
    lib.close()
    result = cli("audit", "verify", "--anchor", anchor)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "(3 cases): holds" in result.stdout
    assert "verified 4 cases, 14 events: ok" in result.stdout
    data = json.loads(cli("audit", "verify", "--anchor", anchor, "--json").stdout)
    assert data["anchor"]["holds"] is True
    assert data["anchor"]["cases"] == 3


def test_an_anchor_does_not_protect_events_recorded_after_it(
    lib: Engine, cli: Cli, dba: Dba, db: Path, audit_clock: FakeClock
) -> None:
    """The limit of an anchor: an event recorded after it, rewritten with its head, is caught
    only by the next anchor."""
    target, _, _ = seed(lib)
    first = digest_anchor(lib)
    audit_clock.advance(hours=1)
    fire(
        lib,
        target,
        "2026-03-05T09:00:00",
        "complete_assessment",
        TOWNSHIP,
        safety="low",
        guardianship="medium",
        health="low",
        participants="civil_affairs,police",
    )
    audit_clock.advance(hours=1)
    second_anchor = digest_anchor(lib)
    lib.close()
    dba.drop_triggers()
    rewrite(db, target, {7: {"actor": "青山镇 另一人"}})
    assert cli("audit", "verify").exit_code == 0
    assert cli("audit", "verify", "--anchor", first).exit_code == 0
    assert cli("audit", "verify", "--anchor", second_anchor).exit_code == 1


def test_a_whole_case_removed_passes_plain_verify_but_not_the_anchor(
    lib: Engine, cli: Cli, dba: Dba
) -> None:
    """Deleting a case outright leaves nothing to verify; the anchor counts it missing."""
    _, _, third = seed(lib)
    anchor = digest_anchor(lib)
    lib.close()
    dba.drop_triggers()
    for table, column in (
        ("events", "case_id"),
        ("deadlines", "case_id"),
        ("outbox", "case_id"),
        ("cases", "id"),
    ):
        dba.execute(f"DELETE FROM {table} WHERE {column} = ?", third)
    assert cli("audit", "verify").exit_code == 0
    data = json.loads(cli("audit", "verify", "--anchor", anchor, "--json").stdout)
    assert data["anchor"]["holds"] is False
    assert (data["anchor"]["cases"], data["anchor"]["cases_now"]) == (3, 2)


def test_the_anchor_digest_recomputes_with_hashlib_from_the_events_table(
    lib: Engine, dba: Dba
) -> None:
    """A third party recomputes the anchor from the events table: SHA-256 over the sorted lines
    ``case_id seq head_hash`` of each case's last event recorded at or before its time."""
    seed(lib)
    fire(lib, file_report(lib, at="2026-03-05T08:00:00"), "2026-03-05T08:20:00", "dispatch")
    anchor = digest_anchor(lib)
    lib.close()
    match = ANCHOR.match(anchor)
    assert match is not None
    at, count, digest = match.groups()
    stored_at = at.replace("T", " ").removesuffix("Z")
    rows = dba.rows(
        "SELECT e.case_id, e.seq, e.hash FROM events e JOIN ("
        "  SELECT case_id, max(seq) AS seq FROM events WHERE recorded_at <= ? GROUP BY case_id"
        ") last ON e.case_id = last.case_id AND e.seq = last.seq",
        stored_at,
    )
    lines = sorted(f"{r['case_id']} {r['seq']} {r['hash']}\n" for r in rows)
    assert int(count) == len(lines) == 4
    assert hashlib.sha256("".join(lines).encode()).hexdigest() == digest


@pytest.mark.parametrize(
    "anchor",
    [
        "not an anchor",
        "shouhu-anchor-v1:2026-03-20T00:00:00.000000Z:3:" + "g" * 64,
        "shouhu-anchor-v2:2026-03-20T00:00:00.000000Z:3:" + "a" * 64,
        "shouhu-anchor-v1:yesterday:3:" + "a" * 64,
    ],
)
def test_a_malformed_anchor_is_bad_input(
    cli: Cli, cases: tuple[str, str, str], anchor: str
) -> None:
    """A malformed ``--anchor`` is exit 2 with one error line, not a verdict."""
    result = cli("audit", "verify", "--anchor", anchor)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("shouhu: error: --anchor")
    assert result.stdout == ""


def test_audit_anchor_on_the_cli_prints_one_line_that_verify_accepts(
    cli: Cli, cases: tuple[str, str, str]
) -> None:
    """``audit anchor --digest`` prints one digest anchor line; ``verify --anchor`` with it
    holds (``audit anchor`` alone prints a signed tree head: test_transparency.py)."""
    anchor = cli.ok("audit", "anchor", "--digest").stdout
    assert anchor.count("\n") == 1
    match = ANCHOR.match(anchor.strip())
    assert match is not None
    assert match.group(2) == "3"
    assert cli("audit", "verify", "--anchor", anchor.strip()).exit_code == 0


def test_civil_and_police_names_survive_a_verify_round_trip(lib: Engine, cli: Cli) -> None:
    """Non-ASCII actors and data hash the same after a round trip through SQLite."""
    case_id = file_report(
        lib,
        "guardian_nonperformance",
        at="2026-03-02T08:30:00",
        data={"nonperformance_since": "2025-08-31"},
    )
    fire(lib, case_id, "2026-03-02T08:50:00", "dispatch", POLICE)
    fire(
        lib,
        case_id,
        "2026-03-02T09:00:00",
        "place_in_temporary_care",
        CIVIL | {"role": "police"},
        placement="close_relative",
    )
    lib.close()
    assert cli("audit", "verify", case_id).exit_code == 0
