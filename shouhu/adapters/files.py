"""Writing a file a user names, without destroying anything on the way.

:func:`write_new` creates the file with ``O_CREAT | O_EXCL | O_NOFOLLOW``: it never replaces an
existing file unless told to (``force``), never writes through a symbolic link (even when
forced), and never writes over a protected file — the database in use and its ``-journal``,
``-wal`` and ``-shm`` — however the path is spelled (relative, ``..``, a linked directory, a
hard link: compared by device and inode where the file exists, by real path otherwise).
Forced over an existing regular file, it writes a temporary file in the same directory and
renames it over the old one, so a failure leaves the old file whole. :func:`check_target`
runs the same checks without writing, for a command to refuse before it does any work.
Every refusal is :class:`~shouhu.errors.InvalidInput` (exit 2), one line naming the file.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from shouhu.errors import InvalidInput
from shouhu.i18n import _

_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

StrPath = str | os.PathLike[str]


def _protected(target: Path, protect: Iterable[StrPath]) -> Path | None:
    """The protected path ``target`` would write over, if any."""
    try:
        here = os.lstat(target)
    except OSError:
        here = None
    real = os.path.realpath(target)
    for item in protect:
        other = Path(item)
        if here is not None:
            try:
                there = os.stat(other)
            except OSError:
                there = None
            if there is not None and (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
                return other
        if real == os.path.realpath(other):
            return other
    return None


def check_target(
    path: StrPath, *, force: bool = False, protect: Iterable[StrPath] = (), what: str = "--output"
) -> bool:
    """Refuse (``InvalidInput``) a path :func:`write_new` would refuse; True if it exists.

    ``what`` names the option in the messages (``--output: …``).
    """
    target = Path(path)
    shown = str(path)
    parent = target.parent
    if not parent.is_dir():
        raise InvalidInput(
            _("{what}: no such directory {parent!r}").format(what=what, parent=str(parent)),
            field="output",
        )
    hit = _protected(target, protect)
    if hit is not None:
        raise InvalidInput(
            _(
                "{what} {shown} would write over the database in use ({hit}); that is never "
                "done, not even with --force"
            ).format(what=what, shown=shown, hit=hit),
            field="output",
        )
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InvalidInput(
            _("{what}: cannot use {shown!r}: {strerror}").format(
                what=what, shown=shown, strerror=exc.strerror
            ),
            field="output",
        ) from None
    if stat.S_ISLNK(st.st_mode):
        raise InvalidInput(
            _(
                "{what} {shown} is a symbolic link; nothing is written through one, not even "
                "with --force (give the path of a new file)"
            ).format(what=what, shown=shown),
            field="output",
        )
    if not stat.S_ISREG(st.st_mode):
        raise InvalidInput(
            _("{what} {shown} exists and is not a regular file").format(what=what, shown=shown),
            field="output",
        )
    if not force:
        raise InvalidInput(
            _("{what} {shown} already exists; give a new name, or --force to replace it").format(
                what=what, shown=shown
            ),
            field="output",
        )
    return True


def write_new(
    path: StrPath,
    text: str | bytes,
    *,
    force: bool = False,
    private: bool = False,
    protect: Iterable[StrPath] = (),
    what: str = "--output",
) -> int:
    """Write ``text`` (UTF-8) to a new file at ``path``; the number of bytes written.

    ``private``: mode 0600 (the file holds personal data); else 0644; both less the umask.
    ``force``: an existing regular file is replaced (through a temporary file and a rename).
    ``protect``: paths never written over (the database in use and its companions). On any
    failure nothing is left behind: the new or temporary file is removed, an old file kept.
    """
    protect = list(protect)
    data = text.encode("utf-8") if isinstance(text, str) else text
    mode = 0o600 if private else 0o644
    target = Path(path)
    exists = check_target(target, force=force, protect=protect, what=what)
    if not exists:
        _create(target, data, mode, shown=str(path), what=what)
        return len(data)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    _create(temp, data, mode, shown=str(path), what=what)
    try:
        check_target(target, force=True, protect=protect, what=what)  # still a file we may replace
        os.replace(temp, target)  # renames: replaces a name, follows no link
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InvalidInput(
                _("{what}: cannot write {path!r}: {strerror}").format(
                    what=what, path=str(path), strerror=exc.strerror
                ),
                field="output",
            ) from None
        raise
    return len(data)


def _create(target: Path, data: bytes, mode: int, *, shown: str, what: str) -> None:
    """Create ``target`` (which must not exist) holding ``data``, synced; removed on failure."""
    try:
        fd = os.open(target, _CREATE, mode)
    except FileExistsError:
        raise InvalidInput(
            _("{what} {shown} already exists; give a new name, or --force to replace it").format(
                what=what, shown=shown
            ),
            field="output",
        ) from None
    except OSError as exc:
        raise InvalidInput(
            _("{what}: cannot write {shown!r}: {strerror}").format(
                what=what, shown=shown, strerror=exc.strerror
            ),
            field="output",
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InvalidInput(
                _("{what}: cannot write {shown!r}: {strerror}").format(
                    what=what, shown=shown, strerror=exc.strerror
                ),
                field="output",
            ) from None
        raise
