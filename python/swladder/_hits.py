"""From scores to hits: for every query, the best ``k`` database sequences
with their optimal local alignment, bit score and E-value, ranked as blastp
ranks them (by E-value, then score descending, then the later in the
database first, as blastp breaks a tie).

A database given as a FASTA path is streamed: read, encoded and searched a
chunk of at most ``chunk`` residues at a time, every query against each chunk,
keeping the ``k`` best of every query across chunks. Only the final hits are
aligned, so each kept hit carries its subject with it. The result does not
depend on the chunk size.

Why the ranking survives chunking: blastp's E-value of a subject is Spouge's
pair E-value scaled by ``db_residues / subject_length``; the database size
multiplies every E-value of a query by the same factor. Ranking with any fixed
provisional size therefore ranks as the final size does, and the final
E-values are computed once the whole database has been read.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import gzip
import math
import operator
import os
import stat
import sys
import time
from typing import IO, Any, Callable, Iterable, Iterator, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _blastdb, _core
from ._fasta import GZIP_MAGIC, STDIN_NAME, Database, PathLike, _directory_error, _open_error, _os_error
from ._search import (MatrixName, integer_argument, matrix_argument, penalties, real_argument, search_detailed,
                      threads_argument)

DEFAULT_MAX_TARGET_SEQS = 500  # blastp's -max_target_seqs
DEFAULT_EVALUE = 10.0  # blastp's -evalue
DEFAULT_CHUNK_RESIDUES = 256 * 1000 * 1000
READ_BLOCK = 1 << 20

# A database size larger than any real one, for ranking chunk by chunk before
# the whole database's size is known (any fixed size ranks the same).
_PROVISIONAL_RESIDUES = 1 << 50
_PROVISIONAL_SEQUENCES = 1 << 30

QuerySource = Union[str, PathLike, Iterable[Union[str, tuple[str, str]]]]


# --- Hits --------------------------------------------------------------------------

ALIGNMENT_FIELDS = (
    "score", "qstart", "qend", "sstart", "send", "qseq", "sseq", "length", "nident", "positive", "mismatch",
    "gapopen", "gaps", "pident", "ppos", "cigar", "btop",
)


# A subject's identifiers besides sseqid and stitle (blastp's column names).
ID_FIELDS = ("sacc", "saccver", "sallseqid", "sallacc", "sgi", "staxid")


@dataclasses.dataclass(frozen=True)
class Hit:
    """One database sequence found by one query, with its optimal local alignment.

    ``qseqid``/``sseqid`` are the FASTA names, ``stitle`` the subject's
    title as blastp prints it (its FASTA header after '>': the name, a space
    and the description), ``qlen``/``slen`` the lengths. For a BLAST
    database made with -parse_seqids, ``sseqid`` is the record's Seq-ids
    and ``stitle`` its title after them, and ``sacc``, ``saccver``,
    ``sallseqid``, ``sgi``, ``staxids`` and the rest are blastp's columns of
    the same name (``ids`` holds them; None for a FASTA database, whose ID
    columns are all the name).
    ``evalue`` and ``bitscore`` are blastp's (NaN where the matrix and gap
    costs have no published statistics). The alignment's fields are readable
    here under BLAST's column names (``hit.score``, ``hit.pident``,
    ``hit.btop``, ...): coordinates are 0-based and half-open as Python slices
    (``query[hit.qstart:hit.qend]``); text output prints them 1-based
    inclusive, as BLAST does. ``qcovhsp`` is the percentage of the query
    inside the alignment, rounded."""

    qseqid: str
    sseqid: str
    stitle: str
    qlen: int
    slen: int
    evalue: float
    bitscore: float
    alignment: Any  # swladder.Alignment
    subject_index: int  # the subject's position in the database (0-based; a BLAST database's OID)
    ids: Any = None  # swladder._blastdb.SubjectIds of a BLAST database's record, None for FASTA

    @property
    def sacc(self) -> str:
        return self.ids.acc if self.ids is not None else self.sseqid

    @property
    def saccver(self) -> str:
        return self.ids.accver if self.ids is not None else self.sseqid

    @property
    def sallseqid(self) -> str:
        return self.ids.allseqid if self.ids is not None else self.sseqid

    @property
    def sallacc(self) -> str:
        return self.ids.allacc if self.ids is not None else self.sseqid

    @property
    def sgi(self) -> int:
        return self.ids.gi if self.ids is not None else 0

    @property
    def salltitles(self) -> str:
        return self.ids.alltitles if self.ids is not None else self.stitle

    @property
    def staxid(self) -> int:
        """The first def-line's taxonomy id (0: none)."""
        return self.ids.taxid if self.ids is not None else 0

    @property
    def staxids(self) -> tuple[int, ...]:
        """Every def-line's taxonomy id, ascending (empty: none)."""
        return self.ids.taxids if self.ids is not None else ()

    @property
    def qcovhsp(self) -> int:
        return int(math.floor(100.0 * (self.alignment.qend - self.alignment.qstart) / self.qlen + 0.5)) if self.qlen else 0

    def __getattr__(self, name: str) -> Any:
        # The alignment's fields are properties (set below the class), so only
        # unknown names reach here; it is declared for type checkers, which do
        # not see those properties.
        raise AttributeError(f"'Hit' object has no attribute '{name}'")

    def pairwise(self, query_name: str = "Query", subject_name: str = "Sbjct") -> str:
        return str(self.alignment.pairwise(query_name, subject_name))


# The alignment's fields are properties of Hit, not reads through
# __getattr__: Python calls that only after a lookup has failed, which costs
# several times the read itself, and a line of the default tabular output
# reads eight of them.
for _field in (*ALIGNMENT_FIELDS, "midline"):
    setattr(Hit, _field, property(operator.attrgetter(f"alignment.{_field}"),
                                  doc=f"The alignment's ``{_field}`` (``hit.alignment.{_field}``)."))
del _field


@dataclasses.dataclass(frozen=True)
class SearchSummary:
    """What a search's E-values were computed for, as BLAST's XML report
    states it: the scoring, the cut-off, and the database's size (with
    blastp's -dbsize and -searchsp where given)."""

    matrix: str
    gap_open: int
    gap_extend: int
    evalue: float | None  # the cut-off; None: none (no statistics)
    db_residues: int
    db_sequences: int
    dbsize: int | None = None
    searchsp: int | None = None


@dataclasses.dataclass(frozen=True)
class QueryHits:
    """The hits of one query, best first (a list with the query's name,
    description and length, and the search it came from)."""

    qseqid: str
    description: str
    qlen: int
    hits: list[Hit]
    search: SearchSummary | None = None

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]


# --- Inputs ------------------------------------------------------------------------


def _open_fasta_stream(path: str) -> tuple[IO[bytes], str]:
    """A binary stream of the FASTA text (gunzipped as it is read when it
    starts with gzip's magic bytes) and the name errors give it."""
    if path == "-":
        raw: IO[bytes] = getattr(sys.stdin, "buffer", sys.stdin)
        source = STDIN_NAME
    else:
        if os.path.isdir(path):
            raise _directory_error(path)
        try:
            raw = open(path, "rb")  # noqa: SIM115 (closed by the caller)
        except OSError as error:
            raise _open_error(path, error) from None
        source = path
    peek = getattr(raw, "peek", None)
    try:
        head = peek(2)[:2] if peek is not None else b""
    except OSError as error:
        raw.close()
        raise _os_error(error, f"error reading FASTA file '{source}': {error.strerror or error}") from None
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), source  # type: ignore[return-value]
    return raw, source


def fasta_chunks(path: PathLike, residue_budget: int, *,
                 blocks_filter: Callable[[Iterable[bytes]], Iterable[bytes]] | None = None) -> Iterator[Database]:
    """Databases of consecutive runs of records of a FASTA file ("-":
    standard input; gzip by content) or of the BLAST database that ``path``
    names (see swladder._blastdb), each holding about ``residue_budget``
    residues (over it by at most one record and one read block, itself no
    larger than the budget or 1 MiB): the file is never held whole in memory.
    The parser encodes residues straight into the chunk's storage, and a
    chunk is dropped before the next is read, so peak memory is about one
    chunk. ``blocks_filter``, if given, sees the file's bytes on their way
    to the parser (to check them against a checksum)."""
    path = os.fsdecode(os.fspath(path))
    blast = _blastdb.resolve(path)
    if blast is not None:
        if blocks_filter is not None:
            raise ValueError(f"'{path}' names a BLAST database, not the FASTA file its checksum was taken of")
        yield from _blastdb.chunks(blast, residue_budget)
        return
    stream, source = _open_fasta_stream(path)
    try:
        block_size = read_block_size(residue_budget)
        blocks: Iterable[bytes] = stream_blocks(stream, source, block_size)
        if blocks_filter is not None:
            blocks = blocks_filter(blocks)
        yield from parse_chunks(blocks, source, residue_budget,
                                reserve=chunk_reserve(residue_budget, block_size, bytes_left(stream)))
    finally:
        if stream is not getattr(sys.stdin, "buffer", None) and stream is not sys.stdin:
            stream.close()


def read_block_size(residue_budget: int) -> int:
    return min(READ_BLOCK, max(4096, residue_budget))


def bytes_left(stream: IO[bytes]) -> int | None:
    """The bytes a stream has left to read where that is known (a plain file,
    or standard input redirected from one), else None (gzip, a pipe)."""
    if isinstance(stream, gzip.GzipFile):
        return None
    try:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None
        return max(0, status.st_size - stream.tell())
    except (OSError, AttributeError, ValueError):
        return None


def chunk_reserve(residue_budget: int, block_size: int, known_bytes: int | None) -> int:
    """Residues of storage to set aside for a chunk: its budget plus a read
    block, but no more than the bytes left to read (a residue takes at least
    a byte) where those are known. A chunk is a bound, not a size to
    allocate: a budget far above the file's size reads the file whole."""
    budget = residue_budget if known_bytes is None else min(residue_budget, max(0, known_bytes))
    return budget + block_size


def stream_blocks(stream: IO[bytes], source: str, block_size: int) -> Iterator[bytes]:
    """The bytes of a stream, ``block_size`` at a time, read errors named by ``source``."""
    while True:
        try:
            block = stream.read(block_size)
        except (EOFError, gzip.BadGzipFile, zlib_error()) as error:
            raise ValueError(f"FASTA file '{source}' is not a valid gzip file ({error})") from None
        except OSError as error:
            raise _os_error(error, f"error reading FASTA file '{source}': {error.strerror or error}") from None
        if not block:
            return
        yield block


def parse_chunks(blocks: Iterable[bytes], source: str, residue_budget: int, records: bool = False,
                 reserve: int = 0) -> Iterator[Any]:
    """Consecutive runs of the records of FASTA text given in blocks, each of
    about ``residue_budget`` residues: Databases (residues encoded as they are
    parsed; ``reserve`` residues of storage set aside up front, so a chunk's
    buffer never grows by copying itself unless that much cannot be set
    aside), or with ``records`` lists of
    (name, description, sequence) as written."""
    parser = _core.FastaParser(source, encode=not records)
    if reserve and not records:
        try:
            parser.reserve(reserve)
        except MemoryError:
            # A budget beyond what can be set aside, on a stream of unknown
            # size (gzip, a pipe): the storage grows as the chunk fills instead.
            parser.reserve(min(reserve, DEFAULT_CHUNK_RESIDUES))
    ended = False
    block_iterator = iter(blocks)
    while not ended:
        block = next(block_iterator, b"")
        ended = not block
        if block:
            parser.feed(block)
        else:
            parser.finish()
        if parser.complete_records and (ended or parser.complete_residues >= residue_budget):
            if records:
                yield parser.take_records()
                continue
            chunk = Database(parser.take_database())
            yield chunk
            # Let the consumer's release of this chunk free it before the next is read.
            del chunk


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _queries(queries: QuerySource) -> list[tuple[str, str, str]]:
    """(name, description, sequence) of every query. A str is a sequence
    only when written in capital residue letters and naming no file
    (is_sequence_text), else a FASTA path ("-": standard input)."""
    from ._fasta import check_path_exists, is_sequence_text, parse_fasta_bytes, read_fasta, read_stdin_bytes

    if isinstance(queries, os.PathLike) or (isinstance(queries, str) and not is_sequence_text(queries)):
        path = os.fsdecode(os.fspath(queries))
        if path == "-":
            return parse_fasta_bytes(read_stdin_bytes(), STDIN_NAME)
        if isinstance(queries, str):
            check_path_exists(path, "a str of queries is a FASTA path unless it is a sequence in capital "
                              f"letters: give {path.upper()!r:.40} or [{path!r:.40}] for a sequence")
        return read_fasta(path)
    if isinstance(queries, str):
        items: list[Any] = [queries]
    elif isinstance(queries, (bytes, bytearray)) or not isinstance(queries, collections.abc.Iterable):
        raise TypeError("queries are a FASTA path, a sequence (str), a list of sequences or (name, sequence) pairs, "
                        f"not {type(queries).__name__}")
    else:
        items = list(queries)
    out = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, str):
            name, sequence = ("query" if len(items) == 1 else f"query{number}"), item
        elif isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item):
            name, sequence = item
            if not name:
                raise ValueError(f"query #{number}: empty name")
        else:
            raise TypeError(f"queries must be sequences (str) or (name, sequence) pairs; query #{number} is {item!r:.60}")
        _core.check_sequence(sequence, name)
        out.append((name, "", sequence))
    return out


def _database_chunks(database: Any, chunk: int, settings: SearchSettings | None = None) -> Iterator[Database]:
    subset = settings.subset() if settings is not None else None
    if subset is not None:
        base, selection = blast_selection(database, subset)
        yield from _blastdb.chunks(base, chunk, selection=selection)
        return
    if isinstance(database, (str, os.PathLike)):
        yield from fasta_chunks(database, chunk)
        return
    yield database if isinstance(database, Database) else Database(database)


def blast_selection(database: Any, subset: dict[str, Any]) -> tuple[str, _blastdb.Selection]:
    """The base path of the BLAST database ``database`` names, and its
    records that ``subset`` (SearchSettings.subset()) selects; ValueError
    where it names no BLAST database."""
    base = _blastdb.resolve(os.fsdecode(os.fspath(database))) if isinstance(database, (str, os.PathLike)) else None
    if base is None:
        option = next(iter(subset)).replace("seqids", "seqidlist")
        by_taxon = "taxids" in option
        raise ValueError(f"-{option} selects records of a BLAST database by their "
                         f"{'taxonomy ids' if by_taxon else 'Seq-ids'}; {_database_label(database)} is not one (make "
                         f"it one with makeblastdb -parse_seqids{' -taxid_map FILE' if by_taxon else ''})")
    return base, _blastdb.select(base, **subset)


def _database_label(database: Any) -> str:
    if isinstance(database, (str, os.PathLike)):
        return f"'{os.fsdecode(os.fspath(database))}'"
    return "a Database or a list of sequences"


# --- Selection ---------------------------------------------------------------------


@dataclasses.dataclass
class _Kept:
    """The best hits of one query so far, best first, with what aligning
    and printing them needs once the database has been read."""

    rank_evalue: npt.NDArray[np.float64] = dataclasses.field(default_factory=lambda: np.empty(0))
    score: npt.NDArray[np.int64] = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))
    index: npt.NDArray[np.int64] = dataclasses.field(default_factory=lambda: np.empty(0, np.int64))
    names: list[str] = dataclasses.field(default_factory=list)
    titles: list[str] = dataclasses.field(default_factory=list)
    sequences: list[str] = dataclasses.field(default_factory=list)
    # A BLAST record's database (its def-lines, read for the hits that are
    # reported: SubjectIds), else None.
    ids: list[Any] = dataclasses.field(default_factory=list)


def rank_order(evalues: npt.ArrayLike, scores: npt.ArrayLike, indices: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Positions in blastp's order: E-value ascending (NaN, no statistics,
    ranks as equal), then score descending, then the later subject in the
    database first (blastp 2.12 ranks, and keeps at its -max_target_seqs
    cut, the higher ordinal of two hits that tie)."""
    evalue_key = np.nan_to_num(np.asarray(evalues, dtype=np.float64), nan=0.0)
    return np.lexsort((-np.asarray(indices, dtype=np.int64), -np.asarray(scores, dtype=np.int64), evalue_key))


def _keep_best(kept: _Kept, k: int, scores: npt.NDArray[np.int32], rank_evalues: npt.NDArray[np.float64],
               chunk: Database, first_index: int) -> _Kept:
    """The k best of the kept hits and this chunk's (score > 0) together;
    only the kept ones' names, titles and sequences are copied out of the
    chunk."""
    found = np.flatnonzero(scores > 0)
    if len(found) > k:
        # Only the chunk's own k best can be among the k best overall: cut to
        # those whose E-value is at most the chunk's k-th (ties kept), so that
        # what follows handles about k hits, not a copy of every subject.
        key = rank_evalues[found]
        found = found[key <= np.partition(key, k - 1)[k - 1]]
        del key
    all_evalue = np.concatenate([kept.rank_evalue, rank_evalues[found]])
    all_score = np.concatenate([kept.score, scores[found].astype(np.int64)])
    # A BLAST database's chunk numbers its records by OID (it may hold a
    # range of them, or a selection); a FASTA chunk follows the one before.
    oids = getattr(chunk, "_oids", None)
    all_index = np.concatenate([kept.index, oids[found] if oids is not None else found.astype(np.int64) + first_index])
    best = rank_order(all_evalue, all_score, all_index)[:k]
    old = len(kept.score)
    merged = _Kept(all_evalue[best], all_score[best], all_index[best])
    blast = getattr(chunk, "_blast", None)
    for position in best.tolist():
        if position < old:
            merged.names.append(kept.names[position])
            merged.titles.append(kept.titles[position])
            merged.sequences.append(kept.sequences[position])
            merged.ids.append(kept.ids[position])
        else:
            local = int(found[position - old])
            merged.names.append(chunk._core.name(local))
            merged.titles.append(chunk._core.title(local))
            merged.sequences.append(chunk._core.sequence(local))
            merged.ids.append(blast)
    return merged


def merge_kept(first: _Kept, second: _Kept, k: int, offset: int = 0) -> _Kept:
    """The k best of two sets of kept hits of one query, the second's
    database positions shifted by ``offset`` (the sequences before it that
    the first's numbering covers). Both must be ranked with the same
    provisional database size."""
    all_evalue = np.concatenate([first.rank_evalue, second.rank_evalue])
    all_score = np.concatenate([first.score, second.score])
    all_index = np.concatenate([first.index, second.index + offset])
    best = rank_order(all_evalue, all_score, all_index)[:k]
    merged = _Kept(all_evalue[best], all_score[best], all_index[best])
    boundary = len(first.score)
    for position in best.tolist():
        source, at = (first, position) if position < boundary else (second, position - boundary)
        merged.names.append(source.names[at])
        merged.titles.append(source.titles[at])
        merged.sequences.append(source.sequences[at])
        merged.ids.append(source.ids[at])
    return merged


def _statistics() -> Any:
    from . import _statistics

    return _statistics


def has_statistics(matrix: MatrixName = "BLOSUM62", gap_open: int = 11, gap_extend: int = 1) -> bool:
    """Whether blastp publishes Karlin-Altschul parameters for these costs."""
    return _statistics().karlin_altschul(matrix, gap_open, gap_extend) is not None


def hits(
    queries: QuerySource,
    database: Any,
    *,
    k: int = DEFAULT_MAX_TARGET_SEQS,
    evalue: float | None = None,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = None,
    stage: str = "auto",
    chunk: int = DEFAULT_CHUNK_RESIDUES,
    dbsize: int | None = None,
    searchsp: int | None = None,
    seqids: Iterable[str] | None = None,
    taxids: Iterable[int] | None = None,
    negative_taxids: Iterable[int] | None = None,
) -> list[QueryHits]:
    """The best ``k`` hits (one per subject: its optimal local alignment) of
    every query, best first as blastp ranks them: E-value, then score
    (descending), then the later in the database first, as blastp breaks a
    tie. Hits of score 0 are no hits.

    ``queries``: a FASTA path (or "-", standard input), a sequence, a list of
    sequences or of (name, sequence) pairs; a str is the sequence only when
    written in capital residue letters and naming no file, else a path (a
    missing "myqueries" is a FileNotFoundError). ``database``: a FASTA path
    (streamed ``chunk`` residues at a time, so it may be larger than memory;
    gzip recognised by content), a BLAST protein database named as blastp
    names it (read the same way), a Database, or a list as for Database().
    ``evalue``: keep hits with E-value <= it; None means blastp's 10.0 where
    the scoring has published statistics and no cut-off where it has none (E-
    values and bit scores are then NaN and hits rank by score); a cut-off with
    such scoring is a ValueError. ``threads``: for the search and the
    alignments (None: every core). The GIL is released while both run.
    ``dbsize``, ``searchsp``: blastp's -dbsize and -searchsp, for E-values
    (see :func:`swladder.bit_scores_and_evalues`). ``seqids``, ``taxids``,
    ``negative_taxids`` (one of them at most): search only the records of a
    BLAST database with one of these Seq-ids (an accession with or without
    its version, as in blastp's -seqidlist; the database made with
    -parse_seqids), with one of these taxonomy ids, or with none of them;
    E-values are then for those records alone, as blastp's are.

    Returns one QueryHits per query, in input order."""
    return hits_of_records(_queries(queries), database, k=k, evalue=evalue, matrix=matrix, gap_open=gap_open,
                           gap_extend=gap_extend, threads=threads, stage=stage, chunk=chunk, dbsize=dbsize,
                           searchsp=searchsp, seqids=seqids, taxids=taxids, negative_taxids=negative_taxids)


def hits_of_records(
    query_list: list[tuple[str, str, str]],
    database: Any,
    *,
    k: int = DEFAULT_MAX_TARGET_SEQS,
    evalue: float | None = None,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = None,
    stage: str = "auto",
    chunk: int = DEFAULT_CHUNK_RESIDUES,
    kernel: str | None = None,
    timings: dict[str, float] | None = None,
    dbsize: int | None = None,
    searchsp: int | None = None,
    seqids: Iterable[str] | None = None,
    taxids: Iterable[int] | None = None,
    negative_taxids: Iterable[int] | None = None,
) -> list[QueryHits]:
    """hits() of (name, description, sequence) query records (read_fasta's).
    ``timings``, if given, receives the seconds spent reading and searching
    ("search") and aligning the final hits ("align")."""
    started = time.perf_counter()
    settings = search_settings(k=k, evalue=evalue, matrix=matrix, gap_open=gap_open, gap_extend=gap_extend,
                               threads=threads, stage=stage, chunk=chunk, kernel=kernel, dbsize=dbsize,
                               searchsp=searchsp, seqids=seqids, taxids=taxids, negative_taxids=negative_taxids)
    kept, db_residues, db_sequences = search_chunks(query_list, _database_chunks(database, settings.chunk, settings),
                                                    settings)
    searched = time.perf_counter()
    results = finish_all(query_list, kept, db_residues, db_sequences, settings)
    if timings is not None:
        timings["search"] = searched - started
        timings["align"] = time.perf_counter() - searched
    return results


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    """The checked parameters of a search, as every step of it needs them
    (plain values: a Dask task receives them pickled)."""

    k: int
    evalue: float | None  # the cut-off; None: none (no statistics)
    with_statistics: bool
    matrix: str
    gap_open: int
    gap_extend: int
    threads: int | None
    thread_count: int
    stage: str
    chunk: int
    kernel: str | None
    dbsize: int | None = None  # blastp's -dbsize and -searchsp; None: not given
    searchsp: int | None = None
    # blastp's -seqidlist, -taxids and -negative_taxids (one at most); None: not given.
    seqids: frozenset[str] | None = None
    taxids: frozenset[int] | None = None
    negative_taxids: frozenset[int] | None = None

    def subset(self) -> dict[str, Any] | None:
        """The records of a BLAST database to search (swladder._blastdb.select's
        keywords), or None: all."""
        chosen = {name: getattr(self, name) for name in ("seqids", "taxids", "negative_taxids")}
        chosen = {name: value for name, value in chosen.items() if value is not None}
        return chosen or None

    def search_options(self) -> dict[str, Any]:
        return dict(stage=self.stage, matrix=self.matrix, gap_open=self.gap_open, gap_extend=self.gap_extend,
                    threads=self.threads, kernel=self.kernel)


def search_settings(*, k: int, evalue: float | None, matrix: MatrixName, gap_open: int, gap_extend: int,
                    threads: int | None, stage: str, chunk: int, kernel: str | None, dbsize: int | None = None,
                    searchsp: int | None = None, seqids: Iterable[str] | None = None,
                    taxids: Iterable[int] | None = None,
                    negative_taxids: Iterable[int] | None = None) -> SearchSettings:
    """The parameters of hits(), checked (ValueError says what is wrong)."""
    k = integer_argument("k (max_target_seqs)", k, 1)
    chunk = integer_argument("chunk (residues)", chunk, 1)
    matrix_name = matrix_argument(matrix)
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    _core.check_scoring(matrix_name, gap_open, gap_extend)
    thread_count = threads_argument(threads)
    with_statistics = _statistics().karlin_altschul(matrix_name, gap_open, gap_extend) is not None
    if evalue is not None:
        evalue = real_argument("evalue", evalue)
        if not with_statistics:
            raise ValueError(
                f"no published statistics for {matrix_name} with gap costs {gap_open}/{gap_extend}: "
                "E-values are unknown, so an E-value cut-off cannot be applied"
            )
        if not evalue > 0:
            raise ValueError(f"the E-value cut-off must be positive, got {evalue}")
    elif with_statistics:
        evalue = DEFAULT_EVALUE
    for name, size in (("dbsize", dbsize), ("searchsp", searchsp)):
        if size is not None:
            integer_argument(name, size, 1)
    given = [name for name, value in (("seqids", seqids), ("taxids", taxids), ("negative_taxids", negative_taxids))
             if value is not None]
    if len(given) > 1:
        raise ValueError(f"{' and '.join(given)} cannot be given together (blastp's -seqidlist, -taxids and "
                         "-negative_taxids exclude each other too)")
    return SearchSettings(k, evalue, with_statistics, matrix_name, gap_open, gap_extend, threads, thread_count,
                          stage, chunk, kernel, dbsize, searchsp, _id_set(seqids), _taxid_set("taxids", taxids),
                          _taxid_set("negative_taxids", negative_taxids))


def _id_set(seqids: Iterable[str] | None) -> frozenset[str] | None:
    if seqids is None:
        return None
    if isinstance(seqids, (str, bytes)) or not isinstance(seqids, collections.abc.Iterable):
        raise TypeError(f"seqids is a list of Seq-ids or accessions, not {type(seqids).__name__}")
    found = set()
    for seqid in seqids:
        if not isinstance(seqid, str) or not seqid.strip() or any(c.isspace() for c in seqid.strip()):
            raise ValueError(f"seqids: {seqid!r:.60} is not a Seq-id or an accession")
        found.add(seqid.strip())
    if not found:
        raise ValueError("seqids is empty: it would select no record")
    return frozenset(found)


def _taxid_set(name: str, taxids: Iterable[int] | None) -> frozenset[int] | None:
    if taxids is None:
        return None
    if isinstance(taxids, (str, bytes)) or not isinstance(taxids, collections.abc.Iterable):
        raise TypeError(f"{name} is a list of taxonomy ids (int), not {type(taxids).__name__}")
    found = set()
    for taxid in taxids:
        if isinstance(taxid, bool) or not isinstance(taxid, (int, np.integer)) or taxid < 1:
            raise ValueError(f"{name}: {taxid!r:.60} is not a taxonomy id (a positive integer)")
        found.add(int(taxid))
    if not found:
        raise ValueError(f"{name} is empty")
    return frozenset(found)


def search_chunks(query_list: Sequence[tuple[str, str, str]], chunks: Iterable[Database],
                  settings: SearchSettings) -> tuple[list[_Kept], int, int]:
    """Every query against every chunk: the ``k`` best hits of each query,
    ranked with the provisional database size and numbered from 0 at the first
    chunk, and the residues and sequences read (for a BLAST database, the
    size its index or alias file gives, as blastp's E-values use it)."""
    options = settings.search_options()
    kept = [_Kept() for _ in query_list]
    db_residues = 0
    db_sequences = 0
    declared_size = None  # a BLAST database's own (residues, sequences), which blastp's E-values use
    for chunk_db in chunks:
        declared_size = getattr(chunk_db, "_statistics_size", declared_size)
        lengths = chunk_db.lengths
        scores = rank_evalues = None
        for number, (_, _, sequence) in enumerate(query_list):
            scores = search_detailed(sequence, chunk_db, **options).scores
            if settings.with_statistics:
                # Straight to the core: the search's scores and the chunk's
                # lengths need none of the public function's checks, which
                # cost as much as the statistics on a shard's few thousand.
                _, rank_evalues = _core.statistics(
                    scores, len(sequence), lengths, _PROVISIONAL_RESIDUES, _PROVISIONAL_SEQUENCES,
                    settings.matrix, settings.gap_open, settings.gap_extend,
                    search_space=settings.searchsp or 0)  # -searchsp changes the formula, so the order
            else:
                # No statistics: every E-value ties, and hits rank by score.
                rank_evalues = np.zeros(len(scores))
            kept[number] = _keep_best(kept[number], settings.k, scores, rank_evalues, chunk_db, db_sequences)
        db_residues += chunk_db.total_residues
        db_sequences += len(chunk_db)
        del chunk_db, lengths, scores, rank_evalues  # free this chunk before the next is read
    if declared_size is not None:
        db_residues, db_sequences = declared_size
    return kept, db_residues, db_sequences


def finish_all(query_list: Sequence[tuple[str, str, str]], kept: Sequence[_Kept], db_residues: int,
               db_sequences: int, settings: SearchSettings) -> list[QueryHits]:
    """The QueryHits of each query from its kept hits, with E-values for a
    database of ``db_residues`` residues in ``db_sequences`` sequences."""
    return _finish(query_list, kept, settings.evalue, db_residues, db_sequences, settings.matrix,
                   settings.gap_open, settings.gap_extend, settings.thread_count, settings.dbsize, settings.searchsp)


def _finish(query_list: Sequence[tuple[str, str, str]], kept: Sequence[_Kept], cutoff: float | None,
            db_residues: int, db_sequences: int, matrix: str, gap_open: int, gap_extend: int,
            threads: int, dbsize: int | None = None, searchsp: int | None = None) -> list[QueryHits]:
    """The kept hits of every query with their final E-values (whole
    database), cut off, re-ranked and aligned. The alignments of all queries
    run as one parallel batch, largest first, with each hit's score known (so
    that the end pass stops at it): a batch per query would leave threads
    idle at the end of each."""
    from ._align import Alignment

    ranked = []
    query_of: list[int] = []
    subjects: list[str] = []
    scores: list[int] = []
    for number, ((_, _, query), best) in enumerate(zip(query_list, kept)):
        lengths = np.array([len(s) for s in best.sequences], dtype=np.int64)
        bits, evalues = _statistics().bit_scores_and_evalues(
            best.score, len(query), lengths, max(db_residues, 1), max(db_sequences, 1), matrix, gap_open, gap_extend,
            dbsize=dbsize, searchsp=searchsp)
        keep = np.ones(len(best.score), dtype=bool) if cutoff is None else evalues <= cutoff
        order = [int(i) for i in rank_order(evalues, best.score, best.index) if keep[i]]
        ranked.append((order, lengths, bits, evalues))
        for i in order:
            query_of.append(number)
            subjects.append(best.sequences[i])
            scores.append(int(best.score[i]))
    results = _core.align_batch([query for _, _, query in query_list], subjects, query_of, scores, matrix,
                                gap_open, gap_extend, threads_argument(threads or None))
    found_per_query: list[list[Hit]] = [[] for _ in query_list]
    pairs = iter(zip(results, subjects))
    for number, ((name, _, query), best, (order, lengths, bits, evalues)) in enumerate(zip(query_list, kept, ranked)):
        for i in order:
            result, subject = next(pairs)
            alignment = Alignment.from_core(result, query, subject, matrix)
            if alignment.score != best.score[i]:
                raise RuntimeError(
                    f"internal error: the alignment of {name} with {best.names[i]} scores {alignment.score}, "
                    f"the search {best.score[i]}")
            source = best.ids[i]
            ids = None if source is None else _blastdb.SubjectIds.of_record(source, int(best.index[i]))
            found_per_query[number].append(
                Hit(name, best.names[i], best.titles[i] if ids is None or not ids.parsed else ids.title, len(query),
                    int(lengths[i]), float(evalues[i]), float(bits[i]), alignment, int(best.index[i]), ids))
    summary = SearchSummary(matrix, gap_open, gap_extend, cutoff, db_residues, db_sequences, dbsize, searchsp)
    return [QueryHits(name, description, len(query), found, summary)
            for (name, description, query), found in zip(query_list, found_per_query)]


# --- Tables ------------------------------------------------------------------------


def hit_record(hit: Hit) -> dict[str, Any]:
    """Every field of a hit as plain values (coordinates 0-based half-open)."""
    record: dict[str, Any] = {
        "qseqid": hit.qseqid, "sseqid": hit.sseqid, "stitle": hit.stitle, "qlen": hit.qlen, "slen": hit.slen,
        "evalue": hit.evalue, "bitscore": hit.bitscore,
    }
    for name in ID_FIELDS:
        record[name] = getattr(hit, name)
    record["staxids"] = list(hit.staxids)
    for name in ALIGNMENT_FIELDS:
        record[name] = getattr(hit.alignment, name)
    record["qcovhsp"] = hit.qcovhsp
    return record


def to_dataframe(results: Sequence[QueryHits]) -> Any:
    """One row per hit, every field a column (coordinates 0-based half-open,
    as in Python). Needs pandas."""
    try:
        import pandas
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install pandas") from None
    columns = ["qseqid", "sseqid", "stitle", "qlen", "slen", "evalue", "bitscore", *ID_FIELDS, "staxids",
               *ALIGNMENT_FIELDS, "qcovhsp"]
    return pandas.DataFrame([hit_record(hit) for query in results for hit in query], columns=columns)
