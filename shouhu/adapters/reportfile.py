"""Reading a file of reports for batch intake: the private copy of the input (a path, a pipe,
or ``-``), CSV and JSON Lines rows with their physical line numbers, a CSV quote that is never
closed named by the line where its cell began, and each row as a :class:`ReportRequest`."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from shouhu.errors import InvalidInput, StoreUnavailable
from shouhu.i18n import _

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
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_CHUNK = 1 << 20  # bytes copied at a time into the private copy


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
                    _("stdin: cannot read it: there is no standard input"), field="file"
                )
            buffer = getattr(stdin, "buffer", None)
            if buffer is None:  # replaced by a text stream
                buffer = io.BytesIO(stdin.read().encode("utf-8", "surrogateescape"))
            return contextlib.nullcontext(buffer)
        kind = stat.S_IFMT(os.stat(self.path).st_mode)  # a FIFO is not opened yet: no wait
        if kind in (stat.S_IFSOCK, stat.S_IFBLK):
            what = _("a socket") if kind == stat.S_IFSOCK else _("a block device")
            raise InvalidInput(
                _(
                    "{name}: cannot read the file: it is {what}, not a file, a pipe or standard "
                    "input (-)"
                ).format(name=self.name, what=what),
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
                    _("{name}: line 1: not valid CSV: {exc}").format(name=self.name, exc=exc),
                    field="file",
                ) from None
        if not first:
            raise InvalidInput(
                _("{name}: no header row: the first line must name the columns ({columns})").format(
                    name=self.name, columns=", ".join(COLUMNS)
                ),
                field="file",
            )
        header = tuple(name.strip() for name in first)
        if not _utf8(header):
            raise InvalidInput(
                _("{name}: line 1: not valid UTF-8").format(name=self.name), field="file"
            )
        twice = sorted({n for n in header if header.count(n) > 1})
        if twice:
            raise InvalidInput(
                _("{name}: line 1: column {twice!r} is named twice").format(
                    name=self.name, twice=twice[0][:40]
                ),
                field="file",
            )
        unknown = [n for n in header if n not in COLUMNS and n not in OPTIONAL_COLUMNS]
        if unknown:
            raise InvalidInput(
                _("{name}: line 1: unknown column {unknown!r} (columns: {columns})").format(
                    name=self.name,
                    unknown=unknown[0][:40],
                    columns=", ".join(COLUMNS + OPTIONAL_COLUMNS),
                ),
                field="file",
            )
        missing = [n for n in COLUMNS if n not in header]
        if missing:
            raise InvalidInput(
                _("{name}: line 1: the header lacks {missing}").format(
                    name=self.name, missing=", ".join(missing)
                ),
                field="file",
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
                yield _Row(start, None, _("not valid UTF-8"), _utf8_or_none(ext))
            elif len(cells) != width:
                where = (
                    _("the row ends before {header}").format(header=header[len(cells)])
                    if len(cells) < width
                    else _("a cell after {header}, the last column").format(header=header[-1])
                )
                if end > start:  # a quoted cell ran on over lines: perhaps too far
                    where += _(" (the row runs on from line {start} to line {end})").format(
                        start=start, end=end
                    )
                yield _Row(
                    start,
                    None,
                    _("expected {width} columns (as the header), found {cells}: {where}").format(
                        width=width, cells=len(cells), where=where
                    ),
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
                yield _Row(number, None, _("not valid UTF-8"))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _Row(
                    number,
                    None,
                    _("not JSON: {msg} (column {colno})").format(msg=exc.msg, colno=exc.colno),
                )
                continue
            except RecursionError:
                yield _Row(number, None, _("not JSON: nested too deeply"))
                continue
            if not isinstance(obj, dict):
                yield _Row(number, None, _("not a JSON object"))
                continue
            ext = obj.get("external_id")
            missing = [n for n in COLUMNS if n not in obj]
            unknown = [str(k) for k in obj if k not in COLUMNS and k not in OPTIONAL_COLUMNS]
            if missing:
                yield _Row(
                    number,
                    None,
                    _("missing column {missing}").format(missing=", ".join(missing)),
                    ext,
                )
            elif unknown:
                yield _Row(
                    number,
                    None,
                    _("unknown column {unknown!r}").format(unknown=unknown[0][:40]),
                    ext,
                )
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
        return _Row(start, None, _("not valid CSV: {error}").format(error=error))
    cell, opened, unclosed = trouble
    column = header[cell] if cell < len(header) else _("not valid CSV")
    ext = _leading_cell(record, opened, header.index("external_id"), cell)
    on = "" if opened == start else _(" on line {line}").format(line=opened)
    if not unclosed and opened == end:  # closed, then text after it: the row alone is broken
        return _Row(
            start,
            None,
            _(
                "{column}: text after the closing quote of a quoted cell (a quote inside a "
                'quoted cell is written twice: "")'
            ).format(column=column),
            ext,
        )
    if unclosed and lines.ended:
        runs = _("the cell runs on to the end of the file")
    elif unclosed:  # csv stopped it at its field size limit
        runs = _("the cell runs on past {limit:,} characters, into line {end}").format(
            limit=csv.field_size_limit(), end=end
        )
    else:
        runs = _("the cell runs on into line {end}").format(end=end)
    lines.again([item for item in record if item[0] > opened])
    return _Row(
        start,
        None,
        _("{column}: an opening quote{on} is never closed ({runs})").format(
            column=column, on=on, runs=runs
        ),
        ext,
    )


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
            raise InvalidInput(
                _("--format: expected csv or jsonl, not {fmt!r}").format(fmt=fmt[:20]),
                field="format",
            )
        return chosen
    if str(path) == "-":
        raise InvalidInput(
            _(
                "stdin: standard input has no name to tell its format by: give --format csv or "
                "--format jsonl"
            ),
            field="format",
        )
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            _(
                "{name}: cannot tell the format from the name (.csv, .jsonl or .ndjson): give "
                "--format csv or --format jsonl"
            ).format(name=name),
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
    return InvalidInput(
        _("{name}: cannot read the file: {reason}").format(name=name, reason=reason), field="file"
    )


def _no_room(name: str, exc: OSError) -> StoreUnavailable:
    reason = exc.strerror or type(exc).__name__
    return StoreUnavailable(
        _(
            "no temporary space to copy {name} ({reason}); free some, or set TMPDIR to a "
            "writable directory; nothing was written"
        ).format(name=name, reason=reason)
    )


def _utf8(cells: Any) -> bool:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8_or_none(text: str | None) -> str | None:
    return text if text is not None and _utf8(text) else None
