"""The operators' page (管理): only for the admin; each change through the engine, a new key's
credential served once as the POST's download."""

from __future__ import annotations

import json
import re
from pathlib import Path

from servicekit import Desk, csrf_of

from shouhu.adapters.credentials import load


def test_the_admin_sees_the_operators_and_the_login_attempts_in_chinese(desk: Desk) -> None:
    r = desk.web("admin").get("/admin/operators")
    assert r.status_code == 200
    assert "<h1>操作员</h1>" in r.text
    assert "登录尝试" in r.text
    assert desk.operator_id("police-2") in r.text
    assert "公安机关" in r.text
    assert '<a href="/admin/operators" aria-current="page">管理</a>' in r.text


def test_the_operators_page_is_403_for_anyone_but_the_admin(desk: Desk) -> None:
    for key in ("township", "auditor", "civil_affairs"):
        r = desk.web(key).get("/admin/operators")
        assert r.status_code == 403
        assert "管理员" in r.text


def test_adding_an_operator_downloads_their_credential_once(desk: Desk, tmp_path: Path) -> None:
    web = desk.web("admin")
    page = web.get("/admin/operators").text
    r = web.post(
        "/admin/operators",
        data={
            "csrf": csrf_of(page),
            "name": "王干事",
            "body": "河口村委会",
            "role": "村委会",
            "scope": "河口村, 青山镇, 丰都县",
        },
    )
    assert r.status_code == 200
    doc = json.loads(r.text)
    assert r.headers["content-disposition"] == f'attachment; filename="{doc["operator"]}.json"'
    assert "PRIVATE KEY" in doc["key"]
    saved = tmp_path / "new.json"
    saved.write_text(r.text, encoding="utf-8")
    saved.chmod(0o600)
    with desk.engine() as engine:
        op = engine.operator(doc["operator"])
        assert engine.authenticate(load(saved)).id == op.id  # the download is a credential
    assert (op.name, op.role, str(op.scope)) == (
        "王干事",
        "village_committee",
        "河口村, 青山镇, 丰都县",
    )
    page = web.get("/admin/operators").text
    assert "PRIVATE KEY" not in page
    assert f"/admin/operators/{doc['operator']}/credential" not in page


def test_a_refused_addition_shows_the_engines_words_and_adds_nobody(desk: Desk) -> None:
    web = desk.web("admin")
    page = web.get("/admin/operators").text
    with desk.engine() as engine:
        before = len(engine.operators())
    r = web.post(
        "/admin/operators",
        data={"csrf": csrf_of(page), "name": "某人", "role": "没有这个角色", "scope": "青山镇"},
    )
    assert r.status_code == 400
    assert 'class="refusal"' in r.text
    with desk.engine() as engine:
        assert len(engine.operators()) == before


def test_changing_a_scope_disabling_and_rotating_a_key_go_through_the_engine(
    desk: Desk,
) -> None:
    web = desk.web("admin")
    csrf = csrf_of(web.get("/admin/operators").text)
    police = desk.operator_id("police")
    r = web.post(
        f"/admin/operators/{police}/scope",
        data={"csrf": csrf, "scope": "白石乡, 丰都县"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    rotated = web.post(f"/admin/operators/{police}/rotate", data={"csrf": csrf})
    assert rotated.headers["content-disposition"] == f'attachment; filename="{police}.json"'
    new_key = json.loads(rotated.text)["key"]
    gone = web.post(
        f"/admin/operators/{desk.operator_id('court')}/disable",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    with desk.engine() as engine:
        assert str(engine.operator(police).scope) == "白石乡, 丰都县"
        assert not engine.operator(desk.operator_id("court")).active
    old = json.loads(desk.credential_path("police").read_text(encoding="utf-8"))["key"]
    assert new_key != old


def test_a_non_admin_posting_a_change_is_refused_by_the_engine_and_nothing_changes(
    desk: Desk,
) -> None:
    web = desk.web("township")
    csrf = csrf_of(web.get("/").text)
    police = desk.operator_id("police")
    r = web.post(f"/admin/operators/{police}/disable", data={"csrf": csrf})
    assert r.status_code == 403
    with desk.engine() as engine:
        assert engine.operator(police).active


def test_an_admin_post_without_the_csrf_value_changes_nothing(desk: Desk) -> None:
    web = desk.web("admin")
    web.get("/admin/operators")
    police = desk.operator_id("police")
    for path in (f"/admin/operators/{police}/disable", f"/admin/operators/{police}/rotate"):
        r = web.post(path, data={"csrf": "forged"})
        assert r.status_code == 403
        assert not re.search(r"PRIVATE KEY", r.text)
    with desk.engine() as engine:
        op = engine.operator(police)
    assert op.active
    assert len(op.keys) == 1
