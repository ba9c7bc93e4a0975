"""CSV records as a report file holds them: each with its physical line numbers, and where a
record's quoting breaks — a quote never closed is named by the line its cell began on, and the
lines it ran into are read again as rows of their own (a broken cell swallows no row)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shouhu.i18n import _


@dataclass(frozen=True, slots=True)
class Row:
    """One record of the file: its first line, its columns (or why it has none), its raw id."""

    line: int
    values: dict[str, Any] | None
    error: str | None
    external_id: Any = None


class Lines:
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

    def __iter__(self) -> Lines:
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


def broken_row(lines: Lines, error: str, header: tuple[str, ...]) -> Row:
    """The row of a record :func:`csv.reader` refused. A quoted cell whose quote is never
    closed is named by the line its quote is on, and the lines it ran into are handed back to
    be read as rows of their own: a broken cell swallows no row."""
    record = lines.record
    start, end = record[0][0], record[-1][0]
    trouble = _quote_trouble(record)
    if trouble is None:
        return Row(start, None, _("not valid CSV: {error}").format(error=error))
    cell, opened, unclosed = trouble
    column = header[cell] if cell < len(header) else _("not valid CSV")
    ext = _leading_cell(record, opened, header.index("external_id"), cell)
    on = "" if opened == start else _(" on line {line}").format(line=opened)
    if not unclosed and opened == end:  # closed, then text after it: the row alone is broken
        return Row(
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
    return Row(
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
    return utf8_or_none(cells[at]) if at < len(cells) else None


def utf8(cells: Any) -> bool:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def utf8_or_none(text: str | None) -> str | None:
    return text if text is not None and utf8(text) else None
