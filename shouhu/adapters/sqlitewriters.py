"""The SQLite store's write connections: :class:`_Writers` keeps a file's, :class:`_PoolWriter`
lends the pool's (a database in memory), :class:`_SqliteWrite` runs one write transaction on
one."""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.engine import Engine

from shouhu.adapters.sqltx import _SqliteTx

if TYPE_CHECKING:
    from shouhu.adapters.sqlitestore import SqliteStore


class _SqliteWrite:
    """One write transaction of the SQLite store, as one context manager: ``BEGIN IMMEDIATE``
    on a connection of the store's :class:`_Writers` (or :class:`_PoolWriter`), ``COMMIT``
    when the block ends, ``ROLLBACK`` if it raises, the connection given back either way;
    driver errors, the block's included, become :class:`StoreUnavailable` as
    ``SqliteStore._errors()`` makes them (what ``_errors()`` around a generator context manager
    did, without two generators per transition)."""

    __slots__ = ("cur", "held", "store", "writers")

    def __init__(self, store: SqliteStore, writers: _Writers | _PoolWriter) -> None:
        self.store = store
        self.writers = writers

    def __enter__(self) -> _SqliteTx:
        with self.store._errors():
            held = self.writers.take()
            try:
                cur = held[0].cursor()
                try:
                    cur.execute("BEGIN IMMEDIATE")
                except BaseException:
                    cur.close()
                    raise
            except BaseException:
                self.writers.give(held)
                raise
        self.held, self.cur = held, cur
        return _SqliteTx(self.store, self.store.fast, cur)

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        driver = self.held[0]
        with self.store._errors():
            try:
                try:
                    if exc is None:
                        driver.commit()
                    else:
                        driver.rollback()
                finally:
                    self.cur.close()
            finally:
                self.writers.give(self.held)
            if exc is not None:  # the block's own error: a driver error is mapped, as before
                self.store._errors().__exit__(typ, exc, tb)
        return False


class _PoolWriter:
    """A database in memory (``sqlite://``): the database is the pool's connection (one per
    thread), so a write checks that one out and gives it back, and keeps none of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take(self) -> tuple[Any, Any, int]:
        raw = self.engine.raw_connection()
        return raw.driver_connection, raw, 0

    def give(self, held: tuple[Any, Any, int]) -> None:
        held[1].close()  # back to the pool (which rolls back a transaction left open)

    def close(self) -> None:
        """Nothing of its own to close: the engine's ``dispose`` closes the pool's."""


class _Writers:
    """The driver connections a SQLite file's write transactions run on.

    Checking a connection out of SQLAlchemy's pool and back in costs about 7 µs of Python per
    write on a warm CPU, several times that between fsyncs (the pool's records, events and
    reset-on-return); taking one from here, about 1 µs. Each connection here is made
    by that pool once, so its ``connect`` hook has set the PRAGMAs (WAL, ``synchronous=FULL``,
    busy timeout, foreign keys), then detached from it; a write takes one from the idle list,
    holds it alone from ``BEGIN IMMEDIATE`` to ``COMMIT``, and gives it back.

    * Threads: a connection serves one write at a time (the idle list is under a lock), from
      any thread: a file's connections are made with ``check_same_thread=False`` (SQLAlchemy's
      default for a file), as the pool itself hands them from thread to thread.
    * Errors: whatever ended the transaction, a connection still in one is rolled back when it
      comes back; one that stays in a transaction or cannot tell is closed, never reused.
    * ``close``: the idle ones are closed at once (the last one checkpoints the WAL); one that
      another thread is writing on then is closed when its write ends (the generation moved).
    * Fork: SQLite forbids using a connection across ``fork``. A child's first write never
      uses, nor closes, the parent's write connections (they are kept, untouched, in
      ``inherited``) and starts the pool afresh, so its write connection is its own.
    * At most ``keep`` stay idle (the pool's size); a writer beyond that closes its own after.
    """

    def __init__(self, engine: Engine, keep: int) -> None:
        self.engine = engine
        self.keep = keep
        self.idle: list[tuple[Any, int, int]] = []  # (connection, generation, forks)
        self.lock = threading.Lock()
        self.generation = 0
        self.forks = _forks
        self.inherited: list[Any] = []

    def take(self) -> tuple[Any, int, int]:
        if self.forks != _forks:
            self._forked()
        with self.lock:
            if self.idle:
                return self.idle.pop()
            generation = self.generation
        raw = self.engine.raw_connection()  # the pool's connect hook runs the PRAGMAs
        conn = raw.driver_connection
        raw.detach()  # ours now: the pool forgets it, and makes another when it needs one
        return conn, generation, self.forks

    def give(self, held: tuple[Any, int, int]) -> None:
        """Back to the idle list, or closed; never raises (it runs after errors too)."""
        conn, generation, forks = held
        if forks != _forks:  # taken before a fork: the parent's
            self.inherited.append(conn)
            return
        try:
            if conn.in_transaction:
                conn.rollback()
            reusable = not conn.in_transaction
        except Exception:
            reusable = False
        if reusable:
            with self.lock:
                if generation == self.generation and len(self.idle) < self.keep:
                    self.idle.append(held)
                    return
        _close_quietly(conn)

    def close(self) -> None:
        with self.lock:
            self.generation += 1
            idle, self.idle = self.idle, []
        for conn, _, _ in idle:
            _close_quietly(conn)

    def _forked(self) -> None:
        self.lock = threading.Lock()  # a thread of the parent may have held the old one
        self.inherited += [conn for conn, _, _ in self.idle]
        self.idle = []
        self.generation += 1
        self.forks = _forks
        # The pool's connections are the parent's too: a new pool, the old one's left alone
        # (SQLAlchemy's recipe for a forked child), so the next connection is the child's.
        self.engine.dispose(close=False)


#: How many times this process has been the child of a ``fork`` (counted by the hook below):
#: a write connection taken at another count is a parent's (no ``getpid`` call per write).
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def _close_quietly(conn: Any) -> None:
    with suppress(Exception):  # as the pool does: a connection that cannot close is let go
        conn.close()


class _Batch:
    """One SQLite transaction that several writers' blocks run in, one after another."""

    __slots__ = (
        "busy", "closed", "cur", "done", "error", "held", "members", "turn", "waiting", "wrote",
    )  # fmt: skip

    def __init__(self, lock: threading.Lock) -> None:
        #: The writers queued for this batch wait here, and are woken one at a time.
        self.turn = threading.Condition(lock)
        self.busy = True  # a member's block is running on the connection (the first's: now)
        self.closed = False  # committing or done: no one joins
        self.members = 1
        self.waiting = 0  # writers queued to run their block in this batch
        self.wrote = 0  # members whose block ended without an error
        self.held: tuple[Any, int, int] | None = None
        self.cur: Any = None
        self.done = threading.Event()
        self.error: BaseException | None = None


class _Group:
    """Group commit: concurrent write transactions of one store gathered into one SQLite
    transaction, and so one ``COMMIT`` — one fsync — for all of them.

    A writer that finds no open batch opens one (``BEGIN IMMEDIATE``, once the batch before
    has committed); a writer that finds one open joins it and runs its block when the block
    before has ended. Each block runs inside its own ``SAVEPOINT``, on the state the blocks
    before it left (as ``fire_many``'s requests do): one that raises is rolled back to its
    savepoint alone — its batch-mates are untouched — and its error is raised to its caller at
    once. The member whose block ends with no one waiting (or the batch full, ``most``)
    commits; every member whose block succeeded returns only after that ``COMMIT``, so an
    acknowledged write is a durable one. If the ``COMMIT`` fails — or a block's savepoint could
    not be released or rolled back, so its writes cannot be told from the others' — the batch
    is rolled back and every such member raises (nothing of the batch was written: SQLite's
    transaction is all or nothing)."""

    def __init__(self, store: SqliteStore, writers: _Writers | _PoolWriter, most: int) -> None:
        self.store = store
        self.writers = writers
        self.most = most
        self.lock = threading.Lock()
        #: A new batch's first writer waits here for the batch before to commit.
        self.idle = threading.Condition(self.lock)
        self.open: _Batch | None = None
        self.committing = False
        self.local = threading.local()  # .inside: this thread's block is running
        #: Batches committed, and the writes they held (for tests and the bench's detail).
        self.batches = 0
        self.writes = 0


class _GroupWrite:
    """One writer's block in a :class:`_Group` batch, as one context manager."""

    __slots__ = ("batch", "cur", "group")

    def __init__(self, group: _Group) -> None:
        self.group = group

    def __enter__(self) -> _SqliteTx:
        g = self.group
        if getattr(g.local, "inside", False):  # it would queue behind itself for ever
            raise RuntimeError("a write transaction inside another one on the same thread")
        with g.lock:
            while True:
                b = g.open
                if b is None:
                    b = g.open = _Batch(g.lock)
                    while g.committing:  # the batch before holds SQLite's write lock
                        g.idle.wait()
                    starter = True
                    break
                if not b.busy and not b.closed and b.members < g.most:
                    b.busy, starter = True, False
                    b.members += 1
                    break
                b.waiting += 1
                b.turn.wait()
                b.waiting -= 1
        self.batch = b
        try:
            with g.store._errors():
                if starter:
                    held = g.writers.take()
                    try:
                        cur = held[0].cursor()
                        cur.execute("BEGIN IMMEDIATE")
                        cur.close()
                    except BaseException:
                        g.writers.give(held)
                        raise
                    b.held = held
                assert b.held is not None
                self.cur = b.held[0].cursor()
                self.cur.execute("SAVEPOINT shouhu_member")
        except BaseException:
            if b.held is None:  # no transaction to join: the writers queued start another
                with g.lock:
                    b.closed = True
                    if g.open is b:
                        g.open = None
            self._leave(ok=False)
            raise
        g.local.inside = True
        return _SqliteTx(g.store, g.store.fast, self.cur)

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> Literal[False]:
        ok = exc is None
        try:
            with self.group.store._errors():
                try:
                    if not ok:
                        self.cur.execute("ROLLBACK TO shouhu_member")
                    self.cur.execute("RELEASE shouhu_member")
                finally:
                    self.cur.close()
        except BaseException as failed:
            # this block's writes may still be in the transaction: nothing of the batch may
            # be committed then, and each member that waits for the COMMIT raises
            self.batch.error = failed
            self._leave(ok=False)
            raise
        self._leave(ok=ok)
        if not ok:  # the block's own error: a driver error is mapped, as _SqliteWrite does
            self.group.store._errors().__exit__(typ, exc, tb)
            return False
        self.batch.done.wait()
        if self.batch.error is not None:
            raise self.batch.error
        return False

    def _leave(self, *, ok: bool) -> None:
        """This member's block is over: let the next run, or commit the batch if none waits."""
        g, b = self.group, self.batch
        g.local.inside = False
        with g.lock:
            b.busy = False
            b.wrote += ok
            last = b.waiting == 0 or b.members >= g.most or b.closed
            if last:
                b.closed = True
                if g.open is b:
                    g.open = None
                g.committing = b.held is not None
                b.turn.notify_all()  # any still queued (a full batch) go on to the next
            else:
                b.turn.notify()  # the next writer's turn
        if last:
            self._commit()

    def _commit(self) -> None:
        g, b = self.group, self.batch
        try:
            if b.held is not None:
                driver = b.held[0]
                with g.store._errors():
                    try:
                        if b.wrote and b.error is None:
                            driver.commit()
                        else:
                            driver.rollback()
                    finally:
                        g.writers.give(b.held)
        except BaseException as exc:
            b.error = exc
        finally:
            with g.lock:
                g.committing = False
                if b.held is not None and b.error is None and b.wrote:
                    g.batches += 1
                    g.writes += b.wrote
                g.idle.notify_all()
            b.done.set()
