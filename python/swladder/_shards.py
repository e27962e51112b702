"""A database in pieces, for a search whose tasks each read one piece:
shard files written by ``swladder shard`` (with a manifest), or byte ranges
of one uncompressed FASTA file, split at record starts.

A byte range [start, end) holds the records whose '>' lies inside it: the
reader seeks to ``start``, moves on to the first '>' at the start of a line
and reads up to the first record starting at or after ``end``. The ranges of
a file, whatever their number, therefore hold every record exactly once, in
file order. None of this needs the dask extra.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
from typing import IO, Any, Iterable, Iterator

import numpy as np

from . import _blastdb, _core, _files, _hits
from ._fasta import GZIP_MAGIC, Database, PathLike, _fasta_path, _open_error
from ._search import integer_argument

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "swladder-shards"
# Version 2 adds each shard's SHA-256: counts alone miss an edit that keeps a shard's length.
MANIFEST_VERSION = 2
LINE_WIDTH = 60
_RECORD_STARTS = (b"\n>", b"\r>")  # a lone CR ends a line too, as the FASTA reader reads it


@dataclasses.dataclass(frozen=True)
class Shard:
    """One piece of a database as a task reads it: a whole FASTA file
    (``start``/``end`` None) or the records starting in the byte range
    [start, end) of one, or the records of OIDs [start, end) of a BLAST
    database (``blast``; ``path`` its base path), of those only the ones
    ``selection`` holds where it is given; ``sequences``/``residues`` are
    the manifest's counts and ``sha256`` the hex digest of the file's
    bytes, checked against what is read (None: not known)."""

    path: str
    start: int | None = None
    end: int | None = None
    sequences: int | None = None
    residues: int | None = None
    sha256: str | None = None
    blast: bool = False
    # The whole database's selection (blastp's -seqidlist, -taxids), made
    # once where the shards are listed: its size is every shard's for E-values.
    selection: _blastdb.Selection | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        if self.blast:
            return f"{self.path} (sequences {self.start}-{self.end})"
        return self.path if self.start is None else f"{self.path} (bytes {self.start}-{self.end})"

    def chunks(self, residue_budget: int) -> Iterator[Database]:
        """The shard as Databases of about ``residue_budget`` residues each
        (of a BLAST database, numbered by OID, each chunk carrying the size
        of the whole database or of the whole selection)."""
        if self.blast:
            yield from _blastdb.chunks(self.path, residue_budget, self.start or 0, self.end, self.selection)
            return
        if self.start is None:
            yield from _hits.fasta_chunks(self.path, residue_budget,
                                          blocks_filter=None if self.sha256 is None else self._checked_blocks)
            return
        assert self.end is not None
        path = _fasta_path(self.path)
        try:
            stream = open(path, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise _open_error(path, error) from None
        with stream:
            if _read(stream, path, 2) == GZIP_MAGIC:
                raise ValueError(f"database '{path}' is gzip-compressed: byte ranges need an uncompressed FASTA file; "
                                 f"shard it first (swladder shard {path} --shards N --out DIR) and search the shards")
            block_size = _hits.read_block_size(residue_budget)
            blocks = range_blocks(stream, path, self.start, self.end, block_size)
            # The range's last record may run past its end: bound by the file's end.
            left = os.fstat(stream.fileno()).st_size - self.start
            yield from _hits.parse_chunks(blocks, self.label, residue_budget,
                                          reserve=_hits.chunk_reserve(residue_budget, block_size, left))

    def _checked_blocks(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        """The blocks of the shard's file as read, hashed on the way: a
        ValueError after the last one if they are not what was written."""
        digest = hashlib.sha256()
        for block in blocks:
            digest.update(block)
            yield block
        if digest.hexdigest() != self.sha256:
            raise ValueError(f"shard '{self.path}' changed after it was written (its SHA-256 differs from its "
                             "manifest's): shard the database again")

    def check(self, sequences: int, residues: int) -> None:
        """A ValueError naming the shard if it does not hold what its manifest says."""
        if self.sequences is not None and (sequences, residues) != (self.sequences, self.residues):
            raise ValueError(
                f"shard '{self.path}' holds {sequences} sequences and {residues} residues, its manifest says "
                f"{self.sequences} and {self.residues}: it changed after it was written; shard the database again")


def _read(stream: IO[bytes], path: str, size: int) -> bytes:
    try:
        return stream.read(size)
    except OSError as error:
        raise _files.os_error(type(error), error.errno,
                              f"error reading FASTA file '{path}': {error.strerror or error}") from None


def _first_record_start(stream: IO[bytes], path: str, start: int, block_size: int) -> int | None:
    """The position of the first '>' at the start of a line at or after
    ``start`` (None: there is none)."""
    if start == 0:
        return 0
    stream.seek(start - 1)  # the byte before: a line end there makes a '>' at start a record start
    offset = start - 1
    carry = b""
    while True:
        block = _read(stream, path, block_size)
        if not block:
            return None
        data = carry + block
        found = [at for at in (data.find(mark) for mark in _RECORD_STARTS) if at >= 0]
        if found:
            return offset - len(carry) + min(found) + 1
        offset += len(block)
        carry = data[-1:]


def range_blocks(stream: IO[bytes], path: str, start: int, end: int, block_size: int) -> Iterator[bytes]:
    """The bytes of the records whose '>' lies in [start, end), in blocks."""
    first = _first_record_start(stream, path, start, block_size)
    if first is None or first >= end:
        return
    stream.seek(first)
    position = first  # of the next byte to read
    previous = b""  # the last byte yielded: a line end there makes a '>' at a block's start a record start
    while True:
        block = _read(stream, path, block_size)
        if not block:
            return
        if position + len(block) >= end:
            # A record starting at or after `end` ends the range: look for its line end from end - 1 on.
            data = previous + block
            base = position - len(previous)
            search_from = max(0, end - 1 - base)
            found = [at for at in (data.find(mark, search_from) for mark in _RECORD_STARTS) if at >= 0]
            if found:
                cut = base + min(found) + 1  # the '>' of the first record not ours
                if cut > position:
                    yield block[: cut - position]
                return
        yield block
        position += len(block)
        previous = block[-1:]


def oid_ranges(base: str, count: int, selection: _blastdb.Selection | None = None) -> list[Shard]:
    """A BLAST database as ``count`` runs of consecutive records (OIDs) of
    about equal residues (of the records ``selection`` holds, where given;
    fewer runs where there are fewer records), read from its index alone:
    no copy, every task maps the same files."""
    if selection is None:
        lengths = _core.BlastDatabase(base).lengths()
        oids = np.arange(len(lengths))
    else:
        lengths, oids = selection.lengths, selection.oids
    if not len(lengths):
        return [Shard(base, 0, 0, blast=True, selection=selection)]
    ends = np.cumsum(lengths)
    cuts = sorted({0, len(lengths), *(int(np.searchsorted(ends, ends[-1] * number / count, side="left")) + 1
                                      for number in range(1, count))})
    cuts = [cut for cut in cuts if 0 <= cut <= len(lengths)]
    # A cut at position i starts the run at that record's OID; the last run ends past the last record.
    bounds = [int(oids[cut]) if cut < len(oids) else int(oids[-1]) + 1 for cut in cuts]
    return [Shard(base, first, last, blast=True, selection=selection) for first, last in zip(bounds, bounds[1:])]


def byte_ranges(path: str, size: int, count: int) -> list[Shard]:
    """``count`` byte ranges of about equal size covering a file of ``size`` bytes."""
    return [Shard(path, size * number // count, size * (number + 1) // count) for number in range(count)]


# --- Shard files ---------------------------------------------------------------------


def _record_text(name: str, description: str, sequence: str) -> str:
    return (f">{name}{' ' + description if description else ''}\n"
            + "".join(sequence[at:at + LINE_WIDTH] + "\n" for at in range(0, len(sequence), LINE_WIDTH)))


def _previous_sharding(folder: str) -> bool:
    """Whether ``folder`` holds nothing but a sharding that ``write_shards``
    wrote (its manifest and the shard files it names), which may be
    replaced whole."""
    names = set(os.listdir(folder))
    if not names:
        return True
    if MANIFEST_NAME not in names:
        return False
    try:
        with open(os.path.join(folder, MANIFEST_NAME), encoding="utf-8") as handle:
            manifest = json.load(handle)
        files = {entry["file"] for entry in manifest["shards"]}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return manifest.get("format") == MANIFEST_FORMAT and names <= files | {MANIFEST_NAME}


def _check_out_dir(database: str, out: str) -> None:
    """Refuses an output folder that would lose a user's file: anything but
    a missing folder, an empty one or a previous sharding, or a folder that
    holds the database itself."""
    if not os.path.exists(out):
        return
    if not os.path.isdir(out):
        raise _files.os_error(FileExistsError, errno.EEXIST,
                              f"'{out}' exists and is not a directory: give a folder for the shards")
    try:
        _files.refuse_output_that_is_input(database, [("folder", out)])
    except ValueError:
        raise ValueError(f"the database '{database}' is in '{out}', the folder to write: "
                         "give another folder for the shards") from None
    if not _previous_sharding(out):
        raise _files.os_error(FileExistsError, errno.EEXIST,
                              f"'{out}' holds files other than an earlier 'swladder shard' output: "
                              "give an empty or new folder")


def write_shards(database: PathLike, shards: int, out_dir: PathLike, *,
                 chunk: int = _hits.DEFAULT_CHUNK_RESIDUES) -> dict[str, Any]:
    """Splits a FASTA file (gzip by content) into up to ``shards`` FASTA
    files of about equal residues in ``out_dir``, in database order, and
    writes ``manifest.json`` there: for each shard its file, the
    database-wide ordinal of its first sequence, its sequences, residues and
    SHA-256, with the whole database's totals. Records are copied as written
    (name, description, sequence; lines of 60 residues). Fewer shards are
    written when there are fewer sequences than ``shards``.

    ``out_dir`` must be missing, empty, or hold only an earlier sharding
    (its manifest and shard files), which is then replaced whole; anything
    else raises FileExistsError. The shards are written into a new folder
    beside it that takes its place at the end, so a failed run leaves it as
    it was. Reads the database twice (once to count the residues); memory
    stays near ``chunk`` residues. Returns the manifest."""
    shards = integer_argument("shards", shards, 1)
    chunk = integer_argument("chunk (residues)", chunk, 1)
    path = os.fsdecode(os.fspath(database))
    if path == "-":
        raise ValueError("cannot shard standard input (it is read twice): give the database's path")
    if _blastdb.resolve(path) is not None:
        raise ValueError(f"'{path}' is a BLAST database: shard splits FASTA files; a Dask search reads a BLAST "
                         "database as it is, as one shard")
    out = os.fsdecode(os.fspath(out_dir))
    _check_out_dir(path, out)
    total_residues = 0
    total_sequences = 0
    for part in _hits.fasta_chunks(path, chunk):
        total_residues += part.total_residues
        total_sequences += len(part)
    if total_sequences == 0:
        raise ValueError(f"database '{path}' holds no sequences: nothing to shard")
    with _files.replaced_folder(out) as folder:
        manifest = _write_shard_files(path, folder, shards, chunk, total_sequences, total_residues)
    return manifest


def _write_shard_files(path: str, folder: str, shards: int, chunk: int, total_sequences: int,
                       total_residues: int) -> dict[str, Any]:
    width = max(4, len(str(shards - 1)))
    entries: list[dict[str, Any]] = []
    current: IO[bytes] | None = None
    digest = hashlib.sha256()
    residues_before = 0
    ordinal = 0
    stream, source = _hits._open_fasta_stream(path)
    try:
        blocks = _hits.stream_blocks(stream, source, _hits.read_block_size(chunk))
        for records in _hits.parse_chunks(blocks, source, chunk, records=True):
            for name, description, sequence in records:
                # The shard whose share of the residues this record starts in: about equal residues.
                number = min(shards - 1, residues_before * shards // max(total_residues, 1))
                if not entries or number > entries[-1]["number"]:
                    if current is not None:
                        current.close()
                        entries[-1]["sha256"] = digest.hexdigest()
                    file_name = f"shard-{number:0{width}d}.fa"
                    current = open(os.path.join(folder, file_name), "wb")  # noqa: SIM115 (closed below)
                    digest = hashlib.sha256()
                    entries.append({"number": number, "file": file_name, "first": ordinal, "sequences": 0,
                                    "residues": 0})
                assert current is not None
                text = _record_text(name, description, sequence).encode("utf-8", "surrogateescape")
                current.write(text)
                digest.update(text)
                entries[-1]["sequences"] += 1
                entries[-1]["residues"] += len(sequence)
                residues_before += len(sequence)
                ordinal += 1
    finally:
        stream.close()
        if current is not None:
            current.close()
    if entries:
        entries[-1]["sha256"] = digest.hexdigest()
    if (ordinal, residues_before) != (total_sequences, total_residues):
        raise ValueError(f"database '{path}' changed while it was being sharded: shard it again")
    manifest = {
        "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "source": path,
        "sequences": total_sequences, "residues": total_residues,
        "shards": [{key: entry[key] for key in ("file", "first", "sequences", "residues", "sha256")}
                   for entry in entries],
    }
    with open(os.path.join(folder, MANIFEST_NAME), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
    return manifest


def manifest_path(path: PathLike) -> str | None:
    """The manifest of a shard directory or a manifest file's own path; None
    for anything else (a FASTA file)."""
    path = os.fsdecode(os.fspath(path))
    if os.path.isdir(path):
        candidate = os.path.join(path, MANIFEST_NAME)
        if not os.path.exists(candidate):
            raise FileNotFoundError(f"'{path}' is a directory without {MANIFEST_NAME}: "
                                    "give the output directory of 'swladder shard', or a FASTA file")
        return candidate
    return path if os.path.basename(path) == MANIFEST_NAME or path.endswith(".json") else None


def read_manifest(path: str) -> list[Shard]:
    """The shards a manifest lists, in database order (errors name the manifest)."""
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except OSError as error:
        raise _files.os_error(type(error), error.errno,
                              f"cannot read shard manifest '{path}': {error.strerror or error}") from None
    except ValueError as error:
        raise ValueError(f"shard manifest '{path}' is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"'{path}' is not a manifest written by 'swladder shard'")
    if manifest.get("version") == 1:
        raise ValueError(f"shard manifest '{path}' was written by an older swladder, without the checksums that "
                         "show a shard unchanged: shard the database again")
    if manifest.get("version") != MANIFEST_VERSION:
        raise ValueError(f"shard manifest '{path}' has version {manifest.get('version')!r}; "
                         f"this swladder reads version {MANIFEST_VERSION}")
    folder = os.path.dirname(path)
    shards = []
    expected_first = 0
    try:
        for entry in manifest["shards"]:
            if entry["first"] != expected_first:
                raise ValueError(f"shard manifest '{path}': shard '{entry['file']}' starts at sequence "
                                 f"{entry['first']}, not {expected_first}")
            shards.append(Shard(os.path.join(folder, entry["file"]), sequences=int(entry["sequences"]),
                                residues=int(entry["residues"]), sha256=str(entry["sha256"])))
            expected_first += int(entry["sequences"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"shard manifest '{path}' is malformed (missing or wrong {error}): "
                         "shard the database again") from None
    return shards
