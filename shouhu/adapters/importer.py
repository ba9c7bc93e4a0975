"""Batch intake: reports from a CSV or JSON Lines file, checked row by row, filed in batches.

The file — a path, a pipe, or ``-`` for standard input — is first copied once into a private
temporary file (:class:`ReportFile`; owner-only, deleted when closed). Two passes over that
copy keep memory flat in the file's length and read the same bytes:

1. **check** — every row is parsed and validated exactly as filing would validate it
   (:meth:`Engine.check_report`); only the bad rows' line numbers, external ids and reasons
   are kept, with the set of external ids seen (to find ids repeated within the file);
2. **file** — the copy is read again and its good rows are filed in batches
   (:meth:`Engine.report_many`, one transaction per batch; with ``all_or_nothing`` every batch
   in one transaction, :meth:`Engine.reporting`), each under its ``external_id`` in the
   ``source``'s namespace. Rows whose external id the store already knows are skipped and
   counted as already imported, so running the same file again creates no duplicates.

A CSV quote that is never closed refuses its row, named by the line where the quoted cell
began; the lines the broken cell ran into are read again as rows of their own.

A reason never quotes a child's name: the engine's messages name the field, not the value.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from shouhu.adapters.csvrecords import Row
from shouhu.adapters.importresult import (
    CASE_IDS_LIMIT,
    BadRow,
    ImportResult,
    Progress,
    RichProgress,
)
from shouhu.adapters.reportfile import COLUMNS, OPTIONAL_COLUMNS, ReportFile
from shouhu.adapters.reportrows import _column_reason, _external_id, _request
from shouhu.engine.core import IDEMPOTENCY_SOURCE, Engine, ReportRequest
from shouhu.engine.validation import clean_text
from shouhu.errors import Conflict, InvalidInput, StoreUnavailable
from shouhu.i18n import _

__all__ = [
    "COLUMNS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_SOURCE",
    "OPTIONAL_COLUMNS",
    "BadRow",
    "ImportResult",
    "Progress",
    "ReportFile",
    "RichProgress",
    "clean_source",
    "import_reports",
]

#: The 12345 hotline: the default namespace of external ids.
DEFAULT_SOURCE = "12345"
DEFAULT_BATCH_SIZE = 1000
_PROGRESS_EVERY = 500  # rows between progress updates
#: How many times ``all_or_nothing`` files the whole file when another import files some of
#: its rows meanwhile (a unique-key conflict rolls the one transaction back).
_WHOLE_ATTEMPTS = 3


# --- the import -------------------------------------------------------------------------------


def clean_source(source: str) -> str:
    """The ``--source`` as recorded; the library's idempotency-key namespace is refused."""
    source = clean_text(source, field="source", max_length=60)
    if source == IDEMPOTENCY_SOURCE:
        raise InvalidInput(
            _(
                "--source: {source!r} is reserved for the idempotency keys of "
                "Engine.report(key=...)"
            ).format(source=IDEMPOTENCY_SOURCE),
            field="source",
        )
    return source


def import_reports(
    engine: Engine,
    file: ReportFile,
    *,
    source: str = DEFAULT_SOURCE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    after_batch: Callable[[], None] | None = None,
) -> ImportResult:
    """Check every row of ``file``, then file the good ones in batches (see the module).
    ``after_batch`` is called after each batch is filed (or, ``all_or_nothing``, staged): the
    CLI, which pauses the cyclic garbage collector while it imports, collects the batch's
    young objects there, so that reference cycles do not pile up until the end."""
    source = clean_source(source)
    if batch_size < 1:
        raise InvalidInput(_("--batch-size: must be at least 1"), field="batch_size")
    result = ImportResult(all_or_nothing=all_or_nothing)
    bad = _check(engine, file, result, progress)
    try:
        if all_or_nothing and result.refused:
            _count_known(engine, file, bad, result, source, batch_size)
        elif all_or_nothing:
            _file_whole(engine, file, bad, result, source, batch_size, progress, after_batch)
        else:
            result.case_ids = {} if result.read <= CASE_IDS_LIMIT else None

            def put(batch: _Batch) -> None:
                _file_batch(engine, batch, result, source)

            _file(file, bad, result, batch_size, progress, put, after_batch)
    except StoreUnavailable as exc:  # say what stays filed: nothing, or the batches before
        raise StoreUnavailable(
            _("{message}; {filed_before}").format(
                message=exc.message, filed_before=_filed_before(result)
            )
        ) from None
    result.refused.sort(key=lambda b: b.line)
    return result


def _filed_before(result: ImportResult) -> str:
    """What an import that failed half-way leaves filed, in words."""
    if result.all_or_nothing:
        return _("nothing was imported (--all-or-nothing)")
    n = result.imported
    if n == 0:
        return _("nothing was imported")
    # Two ids, not ngettext: Chinese has one form, and the catalogs are filled from {id: text}.
    if n == 1:
        return _("{n} row was imported before it; running the file again imports the rest").format(
            n=n
        )
    return _("{n} rows were imported before it; running the file again imports the rest").format(
        n=n
    )


def _check(
    engine: Engine, file: ReportFile, result: ImportResult, progress: Progress | None
) -> set[int]:
    """Pass 1: the lines of the bad rows (their reasons go into ``result.refused``)."""
    bad: set[int] = set()
    if progress is not None:
        progress.start(_("checking"), max(file.size, 1))
    with _Seen() as seen:
        for row in file.rows():
            result.read += 1
            reason, ext = _row_reason(engine, row, seen)
            if reason is not None:
                bad.add(row.line)
                result.refused.append(BadRow(row.line, ext, reason))
            if progress is not None and result.read % _PROGRESS_EVERY == 0:
                progress.update(file.position, result.read)
    if progress is not None:
        progress.update(max(file.size, 1), result.read)
    return bad


class _Seen:
    """The external ids read so far, each with the line it was first on, kept in a private
    temporary SQLite database (on disk, deleted when closed) rather than in memory: this is
    the one thing that grows with the file, so memory stays flat however long the file is."""

    def __init__(self) -> None:
        self._con = sqlite3.connect("", isolation_level=None)  # "": private, on disk
        with self._errors():
            self._con.execute("PRAGMA journal_mode = OFF")
            self._con.execute("PRAGMA synchronous = OFF")
            self._con.execute(
                "CREATE TABLE seen (ext TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID"
            )
            self._con.execute("BEGIN")
        self._cur = self._con.cursor()

    def first(self, ext: str, line: int) -> int:
        """The line ``ext`` was first on (``line`` itself if it is new)."""
        with self._errors():
            self._cur.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (ext, line))
            if self._cur.rowcount == 1:
                return line
            found = self._cur.execute("SELECT line FROM seen WHERE ext = ?", (ext,)).fetchone()
        return int(found[0])

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            self._con.close()
            raise StoreUnavailable(
                _(
                    "no temporary space to check the file's external ids ({exc}); free some, or "
                    "set TMPDIR to a writable directory; nothing was written"
                ).format(exc=exc)
            ) from None

    def __enter__(self) -> _Seen:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cur.close()
        self._con.close()


def _row_reason(engine: Engine, row: Row, seen: _Seen) -> tuple[str | None, str | None]:
    """Why a row cannot be filed (None if it can), and its external id as far as it is known."""
    try:
        ext = _external_id(row.external_id)
    except InvalidInput as exc:
        if row.error is not None:
            return row.error, None
        return exc.message, None
    first = seen.first(ext, row.line)
    if row.error is not None:
        return row.error, ext
    if first != row.line:
        return _("duplicate external_id: already on line {first}").format(first=first), ext
    assert row.values is not None
    try:
        engine.check_report(_request(row.values, ext))
    except InvalidInput as exc:
        return _column_reason(exc), ext
    return None, ext


@dataclass
class _Batch:
    lines: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    requests: list[ReportRequest] = field(default_factory=list)

    def add(self, line: int, ext: str, req: ReportRequest) -> None:
        self.lines.append(line)
        self.ids.append(ext)
        self.requests.append(req)

    def __len__(self) -> int:
        return len(self.ids)


def _file(
    file: ReportFile,
    bad: set[int],
    result: ImportResult,
    batch_size: int,
    progress: Progress | None,
    put: Callable[[_Batch], None],
    after_batch: Callable[[], None] | None = None,
) -> None:
    """Pass 2: read the file again and hand its good rows to ``put`` in batches (then call
    ``after_batch``)."""

    def hand(batch: _Batch) -> None:
        put(batch)
        if after_batch is not None:
            after_batch()

    todo = result.read - len(bad)
    done = 0
    if progress is not None:
        progress.start(_("importing"), max(todo, 1))
    batch = _Batch()
    for row in file.rows():
        if row.line in bad:
            continue
        try:
            if row.values is None:  # the file changed since it was checked
                raise InvalidInput(row.error or _("unreadable row"), field="file")
            ext = _external_id(row.external_id)
            req = _request(row.values, ext)
        except InvalidInput as exc:
            result.refused.append(BadRow(row.line, None, _column_reason(exc)))
            continue
        batch.add(row.line, ext, req)
        if len(batch) >= batch_size:
            hand(batch)
            done += len(batch)
            batch = _Batch()
            if progress is not None:
                progress.update(done, done)
    if batch:
        hand(batch)
        done += len(batch)
    if progress is not None:
        progress.update(max(todo, 1), done)


def _new_rows(
    engine: Engine, batch: _Batch, result: ImportResult, source: str
) -> list[tuple[int, str, ReportRequest]]:
    """The batch's rows not imported before (line, external id, request); those that were are
    counted in ``result`` with the cases they made."""
    known = engine.known_external(source, batch.ids)
    result.already_imported += len(known)
    if result.case_ids is not None:
        result.case_ids.update(known)
    return [
        (line, ext, req)
        for line, ext, req in zip(batch.lines, batch.ids, batch.requests, strict=True)
        if ext not in known
    ]


def _file_batch(engine: Engine, batch: _Batch, result: ImportResult, source: str) -> None:
    """One transaction for the batch; on a conflict (a row imported meanwhile), one by one."""
    rows = _new_rows(engine, batch, result, source)
    if not rows:
        return
    # A file's rows are the reports its external ids name: one about a child already reported
    # is filed as its own case (new_case), not refused as a probable duplicate.
    try:
        case_ids = engine.report_many(
            [req for _, _, req in rows], source=source, new_case=True, credential=engine.credential
        )
    except (Conflict, InvalidInput):
        for line, ext, req in rows:
            _file_one(engine, line, ext, req, result, source)
        return
    result.imported += len(case_ids)
    if result.case_ids is not None:
        result.case_ids.update(zip((ext for _, ext, _ in rows), case_ids, strict=True))


def _file_one(
    engine: Engine, line: int, ext: str, req: ReportRequest, result: ImportResult, source: str
) -> None:
    try:
        (case_id,) = engine.report_many(
            [req], source=source, new_case=True, credential=engine.credential
        )
    except Conflict as exc:
        known = engine.known_external(source, [ext])
        if ext in known:
            result.already_imported += 1
            if result.case_ids is not None:
                result.case_ids[ext] = known[ext]
        else:
            result.refused.append(
                BadRow(line, ext, _("not filed: {message}").format(message=exc.message))
            )
        return
    except InvalidInput as exc:
        result.refused.append(BadRow(line, ext, _column_reason(exc)))
        return
    result.imported += 1
    if result.case_ids is not None:
        result.case_ids[ext] = case_id


class _Undo(Exception):
    """A row refused while filing ``all_or_nothing``: the one transaction is rolled back."""


def _file_whole(
    engine: Engine,
    file: ReportFile,
    bad: set[int],
    result: ImportResult,
    source: str,
    batch_size: int,
    progress: Progress | None,
    after_batch: Callable[[], None] | None,
) -> None:
    """``all_or_nothing``: every good row filed in one transaction (:meth:`Engine.reporting`),
    in batches, or none. A row refused while filing rolls it all back and is named. When
    another import files some of the rows meanwhile, the store's unique key refuses the
    transaction; the whole file is filed again, those rows now counted as already imported."""
    checked = len(result.refused)
    for attempt in range(_WHOLE_ATTEMPTS):
        del result.refused[checked:]
        result.imported = result.already_imported = 0
        result.case_ids = {} if result.read <= CASE_IDS_LIMIT else None
        try:
            with engine.reporting(
                source=source, new_case=True, credential=engine.credential
            ) as file_batch:

                def put(batch: _Batch) -> None:
                    _stage_batch(engine, file_batch, batch, result, source)

                _file(file, bad, result, batch_size, progress, put, after_batch)
                if len(result.refused) > checked:
                    raise _Undo
        except _Undo:
            _count_known(engine, file, bad, result, source, batch_size)
            return
        except Conflict as exc:
            if attempt + 1 < _WHOLE_ATTEMPTS:
                continue
            raise Conflict(
                _("{message}; nothing was imported (--all-or-nothing)").format(message=exc.message),
                case_id=exc.case_id,
                expected=exc.expected,
                actual=exc.actual,
            ) from None
        return


def _count_known(
    engine: Engine,
    file: ReportFile,
    bad: set[int],
    result: ImportResult,
    source: str,
    batch_size: int,
) -> None:
    """``all_or_nothing`` refused the file: nothing is filed, but the good rows that earlier
    runs imported are counted (and mapped to their cases), so that the summary is the truth."""
    result.imported = result.already_imported = 0
    result.case_ids = {} if result.read <= CASE_IDS_LIMIT else None
    ids: list[str] = []

    def look_up() -> None:
        known = engine.known_external(source, ids)
        result.already_imported += len(known)
        if result.case_ids is not None:
            result.case_ids.update(known)
        ids.clear()

    for row in file.rows():
        if row.line in bad or row.values is None:
            continue
        try:
            ids.append(_external_id(row.external_id))
        except InvalidInput:
            continue
        if len(ids) >= batch_size:
            look_up()
    if ids:
        look_up()


def _stage_batch(
    engine: Engine,
    file_batch: Callable[[Sequence[ReportRequest]], list[str]],
    batch: _Batch,
    result: ImportResult,
    source: str,
) -> None:
    """A batch into the one transaction of ``all_or_nothing``; a row refused raises _Undo."""
    rows = _new_rows(engine, batch, result, source)
    if not rows:
        return
    try:
        case_ids = file_batch([req for _, _, req in rows])
    except InvalidInput as exc:
        result.refused.append(_culprit(engine, rows, exc))
        raise _Undo from None
    result.imported += len(case_ids)
    if result.case_ids is not None:
        result.case_ids.update(zip((ext for _, ext, _ in rows), case_ids, strict=True))


def _culprit(
    engine: Engine, rows: Sequence[tuple[int, str, ReportRequest]], exc: InvalidInput
) -> BadRow:
    """The row of a batch that filing refused: the first one the check now refuses, or else
    the batch's first, with the refusal's reason."""
    for line, ext, req in rows:
        try:
            engine.check_report(req)
        except InvalidInput as found:
            return BadRow(line, ext, _column_reason(found))
    line, ext, _ = rows[0]
    return BadRow(line, ext, _column_reason(exc))
