"""Bit scores and E-values as blastp (BLAST+ 2.12, ``-comp_based_stats 0``)
computes and prints them for a raw score, so a BLAST user reads ours the same
way.

    >>> from swladder import bit_scores_and_evalues, format_evalue, format_bitscore
    >>> db = swladder.Database("data/tursiops_sample.fa")
    >>> scores = swladder.search(query, db)
    >>> bits, evalues = bit_scores_and_evalues(scores, len(query), db.lengths,
    ...                                        db.total_residues, len(db))
    >>> format_evalue(evalues[0]), format_bitscore(bits[0])   # ('1.37e-177', '484')

The parameters are NCBI's published tables for the built-in matrices
(BLOSUM45/50/62/80, PAM250) at the gap costs BLAST lists for each; a matrix
file, or gap costs without a table row, has none: :func:`karlin_altschul`
returns None and the arrays are NaN (say so once, and rank by score).

The E-value is blastp's: Spouge's finite-size correction for the pair (query
length x subject length), scaled to the whole database by
``db_residues / subject_length``. ``db_residues`` and ``db_sequences`` are
those of the whole database, even when it is searched in chunks.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from . import _core
from ._search import MatrixName, matrix_argument, penalties

__all__ = ["karlin_altschul", "bit_scores_and_evalues", "format_evalue", "format_bitscore"]

UNKNOWN = "NA"  # what the formatters print for NaN: statistics unknown


def karlin_altschul(matrix: MatrixName = "BLOSUM62", gap_open: int = 11, gap_extend: int = 1) -> Optional[dict[str, Any]]:
    """NCBI's published parameters for a built-in matrix (any case) and gap
    costs, or None where BLAST publishes none (a matrix file, other costs).

    Keys: gap_open, gap_extend; lambda, K, H (gapped Karlin-Altschul, as
    blastp's report footer prints them); alpha, beta (edge-effect line: mean
    alignment length alpha*S + beta); C, alpha_v, sigma (Spouge's prefactor,
    length-variance and covariance slopes); b, beta_v, tau (the intercepts
    BLAST derives from the ungapped row and G = gap_open + gap_extend).
    """
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    return _core.karlin_altschul(matrix_argument(matrix), gap_open, gap_extend)


def _integer_array(values: Any, dtype: type, name: str) -> npt.NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array, got {array.ndim} dimensions")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {array.dtype}")
    info = np.iinfo(dtype)
    if array.size and (array.min() < info.min or array.max() > info.max):
        raise ValueError(f"{name} holds values beyond {np.dtype(dtype).name}")
    return np.ascontiguousarray(array, dtype=dtype)


def _count(value: Any, name: str) -> int:
    value = operator.index(value)
    if not 0 <= value < 2**63:
        raise ValueError(f"{name} must be a non-negative count, got {value}")
    return value


def bit_scores_and_evalues(
    scores: npt.ArrayLike,
    query_length: int,
    subject_lengths: npt.ArrayLike,
    db_residues: int,
    db_sequences: int,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    *,
    dbsize: int | None = None,
    searchsp: int | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(bit scores, E-values), float64 arrays as long as ``scores``.

    scores: raw scores (integers), one per subject; subject_lengths: the
    length of each one's subject; db_residues, db_sequences: the size of the
    whole database. NaN throughout where the matrix and gap costs have no
    published parameters (see :func:`karlin_altschul`). Raises ValueError
    for arrays of different lengths, negative lengths or a subject longer
    than the database, TypeError for arrays of non-integers.

    ``dbsize`` and ``searchsp`` are blastp's options of those names: the
    database's length in residues that E-values are scaled by, in place of
    ``db_residues``; the effective search space N, which makes every E-value
    the classic K N exp(-lambda S), as blastp then computes it (with both,
    ``searchsp`` sets the E-values).
    """
    score_array = _integer_array(scores, np.int32, "scores")
    length_array = _integer_array(subject_lengths, np.int64, "subject_lengths")
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    return _core.statistics(
        score_array,
        _count(query_length, "query_length"),
        length_array,
        _count(db_residues, "db_residues"),
        _count(db_sequences, "db_sequences"),
        matrix_argument(matrix),
        gap_open,
        gap_extend,
        db_length=_size_option(dbsize, "dbsize"),
        search_space=_size_option(searchsp, "searchsp"),
    )


def _size_option(value: int | None, name: str) -> int:
    """blastp's -dbsize or -searchsp as the core takes it: 0 when not given."""
    if value is None:
        return 0
    value = operator.index(value)
    if not 1 <= value < 2**63:
        raise ValueError(f"{name} must be a positive count below 2**63, got {value}")
    return value


def format_evalue(evalue: float) -> str:
    """An E-value as blastp's tabular output prints it: "0.0" below 1e-180,
    three significant digits in exponent form below 0.0009 ("1.37e-177",
    "5.12e-04"), then "0.001".."0.099", "0.10".."0.99", "1.0".."9.9", and
    whole numbers from 10. NaN (statistics unknown) prints as "NA"."""
    evalue = float(evalue)
    if math.isnan(evalue):
        return UNKNOWN
    if evalue < 1.0e-180:
        return "0.0"
    if evalue < 0.0009:
        return "%.2e" % evalue
    if evalue < 0.1:
        return "%4.3f" % evalue
    if evalue < 1.0:
        return "%3.2f" % evalue
    if evalue < 10.0:
        return "%2.1f" % evalue
    return "%2.0f" % evalue


def format_bitscore(bit_score: float) -> str:
    """A bit score as blastp prints it: one decimal up to 99.9, in a field
    of four (so " 9.3", with blastp's leading space), the whole part
    (truncated, not rounded) above 99.9, exponent form above 99999. NaN
    (statistics unknown) prints as "NA"."""
    bit_score = float(bit_score)
    if math.isnan(bit_score):
        return UNKNOWN
    if bit_score > 99999:
        return "%5.3e" % bit_score
    if bit_score > 99.9:
        return "%3d" % int(bit_score)
    return "%4.1f" % bit_score
