"""API clients that hold their own key: HTTP Message Signatures (RFC 9421, Ed25519).

A program that keeps an operator's credential (a police case system, a hotline platform)
need not give the service a password: it signs each request with the operator's Ed25519 key
(``keyid`` = the operator's id, ``alg="ed25519"``, ``tag="shouhu-api-v1"``, a ``created`` time
within the last 5 minutes, covering ``@method``, ``@target-uri``, ``content-digest`` (RFC 9530)
when the request has a body, and every ``shouhu-*`` header it sends). The service checks the
signature against the key the operator registry holds for them now
(``http-message-signatures``), and the engine then judges role and scope as for anyone.

**The act is proven by the client's own signature.** The service never sees the key, so it
cannot sign the events an act records. Instead:

1. The client sends the request. The engine runs the act as of now and, where it would sign an
   event, stops: nothing is written, and the answer is ``428`` with the event's statement
   (``shouhu-event-v1 <hash> <operator id>``, :mod:`shouhu.engine.signing`) and ``at``, the
   instant it was computed for.
2. The client checks the statement names itself and signs it, and sends the same request
   again with ``Shouhu-Signed-At: <at>`` and ``Shouhu-Event-Signatures: <signature>, …``. The
   engine runs the act again as of ``at``; if nothing has changed, it computes the same event
   and hash, finds its signature, and records it. If something did change (another act on the
   case in between), the hash differs, and the answer is a new ``428``: sign again.

The recorded event carries the client's signature exactly as an act from the CLI does, and
``audit verify`` checks it the same way. A replayed request can record nothing new: a new
event has a new hash, which only the key's holder can sign. ``at`` must lie within the last
two minutes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from shouhu.engine.signing import Credential, verify
from shouhu.errors import InvalidInput, NotAuthenticated, ShouhuError
from shouhu.i18n import _

if TYPE_CHECKING:
    from fastapi import Request

    from shouhu.service.core import Service

TAG = "shouhu-api-v1"
MAX_AGE = timedelta(minutes=5)
#: How far back ``Shouhu-Signed-At`` may lie.
SIGNED_AT_WINDOW = timedelta(minutes=2)
SIGNED_AT = "shouhu-signed-at"
EVENT_SIGNATURES = "shouhu-event-signatures"


class SignatureNeeded(ShouhuError):
    """The act needs the client's signature over ``statement`` (computed as of ``at``);
    nothing was written."""

    exit_code = 6

    def __init__(self, statement: str, at: str) -> None:
        super().__init__(
            _("sign this event statement with your key and send the request again"),
            statement=statement,
            at=at,
        )


@dataclass(frozen=True)
class ClientSigned(Credential):
    """An operator's credential without its private key: the registry's public key, and the
    signatures the client sent. Signing a statement they did not sign stops the act."""

    given_public_key: str = ""
    signatures: tuple[str, ...] = field(default=(), compare=False)
    at: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", self.given_public_key)

    def sign(self, statement: bytes) -> str:
        for sig in self.signatures:
            if verify(self.public_key, statement, sig):
                return sig
        raise SignatureNeeded(statement.decode(), self.at)


class _Headers:
    """The request's header lines as the verifier reads them (names and values as text)."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._lines = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]

    def items(self) -> Iterable[tuple[str, str]]:
        return list(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _v in self._lines))

    def __contains__(self, name: object) -> bool:
        return any(k.lower() == str(name).lower() for k, _v in self._lines)


@dataclass
class _Message:
    method: str
    url: str
    headers: _Headers


class _Keys(HTTPSignatureKeyResolver):
    """Resolves a ``keyid`` (an operator id) to the key the registry holds for them now."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.found: dict[str, Any] = {}

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        ops = {o.id: o for o in self.service.engine().operators()}
        op = ops.get(key_id)
        if op is None or not op.active:
            raise NotAuthenticated(_("no active operator {id} in this database").format(id=key_id))
        self.found[key_id] = op
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(op.public_key))

    def resolve_private_key(self, key_id: str) -> Any:  # pragma: no cover - verifying only
        raise NotImplementedError


def signed(request: Request) -> bool:
    return "signature-input" in request.headers


def credential(request: Request, body: bytes, service: Service) -> ClientSigned:
    """The operator who signed ``request`` (RFC 9421), as a credential whose signatures are
    the ones the client sent; :class:`NotAuthenticated` if the signature does not hold."""
    keys = _Keys(service)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=keys)
    message = _Message(request.method, str(request.url), _Headers(request.headers.raw))
    extra = [h for h in (SIGNED_AT, EVENT_SIGNATURES) if h in request.headers]
    try:
        results = verifier.verify(
            message,
            max_age=MAX_AGE,
            expect_tag=TAG,
            require_components=("@method", "@target-uri", *extra),
            body=body,
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise NotAuthenticated(
            _("the request's signature (RFC 9421) does not hold: {why}").format(why=exc)
        ) from exc
    if len(results) != 1:
        raise NotAuthenticated(
            _("one request signature is expected, not {n}").format(n=len(results))
        )
    result = results[0]
    key_id = str(result.parameters.get("keyid", ""))
    if result.parameters.get("alg") != "ed25519" or "created" not in result.parameters:
        raise NotAuthenticated(_('a request signature needs alg="ed25519" and created'))
    op = keys.found[key_id]
    registry = service.engine().operator_registry()
    # the instant the act is computed for: the one the client signed for, else now (fixed
    # for the whole request, so the statement asked for is the one a resend recomputes)
    at = _signed_at(request, service) or service.now()
    request.state.signed_at = at
    key = request.headers.get("idempotency-key")
    if request.method == "POST" and request.url.path.endswith("/reports"):
        if not key:
            raise InvalidInput(
                _("a report signed by its client needs an Idempotency-Key header"),
                field="Idempotency-Key",
            )
        request.state.case_id_seed = f"{op.id} {key}"
    sigs = tuple(
        s.strip() for s in request.headers.get(EVENT_SIGNATURES, "").split(",") if s.strip()
    )
    for sig in sigs:
        try:
            base64.b64decode(sig, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(
                _("Shouhu-Event-Signatures: {sig!r} is not base64").format(sig=sig),
                field="signatures",
            ) from exc
    return ClientSigned(
        op.id,
        registry.database or "",
        None,  # type: ignore[arg-type]  # the key stays with the client
        op.name,
        given_public_key=op.public_key,
        signatures=sigs,
        at=at.isoformat(),
    )


def _signed_at(request: Request, service: Service) -> datetime | None:
    """``Shouhu-Signed-At``, checked to lie within the last two minutes, and fixed as the
    engine's now for this request."""
    text = request.headers.get(SIGNED_AT)
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            _("Shouhu-Signed-At: {text!r} is not an ISO 8601 instant").format(text=text),
            field="at",
        ) from exc
    now = service.now()
    if at.tzinfo is None or not now - SIGNED_AT_WINDOW <= at <= now:
        raise InvalidInput(
            _("Shouhu-Signed-At must be an instant within the last two minutes, not {text}").format(
                text=text
            ),
            field="at",
        )
    return at
