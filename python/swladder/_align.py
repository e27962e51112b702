"""The optimal local alignment behind a score: ``align(query, subject)``
returns an ``Alignment`` whose fields are named as BLAST's tabular columns,
with 0-based half-open coordinates (Python slices: ``query[a.qstart:a.qend]``
is the aligned part of the query)."""

from __future__ import annotations

import dataclasses
import operator
from typing import Iterable, Sequence

from . import _core
from ._fasta import DatabaseSource, as_database
from ._search import MatrixName, matrix_argument, penalties, threads_argument

GAP = "-"
BLOCK_COLUMNS = 60


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
        for name, text in (("query", query), ("subject", subject), ("operations", operations)):
            if not text.isascii():
                raise ValueError(f"alignment {name}: a character that is not ASCII")
        columns = _core.alignment_columns(operations, query, subject, qstart, qend, sstart, send,
                                          matrix_argument(matrix))
        qseq, sseq, midline, nident, positive, gaps, gapopen, btop, cigar = columns
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
            cigar=cigar,
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
