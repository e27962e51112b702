"""FASTA input: files (gzip recognised by its magic bytes, not its name),
standard input, and the encoded Database built from them."""

from __future__ import annotations

import collections.abc
import errno
import gzip
import operator
import os
import sys
import zlib
from typing import Any, Iterable, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _core

PathLike = Union[str, "os.PathLike[str]"]
DatabaseSource = Union["Database", PathLike, Iterable[Union[str, Tuple[str, str]]]]

GZIP_MAGIC = b"\x1f\x8b"
STDIN_NAME = "<stdin>"


def _fasta_path(path: PathLike) -> str:
    path = os.fsdecode(os.fspath(path))
    # Reading a directory yields no bytes rather than an error: say what it is.
    if os.path.isdir(path):
        raise _directory_error(path)
    return path


def is_sequence_text(text: str) -> bool:
    """Whether a str given where a FASTA path or a sequence may go (the
    queries of hits()) is the sequence: written in capital residue letters
    (``ALPHABET``) and naming no file or directory here. Anything else is a
    path, so that a mistyped file name ("myqueries") is a missing file, not
    a 9-residue query; a sequence in small letters goes in a list."""
    return text != "-" and all(letter in _core.ALPHABET for letter in text) and not os.path.exists(text)


def has_path_punctuation(text: str) -> bool:
    """Whether a str has a character of paths that no sequence has: a
    separator or a dot (of an extension: queries.fa)."""
    return any(mark in text for mark in {"/", ".", os.sep})


def _missing_file(path: str, hint: str) -> FileNotFoundError:
    error = FileNotFoundError(f"cannot open FASTA file '{path}': No such file or directory ({hint})")
    error.errno = errno.ENOENT
    return error


def check_path_exists(text: str, hint: str) -> None:
    """A FileNotFoundError, with ``hint`` on what was probably meant, for a
    str taken as a path that names nothing and has no separator or dot: a
    word that was more likely meant as a sequence than as a file."""
    if not has_path_punctuation(text) and not os.path.lexists(text):
        raise _missing_file(text, hint)


def _os_error(error: OSError, message: str) -> OSError:
    """`error` in our words: its type and errno, `message` as its text (a
    strerror would make str() "[Errno 2] ..." instead)."""
    out = type(error)(message)
    out.errno = error.errno
    return out


def _directory_error(path: str) -> OSError:
    return _os_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)),
                     f"cannot read FASTA file '{path}': it is a directory")


def _open_error(path: str, error: OSError) -> OSError:
    """The error the C++ reader gives for a file it cannot open: the same
    type by errno (PermissionError, FileNotFoundError, ...) and the same
    words, "cannot open FASTA file 'x': Permission denied", whether or not
    the file is gzip."""
    return _os_error(error, f"cannot open FASTA file '{path}': {error.strerror or error}")


def _read_bytes(path: str, size: int = -1) -> bytes:
    """The first ``size`` bytes of a file (all of it by default), with the
    errors the C++ reader gives: the errno's type and words."""
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise _open_error(path, error) from None
    with stream:
        try:
            return stream.read(size)
        except OSError as error:
            raise _os_error(error, f"error reading FASTA file '{path}': {error}") from None


def _is_gzip(path: str) -> bool:
    """Whether the file starts with gzip's magic bytes (1f 8b)."""
    return _read_bytes(path, 2) == GZIP_MAGIC


def decompress(data: bytes, source: str) -> bytes:
    """The FASTA bytes of a file's content: gunzipped when it starts with
    gzip's magic bytes, as it is otherwise."""
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"FASTA file '{source}' is not a valid gzip file ({error})") from None


def _read_gzip(path: str) -> bytes:
    return decompress(_read_bytes(path), path)


def read_stdin_bytes() -> bytes:
    """Everything on standard input, as bytes, as it came (gzip or not): the
    parsers it goes to gunzip it, once."""
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")


def parse_fasta_bytes(data: bytes, source: str = STDIN_NAME) -> list[tuple[str, str, str]]:
    return _core.parse_fasta(decompress(data, source), source)


def read_fasta(path: PathLike) -> list[tuple[str, str, str]]:
    """(name, description, sequence) of every record of a FASTA file (gzip is
    recognised by its magic bytes and decompressed), with the C++ reader's
    rules and messages."""
    path = _fasta_path(path)
    if _is_gzip(path):
        return _core.parse_fasta(_read_gzip(path), path)
    return _core.read_fasta(path)


class Database:
    """A protein database, encoded once and searched many times.

    ``Database(source)`` takes the path of a FASTA file (str or PathLike; a
    gzip file, known by its magic bytes, is decompressed), the name of a BLAST
    protein database (as blastp takes it: see swladder._blastdb), a list of sequences
    (named seq1, seq2, ...), or a list of (name, sequence) pairs. Every record
    is kept, in order, so score i belongs to record i. Invalid input raises
    ValueError with the C++ reader's message (file, line, record, position); a
    file that cannot be opened raises the OSError its errno names
    (FileNotFoundError, PermissionError, IsADirectoryError), saying so:
    "cannot open FASTA file 'x': Permission denied"."""

    # Set for a BLAST database only: _statistics_size, the (residues,
    # sequences) its index or alias file gives, which blastp's E-values use;
    # _oids, each record's OID; _blast, the _core.BlastDatabase (its
    # records' def-lines give a hit's IDs).
    __slots__ = ("_core", "_statistics_size", "_oids", "_blast")

    def __init__(self, source: DatabaseSource) -> None:
        if isinstance(source, Database):
            self._core: _core.Database = source._core
            for name in ("_statistics_size", "_oids", "_blast"):
                if hasattr(source, name):
                    setattr(self, name, getattr(source, name))
        elif isinstance(source, _core.Database):
            self._core = source
        elif isinstance(source, (str, os.PathLike)):
            from . import _blastdb

            blast = _blastdb.resolve(os.fsdecode(os.fspath(source)))
            if blast is not None:
                whole = _blastdb.read_all(blast)
                self._core, self._statistics_size = whole._core, whole._statistics_size
                self._oids, self._blast = whole._oids, whole._blast
                return
            if isinstance(source, str) and source and all(letter in _core.ALPHABET for letter in source.upper()):
                check_path_exists(source, f"sequences are given as a list: Database([{source!r:.40}])")
            path = _fasta_path(source)
            if _is_gzip(path):
                self._core = _core.Database.from_fasta_bytes(_read_gzip(path), path)
            else:
                self._core = _core.Database.from_fasta(path)
        elif isinstance(source, (bytes, bytearray)) or not isinstance(source, collections.abc.Iterable):
            raise TypeError("a database is a FASTA path, a list of sequences or a list of (name, sequence) pairs, "
                            f"not {type(source).__name__}")
        else:
            self._core = self._from_items(list(source))

    @staticmethod
    def _from_items(items: list[Any]) -> _core.Database:
        if all(isinstance(item, str) for item in items):
            return _core.Database.from_sequences(items)
        if isinstance(items[0], str):
            # The first entry makes this a list of sequences: name the first that is not one.
            number, item = next((n, x) for n, x in enumerate(items, start=1) if not isinstance(x, str))
            raise TypeError("database entries must be all sequences (str) or all (name, sequence) pairs; "
                            f"entry #{number} is {item!r:.60}")
        pairs = []
        for number, item in enumerate(items, start=1):
            if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                raise TypeError(
                    "database entries must be all sequences (str) or all (name, sequence) pairs; "
                    f"entry #{number} is {item!r:.60}"
                )
            if not item[0]:
                raise ValueError(f"database entry #{number}: empty sequence name")
            pairs.append((item[0], item[1]))
        return _core.Database.from_pairs(pairs)

    @classmethod
    def from_fasta(cls, path: PathLike) -> Database:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
        return cls(path)

    @classmethod
    def _from_fasta_bytes(cls, data: bytes, source: str = STDIN_NAME) -> Database:
        """From FASTA text in memory (standard input): ``source`` names it in errors."""
        return cls(_core.Database.from_fasta_bytes(decompress(data, source), source))

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"<swladder.Database: {len(self)} sequences, {self.total_residues} residues>"

    @property
    def names(self) -> list[str]:
        return self._core.names

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return self._core.lengths

    @property
    def total_residues(self) -> int:
        return self._core.total_residues

    @property
    def max_length(self) -> int:
        return self._core.max_length

    def sequence(self, index: int) -> str:
        """Record ``index`` in ``ALPHABET`` letters (uppercase)."""
        index = operator.index(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("database index out of range")
        return self._core.sequence(index)

    def sequences(self) -> list[str]:
        return self._core.sequences()


def as_database(database: DatabaseSource) -> Database:
    return database if isinstance(database, Database) else Database(database)
