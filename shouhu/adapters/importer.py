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
import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

from shouhu.engine.core import IDEMPOTENCY_SOURCE, Engine, ReportRequest
from shouhu.engine.validation import clean_text
from shouhu.errors import Conflict, InvalidInput, StoreUnavailable

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

#: The columns every file has (a CSV header names them, in any order).
COLUMNS = (
    "external_id",
    "type",
    "child_name",
    "child_birthdate",
    "location",
    "reporter_kind",
    "reporter",
    "discovered_at",
    "reported_at",
)
#: Columns a file may add.
OPTIONAL_COLUMNS = ("child_id_number", "data")
#: The 12345 hotline: the default namespace of external ids.
DEFAULT_SOURCE = "12345"
DEFAULT_BATCH_SIZE = 1000
#: Above this many rows the result carries no ``case_ids`` map.
CASE_IDS_LIMIT = 1000
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_PROGRESS_EVERY = 500  # rows between progress updates
_CHUNK = 1 << 20  # bytes copied at a time into the private copy
#: How many times ``all_or_nothing`` files the whole file when another import files some of
#: its rows meanwhile (a unique-key conflict rolls the one transaction back).
_WHOLE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class BadRow:
    """A refused row: where it is, which report it was, and why (one line)."""

    line: int
    external_id: str | None
    reason: str

    def __str__(self) -> str:
        ident = f"external_id {self.external_id}" if self.external_id else "no external_id"
        return f"line {self.line} ({ident}): {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "external_id": self.external_id, "reason": self.reason}


@dataclass
class ImportResult:
    """What an import did. ``case_ids`` (external id → case id, for the rows imported now or
    before) is None for files of more than :data:`CASE_IDS_LIMIT` rows."""

    read: int = 0
    imported: int = 0
    already_imported: int = 0
    refused: list[BadRow] = field(default_factory=list)
    case_ids: dict[str, str] | None = None
    all_or_nothing: bool = False

    @property
    def ok(self) -> bool:
        """Every row was imported, now or before."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "read": self.read,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "refused": [b.to_dict() for b in self.refused],
        }
        if self.case_ids is not None:
            out["case_ids"] = dict(self.case_ids)
        return out

    def summary(self) -> str:
        text = (
            f"read {self.read} row{'' if self.read == 1 else 's'}: imported {self.imported}, "
            f"already imported {self.already_imported}, refused {len(self.refused)}"
        )
        if self.all_or_nothing and self.refused:
            text += " (--all-or-nothing: nothing was imported)"
        return text


class Progress(Protocol):
    """Told how far an import has come: a phase with its total (bytes when checking, rows when
    importing), then the amount done and the rows gone through."""

    def start(self, description: str, total: int) -> None: ...

    def update(self, completed: int, rows: int) -> None: ...


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """One record of the file: its first line, its columns (or why it has none), its raw id."""

    line: int
    values: dict[str, Any] | None
    error: str | None
    external_id: Any = None


class ReportFile:
    """A CSV or JSON Lines file of reports: a path, a pipe or a terminal, or ``-`` (standard
    input). Opening one reads it once into a private copy — a file only its owner may read,
    in a directory of its own under the temporary directory — and checks, for a CSV, the
    header; :meth:`rows` reads the copy from the start each time it is called, so every pass
    reads the same bytes however the file changes meanwhile. :meth:`close` (or the end of a
    ``with`` block) deletes the copy; so does the object's collection, if it is never closed.
    """

    def __init__(self, path: str | Path, fmt: str | None = None) -> None:
        self.path = Path(path)
        self.name = "stdin" if str(path) == "-" else str(path)  # as messages name it
        self.format = _format(self.path, fmt, self.name)
        self.position = 0  # bytes read so far by the current pass
        folder = _private_dir(self.name)
        self._copy = os.path.join(folder, "reports")
        self._remove = weakref.finalize(self, shutil.rmtree, folder, True)
        try:
            with self._source() as source:
                self.size = _copy(source, self._copy, self.name)
            with self._open() as raw:
                self.header = self._header(raw) if self.format == "csv" else None
        except OSError as exc:
            self.close()
            raise _unreadable(self.name, exc) from None
        except BaseException:  # bad input, Ctrl-C: no copy is left behind
            self.close()
            raise

    def close(self) -> None:
        """Delete the private copy (again: nothing)."""
        self._remove()

    def __enter__(self) -> ReportFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _source(self) -> contextlib.AbstractContextManager[IO[bytes]]:
        """The input, open for reading: standard input (left open), or the named file if it
        is a file, a pipe or a terminal."""
        if str(self.path) == "-":
            stdin = sys.stdin
            if stdin is None:
                raise InvalidInput(
                    "stdin: cannot read it: there is no standard input", field="file"
                )
            buffer = getattr(stdin, "buffer", None)
            if buffer is None:  # replaced by a text stream
                buffer = io.BytesIO(stdin.read().encode("utf-8", "surrogateescape"))
            return contextlib.nullcontext(buffer)
        kind = stat.S_IFMT(os.stat(self.path).st_mode)  # a FIFO is not opened yet: no wait
        if kind in (stat.S_IFSOCK, stat.S_IFBLK):
            what = "a socket" if kind == stat.S_IFSOCK else "a block device"
            raise InvalidInput(
                f"{self.name}: cannot read the file: it is {what}, not a file, a pipe or "
                "standard input (-)",
                field="file",
            )
        return open(self.path, "rb")

    def _open(self) -> IO[bytes]:
        return open(self._copy, "rb")

    def rows(self) -> Iterator[_Row]:
        """Every record, in order; blank lines are skipped."""
        self.position = 0
        try:
            raw = self._open()
        except OSError as exc:
            raise _unreadable(self.name, exc) from None
        with raw:
            if self.format == "csv":
                yield from self._csv_rows(raw)
            else:
                yield from self._jsonl_rows(raw)

    # -- CSV -----------------------------------------------------------------------------------

    @staticmethod
    def _text(raw: IO[bytes]) -> io.TextIOWrapper:
        # undecodable bytes survive as lone surrogates: the row holding them is refused
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")

    def _header(self, raw: IO[bytes]) -> tuple[str, ...]:
        with self._text(raw) as text:
            try:
                first = next(csv.reader(text, strict=True), None)
            except csv.Error as exc:
                raise InvalidInput(
                    f"{self.name}: line 1: not valid CSV: {exc}", field="file"
                ) from None
        if not first:
            raise InvalidInput(
                f"{self.name}: no header row: the first line must name the columns "
                f"({', '.join(COLUMNS)})",
                field="file",
            )
        header = tuple(name.strip() for name in first)
        if not _utf8(header):
            raise InvalidInput(f"{self.name}: line 1: not valid UTF-8", field="file")
        twice = sorted({n for n in header if header.count(n) > 1})
        if twice:
            raise InvalidInput(
                f"{self.name}: line 1: column {twice[0][:40]!r} is named twice", field="file"
            )
        unknown = [n for n in header if n not in COLUMNS and n not in OPTIONAL_COLUMNS]
        if unknown:
            raise InvalidInput(
                f"{self.name}: line 1: unknown column {unknown[0][:40]!r} (columns: "
                f"{', '.join(COLUMNS + OPTIONAL_COLUMNS)})",
                field="file",
            )
        missing = [n for n in COLUMNS if n not in header]
        if missing:
            raise InvalidInput(
                f"{self.name}: line 1: the header lacks {', '.join(missing)}", field="file"
            )
        return header

    def _csv_rows(self, raw: IO[bytes]) -> Iterator[_Row]:
        assert self.header is not None
        header = self.header
        with self._text(raw) as text:
            yield from self._csv_records(raw, text, header)

    def _csv_records(
        self, raw: IO[bytes], text: io.TextIOWrapper, header: tuple[str, ...]
    ) -> Iterator[_Row]:
        width = len(header)
        ext_at = header.index("external_id")
        lines = _Lines(text)
        reader = csv.reader(lines, strict=True)
        if next(reader, None) is None:  # the header, checked when the file was opened
            return
        while True:
            lines.record = []
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield _broken(lines, str(exc), header)
                continue
            finally:
                self.position = raw.tell()
            if not cells:
                continue  # a blank line
            start, end = lines.record[0][0], lines.record[-1][0]
            ext = cells[ext_at] if ext_at < len(cells) else None
            if not _utf8(cells):
                yield _Row(start, None, "not valid UTF-8", _utf8_or_none(ext))
            elif len(cells) != width:
                where = (
                    f"the row ends before {header[len(cells)]}"
                    if len(cells) < width
                    else f"a cell after {header[-1]}, the last column"
                )
                if end > start:  # a quoted cell ran on over lines: perhaps too far
                    where += f" (the row runs on from line {start} to line {end})"
                yield _Row(
                    start,
                    None,
                    f"expected {width} columns (as the header), found {len(cells)}: {where}",
                    ext,
                )
            else:
                yield _Row(start, dict(zip(header, cells, strict=True)), None, ext)

    # -- JSON Lines ----------------------------------------------------------------------------

    def _jsonl_rows(self, raw: IO[bytes]) -> Iterator[_Row]:
        for number, blob in enumerate(raw, start=1):
            self.position += len(blob)
            if number == 1 and blob.startswith(b"\xef\xbb\xbf"):
                blob = blob[3:]
            if not blob.strip():
                continue
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError:
                yield _Row(number, None, "not valid UTF-8")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _Row(number, None, f"not JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                yield _Row(number, None, "not JSON: nested too deeply")
                continue
            if not isinstance(obj, dict):
                yield _Row(number, None, "not a JSON object")
                continue
            ext = obj.get("external_id")
            missing = [n for n in COLUMNS if n not in obj]
            unknown = [str(k) for k in obj if k not in COLUMNS and k not in OPTIONAL_COLUMNS]
            if missing:
                yield _Row(number, None, f"missing column {', '.join(missing)}", ext)
            elif unknown:
                yield _Row(number, None, f"unknown column {unknown[0][:40]!r}", ext)
            else:
                yield _Row(number, obj, None, ext)


class _Lines:
    """A CSV text's physical lines for :func:`csv.reader`, numbered from 1 (the header), with
    those of the record being read kept in :attr:`record` (the caller empties it before each
    record); lines handed to :meth:`again` are read again before the rest of the text."""

    __slots__ = ("_again", "_count", "_text", "done", "record")

    def __init__(self, text: Iterable[str]) -> None:
        self._text = iter(text)
        self._again: list[tuple[int, str]] = []
        self._count = 0
        self.done = False  # the text's end was reached
        self.record: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            item = self._again.pop()
        else:
            try:
                line = next(self._text)
            except StopIteration:
                self.done = True
                raise
            self._count += 1
            item = (self._count, line)
        self.record.append(item)
        return item[1]

    def again(self, lines: Sequence[tuple[int, str]]) -> None:
        self._again.extend(reversed(lines))

    @property
    def ended(self) -> bool:
        """Every line has been read (none is waiting to be read again)."""
        return self.done and not self._again


def _broken(lines: _Lines, error: str, header: tuple[str, ...]) -> _Row:
    """The row of a record :func:`csv.reader` refused. A quoted cell whose quote is never
    closed is named by the line its quote is on, and the lines it ran into are handed back to
    be read as rows of their own: a broken cell swallows no row."""
    record = lines.record
    start, end = record[0][0], record[-1][0]
    trouble = _quote_trouble(record)
    if trouble is None:
        return _Row(start, None, f"not valid CSV: {error}")
    cell, opened, unclosed = trouble
    column = header[cell] if cell < len(header) else "not valid CSV"
    ext = _leading_cell(record, opened, header.index("external_id"), cell)
    on = "" if opened == start else f" on line {opened}"
    if not unclosed and opened == end:  # closed, then text after it: the row alone is broken
        return _Row(
            start,
            None,
            f"{column}: text after the closing quote of a quoted cell (a quote inside a quoted "
            'cell is written twice: "")',
            ext,
        )
    if unclosed and lines.ended:
        runs = "the cell runs on to the end of the file"
    elif unclosed:  # csv stopped it at its field size limit
        runs = f"the cell runs on past {csv.field_size_limit():,} characters, into line {end}"
    else:
        runs = f"the cell runs on into line {end}"
    lines.again([item for item in record if item[0] > opened])
    return _Row(start, None, f"{column}: an opening quote{on} is never closed ({runs})", ext)


def _quote_trouble(record: Sequence[tuple[int, str]]) -> tuple[int, int, bool] | None:
    """Where a record's quoting breaks, read as :func:`csv.reader` reads it (the default
    dialect, strict): the broken cell's index, the line its opening quote is on, and whether
    it is still open at the end (else text follows its closing quote); None if nothing is."""
    start, plain, quoted, quote = 0, 1, 2, 3
    state, cell, opened = start, 0, 0
    for number, text in record:
        for ch in text:
            if state == quoted:
                if ch == '"':
                    state = quote
            elif state == quote and ch not in '",\r\n':
                return cell, opened, False
            elif state == quote and ch == '"':
                state = quoted
            elif ch == ",":
                state, cell = start, cell + 1
            elif ch in "\r\n":
                state = start
            elif state == start and ch == '"':
                state, opened = quoted, number
            elif state == start:
                state = plain
    return (cell, opened, True) if state == quoted else None


def _leading_cell(
    record: Sequence[tuple[int, str]], opened: int, at: int, broken: int
) -> str | None:
    """Cell ``at`` of a broken record if it comes before the broken cell ``broken``: read
    leniently from the record's lines up to the one the broken quote opens on."""
    if at >= broken:
        return None
    try:
        cells = next(csv.reader(text for number, text in record if number <= opened), [])
    except csv.Error:
        return None
    return _utf8_or_none(cells[at]) if at < len(cells) else None


def _format(path: Path, fmt: str | None, name: str) -> str:
    if fmt is not None:
        chosen = fmt.strip().lower()
        if chosen not in {"csv", "jsonl"}:
            raise InvalidInput(f"--format: expected csv or jsonl, not {fmt[:20]!r}", field="format")
        return chosen
    if str(path) == "-":
        raise InvalidInput(
            "stdin: standard input has no name to tell its format by: "
            "give --format csv or --format jsonl",
            field="format",
        )
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            f"{name}: cannot tell the format from the name (.csv, .jsonl or .ndjson): "
            "give --format csv or --format jsonl",
            field="format",
        )
    return found


def _private_dir(name: str) -> str:
    """A new directory only its owner may enter (0700), under the temporary directory."""
    try:
        return tempfile.mkdtemp(prefix="shouhu-import-")
    except OSError as exc:
        raise _no_room(name, exc) from None


def _copy(source: IO[bytes], path: str, name: str) -> int:
    """Copy ``source`` to a new file ``path`` only its owner may read (0600); its size."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _no_room(name, exc) from None
    size = 0
    with open(fd, "wb") as out:
        while True:
            try:
                chunk = source.read(_CHUNK)
            except OSError as exc:
                raise _unreadable(name, exc) from None
            if not chunk:
                break
            try:
                out.write(chunk)
            except OSError as exc:
                raise _no_room(name, exc) from None
            size += len(chunk)
        try:
            out.flush()
        except OSError as exc:
            raise _no_room(name, exc) from None
    return size


def _unreadable(name: str, exc: OSError) -> InvalidInput:
    reason = exc.strerror or type(exc).__name__
    return InvalidInput(f"{name}: cannot read the file: {reason}", field="file")


def _no_room(name: str, exc: OSError) -> StoreUnavailable:
    reason = exc.strerror or type(exc).__name__
    return StoreUnavailable(
        f"no temporary space to copy {name} ({reason}); free some, or set TMPDIR to a "
        "writable directory; nothing was written"
    )


def _utf8(cells: Any) -> bool:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8_or_none(text: str | None) -> str | None:
    return text if text is not None and _utf8(text) else None


# --- rows to requests -------------------------------------------------------------------------


def _external_id(value: Any) -> str:
    """The row's external id, normalised as the engine stores it (stripped, NFC)."""
    if value is None:
        raise InvalidInput("external_id: must not be empty", field="external_id")
    return clean_text(value, field="external_id", max_length=100)


#: The engine's names for what a file calls by its column.
_COLUMN_OF = {"occurred_at": "reported_at", "id_number": "child_id_number"}


def _column_reason(exc: InvalidInput) -> str:
    """The engine's reason, naming the file's column: in the engine's words where its name
    differs, and in front where the reason does not name it (e.g. a child of 18)."""
    if exc.field is None:
        return exc.message
    column = _COLUMN_OF.get(exc.field, exc.field)
    message = exc.message.replace(exc.field, column, 1)
    if column in (*COLUMNS, *OPTIONAL_COLUMNS) and column not in message:
        return f"{column}: {message}"
    return message


def _json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    for kind, name in ((bool, "a boolean"), (int | float, "a number"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "an object" if isinstance(value, dict) else type(value).__name__


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _data(value: Any) -> Mapping[str, Any] | None:
    if _blank(value):
        return None
    if isinstance(value, str):  # a CSV cell (or a JSON text in a JSON Lines row)
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise InvalidInput(f"data: not valid JSON ({why})", field="data") from None
    if not isinstance(value, dict):
        raise InvalidInput("data: expected a JSON object of names to values", field="data")
    return value


def _request(values: Mapping[str, Any], external_id: str) -> ReportRequest:
    """A :class:`ReportRequest` from a row's columns (``reported_at`` is the report's time)."""
    for column in (*COLUMNS, "child_id_number"):  # a JSON Lines row may hold any JSON value
        value = values.get(column)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{column}: expected text, not {_json_type(value)}", field=column)
    if _blank(values["reported_at"]):
        raise InvalidInput("reported_at: must not be empty", field="reported_at")
    type_ = values["type"]
    id_number = values.get("child_id_number")
    return ReportRequest(
        type=type_.strip() if isinstance(type_, str) else type_,
        child={
            "name": values["child_name"],
            "birthdate": values["child_birthdate"],
            "id_number": None if _blank(id_number) else id_number,
        },
        location=values["location"],
        reporter={"kind": values["reporter_kind"], "name": values["reporter"]},
        discovered_at=None if _blank(values["discovered_at"]) else values["discovered_at"],
        occurred_at=values["reported_at"],
        data=_data(values.get("data")),
        external_id=external_id,
    )


# --- the import -------------------------------------------------------------------------------


def clean_source(source: str) -> str:
    """The ``--source`` as recorded; the library's idempotency-key namespace is refused."""
    source = clean_text(source, field="source", max_length=60)
    if source == IDEMPOTENCY_SOURCE:
        raise InvalidInput(
            f"--source: {IDEMPOTENCY_SOURCE!r} is reserved for the idempotency keys of "
            "Engine.report(key=...)",
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
) -> ImportResult:
    """Check every row of ``file``, then file the good ones in batches (see the module)."""
    source = clean_source(source)
    if batch_size < 1:
        raise InvalidInput("--batch-size: must be at least 1", field="batch_size")
    result = ImportResult(all_or_nothing=all_or_nothing)
    bad = _check(engine, file, result, progress)
    try:
        if all_or_nothing and result.refused:
            _count_known(engine, file, bad, result, source, batch_size)
        elif all_or_nothing:
            _file_whole(engine, file, bad, result, source, batch_size, progress)
        else:
            result.case_ids = {} if result.read <= CASE_IDS_LIMIT else None

            def put(batch: _Batch) -> None:
                _file_batch(engine, batch, result, source)

            _file(file, bad, result, batch_size, progress, put)
    except StoreUnavailable as exc:  # say what stays filed: nothing, or the batches before
        raise StoreUnavailable(f"{exc.message}; {_filed_before(result)}") from None
    result.refused.sort(key=lambda b: b.line)
    return result


def _filed_before(result: ImportResult) -> str:
    """What an import that failed half-way leaves filed, in words."""
    if result.all_or_nothing:
        return "nothing was imported (--all-or-nothing)"
    n = result.imported
    if n == 0:
        return "nothing was imported"
    return (
        f"{n} row{'' if n == 1 else 's'} {'was' if n == 1 else 'were'} imported before it; "
        "running the file again imports the rest"
    )


def _check(
    engine: Engine, file: ReportFile, result: ImportResult, progress: Progress | None
) -> set[int]:
    """Pass 1: the lines of the bad rows (their reasons go into ``result.refused``)."""
    bad: set[int] = set()
    if progress is not None:
        progress.start("checking", max(file.size, 1))
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
                f"no temporary space to check the file's external ids ({exc}); "
                "free some, or set TMPDIR to a writable directory; nothing was written"
            ) from None

    def __enter__(self) -> _Seen:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cur.close()
        self._con.close()


def _row_reason(engine: Engine, row: _Row, seen: _Seen) -> tuple[str | None, str | None]:
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
        return f"duplicate external_id: already on line {first}", ext
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
) -> None:
    """Pass 2: read the file again and hand its good rows to ``put`` in batches."""
    todo = result.read - len(bad)
    done = 0
    if progress is not None:
        progress.start("importing", max(todo, 1))
    batch = _Batch()
    for row in file.rows():
        if row.line in bad:
            continue
        try:
            if row.values is None:  # the file changed since it was checked
                raise InvalidInput(row.error or "unreadable row", field="file")
            ext = _external_id(row.external_id)
            req = _request(row.values, ext)
        except InvalidInput as exc:
            result.refused.append(BadRow(row.line, None, _column_reason(exc)))
            continue
        batch.add(row.line, ext, req)
        if len(batch) >= batch_size:
            put(batch)
            done += len(batch)
            batch = _Batch()
            if progress is not None:
                progress.update(done, done)
    if batch:
        put(batch)
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
        case_ids = engine.report_many([req for _, _, req in rows], source=source, new_case=True)
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
        (case_id,) = engine.report_many([req], source=source, new_case=True)
    except Conflict as exc:
        known = engine.known_external(source, [ext])
        if ext in known:
            result.already_imported += 1
            if result.case_ids is not None:
                result.case_ids[ext] = known[ext]
        else:
            result.refused.append(BadRow(line, ext, f"not filed: {exc.message}"))
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
            with engine.reporting(source=source, new_case=True) as file_batch:

                def put(batch: _Batch) -> None:
                    _stage_batch(engine, file_batch, batch, result, source)

                _file(file, bad, result, batch_size, progress, put)
                if len(result.refused) > checked:
                    raise _Undo
        except _Undo:
            _count_known(engine, file, bad, result, source, batch_size)
            return
        except Conflict as exc:
            if attempt + 1 < _WHOLE_ATTEMPTS:
                continue
            raise Conflict(
                f"{exc.message}; nothing was imported (--all-or-nothing)",
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


# --- a progress bar ---------------------------------------------------------------------------


class RichProgress:
    """A rich progress bar on stderr, one task per phase (use as a context manager)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as _Bar

        self._bar = _Bar(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:>9,} rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> RichProgress:
        self._stack.enter_context(self._bar)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def start(self, description: str, total: int) -> None:
        self._task = self._bar.add_task(description, total=total, rows=0)

    def update(self, completed: int, rows: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=completed, rows=rows)
