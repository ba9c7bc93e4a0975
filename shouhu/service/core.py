"""What every route of ``shouhu serve`` shares: the engines, the clock, logins and sessions.

No rule lives here or in the routes: each request calls the library (:class:`shouhu.Engine`)
as the CLI does, acting as the logged-in operator's :class:`~shouhu.engine.signing.Credential`
(unwrapped at login, :mod:`shouhu.adapters.weblogins`), so the engine signs every act with
the operator's own key and judges role and scope as it does for ``--as``.

Each worker thread has its own :class:`~shouhu.Engine` (a signed request fixes its clock and
ids for the request), and every thread's engine works on one store, opened with
``create=False`` (the service never creates a database) and a pool of as many connections as
the service has threads (and two more: the desk's counts, the start). On a SQLite file that
store gathers the threads' concurrent writes into one transaction and one fsync (group commit,
issue 18: :meth:`~shouhu.adapters.sqlitestore.SqliteStore.group_commit`), each request
answered only once its write is durable and a refused one rolled back alone; PostgreSQL takes
concurrent writers itself. A thread's engine goes back to the service's idle engines when the
thread ends (the server's worker threads come and go; the desk's counts run on a thread of
their own every half minute), and the next new thread takes it: the service holds at most as
many engines as it ever ran threads at once, however long it runs.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shouhu.adapters.weblogins import WebLogins, unwrap
from shouhu.engine.clock import Clock, FakeClock
from shouhu.errors import InvalidInput, NotAuthenticated
from shouhu.i18n import _
from shouhu.service.sessions import Session, Sessions, new_secret, secret_from_text

if TYPE_CHECKING:
    from shouhu.api import Engine
    from shouhu.engine.operators import Operator


@dataclass
class Settings:
    """How a service runs. ``from_env`` reads what ``shouhu serve`` hands its workers."""

    db: str
    policy: str | None = None
    zone: str | None = None
    session_secret: bytes = field(default_factory=new_secret, repr=False)
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=8)
    #: Failed logins allowed per login name (and ten times that per address) in ``window``.
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    clock: Clock | None = None
    #: Worker threads of one service process, each with its own engine, all on one store with
    #: a connection each (on SQLite their writes are group-committed; more processes:
    #: ``--workers``).
    threads: int = 8

    @classmethod
    def from_env(cls) -> Settings:
        db = os.environ.get("SHOUHU_DB")
        if not db:
            raise InvalidInput(_("shouhu serve needs a database: --db or SHOUHU_DB"), field="db")
        secret = os.environ.get("SHOUHU_SESSION_SECRET")
        minutes = os.environ.get("SHOUHU_SESSION_IDLE_MINUTES")
        threads = os.environ.get("SHOUHU_SERVE_THREADS")
        return cls(
            db=db,
            policy=os.environ.get("SHOUHU_POLICY") or None,
            zone=os.environ.get("SHOUHU_ZONE") or None,
            session_secret=secret_from_text(secret) if secret else new_secret(),
            idle=timedelta(minutes=int(minutes)) if minutes else timedelta(minutes=30),
            threads=int(threads) if threads else 8,
        )


#: How old (seconds) the desk's counts per state may be before they are counted again.
COUNTS_FRESH = 30.0

#: The state of the request being served (set by the app's middleware): where a request
#: signed by RFC 9421 fixes the engine's now (``signed_at``, :mod:`shouhu.service.httpsig`).
REQUEST_STATE: ContextVar[dict[str, Any] | None] = ContextVar("shouhu_request", default=None)


def _seeded_ids(seed: str) -> Callable[[datetime], str]:
    """Case ids that are the same for the same instant and seed: a report signed by its
    client (RFC 9421) is computed twice — once to learn what to sign, once to record it — and
    must get the same id both times (its hash covers it). The seed is the operator's id and
    the request's idempotency key."""
    from shouhu.engine.ids import _PAIRS, _SHIFTS

    low = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") & ((1 << 30) - 1)

    def new_id(now: datetime) -> str:
        value = (int(now.timestamp() * 1000) << 30) | low
        return "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])

    return new_id


class _Held:
    """A thread's hold on an engine, with the engine's own clock and ids (a signed request
    fixes them for its time)."""

    __slots__ = ("__weakref__", "clock", "engine", "new_id")

    def __init__(self, engine: Engine, clock: Clock, new_id: Callable[[datetime], str]) -> None:
        self.engine, self.clock, self.new_id = engine, clock, new_id


class LoginRefused(NotAuthenticated):
    """A login that did not succeed: unknown name, wrong password, no web login set, a
    disabled operator, or too many failures (``retry_after`` seconds)."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class Service:
    """The engines (one per thread), the clock, the logins and the sessions of one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions = Sessions(
            settings.session_secret, idle=settings.idle, lifetime=settings.lifetime
        )
        self._local = threading.local()
        self._engines: list[Engine] = []  # every engine opened, to close them at the end
        self._idle: list[Engine] = []  # those no thread holds now
        self._lock = threading.Lock()
        self._counted: tuple[list[tuple[str, str, str | None, str, str, int]] | None, float] = (
            None,
            0.0,
        )
        self._counting = False
        self._first_count = threading.Event()
        # open the store at start: a missing database or a bad pack fails the service, not a
        # request
        self._base = self._open_base()
        self.engine()

    def _open_base(self) -> Engine:
        """The engine whose store every thread's engine shares (it is no thread's own)."""
        from shouhu.adapters import dburl
        from shouhu.adapters.policyfile import load_pack
        from shouhu.api import Engine

        s = self.settings
        return Engine.open(
            s.db,
            clock=s.clock,
            zone=s.zone,
            policy=load_pack(s.policy) if s.policy else None,
            create=False,
            group_commit=dburl.sqlite_file(s.db) is not None,
            connections=s.threads + 2,
        )

    def engine(self) -> Engine:
        """This thread's engine; its clock is the service's, or fixed at the instant a
        signed request's events were computed for (``Shouhu-Signed-At``)."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            held = self._hold()
        found = held.engine
        state = REQUEST_STATE.get()
        at = state.get("signed_at") if state else None
        found.clock = FakeClock(at) if at is not None else held.clock
        seed = state.get("case_id_seed") if state else None
        found._new_id = _seeded_ids(seed) if seed else held.new_id
        return found

    def _hold(self) -> _Held:
        """An engine for this thread: an idle one, else a new one; back to the idle ones when
        the thread ends (its thread-local slot is dropped then)."""
        with self._lock:
            found = self._idle.pop() if self._idle else None
        if found is None:
            from shouhu.api import Engine

            base = self._base
            found = Engine(
                base.store,
                base.clock,
                zone=base.zone,
                policy=base.policy,
                workflows=base.workflows,
            )
            with self._lock:
                self._engines.append(found)
        held = _Held(found, found.clock, found._new_id)
        weakref.finalize(held, self._release, found, held.clock, held.new_id)
        self._local.held = held
        return held

    def _release(self, engine: Engine, clock: Clock, new_id: Callable[[datetime], str]) -> None:
        engine.clock, engine._new_id = clock, new_id
        with self._lock:
            if engine in self._engines:  # not closed with the service meanwhile
                self._idle.append(engine)

    def counted(self) -> list[tuple[str, str, str | None, str, str, int]]:
        """The store's counts of cases per type, state and place, as of at most
        :data:`COUNTS_FRESH` ago: counted in the background when older, so no page waits for
        a count over a province's cases (the service starts the first count when it starts;
        a page that comes before it ends waits for that one count, never starts another)."""
        with self._lock:
            rows, at = self._counted
        if rows is None or time.monotonic() - at > COUNTS_FRESH:
            self.start_counting()
        if rows is None:
            self._first_count.wait()
            with self._lock:
                rows = self._counted[0]
        return rows or []

    def start_counting(self) -> None:
        """Count in the background now (the service's start), unless a count is under way."""
        with self._lock:
            if self._counting:
                return
            self._counting = True
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        try:
            rows = self.engine().store.count_cases()
            with self._lock:
                self._counted = (rows, time.monotonic())
        finally:
            with self._lock:
                self._counting = False
            self._first_count.set()

    def close(self) -> None:
        with self._lock:
            self._engines.clear()
            self._idle.clear()
        self._base.close()  # the one store every thread's engine shared

    def now(self) -> datetime:
        return self.engine().clock.now()

    @property
    def logins(self) -> WebLogins:
        return WebLogins(self.engine().store.engine)  # type: ignore[attr-defined]

    # -- logging in --------------------------------------------------------------------------

    def find_operator(self, login: str) -> Operator | None:
        """The active operator whose id is ``login``, or whose name is, if only one has it."""
        ops = [o for o in self.engine().operators() if o.active]
        by_id = [o for o in ops if o.id == login]
        if by_id:
            return by_id[0]
        named = [o for o in ops if o.name == login]
        return named[0] if len(named) == 1 else None

    def login(self, login: str, password: str, remote: str) -> Session:
        """A new session for ``login`` if ``password`` unwraps their key; every attempt is
        recorded, and too many failures refuse further tries for a while."""
        login = login.strip()
        now = self.now()
        logins = self.logins
        since = now - self.settings.window
        limit = self.settings.max_failures
        if (
            logins.failures(since, login=login) >= limit
            or logins.failures(since, remote=remote) >= limit * 10
        ):
            logins.record(now, login, remote, "throttled")
            raise LoginRefused(
                _("too many failed logins: try again in {minutes} minutes").format(
                    minutes=int(self.settings.window.total_seconds() // 60)
                ),
                retry_after=int(self.settings.window.total_seconds()),
            )
        operator = self.find_operator(login)
        row = logins.get(operator.id) if operator is not None else None
        credential = unwrap(row, password) if row is not None and password else None
        if operator is None or credential is None:
            logins.record(now, login, remote, "failed", operator.id if operator else None)
            raise LoginRefused(_("login failed: unknown operator or wrong password"))
        try:
            self.engine().authenticate(credential)
        except NotAuthenticated as exc:  # the key was rotated since the password was set
            logins.record(now, login, remote, "refused", operator.id)
            raise LoginRefused(exc.message) from exc
        logins.record(now, login, remote, "ok", operator.id)
        return self.sessions.start(credential, now)

    def operator_of(self, session: Session) -> Operator:
        """The registry's word on the session's operator now (disabled or rotated: refused)."""
        return self.engine().authenticate(session.credential)

    @property
    def engines_open(self) -> int:
        """How many engines the service holds open (held by a thread, or idle)."""
        with self._lock:
            return len(self._engines)

    def describe(self) -> dict[str, Any]:
        from shouhu.adapters import dburl

        return {"db": dburl.shown(self.settings.db)}
