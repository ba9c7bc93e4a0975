"""Ed25519 signatures (the ``cryptography`` package): what an operator signs, and with what.

An operator signs a **statement**, never free text: the bytes below, fixed forever, so a
signature over one kind of record can never be passed off as one over another.

- an event: ``shouhu-event-v1 <event hash> <operator id>`` — the event's hash already covers
  its content and its predecessor (:mod:`shouhu.engine.hashing`); the operator id binds the
  signature to the one who claims it;
- a change to the operator registry: ``shouhu-registry-v1 <entry hash>``;
- a signed tree head: ``shouhu-tree-head-v1 <size> <root> <time>``.

Signatures and public keys are written in standard base64 (RFC 4648 §4): a public key as its
32 raw bytes, a signature as its 64.

A :class:`Credential` is what an operator acts with in the library: their id, the database
it belongs to (its registry's first entry's hash) and the private key. Reading and writing
the file that holds one is :mod:`shouhu.adapters.credentials`' work.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EVENT_STATEMENT = "shouhu-event-v1"
REGISTRY_STATEMENT = "shouhu-registry-v1"
TREE_HEAD_STATEMENT = "shouhu-tree-head-v1"


def event_statement(event_hash: str, operator_id: str) -> bytes:
    """What an operator signs for an event they record."""
    return f"{EVENT_STATEMENT} {event_hash} {operator_id}".encode()


def registry_statement(entry_hash: str) -> bytes:
    """What an admin signs for a change to the operator registry."""
    return f"{REGISTRY_STATEMENT} {entry_hash}".encode()


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes (as the registry stores it)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(key: Ed25519PrivateKey, statement: bytes) -> str:
    return base64.b64encode(key.sign(statement)).decode()


@lru_cache(maxsize=4096)
def _public(text: str) -> Ed25519PublicKey | None:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


def verify(public: str, statement: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (base64) is the holder of ``public``'s over ``statement``."""
    if not signature:
        return False
    key = _public(public)
    if key is None:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, statement)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class Credential:
    """Who acts: an operator's id, the database their registry entry is in, and their private
    key (in memory only; :func:`shouhu.load_credential` reads one from its file)."""

    operator_id: str
    database: str
    key: Ed25519PrivateKey = field(repr=False, compare=False)
    #: The name the credential was issued to (shown; the registry's is what counts).
    name: str = ""
    #: The public half, as the registry writes it (computed once: every act compares it).
    public_key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", public_text(self.key))

    def sign(self, statement: bytes) -> str:
        return sign(self.key, statement)
