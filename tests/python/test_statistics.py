"""Bit scores and E-values against the oracle, blastp 2.12: for blastp's own
raw score of every hit it reports (the bundled queries against the bundled
database, several matrices and gap costs), ours print exactly as its do.
Without blastp and makeblastdb the oracle tests skip, and fail under CI=true."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import swladder
from swladder import bit_scores_and_evalues, format_bitscore, format_evalue, karlin_altschul

from conftest import DATA, MATRICES, require

# (matrix, gap_open, gap_extend): each matrix at blastp's default costs for
# it and at others BLAST lists, including both ends of BLOSUM62's table.
SCORINGS = [
    ("BLOSUM62", 11, 1),
    ("BLOSUM62", 10, 1),
    ("BLOSUM62", 9, 2),
    ("BLOSUM62", 7, 2),
    ("BLOSUM62", 13, 1),
    ("BLOSUM45", 14, 2),
    ("BLOSUM45", 16, 1),
    ("BLOSUM50", 13, 2),
    ("BLOSUM50", 9, 3),
    ("BLOSUM80", 10, 1),
    ("BLOSUM80", 25, 2),
    ("PAM250", 14, 2),
    ("PAM250", 11, 3),
]
COLUMNS = "qseqid sseqid evalue bitscore score qlen slen"


@pytest.fixture(scope="module")
def blast_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("blastp") is not None and shutil.which("makeblastdb") is not None,
            "needs blastp and makeblastdb (Debian package ncbi-blast+; scripts/setup.sh installs it)")
    version = subprocess.run(["blastp", "-version"], capture_output=True, text=True, check=True).stdout
    assert "2.12" in version.splitlines()[0], f"the oracle is blastp 2.12, found: {version.splitlines()[0]}"
    folder = tmp_path_factory.mktemp("blastdb")
    subprocess.run(["makeblastdb", "-dbtype", "prot", "-in", str(DATA / "tursiops_sample.fa"), "-out",
                    str(folder / "sample")], check=True, capture_output=True)
    return folder / "sample"


@pytest.fixture(scope="module")
def sample() -> swladder.Database:
    return swladder.Database(DATA / "tursiops_sample.fa")


def run_blastp(database: Path, matrix: str, gap_open: int, gap_extend: int) -> list[list[str]]:
    done = subprocess.run(
        ["blastp", "-query", str(DATA / "queries.fa"), "-db", str(database), "-comp_based_stats", "0", "-seg", "no",
         "-use_sw_tback", "-matrix", matrix, "-gapopen", str(gap_open), "-gapextend", str(gap_extend),
         "-outfmt", f"6 {COLUMNS}", "-max_target_seqs", "50", "-evalue", "10", "-num_threads", "1"],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


@pytest.mark.parametrize(("matrix", "gap_open", "gap_extend"), SCORINGS, ids=lambda v: str(v))
def test_every_blastp_hit_prints_the_same(blast_database, sample, matrix, gap_open, gap_extend):
    rows = run_blastp(blast_database, matrix, gap_open, gap_extend)
    assert len(rows) >= 30, f"blastp reported only {len(rows)} hits: too few to test"
    index_of = {name: index for index, name in enumerate(sample.names)}
    subject_lengths = sample.lengths
    mismatches = []
    for query in sorted({row[0] for row in rows}):
        hits = [row for row in rows if row[0] == query]
        query_length = int(hits[0][5])
        scores = np.array([int(row[4]) for row in hits], dtype=np.int32)
        lengths = np.array([int(row[6]) for row in hits], dtype=np.int64)
        # blastp's subject lengths are our database's: the pipeline passes ours.
        assert [subject_lengths[index_of[row[1]]] for row in hits] == list(lengths)
        bits, evalues = bit_scores_and_evalues(scores, query_length, lengths, sample.total_residues, len(sample),
                                               matrix, gap_open, gap_extend)
        for row, bit, evalue in zip(hits, bits, evalues):
            ours = (format_evalue(evalue), format_bitscore(bit))
            if ours != (row[2], row[3]):
                mismatches.append(f"{row[0]} {row[1]} score {row[4]}: blastp {row[2]} {row[3]}, ours {ours}")
    assert not mismatches, f"{len(mismatches)} of {len(rows)} hits differ:\n" + "\n".join(mismatches[:20])


def test_the_oracle_database_has_our_sizes(blast_database, sample):
    info = subprocess.run(["blastdbcmd", "-db", str(blast_database), "-info"], capture_output=True, text=True,
                          check=True).stdout
    assert f"{len(sample):,} sequences; {sample.total_residues:,} total residues" in info


def test_blosum62_11_1_has_the_parameters_blastp_prints():
    parameters = karlin_altschul("blosum62", 11, 1)
    assert parameters is not None
    assert (parameters["lambda"], parameters["K"], parameters["H"]) == (0.267, 0.041, 0.14)
    assert (parameters["alpha"], parameters["beta"]) == (1.9, -30.0)
    assert (parameters["C"], parameters["alpha_v"], parameters["sigma"]) == (0.669720, 42.602800, 43.636200)
    assert parameters["gap_open"] == 11 and parameters["gap_extend"] == 1
    assert parameters["b"] == pytest.approx(24 * (0.7916 - 1.9))


def test_without_published_parameters_statistics_are_unknown():
    assert karlin_altschul("BLOSUM62", 11, 3) is None
    assert karlin_altschul(MATRICES / "BLOSUM62.txt", 11, 1) is None  # a file has no parameters
    bits, evalues = bit_scores_and_evalues([50, 60], 100, [200, 300], 10_000, 40, MATRICES / "BLOSUM62.txt", 11, 1)
    assert np.isnan(bits).all() and np.isnan(evalues).all()
    assert (format_evalue(evalues[0]), format_bitscore(bits[0])) == ("NA", "NA")


def test_statistics_are_float64_arrays_in_score_order():
    bits, evalues = bit_scores_and_evalues(np.array([100, 30, 0], dtype=np.int32), 300, [400, 400, 400], 10**6, 3000)
    assert bits.dtype == np.float64 and evalues.dtype == np.float64
    assert bits.shape == evalues.shape == (3,)
    assert bits[0] > bits[1] > bits[2]
    assert evalues[0] < evalues[1] < evalues[2]
    assert bits[2] == pytest.approx(-math.log2(0.041))


def test_big_arrays_equal_small_ones():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 2000, size=20_000, dtype=np.int32)
    lengths = rng.integers(1, 5000, size=20_000, dtype=np.int64)
    bits, evalues = bit_scores_and_evalues(scores, 321, lengths, 10**8, 40_000)  # GIL released
    for i in range(0, 20_000, 997):
        one_bits, one_evalues = bit_scores_and_evalues(scores[i:i + 1], 321, lengths[i:i + 1], 10**8, 40_000)
        assert (one_bits[0], one_evalues[0]) == (bits[i], evalues[i])


def test_the_whole_database_size_scales_the_evalue():
    _, whole = bit_scores_and_evalues([80], 300, [400], 2_000_000, 6000)
    _, chunk = bit_scores_and_evalues([80], 300, [400], 1_000_000, 3000)
    assert whole[0] == pytest.approx(2 * chunk[0], rel=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: bit_scores_and_evalues([1, 2], 10, [5], 100, 2), ValueError, "2 scores but 1 subject lengths"),
        (lambda: bit_scores_and_evalues([1.5], 10, [5], 100, 2), TypeError, "scores must hold integers, not float64"),
        (lambda: bit_scores_and_evalues([[1]], 10, [[5]], 100, 2), ValueError, "scores must be a one-dimensional"),
        (lambda: bit_scores_and_evalues([1], 10, [-5], 100, 2), ValueError, "subject_lengths[0] is negative (-5)"),
        (lambda: bit_scores_and_evalues([1], -1, [5], 100, 2), ValueError, "query_length must be a non-negative"),
        (lambda: bit_scores_and_evalues([2**31], 10, [5], 100, 2), ValueError, "scores holds values beyond int32"),
        (lambda: bit_scores_and_evalues([1], 10, [500], 100, 2), ValueError,
         "the subject (500 residues) is longer than the whole database (100 residues)"),
        (lambda: bit_scores_and_evalues([1], 10, [5], 100, 0), ValueError, "the database has no sequences"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


def test_the_binding_refuses_to_truncate():
    with pytest.raises(TypeError):
        swladder._core.statistics(np.array([1.5]), 10, np.array([5]), 100, 2, "BLOSUM62", 11, 1)


@pytest.mark.parametrize(
    ("evalue", "printed"),
    [
        (0.0, "0.0"),
        (9.9e-181, "0.0"),
        (1.0e-180, "1.00e-180"),
        (1.374e-177, "1.37e-177"),
        (2.4e-120, "2.40e-120"),
        (5.1249e-4, "5.12e-04"),
        (8.996e-4, "9.00e-04"),
        (9.0e-4, "0.001"),
        (0.0123, "0.012"),
        (0.09996, "0.100"),
        (0.1, "0.10"),
        (0.714, "0.71"),
        (3.68, "3.7"),
        (9.96, "10.0"),
        (10.0, "10"),
        (480.6, "481"),
        (12345678.0, "12345678"),
        (float("nan"), "NA"),
    ],
)
def test_format_evalue_prints_as_blastp_tabular(evalue, printed):
    assert format_evalue(evalue) == printed


@pytest.mark.parametrize(
    ("bit_score", "printed"),
    [
        (26.64, "26.6"),
        (99.9, "99.9"),
        (99.95, " 99"),  # above 99.9: the whole part, truncated, in a field of three
        (100.0, "100"),
        (484.97, "484"),
        (9.25, " 9.2"),  # a field of four, as blastp pads it
        (-3.2, "-3.2"),
        (99999.0, "99999"),
        (123456.0, "1.235e+05"),
        (float("nan"), "NA"),
    ],
)
def test_format_bitscore_prints_as_blastp(bit_score, printed):
    assert format_bitscore(bit_score) == printed
