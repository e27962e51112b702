"""The ladder's numba peer: the scalar rung's recurrence (two rows, a query
profile, comparisons) in Python, compiled by numba. It answers "what would a
JIT give the Python program?" and is used only when numba is installed."""

from __future__ import annotations

import numba  # type: ignore[import-not-found]
import numpy as np

from .. import _core
from .._baseline import baseline


@numba.njit(cache=False, nogil=True)
def _score(profile: np.ndarray, subject: np.ndarray, open_extend: int, extend: int) -> int:  # pragma: no cover
    m = profile.shape[1]
    h_row = np.zeros(m, dtype=np.int32)
    e_row = np.full(m, -(1 << 30), dtype=np.int32)
    best = 0
    for residue in subject:
        scores = profile[residue]
        h_diagonal = 0
        h_above = 0
        f = -(1 << 30)
        for i in range(m):
            e = max(e_row[i] - extend, h_row[i] - open_extend)
            f = max(f - extend, h_above - open_extend)
            h = max(h_diagonal + scores[i], e, f, 0)
            best = max(best, h)
            h_diagonal = h_row[i]
            h_row[i] = h
            e_row[i] = e
            h_above = h
    return best


def numba_search(query: str, subjects: list[str], gap_open: int = 11, gap_extend: int = 1) -> list[int]:
    _, table = _core.matrix("BLOSUM62")
    # The package's own encoding and table: lowercase as uppercase, U, O, J by the stand-in rule.
    codes = np.array(baseline.encode(query), dtype=np.int64)
    profile = np.ascontiguousarray(np.asarray(table, dtype=np.int32)[:, codes])
    return [
        int(_score(profile, np.array(baseline.encode(subject, "subject"), dtype=np.int64), gap_open + gap_extend,
                   gap_extend))
        if subject and query else 0
        for subject in subjects
    ]
