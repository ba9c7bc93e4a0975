"""The log and JSON Lines channels, and how the environment configures channels."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from outboxkit import CHILD_WITH_ID, drive_to_township, identity_of

from shouhu import Engine, InvalidInput
from shouhu.adapters import channels as channels_module
from shouhu.adapters.channels import (
    JsonlChannel,
    LogChannel,
    WebhookChannel,
    close_channels,
    configured_channels,
)
from shouhu.adapters.logging import configure


def test_delivering_through_no_channel_is_refused_and_the_notice_stays_pending(
    engine: Engine, make_driver: Any
) -> None:
    """deliver([]) would mark a notice delivered to no one: it is bad input, nothing changes."""
    drive_to_township(engine, make_driver)
    pending = engine.notices(status="pending")
    assert pending
    with pytest.raises(InvalidInput, match="no channel"):
        engine.deliver([])
    assert engine.notices(status="pending") == pending


# -- jsonl ----------------------------------------------------------------------------------------


def test_the_jsonl_channel_appends_one_line_per_notice_to_a_0600_file(
    engine: Engine, make_driver: Any, tmp_path: Path
) -> None:
    """Two notices, two deliveries: the file grows by a JSON line each time, mode 0600."""
    path = tmp_path / "outbox.jsonl"
    a = drive_to_township(engine, make_driver, child=CHILD_WITH_ID)
    (first,) = engine.deliver([JsonlChannel(path)])
    assert first.status == "delivered"
    assert first.channel == "jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    b = drive_to_township(engine, make_driver)
    (second,) = engine.deliver([JsonlChannel(path)])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["key"] for line in lines] == [first.key, second.key]
    rows = [json.loads(line) for line in lines]
    assert [r["case_id"] for r in rows] == [a, b]
    assert rows[0]["notice"] == "report_accepted"
    assert rows[0]["location"] == {"village": "石桥村", "township": "青山镇", "county": None}
    assert rows[0]["due"]
    text = path.read_text(encoding="utf-8")
    for secret in identity_of(engine, a, b):
        assert secret not in text


def test_the_jsonl_channel_fsyncs_each_line(
    engine: Engine, make_driver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line is on disk before the notice is marked delivered."""
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(channels_module.os, "fsync", fsync)
    drive_to_township(engine, make_driver)
    drive_to_township(engine, make_driver)
    path = tmp_path / "outbox.jsonl"
    engine.deliver([JsonlChannel(path)])
    lines = path.read_bytes().splitlines(keepends=True)
    assert synced == [len(lines[0]), len(lines[0]) + len(lines[1])]


def test_the_jsonl_channel_keeps_an_existing_files_mode_and_lines(
    engine: Engine, make_driver: Any, tmp_path: Path
) -> None:
    """An existing file is appended to, never truncated."""
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"key": "earlier"}\n', encoding="utf-8")
    drive_to_township(engine, make_driver)
    engine.deliver([JsonlChannel(path)])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"key": "earlier"}


def test_a_jsonl_file_that_cannot_be_written_leaves_the_notice_pending(
    engine: Engine, make_driver: Any, tmp_path: Path
) -> None:
    """No such directory: a temporary failure, the path and reason on one line."""
    drive_to_township(engine, make_driver)
    (n,) = engine.deliver([JsonlChannel(tmp_path / "gone" / "outbox.jsonl")])
    assert (n.status, n.attempts) == ("pending", 1)
    assert n.last_error is not None
    assert n.last_error.startswith("jsonl: cannot append to ")
    assert "No such file or directory" in n.last_error


# -- log ------------------------------------------------------------------------------------------


def test_the_log_channel_writes_a_structlog_line_without_the_childs_identity(
    engine: Engine, make_driver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """One JSON line 'notice' on shouhu.outbox with the payload's fields; no name, no birthdate."""
    configure(fmt="json", level="info")
    records: list[logging.LogRecord] = []
    recorder = logging.Handler()
    recorder.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("shouhu.outbox").addHandler(recorder)
    try:
        case_id = drive_to_township(engine, make_driver, child=CHILD_WITH_ID)
        (n,) = engine.deliver([LogChannel()])
    finally:
        logging.getLogger("shouhu.outbox").removeHandler(recorder)
    assert (n.status, n.channel) == ("delivered", "log")
    assert [r.name for r in records] == ["shouhu.outbox"]

    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (line,) = [x for x in lines if x.get("event") == "notice"]
    assert line["level"] == "info"
    assert line["key"] == n.key
    assert line["case_id"] == case_id
    assert line["case_type"] == "missing_child"
    assert line["notice"] == "report_accepted"
    assert line["recipient"] == n.recipient
    assert line["location"]["township"] == "青山镇"
    assert line["trigger"] == "dispatch"
    assert line["seq"] == n.seq
    assert line["due"]
    for secret in identity_of(engine, case_id):
        assert secret not in err


def test_the_log_channel_is_silent_below_its_level_and_still_delivers(
    engine: Engine, make_driver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """At the CLI's default level (warning) the line is filtered by logging, not an error."""
    configure(fmt="json", level="warning")
    drive_to_township(engine, make_driver)
    (n,) = engine.deliver([LogChannel()])
    assert n.status == "delivered"
    assert '"notice"' not in capsys.readouterr().err


# -- configuration --------------------------------------------------------------------------------


def names(env: dict[str, str]) -> list[str]:
    chans = configured_channels(env)
    try:
        return [c.name for c in chans]
    finally:
        close_channels(chans)


def test_by_default_notices_go_to_the_log_only() -> None:
    """No variables: the log channel."""
    assert names({}) == ["log"]


def test_a_webhook_url_or_a_jsonl_path_adds_its_channel_first(tmp_path: Path) -> None:
    """Default order: webhook, jsonl, log (the channel most likely to fail first)."""
    url = "http://127.0.0.1:8080/hook"
    jsonl = str(tmp_path / "o.jsonl")
    assert names({"SHOUHU_WEBHOOK_URL": url}) == ["webhook", "log"]
    assert names({"SHOUHU_OUTBOX_JSONL": jsonl}) == ["jsonl", "log"]
    assert names({"SHOUHU_WEBHOOK_URL": url, "SHOUHU_OUTBOX_JSONL": jsonl}) == [
        "webhook",
        "jsonl",
        "log",
    ]


def test_shouhu_channels_chooses_the_channels_in_its_order(tmp_path: Path) -> None:
    """SHOUHU_CHANNELS lists them (case and spaces forgiven, repeats once); 'none' is none."""
    env = {
        "SHOUHU_WEBHOOK_URL": "https://hooks.example.org/shouhu",
        "SHOUHU_OUTBOX_JSONL": str(tmp_path / "o.jsonl"),
    }
    assert names({**env, "SHOUHU_CHANNELS": " Log , webhook,log"}) == ["log", "webhook"]
    assert names({**env, "SHOUHU_CHANNELS": "jsonl"}) == ["jsonl"]
    assert names({**env, "SHOUHU_CHANNELS": "none"}) == []
    assert names({"SHOUHU_CHANNELS": ""}) == ["log"]


def test_the_webhook_takes_its_url_and_timeout_from_the_environment() -> None:
    """SHOUHU_WEBHOOK_URL and SHOUHU_WEBHOOK_TIMEOUT (seconds)."""
    (hook, _log) = configured_channels(
        {"SHOUHU_WEBHOOK_URL": " https://hooks.example.org/x ", "SHOUHU_WEBHOOK_TIMEOUT": "2.5"}
    )
    assert isinstance(hook, WebhookChannel)
    assert (hook.url, hook.timeout) == ("https://hooks.example.org/x", 2.5)
    assert WebhookChannel("http://h/x").timeout == 5.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHOUHU_CHANNELS": "sms"}, "unknown channel 'sms'"),
        ({"SHOUHU_CHANNELS": "webhook"}, "the webhook channel needs SHOUHU_WEBHOOK_URL"),
        ({"SHOUHU_CHANNELS": "jsonl"}, "the jsonl channel needs SHOUHU_OUTBOX_JSONL"),
        ({"SHOUHU_CHANNELS": "none,log"}, "'none' cannot be combined"),
        ({"SHOUHU_WEBHOOK_URL": "ftp://example.org/x"}, "webhook URL: expected http(s)://"),
        ({"SHOUHU_WEBHOOK_URL": "not a url"}, "webhook URL"),
        ({"SHOUHU_WEBHOOK_URL": "http:///nohost"}, "webhook URL"),
        ({"SHOUHU_WEBHOOK_URL": "http://h/x", "SHOUHU_WEBHOOK_TIMEOUT": "soon"}, "TIMEOUT"),
        ({"SHOUHU_WEBHOOK_URL": "http://h/x", "SHOUHU_WEBHOOK_TIMEOUT": "0"}, "TIMEOUT"),
        ({"SHOUHU_WEBHOOK_URL": "http://h/x", "SHOUHU_WEBHOOK_TIMEOUT": "nan"}, "TIMEOUT"),
        ({"SHOUHU_WEBHOOK_URL": "http://h/x", "SHOUHU_WEBHOOK_TIMEOUT": "9999"}, "TIMEOUT"),
        ({"SHOUHU_OUTBOX_JSONL": "/no/such/dir/o.jsonl"}, "not a file in an existing directory"),
    ],
)
def test_misconfiguration_is_invalid_input_on_one_line(env: dict[str, str], message: str) -> None:
    """Unknown channel, a channel without its setting, a bad URL or timeout: InvalidInput."""
    with pytest.raises(InvalidInput) as exc:
        configured_channels(env)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_bad_url_with_credentials_is_not_echoed() -> None:
    """The error does not repeat a password given in the URL."""
    with pytest.raises(InvalidInput) as exc:
        configured_channels({"SHOUHU_WEBHOOK_URL": "ftp://user:s3cret@example.org/x"})
    assert "s3cret" not in str(exc.value)
