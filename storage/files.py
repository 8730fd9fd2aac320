"""Files that hold children's data (the database and its -wal/-shm, backups, exports) are the owner's only.

They hold names, birth dates, NIK and parents' phone numbers (UU PDP 27/2022). Under the usual umask 022 they
were created 0644 in a 0755 folder: readable by every account on the server. Here files are created 0600 and
folders 0700 whatever the umask (the mode is set explicitly after creation), a file is rewritten through a
0600 temporary file so a replaced file is never looser than that, and `looser_than_private` finds existing
files that an operator should tighten (the start-up check logs them; we do not change modes an operator
chose).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create `path` and any missing parents as 0700; folders that already exist are left alone."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created meanwhile by another process: fine
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask


def create_private(path: Path) -> bool:
    """Create `path` empty and 0600 if it does not exist (True when created here)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)  # os.open's mode is filtered by the umask too
    finally:
        os.close(fd)
    return True


@contextlib.contextmanager
def private_temp(dest: Path, suffix: str = ".partial") -> Iterator[Path]:
    """A fresh 0600 file next to `dest` for a writer; on success it replaces `dest` (atomically), else goes.

    Writers that open the path themselves ("w", sqlite3.connect, openpyxl) keep an existing file's mode,
    so the file is made private before they open it.
    """
    private_dir(dest.parent)
    tmp = dest.with_name(dest.name + suffix)
    tmp.unlink(missing_ok=True)
    create_private(tmp)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, FILE_MODE)  # in case the writer replaced the file instead of writing into it
    tmp.replace(dest)  # a half-written file never carries the final name


def write_private(dest: Path, writer: Callable[[Path], object]) -> None:
    """Run `writer(path)` on a private temporary file, then put it in place of `dest`."""
    with private_temp(dest) as tmp:
        writer(tmp)


def looser_than_private(path: Path, *, side_files: tuple[str, ...] = ()) -> list[tuple[Path, int]]:
    """(path, mode) of `path`, its side files and its folder when group or others have any access.

    A shared folder with the sticky bit (/tmp) is not reported: others cannot touch our files there.
    """
    found: list[tuple[Path, int]] = []
    for candidate in (path, *(path.with_name(path.name + s) for s in side_files)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            found.append((candidate, mode))
    try:
        folder_mode = path.parent.stat().st_mode
    except OSError:
        return found
    if stat.S_IMODE(folder_mode) & 0o077 and not folder_mode & stat.S_ISVTX:
        found.append((path.parent, stat.S_IMODE(folder_mode)))
    return found


__all__ = ["DIR_MODE", "FILE_MODE", "SQLITE_SIDE_FILES", "create_private", "looser_than_private",
           "private_dir", "private_temp", "write_private"]
