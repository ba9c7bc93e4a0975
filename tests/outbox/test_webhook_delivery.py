"""Notices reach a real local HTTP endpoint through the webhook channel, at least once.

The engine runs on the FakeClock (2026-03-10T10:00+08:00), so backoff is exact: a temporary
failure waits 10 s × 2ⁿ⁻¹ of engine time. The endpoint is a real ``http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from outboxkit import CHILD_WITH_ID, Answer, Endpoint, drive_to_township, identity_of

from shouhu import Engine, FakeClock
from shouhu.adapters.channels import WebhookChannel
from shouhu.engine.ports import DeliveryError

#: Where the FakeClock of tests/conftest.py stands.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def assert_no_identity(endpoint: Endpoint, secrets: list[str]) -> None:
    assert endpoint.seen()
    for seen in endpoint.seen():
        text = seen.text()
        for secret in secrets:
            assert secret not in text, f"{secret!r} was sent to the webhook"


@pytest.fixture
def webhook(endpoint: Endpoint) -> Any:
    channels: list[WebhookChannel] = []

    def make(timeout: float = 2.0) -> WebhookChannel:
        ch = WebhookChannel(endpoint.url, timeout=timeout)
        channels.append(ch)
        return ch

    yield make
    for ch in channels:
        ch.close()


def test_a_notice_reaches_the_endpoint_despite_a_first_503_with_one_idempotency_key(
    store_engine: Engine, clock: FakeClock, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """503 first: pending with attempts 1 and a later attempt; after the backoff, delivered."""
    assert clock.now() == NOW
    case_id = drive_to_township(store_engine, make_driver, child=CHILD_WITH_ID)
    (notice,) = store_engine.notices(status="pending")
    endpoint.answer(Answer(503, "busy, try later"))
    channel = webhook()

    (first,) = store_engine.deliver([channel])
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == NOW + timedelta(seconds=10)
    assert first.last_error == "HTTP 503: busy, try later"
    assert first.delivered_at is None

    assert store_engine.deliver([channel]) == []  # not due again before its backoff
    assert len(endpoint.seen()) == 1

    clock.advance(seconds=10)
    (second,) = store_engine.deliver([channel])
    assert (second.status, second.attempts, second.last_error) == ("delivered", 2, None)
    assert second.delivered_at == NOW + timedelta(seconds=10)
    assert second.channel == "webhook"
    (stored,) = store_engine.notices(case_id=case_id)
    assert (stored.status, stored.attempts) == ("delivered", 2)

    clock.advance(hours=2)
    assert store_engine.deliver([channel]) == []  # delivered is never sent again
    requests = endpoint.seen()
    assert len(requests) == 2
    assert [r.key for r in requests] == [notice.key, notice.key]
    assert notice.key == f"{case_id}:{notice.seq}:report_accepted"
    assert_no_identity(endpoint, identity_of(store_engine, case_id))


def test_the_webhook_body_is_the_notice_as_json_without_the_childs_identity(
    sqlite_engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """The POST carries JSON: case id, type, kind, recipient, location and due times; no name."""
    case_id = drive_to_township(sqlite_engine, make_driver)
    (delivered,) = sqlite_engine.deliver([webhook()])
    assert delivered.status == "delivered"

    (seen,) = endpoint.seen()
    assert (seen.method, seen.path) == ("POST", "/notices")
    assert seen.headers["content-type"].startswith("application/json")
    assert seen.key == delivered.key
    body = seen.json()
    assert body["case_id"] == case_id
    assert body["case_type"] == "missing_child"
    assert body["notice"] == "report_accepted"
    assert body["recipient"] == "青山镇 township government (乡镇人民政府/街道办事处)"
    assert body["location"]["village"] == "石桥村"
    assert body["location"]["township"] == "青山镇"
    assert body["key"] == delivered.key
    assert body["event"]["trigger"] == "dispatch"
    due = {d["kind"]: d["due_at"] for d in body["due"]}
    assert "missing_child_township" in due  # the search's period: the township told if unmet
    assert due["missing_child_township"].endswith("+08:00")
    assert_no_identity(endpoint, identity_of(sqlite_engine, case_id))


def test_a_400_is_recorded_as_failed_with_the_answer_and_never_retried(
    sqlite_engine: Engine, clock: FakeClock, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """4xx is permanent: failed, 'HTTP 400: <body>' kept, and no later deliver sends it again."""
    drive_to_township(sqlite_engine, make_driver)
    endpoint.answer(Answer(400, '{"error": "unknown recipient"}'))

    (failed,) = sqlite_engine.deliver([webhook()])
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error == 'HTTP 400: {"error": "unknown recipient"}'

    clock.advance(days=1)
    assert sqlite_engine.deliver([webhook()]) == []
    assert len(endpoint.seen()) == 1
    (stored,) = sqlite_engine.notices(status="failed")
    assert stored.last_error == failed.last_error


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_answers_leave_the_notice_pending(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any, status: int
) -> None:
    """5xx, 408 and 429 mean 'not now': pending, attempt counted, retried later."""
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(status, ""))
    (n,) = engine.deliver([webhook()])
    assert (n.status, n.attempts) == ("pending", 1)
    assert n.last_error is not None
    assert n.last_error.startswith(f"HTTP {status}")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_4xx_answers_fail_the_notice_for_good(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any, status: int
) -> None:
    """A 4xx other than 408/409/425/429 is permanent."""
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(status, "no"))
    (n,) = engine.deliver([webhook()])
    assert (n.status, n.last_error) == ("failed", f"HTTP {status}: no")


def test_a_long_multiline_error_body_is_kept_as_one_line_of_200_characters(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """Only the first 200 characters of the body, whitespace folded to one line."""
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(422, "bad\n  field:\trecipient\n" + "x" * 500))
    (n,) = engine.deliver([webhook()])
    assert n.last_error is not None
    assert n.last_error.startswith("HTTP 422: bad field: recipient xxx")
    assert "\n" not in n.last_error
    assert len(n.last_error) == len("HTTP 422: ") + 200


def test_a_timeout_leaves_the_notice_pending_and_it_is_retried_with_the_same_key(
    engine: Engine, clock: FakeClock, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """The endpoint sleeps past the timeout: pending; after the backoff the retry delivers."""
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(200, "{}", delay=2.0))
    channel = webhook(timeout=0.3)

    started = time.monotonic()
    (n,) = engine.deliver([channel])
    assert time.monotonic() - started < 1.5  # gave up at the timeout, did not wait 2 s
    assert (n.status, n.attempts) == ("pending", 1)
    assert n.last_error == "webhook: timed out after 0.3s"
    assert n.next_attempt_at == NOW + timedelta(seconds=10)

    clock.advance(seconds=10)
    time.sleep(0.35)  # the channel does not try a timed-out endpoint for `timeout` seconds
    (again,) = engine.deliver([channel])
    assert (again.status, again.attempts) == ("delivered", 2)
    assert [r.key for r in endpoint.seen()] == [n.key, n.key]


def test_after_a_timeout_the_rest_of_the_batch_fails_fast_instead_of_each_waiting(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """Three notices, endpoint hanging: one request times out, the other two are not tried."""
    for _ in range(3):
        drive_to_township(engine, make_driver)
    endpoint.answer(*[Answer(200, "{}", delay=3.0)] * 3)

    started = time.monotonic()
    done = engine.deliver([webhook(timeout=0.4)])
    assert time.monotonic() - started < 1.5
    assert [n.status for n in done] == ["pending"] * 3
    assert len(endpoint.seen()) == 1
    assert done[0].last_error == "webhook: timed out after 0.4s"
    for n in done[1:]:
        assert n.last_error is not None
        assert n.last_error.startswith("webhook: not tried (timed out after 0.4s")


def test_backoff_doubles_on_each_temporary_failure_up_to_the_cap(
    engine: Engine, clock: FakeClock, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """Waits of 10, 20, 40, 80 s…, never more than retry_cap."""
    drive_to_township(engine, make_driver)
    endpoint.answer(*[Answer(503, "")] * 6)
    channel = webhook()
    waits = []
    for _ in range(6):
        (n,) = engine.deliver([channel], retry_cap=timedelta(seconds=100))
        assert n.next_attempt_at is not None
        waits.append((n.next_attempt_at - clock.now()).total_seconds())
        clock.set(n.next_attempt_at)
    assert waits == [10, 20, 40, 80, 100, 100]
    assert len(endpoint.seen()) == 6


def test_a_refused_connection_is_temporary_with_a_one_line_detail(
    engine: Engine, make_driver: Any
) -> None:
    """Nothing listens on the port: pending, the error named on one line."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    drive_to_township(engine, make_driver)
    channel = WebhookChannel(f"http://127.0.0.1:{port}/x", timeout=1.0)
    try:
        (n,) = engine.deliver([channel])
    finally:
        channel.close()
    assert n.status == "pending"
    assert n.last_error is not None
    assert n.last_error.startswith("webhook: ConnectError: ")
    assert "\n" not in n.last_error


def test_a_2xx_other_than_200_delivers(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """202 Accepted and 204 No Content are success."""
    drive_to_township(engine, make_driver)
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(202, "queued"), Answer(204, ""))
    assert [n.status for n in engine.deliver([webhook()])] == ["delivered", "delivered"]


def test_a_redirect_is_not_followed_and_is_retried(
    engine: Engine, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """A 301 (say, http → https) is not followed: pending, the URL to check named."""
    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(301, ""))
    (n,) = engine.deliver([webhook()])
    assert n.status == "pending"
    assert n.last_error is not None
    assert "redirects are not followed" in n.last_error
    assert len(endpoint.seen()) == 1


def test_a_failing_webhook_before_the_log_does_not_log_the_notice_twice(
    engine: Engine, clock: FakeClock, endpoint: Endpoint, webhook: Any, make_driver: Any
) -> None:
    """Channels are tried in order and stop at the first failure; retried whole later."""
    sent: list[str] = []

    class Recorder:
        name = "recorder"

        def send(self, notice: Any) -> None:
            sent.append(notice.key)

    drive_to_township(engine, make_driver)
    endpoint.answer(Answer(503, ""))
    channels = [webhook(), Recorder()]
    (n,) = engine.deliver(channels)
    assert (n.status, sent) == ("pending", [])
    clock.advance(seconds=10)
    (n,) = engine.deliver(channels)
    assert (n.status, n.channel, sent) == ("delivered", "webhook,recorder", [n.key])


def test_a_webhook_channel_raises_delivery_errors_only(endpoint: Endpoint, webhook: Any) -> None:
    """Called directly, send raises DeliveryError (temporary for 503, permanent for 400)."""
    from shouhu.engine.model import Notice

    notice = Notice(1, "C:1:test", "C", 1, "test", "someone", {"a": 1}, "pending", NOW)
    endpoint.answer(Answer(503, "down"), Answer(400, "bad"))
    channel = webhook()
    with pytest.raises(DeliveryError) as temporary:
        channel.send(notice)
    assert (temporary.value.permanent, temporary.value.detail) == (False, "HTTP 503: down")
    with pytest.raises(DeliveryError) as permanent:
        channel.send(notice)
    assert (permanent.value.permanent, permanent.value.detail) == (True, "HTTP 400: bad")
    channel.send(notice)
    assert [r.json() for r in endpoint.seen()] == [{"a": 1}] * 3
