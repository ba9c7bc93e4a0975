"""Credential files (issue 15): 0600, never over an existing file without force, refused when
others may read them, optionally protected by a passphrase."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shouhu import Credential, InvalidInput, NotAuthenticated, load_credential, save_credential
from shouhu.engine.signing import new_key


def credential() -> Credential:
    return Credential("01M95V0000000000000000TEST", "a" * 64, new_key(), "李警官")


def test_a_saved_credential_is_readable_by_its_owner_only_and_loads_back(tmp_path: Path) -> None:
    made = credential()
    path = save_credential(made, tmp_path / "police.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = load_credential(path)
    assert (back.operator_id, back.database, back.name) == (
        made.operator_id,
        made.database,
        made.name,
    )
    assert back.public_key == made.public_key


def test_an_existing_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / "police.json"
    path.write_text("someone else's", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not overwritten without --force"):
        save_credential(credential(), path)
    assert path.read_text(encoding="utf-8") == "someone else's"
    save_credential(credential(), path, force=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_credential_others_may_read_is_refused_as_ssh_refuses_such_a_key(
    tmp_path: Path,
) -> None:
    path = save_credential(credential(), tmp_path / "police.json")
    path.chmod(0o640)
    with pytest.raises(NotAuthenticated, match="readable by others"):
        load_credential(path)


def test_a_passphrase_protected_key_opens_only_with_its_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOUHU_PASSPHRASE", raising=False)
    made = credential()
    path = save_credential(made, tmp_path / "police.json", passphrase="青山 2026")
    assert "ENCRYPTED PRIVATE KEY" in path.read_text(encoding="utf-8")
    with pytest.raises(NotAuthenticated, match="protected by a passphrase"):
        load_credential(path)
    with pytest.raises(NotAuthenticated, match="does not open"):
        load_credential(path, passphrase="wrong")
    assert load_credential(path, passphrase="青山 2026").public_key == made.public_key
    monkeypatch.setenv("SHOUHU_PASSPHRASE", "青山 2026")
    assert load_credential(path).public_key == made.public_key


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"shouhu_credential": 1}', '{"shouhu_credential": 2, "key": "x"}'],
    ids=["empty", "not json", "a list", "no fields", "another format"],
)
def test_a_file_that_is_not_a_credential_is_refused_on_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(NotAuthenticated, match="not a shouhu credential file"):
        load_credential(path)


def test_a_missing_credential_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotAuthenticated, match="no such file"):
        load_credential(tmp_path / "nowhere.json")
