"""Reading a file of reports for batch intake: the private copy of the input (a path, a pipe,
or ``-``), CSV and JSON Lines rows with their physical line numbers, and each row as a
:class:`ReportRequest`. How a CSV record's broken quoting is named: :mod:`csvrecords`."""

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
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from shouhu.adapters.csvrecords import Lines, Row, broken_row, utf8, utf8_or_none
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

    def rows(self) -> Iterator[Row]:
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
        if not utf8(header):
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

    def _csv_rows(self, raw: IO[bytes]) -> Iterator[Row]:
        assert self.header is not None
        header = self.header
        with self._text(raw) as text:
            yield from self._csv_records(raw, text, header)

    def _csv_records(
        self, raw: IO[bytes], text: io.TextIOWrapper, header: tuple[str, ...]
    ) -> Iterator[Row]:
        width = len(header)
        ext_at = header.index("external_id")
        lines = Lines(text)
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
                yield broken_row(lines, str(exc), header)
                continue
            finally:
                self.position = raw.tell()
            if not cells:
                continue  # a blank line
            start, end = lines.record[0][0], lines.record[-1][0]
            ext = cells[ext_at] if ext_at < len(cells) else None
            if not utf8(cells):
                yield Row(start, None, _("not valid UTF-8"), utf8_or_none(ext))
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
                yield Row(
                    start,
                    None,
                    _("expected {width} columns (as the header), found {cells}: {where}").format(
                        width=width, cells=len(cells), where=where
                    ),
                    ext,
                )
            else:
                yield Row(start, dict(zip(header, cells, strict=True)), None, ext)

    # -- JSON Lines ----------------------------------------------------------------------------

    def _jsonl_rows(self, raw: IO[bytes]) -> Iterator[Row]:
        for number, blob in enumerate(raw, start=1):
            self.position += len(blob)
            if number == 1 and blob.startswith(b"\xef\xbb\xbf"):
                blob = blob[3:]
            if not blob.strip():
                continue
            try:
                text = blob.decode("utf-8")
            except UnicodeDecodeError:
                yield Row(number, None, _("not valid UTF-8"))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(
                    number,
                    None,
                    _("not JSON: {msg} (column {colno})").format(msg=exc.msg, colno=exc.colno),
                )
                continue
            except RecursionError:
                yield Row(number, None, _("not JSON: nested too deeply"))
                continue
            if not isinstance(obj, dict):
                yield Row(number, None, _("not a JSON object"))
                continue
            ext = obj.get("external_id")
            missing = [n for n in COLUMNS if n not in obj]
            unknown = [str(k) for k in obj if k not in COLUMNS and k not in OPTIONAL_COLUMNS]
            if missing:
                yield Row(
                    number,
                    None,
                    _("missing column {missing}").format(missing=", ".join(missing)),
                    ext,
                )
            elif unknown:
                yield Row(
                    number,
                    None,
                    _("unknown column {unknown!r}").format(unknown=unknown[0][:40]),
                    ext,
                )
            else:
                yield Row(number, obj, None, ext)


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
