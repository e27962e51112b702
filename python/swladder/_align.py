"""The optimal local alignment behind a score: ``align(query, subject)``
returns an ``Alignment`` whose fields are named as BLAST's tabular columns,
with 0-based half-open coordinates (Python slices: ``query[a.qstart:a.qend]``
is the aligned part of the query)."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
from typing import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from . import _core
from ._fasta import DatabaseSource, as_database
from ._search import MatrixName, _builtin_names, matrix_argument, penalties, threads_argument

GAP = "-"
BLOCK_COLUMNS = 60

# Residue codes as the matrices see them: lowercase as uppercase (the C++
# side has already refused anything that is not a residue).
_CODES = {letter: code for code, letter in enumerate(_core.ALPHABET)}
_CODE_X = _CODES["X"]


def _table(matrix_name: str) -> npt.NDArray[np.int32]:
    if matrix_name.upper() in _builtin_names():
        return _builtin_table(matrix_name.upper())
    return _core.matrix(matrix_name)[1]  # a file: read it as it is now


@functools.lru_cache(maxsize=16)
def _builtin_table(name: str) -> npt.NDArray[np.int32]:
    return _core.matrix(name)[1]


@dataclasses.dataclass(frozen=True)
class Alignment:
    """An optimal local alignment of a query with a subject.

    Coordinates are 0-based and half-open, as Python slices: the query's
    residues ``query[qstart:qend]`` are aligned with ``subject[sstart:send]``
    (BLAST's tabular output prints ``qstart + 1`` and ``qend``). ``qseq`` and
    ``sseq`` are the aligned strings, residues uppercase and ``-`` for a gap.
    The counts are BLAST's: ``length`` columns, ``nident`` identical pairs
    (identity compares the residues as the matrix sees them), ``positive``
    pairs scoring above 0, ``mismatch`` aligned pairs that are not identical,
    ``gapopen`` gap runs, ``gaps`` gap columns; ``pident`` and ``ppos`` are
    percentages of ``length``. ``cigar`` counts runs of M (pair), I (query
    residue against a gap: an insertion in the query) and D (subject residue
    against a gap); ``btop`` is blastp's ``-outfmt "6 btop"`` string. An
    alignment of score 0 is empty (every field 0 or "")."""

    score: int
    qstart: int
    qend: int
    sstart: int
    send: int
    qseq: str
    sseq: str
    length: int
    nident: int
    positive: int
    mismatch: int
    gapopen: int
    gaps: int
    pident: float
    ppos: float
    cigar: str
    btop: str
    _midline: str = dataclasses.field(default="", repr=False)

    @property
    def midline(self) -> str:
        """BLAST's middle line: the letter for an identity, '+' for a pair
        that scores above 0, ' ' otherwise (gaps included)."""
        return self._midline

    @classmethod
    def from_core(cls, result: Sequence, query: str, subject: str, matrix: MatrixName = "BLOSUM62") -> Alignment:
        """From ``_core.align``'s tuple (score, query_begin, query_end,
        subject_begin, subject_end, operations) and the two sequences it
        aligned, with the matrix it was scored with (for ``positive``)."""
        score, qstart, qend, sstart, send, operations = result
        table = _table(matrix_argument(matrix))
        columns = _columns(operations, query, subject, qstart, qend, sstart, send, table)
        qseq, sseq, midline, nident, positive, gaps, gapopen, btop = columns
        length = len(operations)
        return cls(
            score=int(score),
            qstart=int(qstart),
            qend=int(qend),
            sstart=int(sstart),
            send=int(send),
            qseq=qseq,
            sseq=sseq,
            length=length,
            nident=nident,
            positive=positive,
            mismatch=length - gaps - nident,
            gapopen=gapopen,
            gaps=gaps,
            pident=100.0 * nident / length if length else 0.0,
            ppos=100.0 * positive / length if length else 0.0,
            cigar="".join(f"{len(list(run))}{op}" for op, run in itertools.groupby(operations)),
            btop=btop,
            _midline=midline,
        )

    def pairwise(self, query_name: str = "Query", subject_name: str = "Sbjct") -> str:
        """The alignment as BLAST and ssearch36 print it: blocks of 60
        columns, the query line, the midline and the subject line, each
        sequence line with the 1-based positions of its first and last
        residue (a line of gaps only shows the next position and the last
        one). Empty for an empty alignment."""
        if not self.length:
            return ""
        name_width = max(len(query_name), len(subject_name))
        number_width = len(str(max(self.qend, self.send, 1)))
        blocks = []
        q_next, s_next = self.qstart + 1, self.sstart + 1
        for offset in range(0, self.length, BLOCK_COLUMNS):
            q_part = self.qseq[offset : offset + BLOCK_COLUMNS]
            s_part = self.sseq[offset : offset + BLOCK_COLUMNS]
            q_count = len(q_part) - q_part.count(GAP)
            s_count = len(s_part) - s_part.count(GAP)
            prefix = " " * (name_width + 2 + number_width + 2)
            blocks.append(
                "\n".join(
                    [
                        f"{query_name:<{name_width}}  {q_next:>{number_width}}  {q_part}  {q_next + q_count - 1}",
                        prefix + self.midline[offset : offset + BLOCK_COLUMNS],
                        f"{subject_name:<{name_width}}  {s_next:>{number_width}}  {s_part}  {s_next + s_count - 1}",
                    ]
                )
            )
            q_next += q_count
            s_next += s_count
        return "\n\n".join(blocks) + "\n"


# Residue codes by byte, for uppercase ASCII letters (anything else reads as X,
# as _code does).
_CODE_OF_BYTE = np.full(256, _CODE_X, dtype=np.intp)
for _letter, _letter_code in _CODES.items():
    _CODE_OF_BYTE[ord(_letter)] = _letter_code
_OPS = np.frombuffer(b"MID", dtype=np.uint8)


def _columns(operations: str, query: str, subject: str, qstart: int, qend: int, sstart: int, send: int,
             table: npt.NDArray[np.int32]) -> tuple[str, str, str, int, int, int, int, str]:
    """(qseq, sseq, midline, nident, positive, gaps, gapopen, btop) of the
    columns, with whole-array operations: a search aligns hundreds of hits,
    and a Python loop over their columns cost more than aligning them."""
    ops = np.frombuffer(operations.encode("ascii", errors="replace"), dtype=np.uint8)
    bad = np.flatnonzero(~np.isin(ops, _OPS))
    if bad.size:
        raise ValueError(f"alignment operation {operations[bad[0]]!r} is not M, I or D")
    is_m, is_i, is_d = ops == ord("M"), ops == ord("I"), ops == ord("D")
    uses_query, uses_subject = ~is_d, ~is_i
    q_end, s_end = qstart + int(uses_query.sum()), sstart + int(uses_subject.sum())
    if (q_end, s_end) != (qend, send) or qend > len(query) or send > len(subject) or qstart < 0 or sstart < 0:
        raise ValueError(
            f"alignment operations cover query {qstart}..{q_end} and subject {sstart}..{s_end}, "
            f"not {qstart}..{qend} and {sstart}..{send}"
        )
    if not ops.size:
        return "", "", "", 0, 0, 0, 0, ""
    gap = ord(GAP)
    q_bytes = np.frombuffer(query[qstart:qend].upper().encode("ascii", errors="replace"), dtype=np.uint8)
    s_bytes = np.frombuffer(subject[sstart:send].upper().encode("ascii", errors="replace"), dtype=np.uint8)
    q_letters = np.full(ops.size, gap, dtype=np.uint8)
    s_letters = np.full(ops.size, gap, dtype=np.uint8)
    q_letters[uses_query] = q_bytes
    s_letters[uses_subject] = s_bytes
    q_codes, s_codes = _CODE_OF_BYTE[q_letters], _CODE_OF_BYTE[s_letters]
    identical = is_m & (q_codes == s_codes)
    positive = is_m & (table[q_codes, s_codes] > 0)
    midline = np.where(identical, q_letters, np.where(positive & ~identical, ord("+"), ord(" "))).astype(np.uint8)
    previous = np.concatenate(([0], ops[:-1]))
    gapopen = int((~is_m & (ops != previous)).sum())
    qseq, sseq = q_letters.tobytes().decode("ascii"), s_letters.tobytes().decode("ascii")
    # btop: the length of each run of identities, the two letters of every other column.
    pieces = []
    run_start = 0
    for column in np.flatnonzero(~identical).tolist():
        if column > run_start:
            pieces.append(str(column - run_start))
        pieces.append(qseq[column] + sseq[column])
        run_start = column + 1
    if ops.size > run_start:
        pieces.append(str(ops.size - run_start))
    return (qseq, sseq, midline.tobytes().decode("ascii"), int(identical.sum()), int(positive.sum()),
            int(ops.size - is_m.sum()), gapopen, "".join(pieces))


def align(
    query: str,
    subject: str,
    *,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
) -> Alignment:
    """The optimal local alignment of ``query`` with ``subject``; its score is
    search()'s score of the pair. Where several alignments score the best,
    the one chosen ends at the first subject position reaching it (then the
    first query position) and starts as late as possible (see the README).
    Memory stays linear in the lengths (a 35,000 x 35,000 pair takes under
    64 MiB); the GIL is released while it runs, and Ctrl-C stops it
    (KeyboardInterrupt). Bad input raises ValueError."""
    for name, value in (("query", query), ("subject", subject)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    matrix_name = matrix_argument(matrix)
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    result = _core.align(query, subject, matrix_name, gap_open, gap_extend)
    return Alignment.from_core(result, query, subject, matrix_name)


def align_many(
    query: str,
    database: DatabaseSource,
    indices: Iterable[int],
    *,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = None,
) -> list[Alignment]:
    """align() of ``query`` with database records ``indices`` (the hits of a
    search), in that order, on ``threads`` threads (None: every core) with
    the GIL released (Ctrl-C stops them: KeyboardInterrupt). The subject
    strings are the database's (uppercase).
    A negative index counts from the end."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    database = as_database(database)
    size = len(database)
    records = []
    for index in indices:
        index = operator.index(index)
        if not -size <= index < size:
            raise ValueError(f"database index {index} out of range (the database has {size} sequences)")
        records.append(index + size if index < 0 else index)
    matrix_name = matrix_argument(matrix)
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    results = _core.align_many(
        query, database._core, records, matrix_name, gap_open, gap_extend, threads_argument(threads)
    )
    return [
        Alignment.from_core(result, query, database.sequence(index), matrix_name)
        for result, index in zip(results, records)
    ]
