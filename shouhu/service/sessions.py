"""Sessions of ``shouhu serve``: sealed tokens that carry an unwrapped key for a while.

After a login (:mod:`shouhu.adapters.weblogins` unwraps the operator's key with their
password), the service hands the browser a cookie — an API client, a bearer token — that
holds the operator's id, database, key, the session's start, its last use and its CSRF value,
sealed with AES-256-GCM under the service's **session secret**. The secret lives in the
service processes' memory only (made at start by ``shouhu serve`` and handed to its workers,
or given by ``SHOUHU_SESSION_SECRET`` to run several hosts): neither the database nor the
token alone gives the key, and restarting the service without the variable ends every session.

A session ends ``idle`` after its last use (30 minutes by default) and ``lifetime`` after the
login (8 hours), whichever is first; each use within the idle time renews the token.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from shouhu.engine.signing import Credential

AAD = b"shouhu-session-v1"
#: A token is renewed when it was last renewed this long ago (not on every request).
RENEW_AFTER = timedelta(seconds=60)


def new_secret() -> bytes:
    return os.urandom(32)


def secret_from_text(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("SHOUHU_SESSION_SECRET must be 32 bytes in base64url")
    return raw


def secret_text(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


@dataclass(frozen=True)
class Session:
    """Who is logged in: the credential unwrapped at login, and the session's times."""

    credential: Credential
    started: datetime
    seen: datetime
    csrf: str

    @property
    def operator_id(self) -> str:
        return self.credential.operator_id


class Sessions:
    """Seals and opens session tokens with one secret; judges their expiry."""

    def __init__(
        self,
        secret: bytes,
        *,
        idle: timedelta = timedelta(minutes=30),
        lifetime: timedelta = timedelta(hours=8),
    ) -> None:
        self._aead = AESGCM(secret)
        self.idle = idle
        self.lifetime = lifetime

    def start(self, credential: Credential, now: datetime) -> Session:
        csrf = base64.urlsafe_b64encode(os.urandom(18)).decode()
        return Session(credential, now, now, csrf)

    def seal(self, session: Session) -> str:
        cred = session.credential
        raw = cred.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        body = json.dumps(
            {
                "op": cred.operator_id,
                "db": cred.database,
                "name": cred.name,
                "key": base64.b64encode(raw).decode(),
                "started": session.started.timestamp(),
                "seen": session.seen.timestamp(),
                "csrf": session.csrf,
            },
            separators=(",", ":"),
        ).encode()
        nonce = os.urandom(12)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, body, AAD)).decode()

    def open(self, token: str, now: datetime) -> Session | None:
        """The session ``token`` seals, if it is ours and has not expired; else None."""
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            body = json.loads(self._aead.decrypt(raw[:12], raw[12:], AAD))
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(body["key"]))
            started = datetime.fromtimestamp(body["started"], now.tzinfo)
            seen = datetime.fromtimestamp(body["seen"], now.tzinfo)
        except (InvalidTag, ValueError, KeyError, TypeError):
            return None
        if now - seen >= self.idle or now - started >= self.lifetime or now < started:
            return None
        credential = Credential(body["op"], body["db"], key, body.get("name", ""))
        return Session(credential, started, seen, body["csrf"])

    def renewed(self, session: Session, now: datetime) -> Session | None:
        """The session with its last use moved to ``now``, when that is worth a new token."""
        if now - session.seen < RENEW_AFTER:
            return None
        return Session(session.credential, session.started, now, session.csrf)

    def csrf_ok(self, session: Session, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(session.csrf, given or "")
