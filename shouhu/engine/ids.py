"""Case ids: 16 Crockford base-32 characters, strictly increasing within a process.

Why not a ULID (``python-ulid``): see ``docs/architecture.md``, "Case ids".
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = tuple(range(70, -1, -10))


class _Ids:
    """Monotonic ids: within one process never repeated, even under a clock that stands still."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0

    def __call__(self, now: datetime) -> str:
        """16 characters (Crockford base32): 10 of milliseconds, 6 random, strictly increasing."""
        with self.lock:
            value = (int(now.timestamp() * 1000) << 30) | secrets.randbits(30)
            if value <= self.last:
                value = self.last + 1
            self.last = value
        # 80 bits are 16 base32 digits: eight pairs of ten bits, each pair from a table.
        return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


new_case_id = _Ids()
