"""Where notices go: the channels behind :class:`shouhu.engine.ports.Channel`.

* ``log`` — one structlog line per notice (logger ``shouhu.outbox``, level info);
* ``jsonl`` — one JSON line per notice appended to a file (created 0600), fsync'd;
* ``webhook`` — an HTTP POST of the notice's JSON payload, with the header ``Idempotency-Key``
  (the notice's key, the same on every retry).

Delivery is *at least once*: :meth:`shouhu.engine.core.Engine.deliver` sends a notice through
every channel in turn and retries it whole when one fails, so a receiver may see a key twice
and should deduplicate on it. The default order (webhook, jsonl, log) puts the channel most
likely to fail first, so a failing webhook does not repeat lines in the others.

A notice's payload names the case, its type, the kind of notice, the recipient body, the
location and due times — never the child's name, birthdate or id number — so every channel
sends the payload as it is.

Configuration (:func:`configured_channels`), from the environment:

``SHOUHU_CHANNELS``
    comma list of ``log``, ``jsonl``, ``webhook`` (or ``none``); default: ``webhook`` when
    ``SHOUHU_WEBHOOK_URL`` is set, ``jsonl`` when ``SHOUHU_OUTBOX_JSONL`` is set, and ``log``.
``SHOUHU_WEBHOOK_URL``
    the http(s) URL notices are POSTed to.
``SHOUHU_WEBHOOK_TIMEOUT``
    seconds for each request (connect, write, read), default 5.
``SHOUHU_OUTBOX_JSONL``
    the JSON Lines file notices are appended to.

Misconfiguration raises :class:`shouhu.errors.InvalidInput` (the CLI's exit 2).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from shouhu.engine.logs import get_logger
from shouhu.engine.model import Notice
from shouhu.engine.ports import Channel, DeliveryError
from shouhu.errors import InvalidInput
from shouhu.i18n import _

CHANNELS_ENV = "SHOUHU_CHANNELS"
WEBHOOK_URL_ENV = "SHOUHU_WEBHOOK_URL"
WEBHOOK_TIMEOUT_ENV = "SHOUHU_WEBHOOK_TIMEOUT"
JSONL_ENV = "SHOUHU_OUTBOX_JSONL"

#: The channel names, in their default order (most likely to fail first).
CHANNEL_NAMES = ("webhook", "jsonl", "log")
#: The logger the ``log`` channel writes to.
OUTBOX_LOGGER = "shouhu.outbox"
#: Seconds a webhook request may take by default, and at most.
DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 120.0
#: 4xx answers that mean "not now" rather than "never": retried like a 5xx.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})
#: How much of an answer's body a failure records.
BODY_CHARS = 200


def _one_line(text: str) -> str:
    return " ".join(text.split())


class LogChannel:
    """Logs each notice as one structlog line ``notice`` on logger ``shouhu.outbox`` (info).

    The line carries the payload's fields (the payload's ``event`` becomes ``trigger``, ``seq``
    and ``occurred_at``); the personal-data redactor runs on it as on every shouhu line.
    """

    def __init__(self) -> None:
        self.name = "log"
        self._log: Any = get_logger(OUTBOX_LOGGER)

    def send(self, notice: Notice) -> None:
        fields: dict[str, Any] = {k: v for k, v in notice.payload.items() if k != "event"}
        event = notice.payload.get("event")
        if isinstance(event, Mapping):
            for k in ("seq", "trigger", "occurred_at"):
                if k in event:
                    fields[k] = event[k]
        fields.setdefault("key", notice.key)
        fields.setdefault("case_id", notice.case_id)
        fields.setdefault("notice", notice.kind)
        fields.setdefault("recipient", notice.recipient)
        fields["outbox_id"] = notice.id
        try:
            self._log.info("notice", **fields)
        except Exception as exc:  # a broken log handler must not abort the whole batch
            raise DeliveryError(f"log: {type(exc).__name__}: {_one_line(str(exc))}") from exc

    def close(self) -> None:
        """Nothing to release."""


class JsonlChannel:
    """Appends one JSON line per notice to ``path`` and fsyncs it; creates the file 0600.

    Each line is the notice's payload (which carries its ``key``). A notice retried after
    another channel failed may be appended again: readers deduplicate on ``key``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = "jsonl"
        self.path = Path(path)

    def send(self, notice: Notice) -> None:
        payload = dict(notice.payload)
        payload.setdefault("key", notice.key)
        try:
            line = json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise DeliveryError(
                _("jsonl: payload is not JSON: {exc}").format(exc=exc), permanent=True
            ) from exc
        data = (line + "\n").encode("utf-8")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise DeliveryError(
                _("jsonl: cannot append to {path}: {why}").format(path=self.path, why=why)
            ) from exc

    def close(self) -> None:
        """Nothing to release: the file is opened for each notice."""


class WebhookChannel:
    """POSTs each notice's payload as JSON to ``url`` with ``Idempotency-Key: <notice key>``.

    A 2xx answer delivers it. A 5xx, 408/409/425/429, a redirect (not followed), a timeout or
    a connection error is temporary: the engine retries later with backoff. Any other 4xx is
    permanent: the notice is marked failed with ``HTTP 4xx: <first 200 characters of body>``.

    After a timeout or a connection error the endpoint is not tried again for ``timeout``
    seconds: the rest of the batch fails fast (and is retried later) instead of each notice
    waiting out its own timeout while the engine holds its write transaction.

    ``timeout`` (seconds) applies to every request, also on a ``client`` passed in; a client
    passed in is the caller's to close, one made here is closed by :meth:`close`.
    """

    def __init__(
        self, url: str, timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None
    ) -> None:
        self.name = "webhook"
        self.url = _check_url(url)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise InvalidInput(
                _(
                    "webhook timeout: expected seconds in (0, {max_timeout:g}], not {timeout!r}"
                ).format(max_timeout=MAX_TIMEOUT, timeout=timeout),
                field="webhook_timeout",
            )
        self.timeout = float(timeout)
        self._client = client
        self._owns_client = client is None
        self._down_until = 0.0  # time.monotonic() before which the endpoint is not tried
        self._down_reason = ""

    def _http(self) -> httpx.Client:
        if self._client is None:
            from shouhu import __version__

            self._client = httpx.Client(
                timeout=self.timeout,
                follow_redirects=False,
                headers={"User-Agent": f"shouhu/{__version__}"},
            )
        return self._client

    def send(self, notice: Notice) -> None:
        now = time.monotonic()
        if now < self._down_until:
            ago = now - (self._down_until - self.timeout)
            raise DeliveryError(
                _("webhook: not tried ({down_reason} {ago:.1f}s ago)").format(
                    down_reason=self._down_reason, ago=ago
                )
            )
        headers = {"Idempotency-Key": notice.key, "Content-Type": "application/json"}
        try:
            answer = self._http().post(
                self.url, json=notice.payload, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException as exc:
            raise self._down(
                _("timed out after {timeout:g}s").format(timeout=self.timeout)
            ) from exc
        except httpx.HTTPError as exc:  # refused, reset, DNS, protocol…
            detail = _one_line(str(exc)) or _("no detail")
            raise self._down(f"{type(exc).__name__}: {detail}") from exc
        except (TypeError, ValueError) as exc:  # the payload does not encode
            raise DeliveryError(
                _("webhook: payload is not JSON: {exc}").format(exc=exc), permanent=True
            ) from exc
        code = answer.status_code
        if 200 <= code < 300:
            return
        body = _one_line(answer.text)[:BODY_CHARS]
        detail = f"HTTP {code}: {body}" if body else f"HTTP {code} {answer.reason_phrase}".strip()
        if 400 <= code < 500 and code not in RETRYABLE_4XX:
            raise DeliveryError(detail, permanent=True)
        if 300 <= code < 400:
            detail += _(" (redirects are not followed: check SHOUHU_WEBHOOK_URL)")
        raise DeliveryError(detail)

    def _down(self, reason: str) -> DeliveryError:
        self._down_until = time.monotonic() + self.timeout
        self._down_reason = reason
        return DeliveryError(f"webhook: {reason}")

    def close(self) -> None:
        """Close the HTTP client if this channel made it."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.host:
        shown = url[:80] if parsed is None or not parsed.userinfo else "(a URL with credentials)"
        raise InvalidInput(
            _("webhook URL: expected http(s)://HOST[:PORT]/PATH, not {shown!r}").format(
                shown=shown
            ),
            field="webhook_url",
        )
    return url


def _timeout(text: str | None) -> float:
    if text is None or not text.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_TIMEOUT:  # also false for nan
        raise InvalidInput(
            _("{env}: expected seconds in (0, {max_timeout:g}], not {text!r}").format(
                env=WEBHOOK_TIMEOUT_ENV, max_timeout=MAX_TIMEOUT, text=text[:20]
            ),
            field="webhook_timeout",
        )
    return value


def configured_channels(env: Mapping[str, str] = os.environ) -> list[Channel]:
    """The channels ``env`` configures (see the module doc); ``InvalidInput`` if it is wrong.

    An empty list (``SHOUHU_CHANNELS=none``) means notices are not delivered at all.
    """
    url = (env.get(WEBHOOK_URL_ENV) or "").strip()
    jsonl = (env.get(JSONL_ENV) or "").strip()
    spec = (env.get(CHANNELS_ENV) or "").strip()
    if spec:
        names: list[str] = []
        for raw in spec.split(","):
            name = raw.strip().lower()
            if not name:
                continue
            if name not in (*CHANNEL_NAMES, "none"):
                raise InvalidInput(
                    _(
                        "{env}: unknown channel {name!r} (channels: log, jsonl, webhook; or none)"
                    ).format(env=CHANNELS_ENV, name=name[:20]),
                    field="channels",
                )
            if name not in names:
                names.append(name)
        if "none" in names:
            if len(names) > 1:
                raise InvalidInput(
                    _("{env}: 'none' cannot be combined with channels").format(env=CHANNELS_ENV),
                    field="channels",
                )
            return []
    else:
        names = [
            n
            for n in CHANNEL_NAMES
            if n == "log" or (n == "webhook" and url) or (n == "jsonl" and jsonl)
        ]
    out: list[Channel] = []
    for name in names:
        if name == "webhook":
            if not url:
                raise InvalidInput(
                    _("the webhook channel needs {env}").format(env=WEBHOOK_URL_ENV),
                    field="webhook_url",
                )
            out.append(WebhookChannel(url, timeout=_timeout(env.get(WEBHOOK_TIMEOUT_ENV))))
        elif name == "jsonl":
            if not jsonl:
                raise InvalidInput(
                    _("the jsonl channel needs {env}").format(env=JSONL_ENV),
                    field="outbox_jsonl",
                )
            path = Path(jsonl).expanduser()
            if path.is_dir() or not path.parent.is_dir():
                raise InvalidInput(
                    _("{env}: {path!r} is not a file in an existing directory").format(
                        env=JSONL_ENV, path=str(path)[:120]
                    ),
                    field="outbox_jsonl",
                )
            out.append(JsonlChannel(path))
        else:
            out.append(LogChannel())
    return out


def close_channels(channels: Iterable[Channel]) -> None:
    """Release what the channels hold (the webhook's HTTP connections)."""
    for ch in channels:
        close = getattr(ch, "close", None)
        if callable(close):
            close()
