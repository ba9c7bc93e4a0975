"""What a command prints: JSON for machines, rich consoles for people (``NO_COLOR`` honoured),
and long human output through a pager on a terminal, as git does."""

import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from shouhu.cli.settings import SETTINGS


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _print_json_items(items: Iterable[Any]) -> None:
    """A JSON array written item by item: the same text as :func:`_print_json` of the list,
    without holding the list."""
    out = sys.stdout
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        out.write(("[\n  " if first else ",\n  ") + text)
        first = False
    out.write("[]\n" if first else "\n]\n")


def _no_color() -> bool:
    """``NO_COLOR`` is set (no-color.org): no colours, nor any other escape sequence."""
    return bool(os.environ.get("NO_COLOR"))


def _console(file: Any = None) -> Any:
    """A console for human output on standard output (or ``file``); with ``NO_COLOR``, plain
    text even on a terminal (rich alone would still write bold and underline)."""
    from rich.console import Console

    return Console(
        file=file,
        highlight=False,
        soft_wrap=False,
        color_system=None if _no_color() else "auto",
        width=shutil.get_terminal_size().columns if file is not None else None,
    )


#: The pager when neither SHOUHU_PAGER nor PAGER is set (as git: quit if one screen, colours).
DEFAULT_PAGER = "less -FRX"


def _pager_command() -> list[str] | None:
    """The pager for long output: ``$SHOUHU_PAGER``, else ``$PAGER``, else ``less -FRX``; None
    when standard output is no terminal (a pipe, a file, a test), with ``--no-pager``, or when
    the pager is set empty or to ``cat``."""
    import shlex

    if SETTINGS.no_pager or not sys.stdout.isatty():
        return None
    for var in ("SHOUHU_PAGER", "PAGER"):
        if var in os.environ:
            text = os.environ[var]
            break
    else:
        text = DEFAULT_PAGER
    try:
        command = shlex.split(text)
    except ValueError:
        return None
    return None if not command or command == ["cat"] else command


class _PagerOut:
    """Standard output through a pager once the text is longer than the screen: lines are
    held until they fill the screen, then the pager is started and everything goes to it
    (a long table streams on); shorter text is written as it is when closed."""

    def __init__(self, command: list[str], height: int) -> None:
        self.command = command
        self.height = max(height - 1, 1)  # a line is kept for the prompt
        self.held: list[str] = []
        self.lines = 0
        self.pager: Any = None
        self.gone = False  # the user quit the pager: the rest is not wanted

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return sys.stdout.fileno()

    def flush(self) -> None:
        pass

    def write(self, text: str) -> int:
        if self.pager is None:
            self.held.append(text)
            self.lines += text.count("\n")
            if self.lines > self.height:
                self._start()
        else:
            self._send(text)
        return len(text)

    def _start(self) -> None:
        import subprocess

        sys.stdout.flush()
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        try:
            self.pager = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, env=env, encoding="utf-8", errors="replace"
            )
        except OSError:  # no such pager: the text as it is
            self.command = []
            self.height = sys.maxsize
            return
        held, self.held = "".join(self.held), []
        self._send(held)

    def _send(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.pager.stdin.write(text)
        except (BrokenPipeError, OSError):
            self.gone = True

    def close(self) -> None:
        if self.pager is None:
            sys.stdout.write("".join(self.held))
            sys.stdout.flush()
            return
        with suppress(BrokenPipeError, OSError):
            self.pager.stdin.close()
        while True:
            try:
                self.pager.wait()
                return
            except KeyboardInterrupt:  # as git: the pager handles Ctrl-C itself
                continue


@contextmanager
def _paged() -> Iterator[Any]:
    """A console for long human output: through the pager (:func:`_pager_command`) when
    standard output is a terminal and the text is longer than the screen, as git does."""
    command = _pager_command()
    if command is None:
        yield _console()
        return
    out = _PagerOut(command, shutil.get_terminal_size().lines)
    try:
        yield _console(file=out)
    finally:
        out.close()
