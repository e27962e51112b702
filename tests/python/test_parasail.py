"""An independent implementation pins the workload's conventions: parasail's
Smith-Waterman with open = gap_open + gap_extend and extend = gap_extend must
give our scores (a gap of length k costs gap_open + k * gap_extend)."""

from __future__ import annotations

import functools
import random

import pytest

import swladder
from conftest import MATRICES, PROTEIN, mutate, random_penalties, sw

parasail = pytest.importorskip("parasail")

# parasail's own tables, where they are ours. Its blosum80 is FASTA's, in
# 1/3-bit units, not the 1/2-bit BLOSUM80 of BLAST that ours is: parasail
# reads that one from our matrix file, with its own parser.
PARASAIL_MATRICES = {
    "BLOSUM45": "blosum45",
    "BLOSUM50": "blosum50",
    "BLOSUM62": "blosum62",
    "PAM250": "pam250",
}
BUILTIN = sorted(swladder.builtin_matrices())


# Cached: a parasail Matrix's .matrix is a view of memory that goes with it.
@functools.lru_cache(maxsize=None)
def parasail_matrix(matrix: str):
    if matrix in PARASAIL_MATRICES:
        return getattr(parasail, PARASAIL_MATRICES[matrix])
    return parasail.Matrix(str(MATRICES / f"{matrix}.txt"))


# parasail knows the 24 NCBI letters only: U and O reach it as C and K, whose
# scores they take; J, the better of I and L, joins its table as a 25th letter.
WITH_J = "ARNDCQEGHILKMFPSTWYVBZX*J"


@functools.lru_cache(maxsize=None)
def parasail_table_with_j(matrix: str):
    rows = parasail_matrix(matrix).matrix.tolist()
    i, l = WITH_J.index("I"), WITH_J.index("L")
    rows = [row + [max(row[i], row[l])] for row in rows]
    rows.append([max(a, b) for a, b in zip(rows[i], rows[l])])
    table = parasail.matrix_create(WITH_J, 0, 0)
    for row, entries in enumerate(rows):
        for column, value in enumerate(entries):
            table.set_value(row, column, value)
    return table


def parasail_scores(query: str, subjects: list[str], matrix: str, gap_open: int, gap_extend: int) -> list[int]:
    # parasail reads uppercase only: give it the sequences as our alphabet
    # reads them. Its empty alignments are ours too: 0.
    table = parasail_table_with_j(matrix)
    as_parasail = str.maketrans("UO", "CK")
    query = sw.canonical(query).translate(as_parasail)
    out = []
    for subject in subjects:
        subject = sw.canonical(subject).translate(as_parasail)
        if not query or not subject:
            out.append(0)
            continue
        out.append(parasail.sw_scan_32(query, subject, gap_open + gap_extend, gap_extend, table).score)
    return out


def test_parasail_matrices_are_ours():
    for matrix in BUILTIN:
        letters, table = swladder.matrix(matrix)
        assert letters[:24] == "ARNDCQEGHILKMFPSTWYVBZX*"
        assert table[:24, :24].tolist() == parasail_matrix(matrix).matrix.tolist(), matrix
    # Should parasail's blosum80 become BLAST's (A/A 5, W/W 11), it can replace the file.
    assert (parasail.blosum80.matrix[0][0], parasail.blosum80.matrix[17][17]) == (7, 16)


@pytest.mark.parametrize("matrix", BUILTIN)
def test_random_cases_against_parasail(matrix):
    rng = random.Random(f"parasail {matrix}")
    letters = sw.ALPHABET + sw.ALPHABET.lower() + "UOJ"
    stages = [name for name in swladder.stages() if name != "python_naive"]
    for _ in range(12):
        gap_open, gap_extend = random_penalties(rng)
        query = "".join(rng.choice(letters) for _ in range(rng.randint(1, 150)))
        subjects = [mutate(rng, query, 0.3, 0.08) for _ in range(4)]
        subjects += ["".join(rng.choice(letters) for _ in range(rng.randint(0, 200))) for _ in range(3)]
        expected = parasail_scores(query, subjects, matrix, gap_open, gap_extend)
        for stage in stages:
            scores = swladder.search(query, subjects, stage=stage, matrix=matrix, gap_open=gap_open,
                                     gap_extend=gap_extend, threads=2)
            assert scores.tolist() == expected, (stage, matrix, gap_open, gap_extend, query)
    # python_naive, on a size it finishes quickly.
    small = "".join(rng.choice(PROTEIN) for _ in range(30))
    subjects = [mutate(rng, small, 0.2, 0.1) for _ in range(3)]
    expected = parasail_scores(small, subjects, matrix, 10, 2)
    assert swladder.search(small, subjects, stage="python_naive", matrix=matrix, gap_open=10,
                           gap_extend=2).tolist() == expected


def test_real_sequences_against_parasail(query_records, sample_records):
    rng = random.Random(7)
    subjects = [record.sequence for record in rng.sample(sample_records, 60)]
    db = swladder.Database(subjects)
    for query in query_records:
        expected = parasail_scores(query.sequence, subjects, "BLOSUM62", 11, 1)
        for stage in [s["name"] for s in swladder.stage_info() if s["kind"] == "compiled"]:
            assert swladder.search(query.sequence, db, stage=stage).tolist() == expected, (stage, query.name)
    # The Python program too, on one query (a million cells is a second of python_tuned).
    query = query_records[0].sequence
    expected = parasail_scores(query, subjects[:8], "BLOSUM62", 11, 1)
    assert sw.python_tuned(query, subjects[:8], sw.load_matrix("BLOSUM62")) == expected
