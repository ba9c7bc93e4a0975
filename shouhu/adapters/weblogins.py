"""Web logins: an operator's signing key, wrapped under their password, for ``shouhu serve``.

The service never holds an operator's private key in usable form at rest. An operator who
wants to act from a browser or an API client sets a password with their credential file
(``shouhu operator set-password --as FILE``); this module then stores, in ``web_logins``:

- the Argon2id parameters and salt (RFC 9106's second recommended option by default: 3
  passes, 4 lanes, 64 MiB), from which the password derives a 256-bit key;
- the Ed25519 private key's 32 raw bytes encrypted with that key by AES-256-GCM, the nonce,
  and as associated data ``shouhu-weblogin-v1 <operator id> <database> <public key>`` — so a
  wrapped key moved to another operator's row, or left behind after a rotation, does not open.

At login the password unwraps the key into the service's memory for the session only
(:mod:`shouhu.service.sessions`). A copy of the database gives an attacker the wrapped key and
an offline guessing game priced by Argon2id per guess, never a signature; docs/security.md
says what a weak password costs. ``login_attempts`` records every try; failures there are the
rate limit's memory, shared by every service process on one database.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from shouhu.adapters.tables import LOGIN_ATTEMPTS, WEB_LOGINS
from shouhu.engine.signing import Credential
from shouhu.errors import InvalidInput
from shouhu.i18n import _

#: The shortest password accepted (characters).
MIN_PASSWORD = 12
STATEMENT = "shouhu-weblogin-v1"


@dataclass(frozen=True)
class Cost:
    """Argon2id's price per guess (RFC 9106 §4, second recommended option by default)."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 65536

    @classmethod
    def from_env(cls) -> Cost:
        """``SHOUHU_ARGON2_MEMORY_KIB`` lowers or raises the memory (tests, small machines)."""
        raw = os.environ.get("SHOUHU_ARGON2_MEMORY_KIB")
        return cls(memory_kib=int(raw)) if raw and raw.isdigit() else cls()


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
    )
    return kdf.derive(password.encode())


def _aad(operator_id: str, database: str, public_key: str) -> bytes:
    return f"{STATEMENT} {operator_id} {database} {public_key}".encode()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            _("a password needs at least {n} characters").format(n=MIN_PASSWORD),
            field="password",
        )


def wrap(credential: Credential, password: str, cost: Cost | None = None) -> dict[str, Any]:
    """The row that lets ``password`` unwrap ``credential``'s key, and nothing else."""
    check_password(password)
    cost = cost or Cost.from_env()
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = credential.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    aad = _aad(credential.operator_id, credential.database, credential.public_key)
    sealed = AESGCM(_derive(password, salt, cost)).encrypt(nonce, raw, aad)
    return {
        "operator_id": credential.operator_id,
        "public_key": credential.public_key,
        "kdf": {
            "alg": "argon2id",
            "salt": base64.b64encode(salt).decode(),
            "iterations": cost.iterations,
            "lanes": cost.lanes,
            "memory_kib": cost.memory_kib,
            "database": credential.database,
            "name": credential.name,
        },
        "nonce": base64.b64encode(nonce).decode(),
        "wrapped": base64.b64encode(sealed).decode(),
    }


def unwrap(row: dict[str, Any], password: str) -> Credential | None:
    """The credential ``row`` wraps, if ``password`` is the one it was wrapped under."""
    kdf = row["kdf"]
    cost = Cost(kdf["iterations"], kdf["lanes"], kdf["memory_kib"])
    try:
        key = _derive(password, base64.b64decode(kdf["salt"]), cost)
        aad = _aad(row["operator_id"], kdf["database"], row["public_key"])
        raw = AESGCM(key).decrypt(
            base64.b64decode(row["nonce"]), base64.b64decode(row["wrapped"]), aad
        )
    except (InvalidTag, ValueError):
        return None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    return Credential(row["operator_id"], kdf["database"], private, kdf.get("name", ""))


class WebLogins:
    """The ``web_logins`` and ``login_attempts`` tables of one database (SQLAlchemy)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def set(self, credential: Credential, password: str, at: datetime) -> None:
        """Wrap ``credential``'s key under ``password``; replaces the operator's earlier one."""
        row = wrap(credential, password) | {"set_at": at}
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(WEB_LOGINS).where(WEB_LOGINS.c.operator_id == row["operator_id"])
            )
            conn.execute(sa.insert(WEB_LOGINS).values(**row))

    def get(self, operator_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(WEB_LOGINS).where(WEB_LOGINS.c.operator_id == operator_id)
            ).first()
        return dict(found._mapping) if found is not None else None

    def record(
        self, at: datetime, login: str, remote: str, outcome: str, operator_id: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(LOGIN_ATTEMPTS).values(
                    at=at,
                    login=login[:100],
                    operator_id=operator_id,
                    remote=remote[:64],
                    outcome=outcome,
                )
            )

    def failures(
        self, since: datetime, *, login: str | None = None, remote: str | None = None
    ) -> int:
        """Failed attempts since ``since``, for one login or from one address."""
        q = sa.select(sa.func.count()).select_from(LOGIN_ATTEMPTS)
        q = q.where(LOGIN_ATTEMPTS.c.at >= since, LOGIN_ATTEMPTS.c.outcome != "ok")
        if login is not None:
            q = q.where(LOGIN_ATTEMPTS.c.login == login[:100])
        if remote is not None:
            q = q.where(LOGIN_ATTEMPTS.c.remote == remote[:64])
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def attempts(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest attempts first (the admin's and the auditor's page)."""
        q = sa.select(LOGIN_ATTEMPTS).order_by(LOGIN_ATTEMPTS.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]


def set_password(engine: Any, credential: Credential, password: str) -> None:
    """Wrap ``credential``'s key under ``password`` in ``engine``'s database, once the registry
    accepts the credential now (only its holder can give it a password)."""
    check_password(password)
    engine.authenticate(credential)
    WebLogins(engine.store.engine).set(credential, password, engine.clock.now())
