"""The bugs the bad-input campaign found, each pinned by the input that found it."""

from __future__ import annotations

from pathlib import Path

import fuzzkit as fk
import pytest
from typer.testing import CliRunner

from shouhu import Engine, FakeClock, InvalidInput, NotFound
from shouhu.cli import app

SURROGATE = "\udcff"  # what an undecodable byte in argv becomes on POSIX


def _cli(db: Path, *argv: str) -> tuple[int, str, bytes]:
    result = CliRunner().invoke(app, list(argv), env={"SHOUHU_DB": f"sqlite:///{db}"})
    return result.exit_code, result.stderr, fk.snapshot(db)[0] if db.exists() else b""


def test_a_child_name_with_undecodable_bytes_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    """It raised UnicodeEncodeError while hashing the event (exit 1 and a traceback)."""
    db = tmp_path / "c.db"
    with Engine.open(f"sqlite:///{db}", clock=FakeClock(fk.NOW)) as lib:
        before = fk.snapshot(db)
        child = {"name": "王" + SURROGATE, "birthdate": "2016-02-01"}
        with pytest.raises(InvalidInput, match="child_name: not valid Unicode text"):
            lib.report("solo_living", **fk.report_args(child=child))
        assert fk.snapshot(db) == before


def test_a_case_id_with_undecodable_bytes_names_no_case(tmp_path: Path) -> None:
    """``shouhu case show $'\\xff'`` raised UnicodeEncodeError in the store: now exit 2."""
    db = tmp_path / "c.db"
    code, err, _ = _cli(db, "db", "upgrade")
    assert code == 0, err
    code, err, _ = _cli(db, "case", "show", SURROGATE)
    assert code == 2
    assert err.startswith("shouhu: error: no case")
    assert err.count("\n") == 1
    with Engine.open(f"sqlite:///{db}") as lib, pytest.raises(NotFound):
        lib.case("王" + SURROGATE)


def test_an_unknown_key_with_a_newline_is_named_on_one_line(engine: Engine) -> None:
    """A child mapping with a key ``"\\n"``: the message spanned two lines."""
    child = {"name": "王小明", "birthdate": "2016-02-01", "\n": ""}
    with pytest.raises(InvalidInput) as bad:
        engine.report("solo_living", **fk.report_args(child=child))
    assert len(str(bad.value).splitlines()) == 1
    assert "'\\n'" in str(bad.value)


@pytest.mark.parametrize(
    "read",
    [
        lambda e: list(e.cases(None, ["reported"])),
        lambda e: list(e.cases(limit="3")),
        lambda e: list(e.cases(after=SURROGATE)),
        lambda e: list(e.deadlines(status={"a": 1})),
        lambda e: e.notices(status=["pending"]),
        lambda e: e.verify(anchor=["shouhu-anchor"]),
    ],
    ids=["state list", "limit text", "after surrogate", "status dict", "notice list", "anchor"],
)
def test_a_read_given_a_value_of_the_wrong_type_is_bad_input(engine: Engine, read: object) -> None:
    """They raised TypeError or AttributeError (or UnicodeEncodeError in the store)."""
    with pytest.raises(InvalidInput):
        read(engine)  # type: ignore[operator]


@pytest.mark.parametrize("version", ["\n", "1", 1.0, True, 0, -3, [1]])
def test_an_expected_version_that_is_no_version_is_bad_input_not_a_two_line_conflict(
    version: object,
) -> None:
    """Found by make soak: a string with a newline as ``expected_version`` was echoed into a
    Conflict message of two lines. Anything but a whole number from 1 is bad input now."""
    with Engine.in_memory(clock=FakeClock(fk.NOW)) as engine:
        case = engine.report("solo_living", **fk.report_args())
        with pytest.raises(InvalidInput, match="expected_version") as refused:
            engine.fire(
                case.id,
                "dispatch",
                actor={"name": "民警", "role": "police"},
                expected_version=version,  # type: ignore[arg-type]
            )
        assert "\n" not in str(refused.value)
        assert engine.case(case.id).version == 1


def test_an_imported_row_refused_for_a_reason_that_names_no_column_names_its_column(
    tmp_path: Path,
) -> None:
    """A child of 18 in an import file: the reason ("the child is 18 or older …") named no
    column; it now starts with the file's column, as every refused row's reason does."""
    from shouhu.adapters.importer import ReportFile, import_reports

    path = tmp_path / "adult.csv"
    path.write_text(
        "external_id,type,child_name,child_birthdate,location,reporter_kind,reporter,"
        "discovered_at,reported_at\n"
        'X-1,solo_living,王小明,20000101,"石桥村, 青山镇",school,青山镇中心小学,'
        "2026-03-02T08:10,2026-03-02T08:30\n",
        encoding="utf-8",
    )
    with Engine.open(f"sqlite:///{tmp_path / 'c.db'}", clock=FakeClock(fk.NOW)) as lib:
        result = import_reports(lib, ReportFile(path))
    assert [b.reason for b in result.refused] == [
        "child_birthdate: the child is 18 or older on the discovery date: the mechanism "
        "covers minors (004 §四)"
    ]
