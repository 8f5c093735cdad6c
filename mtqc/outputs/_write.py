"""Writing a rendered report to where ``-o`` points.

* ``-`` is standard output.
* A path that exists and is not a regular file — a character device (``/dev/null``,
  ``/dev/stdout``), a named pipe, a socket — is written *through*: opened and written,
  never replaced, so ``-o /dev/null`` cannot replace the system's ``/dev/null`` and a
  pipe's reader gets the report.
* A regular file (or a path that does not exist yet) is written atomically: to a
  temporary file in the directory of the *real* target (symlinks followed), flushed,
  fsynced and renamed over it. A symlink therefore keeps pointing where it pointed, and
  the file it names gets the new content. Readers see the old file or the new one.
* :func:`open_output` does the same for a report written piece by piece (streamed into
  the temporary file, renamed at the end).

Temporary files are named ``.<name>.mtqc-<pid>-<random>.tmp``. They are removed when
the write fails or the process is interrupted (``SIGTERM`` becomes an exception in the
CLI); after a ``SIGKILL`` or a power cut one can be left behind, and the next write to the
same target removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mtqc.errors import MtqcError

STDOUT = "-"
TMP_MARK = ".mtqc-"
#: a leftover temporary file older than this is removed even if its pid is alive
#: (pids are reused; no write takes a day)
STALE_AFTER_S = 24 * 3600
#: names of a process's open files: written through even when they lead to a regular file
#: (``-o /dev/stdout > out.json`` must write into the shell's open file, not replace it)
_WRITE_THROUGH = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/")


def _tmp_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.mtqc-(\d+)-[0-9a-f]+\.tmp$")


def write_output(path: str | os.PathLike[str] | None, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``: ``None`` or ``"-"`` is standard output."""
    if path is None or str(path) == STDOUT:
        out = sys.stdout
        out.write(text if text.endswith("\n") or not text else text + "\n")
        out.flush()
        return
    write_atomic(path, text)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``: atomically for a regular file, through for
    anything else (devices, pipes, sockets); see the module docstring.

    Parent directories of a new file are created. An existing file keeps its
    permissions; a new one gets 0644 (less the umask's write bits for others).
    """
    data = text.encode("utf-8")  # before touching anything: an encoding error changes nothing
    shown = os.fspath(path)
    st = _target_stat(path, shown)
    if (st is not None and not stat.S_ISREG(st.st_mode)) or _is_special_path(shown):
        _write_through(shown, data)
        return
    target = Path(os.path.realpath(path))  # write beside the real file, not the link
    _replace(shown, target, data, st.st_mode & 0o7777 if st is not None else 0o644)


class Sink:
    """Where a streamed report goes: :meth:`write` text (UTF-8) as it is rendered."""

    def __init__(self, write_bytes, *, text_stream=None):
        self._write_bytes = write_bytes
        self._text = text_stream
        self.written = 0

    def write(self, text: str) -> None:
        if not text:
            return
        if self._text is not None:
            self._text.write(text)
        else:
            self._write_bytes(text.encode("utf-8"))
        self.written += len(text)


@contextlib.contextmanager
def open_output(path: str | os.PathLike[str] | None) -> Iterator[Sink]:
    """Stream a report to ``path`` as :func:`write_output` writes a whole one: ``None`` or
    ``"-"`` is standard output; a regular file (or a new path) gets a temporary file
    beside its real target that replaces it only when the ``with`` block ends without an
    error (an error or an interrupt removes it: the old file stays); devices, pipes and
    process files are written through as the text comes."""
    if path is None or str(path) == STDOUT:
        out = sys.stdout
        yield Sink(None, text_stream=out)
        out.flush()
        return
    shown = os.fspath(path)
    st = _target_stat(path, shown)
    if (st is not None and not stat.S_ISREG(st.st_mode)) or _is_special_path(shown):
        with _through(shown) as write_bytes:
            yield Sink(write_bytes)
        return
    target = Path(os.path.realpath(path))
    mode = st.st_mode & 0o7777 if st is not None else 0o644
    with _temporary(shown, target, mode) as fh:
        yield Sink(fh.write)


def _target_stat(path: str | os.PathLike[str], shown: str) -> os.stat_result | None:
    try:
        st: os.stat_result | None = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _cannot(shown, e, "check the path and its permissions") from e
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise MtqcError(f"cannot write {shown}: it is a directory; give a file name with -o")
    return st


def _is_special_path(path: str) -> bool:
    given = os.path.abspath(path)
    return given.startswith(_WRITE_THROUGH) or os.path.realpath(path).startswith("/proc/")


_OWN_FD = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")


def _own_fd(path: str) -> int | None:
    """The already-open descriptor ``path`` names (``/dev/stdout`` is 1), if any."""
    given = os.path.abspath(path)
    if given == "/dev/stdout":
        return 1
    if given == "/dev/stderr":
        return 2
    m = _OWN_FD.match(given)
    return int(m.group(1)) if m else None


def _write_through(shown: str, data: bytes) -> None:
    """Write into what ``shown`` names without replacing it. ``/dev/stdout`` and friends
    use the open descriptor itself, so ``>>`` appends and ``>`` keeps its position."""
    with _through(shown) as write_bytes:
        write_bytes(data)


@contextlib.contextmanager
def _through(shown: str) -> Iterator[Callable[[bytes], None]]:
    fd = _own_fd(shown)
    own = fd is not None
    if fd is None:
        try:
            st = os.stat(shown)
            trunc = os.O_TRUNC if stat.S_ISREG(st.st_mode) else 0
        except OSError:
            trunc = os.O_TRUNC
        try:
            fd = os.open(shown, os.O_WRONLY | os.O_CREAT | trunc, 0o644)
        except OSError as e:
            raise _cannot(shown, e, "check that it can be opened for writing") from e
    if own:
        sys.stdout.flush()
        sys.stderr.flush()

    def write_bytes(data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except BrokenPipeError:
            raise
        except OSError as e:
            raise _cannot(shown, e, "check the device or the pipe's reader") from e

    try:
        yield write_bytes
    finally:
        if not own:
            os.close(fd)


def _replace(shown: str, target: Path, data: bytes, mode: int) -> None:
    with _temporary(shown, target, mode) as fh:
        fh.write(data)


@contextlib.contextmanager
def _temporary(shown: str, target: Path, mode: int) -> Iterator[BinaryIO]:
    """A temporary file beside ``target`` to write into; renamed over ``target`` when
    the block ends, removed when it raises (or is interrupted)."""
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cannot(shown, e, "check that the directory can be created and is writable") from e
    remove_stale_temporaries(target)
    tmp = directory / f".{target.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise _cannot(shown, e, "check that the directory can be created and is writable") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:  # incl. KeyboardInterrupt and the CLI's SIGTERM exit
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _cannot(shown, e, "check free space and permissions") from e
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temporaries(target: str | os.PathLike[str], *, now: float | None = None) -> int:
    """Remove temporary files an interrupted write to ``target`` left behind.

    A temporary file is stale when its process is gone, or when it is older than
    :data:`STALE_AFTER_S`. Returns how many were removed.
    """
    target = Path(target)
    pattern = _tmp_re(target.name)
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if pid == os.getpid() and age < STALE_AFTER_S:
            continue  # ours, possibly in flight in another thread
        if _alive(pid) and age < STALE_AFTER_S:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or an absurd pid): leave it
    return True


def _cannot(shown: str, e: OSError, what: str) -> MtqcError:
    return MtqcError(f"cannot write {shown}: {e.strerror or e}; {what}")
