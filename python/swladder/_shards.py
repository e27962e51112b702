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
import json
import os
from typing import IO, Any, Iterator

from . import _hits
from ._fasta import GZIP_MAGIC, Database, PathLike, _fasta_path, _open_error
from ._search import integer_argument

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "swladder-shards"
MANIFEST_VERSION = 1
LINE_WIDTH = 60
_RECORD_STARTS = (b"\n>", b"\r>")  # a lone CR ends a line too, as the FASTA reader reads it


@dataclasses.dataclass(frozen=True)
class Shard:
    """One piece of a database as a task reads it: a whole FASTA file
    (``start``/``end`` None) or the records starting in the byte range
    [start, end) of one; ``sequences``/``residues`` are the manifest's
    counts, checked against what is read (None: not known)."""

    path: str
    start: int | None = None
    end: int | None = None
    sequences: int | None = None
    residues: int | None = None

    @property
    def label(self) -> str:
        return self.path if self.start is None else f"{self.path} (bytes {self.start}-{self.end})"

    def chunks(self, residue_budget: int) -> Iterator[Database]:
        """The shard as Databases of about ``residue_budget`` residues each."""
        if self.start is None:
            yield from _hits.fasta_chunks(self.path, residue_budget)
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
        raise type(error)(f"error reading FASTA file '{path}': {error.strerror or error}") from None


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


def byte_ranges(path: str, size: int, count: int) -> list[Shard]:
    """``count`` byte ranges of about equal size covering a file of ``size`` bytes."""
    return [Shard(path, size * number // count, size * (number + 1) // count) for number in range(count)]


# --- Shard files ---------------------------------------------------------------------


def _write_record(out: IO[str], name: str, description: str, sequence: str) -> None:
    out.write(f">{name}{' ' + description if description else ''}\n")
    out.write("".join(sequence[at:at + LINE_WIDTH] + "\n" for at in range(0, len(sequence), LINE_WIDTH)))


def write_shards(database: PathLike, shards: int, out_dir: PathLike, *,
                 chunk: int = _hits.DEFAULT_CHUNK_RESIDUES) -> dict[str, Any]:
    """Splits a FASTA file (gzip by content) into up to ``shards`` FASTA
    files of about equal residues in ``out_dir`` (created if missing), in
    database order, and writes ``manifest.json`` there: for each shard its
    file, the database-wide ordinal of its first sequence, its sequences and
    residues, with the whole database's totals. Records are copied as
    written (name, description, sequence; lines of 60 residues). Fewer
    shards are written when there are fewer sequences than ``shards``.
    Reads the file twice (once to count the residues); memory stays near
    ``chunk`` residues. Returns the manifest."""
    shards = integer_argument("shards", shards, 1)
    chunk = integer_argument("chunk (residues)", chunk, 1)
    path = os.fsdecode(os.fspath(database))
    if path == "-":
        raise ValueError("cannot shard standard input (it is read twice): give the database's path")
    total_residues = 0
    total_sequences = 0
    for part in _hits.fasta_chunks(path, chunk):
        total_residues += part.total_residues
        total_sequences += len(part)
    if total_sequences == 0:
        raise ValueError(f"database '{path}' holds no sequences: nothing to shard")
    out = os.fsdecode(os.fspath(out_dir))
    os.makedirs(out, exist_ok=True)
    width = max(4, len(str(shards - 1)))
    entries: list[dict[str, Any]] = []
    current: IO[str] | None = None
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
                    file_name = f"shard-{number:0{width}d}.fa"
                    current = open(os.path.join(out, file_name), "w", encoding="utf-8", errors="surrogateescape")
                    entries.append({"number": number, "file": file_name, "first": ordinal, "sequences": 0,
                                    "residues": 0})
                assert current is not None
                _write_record(current, name, description, sequence)
                entries[-1]["sequences"] += 1
                entries[-1]["residues"] += len(sequence)
                residues_before += len(sequence)
                ordinal += 1
    finally:
        stream.close()
        if current is not None:
            current.close()
    if (ordinal, residues_before) != (total_sequences, total_residues):
        raise ValueError(f"database '{path}' changed while it was being sharded: shard it again")
    manifest = {
        "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "source": path,
        "sequences": total_sequences, "residues": total_residues,
        "shards": [{key: entry[key] for key in ("file", "first", "sequences", "residues")} for entry in entries],
    }
    with open(os.path.join(out, MANIFEST_NAME), "w", encoding="utf-8") as handle:
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
        raise type(error)(f"cannot read shard manifest '{path}': {error.strerror or error}") from None
    except ValueError as error:
        raise ValueError(f"shard manifest '{path}' is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"'{path}' is not a manifest written by 'swladder shard'")
    if manifest.get("version") != MANIFEST_VERSION:
        raise ValueError(f"shard manifest '{path}' has version {manifest.get('version')!r}; "
                         f"this swladder reads version {MANIFEST_VERSION}")
    folder = os.path.dirname(path)
    shards = []
    expected_first = 0
    for entry in manifest["shards"]:
        if entry["first"] != expected_first:
            raise ValueError(f"shard manifest '{path}': shard '{entry['file']}' starts at sequence {entry['first']}, "
                             f"not {expected_first}")
        shards.append(Shard(os.path.join(folder, entry["file"]), sequences=int(entry["sequences"]),
                            residues=int(entry["residues"])))
        expected_first += int(entry["sequences"])
    return shards
