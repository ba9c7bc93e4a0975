"""One rule withholds the child's identity: ``shouhu.engine.redact.redact``, used by the case
views and by the audit export alike."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

from shouhu.engine.logs import PERSONAL_KEYS, redact_personal_data
from shouhu.engine.redact import (
    IDENTITY_FIELDS,
    WITHHELD,
    identity_secrets,
    redact,
)

SHOUHU = Path(__file__).resolve().parents[2] / "shouhu"

CHILD = {
    "name": "王小明",
    "birthdate": "2016-02-01",
    "id_number": "110101201602011234",
    "left_behind": True,
    "age_at_discovery": 10,
}
PERSON = {"name": "李小红", "birthdate": "2015-05-05", "age_at_registration": 10}


def test_with_identity_the_value_is_returned_as_is() -> None:
    data = {"child": CHILD, "note": "王小明已返校"}
    assert redact(data, identity=True, secrets=["王小明"]) is data


def test_an_identity_block_is_collapsed_into_one_withheld_identity() -> None:
    """As the case views show it: the rest of the block stays, in its order."""
    shown = redact(
        {"child": CHILD, "person": PERSON, "location": {"village": "石桥村"}}, identity=False
    )
    assert shown == {
        "child": {"identity": WITHHELD, "left_behind": True, "age_at_discovery": 10},
        "person": {"identity": WITHHELD, "age_at_registration": 10},
        "location": {"village": "石桥村"},
    }


def test_keep_keys_withholds_each_identity_field_in_place() -> None:
    """As the export shows the hashed fields: the same keys, the identity values withheld."""
    shown = redact({"child": CHILD}, identity=False, keep_keys=True)
    assert list(shown["child"]) == list(CHILD)
    assert shown["child"] == {
        **CHILD,
        "name": WITHHELD,
        "birthdate": WITHHELD,
        "id_number": WITHHELD,
    }


def test_blocks_are_found_at_any_depth_and_the_input_is_not_changed() -> None:
    data: dict[str, Any] = {"events": [{"data": {"child": dict(CHILD)}}], "n": 3}
    shown = redact(data, identity=False)
    assert shown["events"][0]["data"]["child"]["identity"] == WITHHELD
    assert shown["n"] == 3
    assert data["events"][0]["data"]["child"] == CHILD


def test_free_text_and_keys_naming_the_child_are_withheld_longest_first() -> None:
    secrets = identity_secrets(CHILD)
    shown = redact(
        {"summary": "王小明已返校", "王小明": ["生日 2016-02-01"], "id": "110101201602011234"},
        identity=False,
        secrets=secrets,
    )
    assert shown == {"summary": "withheld已返校", "withheld": ["生日 withheld"], "id": "withheld"}
    # a secret inside a longer one is not half-replaced
    assert redact("王小明明", identity=False, secrets=["王小明", "王小明明"]) == WITHHELD


def test_identity_secrets_leave_out_empty_and_one_character_values() -> None:
    assert identity_secrets({"name": "王", "birthdate": None}, None) == ()
    assert set(identity_secrets(CHILD, PERSON)) == {
        "王小明",
        "2016-02-01",
        "110101201602011234",
        "李小红",
        "2015-05-05",
    }


def test_the_log_rule_is_at_least_as_strict_on_identity() -> None:
    """Log lines follow a stricter rule of their own (every personal key, guardians' names
    besides, whatever was asked for): nothing the identity rule withholds reaches a log line."""
    assert set(IDENTITY_FIELDS) <= PERSONAL_KEYS
    line = redact_personal_data(
        None, "debug", {"event": "x", "data": {"child": dict(CHILD), "person": dict(PERSON)}}
    )
    text = repr(line)
    for secret in identity_secrets(CHILD, PERSON):
        assert secret not in text


def test_the_rule_imports_the_standard_library_only() -> None:
    tree = ast.parse((SHOUHU / "engine" / "redact.py").read_text(encoding="utf-8"))
    modules = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        a.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
    }
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_identity_is_withheld_by_the_one_rule_only() -> None:
    """Neither the views nor the export write the rule again, and the export escapes nothing by
    hand: its templates' autoescaping does."""
    views = (SHOUHU / "engine" / "views.py").read_text(encoding="utf-8")
    assert 'WITHHELD = "withheld"' not in views
    assert '"identity": WITHHELD' not in views
    for path in (SHOUHU / "adapters" / "export").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert '"identity": WITHHELD' not in source, path
        assert "IDENTITY_FIELDS else" not in source, path
        assert "html.escape" not in source, path
        assert "import html" not in source, path
