"""Anchors: a digest over every case's head (and the journal's) as of a moment, one line to
keep outside the database; ``verify --anchor`` proves nothing recorded before it changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shouhu.engine.timeutil import parse_instant, utc_iso
from shouhu.errors import InvalidInput
from shouhu.i18n import _

ANCHOR_PREFIX = "shouhu-anchor-v1"


def heads_digest(
    heads: Iterable[tuple[str, int, str]], journal: tuple[int, str] | None = None
) -> tuple[str, int]:
    """SHA-256 over the sorted lines ``case_id seq head_hash\\n``, then, when the journal has
    entries, the line ``journal seq head_hash\\n`` of its head; and how many cases.

    An anchor taken before the journal had an entry (any anchor of a build before it) has no
    journal line, and checks as it always did: the journal's entries are all recorded after it.
    """
    h = hashlib.sha256()
    n = 0
    for case_id, seq, head in sorted(heads):
        h.update(f"{case_id} {seq} {head}\n".encode())
        n += 1
    if journal is not None:
        h.update(f"journal {journal[0]} {journal[1]}\n".encode())
    return h.hexdigest(), n


def format_anchor(at: datetime, digest: str, count: int) -> str:
    """``shouhu-anchor-v1:<UTC time>:<cases>:<sha256>`` — one line to keep outside the database."""
    return f"{ANCHOR_PREFIX}:{utc_iso(at)}:{count}:{digest}"


@dataclass(frozen=True, slots=True)
class Anchor:
    at: datetime
    count: int
    digest: str


def parse_anchor(text: str) -> Anchor:
    """An anchor line back into its parts; bad input if it is not one."""
    if not isinstance(text, str):
        raise InvalidInput(_("--anchor: expected the text of an anchor"), field="anchor")
    parts = text.strip().split(":")
    # the time itself contains ':' — rejoin: prefix, then time (3 parts), count, digest
    if len(parts) != 6 or parts[0] != ANCHOR_PREFIX:
        raise InvalidInput(
            _("--anchor: expected {prefix}:<time>:<cases>:<sha256>, got {text!r}").format(
                prefix=ANCHOR_PREFIX, text=text[:80]
            ),
            field="anchor",
        )
    when = ":".join(parts[1:4])
    try:
        at = parse_instant(when.replace("Z", "+00:00"), "UTC", field="anchor")
        count = int(parts[4])
    except (InvalidInput, ValueError):
        raise InvalidInput(
            _("--anchor: bad time or count in {text!r}").format(text=text[:80]), field="anchor"
        ) from None
    digest = parts[5]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput(_("--anchor: the digest must be 64 hex digits"), field="anchor")
    return Anchor(at, count, digest)
