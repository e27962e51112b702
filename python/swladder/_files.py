"""Files the command writes, written so that no user's file is ever lost.

An output that is a regular file (or a symbolic link to one, or a name not
yet taken) is written to a temporary file beside its target and renamed over
it only when everything has been written, so a failed or interrupted run
leaves the old file as it was and no temporary file behind. Anything else
(``/dev/null``, ``/dev/stdout``, a FIFO) is written in place, as a stream
cannot be replaced. An output that is the same file as one of the inputs
(the same device and inode: a hard link or another spelling counts) is
refused before anything is opened for writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from typing import IO, Iterable, Iterator

STDOUT = "-"
STDOUT_NAME = "standard output"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def input_files(path: str) -> list[str]:
    """The files a search reads for the input named ``path``: the file
    itself, a shard folder's manifest and shard files, or a BLAST
    database's files (its alias file and every file of each volume)."""
    if path == STDOUT or not path:
        return []
    if os.path.isdir(path):
        try:
            names = os.listdir(path)
        except OSError:
            return []
        return [os.path.join(path, name) for name in names]
    return [path, *_blast_database_files(path)]


def _blast_database_files(path: str) -> list[str]:
    from . import _blastdb, _core

    try:
        base = _blastdb.resolve(path)
    except ValueError:
        return []  # the search says what is wrong with the name
    if base is None:
        return []
    try:
        volumes = list(_core.BlastDatabase(base).volumes)
    except (ValueError, OSError):
        volumes = []
    files = []
    for stem in {base, *volumes}:
        folder = os.path.dirname(stem) or "."
        prefix = os.path.basename(stem) + "."
        try:
            files += [os.path.join(folder, name) for name in os.listdir(folder) if name.startswith(prefix)]
        except OSError:
            pass
    return files


def refuse_output_that_is_input(output: str | None, inputs: Iterable[tuple[str, str]]) -> None:
    """A ValueError when ``output`` is the same file as one of ``inputs``
    ((role, path) pairs, a path being a file or a shard folder)."""
    if output is None or output == STDOUT:
        return
    target = _identity(output)
    if target is None:
        return
    for role, path in inputs:
        for name in input_files(path):
            if _identity(name) == target:
                same = "" if os.path.abspath(name) == os.path.abspath(output) else f" ('{name}')"
                raise ValueError(f"output '{output}' is the {role}{same}: it would be overwritten; "
                                 "give another output file")


def _umask() -> int:
    umask = os.umask(0)  # reading the mask means setting it: set it straight back
    os.umask(umask)
    return umask


def os_error(kind: type[OSError], number: int | None, message: str) -> OSError:
    """An OSError of ``kind`` whose str() is ``message`` and whose errno is
    ``number`` (built from both, str() would start "[Errno N]")."""
    error = kind(message)
    error.errno = number
    return error


def writing_error(path: str, error: OSError) -> OSError:
    """``error`` (of the same type, with its errno) saying which file it was writing."""
    if str(error).startswith("error writing "):
        return error  # said already
    where = path if path == STDOUT_NAME else f"'{path}'"
    return os_error(type(error), error.errno, f"error writing {where}: {error.strerror or error}")


class ClosedOutput:
    """Standard output of a process started with it closed: every write is
    an error (Python would drop the text silently)."""

    def write(self, text: str) -> int:
        raise os_error(OSError, errno.EBADF, "cannot write to standard output: it is closed")

    def flush(self) -> None:
        pass


class NamedWriter:
    """A text stream whose write errors name the file they write."""

    def __init__(self, stream: IO[str], name: str) -> None:
        self._stream = stream
        self._name = name

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise writing_error(self._name, error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise writing_error(self._name, error) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def output_text(path: str) -> Iterator[IO[str]]:
    """A text stream writing ``path`` ("-": standard output), replaced whole
    on success (see the module's docstring); write errors name the file."""
    if path == STDOUT:
        if sys.stdout is None or isinstance(sys.stdout, ClosedOutput):  # said before any work is done
            raise os_error(OSError, errno.EBADF, "cannot write to standard output: it is closed")
        writer = sys.stdout if isinstance(sys.stdout, NamedWriter) else NamedWriter(sys.stdout, STDOUT_NAME)
        yield writer  # type: ignore[misc]
        writer.flush()
        return
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise os_error(type(error), error.errno, f"cannot write '{path}': {error.strerror or error}") from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise os_error(IsADirectoryError, errno.EISDIR, f"cannot write '{path}': it is a directory")
    if status is not None and not stat.S_ISREG(status.st_mode):
        # A device or a FIFO: written in place.
        with _text_file(path, path) as writer:
            yield writer
        return
    with replaced_file(path) as temporary, _text_file(temporary, path) as writer:
        yield writer


@contextlib.contextmanager
def _text_file(path: str, name: str) -> Iterator[IO[str]]:
    """``path`` opened for writing text, every error naming ``name``; closed
    at the end, where a failed flush is an error too."""
    try:
        stream = open(path, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise os_error(type(error), error.errno, f"cannot write '{name}': {error.strerror or error}") from None
    writer = NamedWriter(stream, name)
    try:
        yield writer  # type: ignore[misc]
        writer.flush()
    except BaseException:
        with contextlib.suppress(OSError):  # the error already raised says what went wrong
            stream.close()
        raise
    try:
        stream.close()
    except OSError as error:
        raise writing_error(name, error) from None


@contextlib.contextmanager
def replaced_file(path: str) -> Iterator[str]:
    """The name of a new temporary file beside ``path`` (beside its target,
    if ``path`` is a symbolic link) to write; renamed over the target when
    the block ends without an exception, removed when it raises. The file
    keeps the old file's mode, or gets the default one for a new file."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise os_error(type(error), error.errno, f"cannot write '{path}': {error.strerror or error}") from None
    try:
        os.close(descriptor)
        os.chmod(temporary, mode)
        yield temporary
        try:
            os.replace(temporary, target)
        except OSError as error:
            raise writing_error(path, error) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def replaced_folder(path: str) -> Iterator[str]:
    """The name of a new temporary folder beside ``path`` to fill; when the
    block ends without an exception, it takes ``path``'s place (an existing
    ``path``, which the caller has checked may go, is removed after the
    swap); when it raises, the temporary folder is removed and ``path`` is as
    it was."""
    target = os.path.realpath(path)
    parent = os.path.dirname(target) or "."
    exists = os.path.isdir(target)
    try:
        os.makedirs(parent, exist_ok=True)
        temporary = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=parent)
    except OSError as error:
        raise os_error(type(error), error.errno, f"cannot write '{path}': {error.strerror or error}") from None
    try:
        os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode) if exists else 0o777 & ~_umask())
        yield temporary
        old = None
        if exists:
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".old", dir=parent)
            os.rename(target, os.path.join(old, "previous"))
        try:
            os.rename(temporary, target)
        except OSError:
            if old is not None:  # put the previous one back
                os.rename(os.path.join(old, "previous"), target)
                shutil.rmtree(old, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise

