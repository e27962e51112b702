"""Each built-in matrix is the one its statistics were computed for: blastp's
(BLAST+ 2.12) on the 20 standard letters. Checked twice against blastp: entry
by entry, and end to end, where a search at one of the matrix's gap costs
must report blastp's score, E-value and bit score for every hit both report.
The end-to-end database holds no X, U, O or J, which blastp scores by rules
of its own (see the README); B and Z, whose entries differ between the
classic tables and BLAST+ 2.12's, do not occur in the bundled data.
Without blastp and makeblastdb these tests skip, and fail under CI=true."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import swladder
from swladder import _hits

from conftest import DATA, PROTEIN, require

# Each matrix at blastp's default gap costs for it.
GAP_COSTS = {
    "BLOSUM45": (15, 2),
    "BLOSUM50": (13, 2),
    "BLOSUM62": (11, 1),
    "BLOSUM80": (10, 1),
    "PAM250": (14, 2),
}
BLASTP_EXACT = ["-comp_based_stats", "0", "-seg", "no", "-use_sw_tback", "-max_hsps", "1"]
COLUMNS = "qseqid sseqid score evalue bitscore"
# Letters that blastp scores otherwise than swladder.
OWN_RULES = set("XUOJ")


def read_records(path: Path) -> list[tuple[str, str]]:
    return [(name.split()[0], sequence) for name, _, sequence in swladder.read_fasta(path)]


@pytest.fixture(scope="module")
def blastp() -> str:
    require(shutil.which("blastp") is not None and shutil.which("makeblastdb") is not None,
            "needs blastp and makeblastdb (Debian package ncbi-blast+; scripts/setup.sh installs it)")
    version = subprocess.run(["blastp", "-version"], capture_output=True, text=True, check=True).stdout
    assert "2.12" in version.splitlines()[0], f"the oracle is blastp 2.12, found: {version.splitlines()[0]}"
    return "blastp"


def test_every_builtin_matrix_is_covered_at_costs_with_statistics():
    assert sorted(GAP_COSTS) == sorted(swladder.builtin_matrices())
    for matrix, (gap_open, gap_extend) in GAP_COSTS.items():
        assert _hits.has_statistics(matrix, gap_open, gap_extend), matrix


# One residue between two flanks that score far more than any entry costs:
# blastp's best alignment of LEFT+a+RIGHT with LEFT+b+RIGHT is the whole
# diagonal, so its score less that of LEFT+RIGHT with itself is the entry a/b.
LEFT, RIGHT = "WCHYWMCFW", "CWFHYWCMH"


@pytest.mark.parametrize("matrix", sorted(GAP_COSTS))
def test_standard_letters_are_blastps(blastp, tmp_path, matrix):
    letters, table = swladder.matrix(matrix)
    ours = {(a, b): int(table[letters.index(a), letters.index(b)]) for a in PROTEIN for b in PROTEIN}
    probes = tmp_path / "probes.fa"
    probes.write_text(f">flanks\n{LEFT}{RIGHT}\n" + "".join(f">{a}\n{LEFT}{a}{RIGHT}\n" for a in PROTEIN))
    gap_open, gap_extend = GAP_COSTS[matrix]
    done = subprocess.run(
        [blastp, "-query", str(probes), "-subject", str(probes), "-matrix", matrix, "-gapopen", str(gap_open),
         "-gapextend", str(gap_extend), *BLASTP_EXACT, "-evalue", "1e10", "-max_target_seqs", "100",
         "-outfmt", "6 qseqid sseqid score qstart qend sstart send"],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    scores = {}
    for line in done.stdout.splitlines():
        a, b, score, *ends = line.split("\t")
        if (a == "flanks") == (b == "flanks"):
            assert ends == ["1", str(len(LEFT) + len(RIGHT) + (a != "flanks"))] * 2, line
            scores[a, b] = int(score)
    flanks = scores.pop(("flanks", "flanks"))
    theirs = {pair: score - flanks for pair, score in scores.items()}
    assert len(theirs) == 400
    differ = [f"{a}/{b}: blastp {theirs[a, b]}, ours {ours[a, b]}" for a, b in ours if theirs[a, b] != ours[a, b]]
    assert not differ, f"{matrix}: {len(differ)} of 400 entries differ: " + ", ".join(differ[:12])


@pytest.fixture(scope="module")
def plain_sample(blastp, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(queries, database FASTA, blastp database): the bundled queries and
    database sequences free of the letters blastp scores by its own rules."""
    folder = tmp_path_factory.mktemp("plain")
    queries = [r for r in read_records(DATA / "queries.fa") if not OWN_RULES & set(r[1])]
    subjects = [r for r in read_records(DATA / "tursiops_sample.fa") if not OWN_RULES & set(r[1])]
    assert len(queries) >= 3 and len(subjects) >= 1000
    paths = folder / "queries.fa", folder / "subjects.fa"
    for path, records in zip(paths, (queries, subjects)):
        path.write_text("".join(f">{name}\n{sequence}\n" for name, sequence in records))
    subprocess.run(["makeblastdb", "-dbtype", "prot", "-in", str(paths[1]), "-out", str(folder / "subjects")],
                   check=True, capture_output=True)
    return paths[0], paths[1], folder / "subjects"


def tabular(text: str) -> dict[tuple[str, str], tuple[str, ...]]:
    rows = [line.split("\t") for line in text.splitlines()]
    return {(row[0], row[1]): tuple(field.strip() for field in row[2:]) for row in rows}


@pytest.mark.parametrize("matrix", sorted(GAP_COSTS))
def test_search_reports_blastps_scores_evalues_and_bit_scores(blastp, plain_sample, matrix):
    queries, subjects, database = plain_sample
    gap_open, gap_extend = GAP_COSTS[matrix]
    theirs = subprocess.run(
        [blastp, "-query", str(queries), "-db", str(database), "-matrix", matrix, "-gapopen", str(gap_open),
         "-gapextend", str(gap_extend), *BLASTP_EXACT, "-max_target_seqs", "500", "-evalue", "10",
         "-outfmt", f"6 {COLUMNS}"],
        capture_output=True, text=True, check=False)
    assert theirs.returncode == 0, theirs.stderr
    ours = subprocess.run(
        [sys.executable, "-m", "swladder", "search", str(queries), str(subjects), "--matrix", matrix,
         "--gap-open", str(gap_open), "--gap-extend", str(gap_extend), "-max_target_seqs", "500", "-evalue", "10",
         "-outfmt", f"6 {COLUMNS}", "-num_threads", "2"],
        capture_output=True, text=True, check=False)
    assert ours.returncode == 0, ours.stderr
    blast_hits, our_hits = tabular(theirs.stdout), tabular(ours.stdout)
    both = sorted(blast_hits.keys() & our_hits.keys())
    # blastp's heuristics may miss weak hits; what it does report, it reports whole.
    assert len(both) >= 50, f"only {len(both)} hits in common: too few to test"
    differ = [f"{q} {s}: blastp {blast_hits[q, s]}, ours {our_hits[q, s]}" for q, s in both
              if blast_hits[q, s] != our_hits[q, s]]
    assert not differ, f"{matrix}: {len(differ)} of {len(both)} hits differ:\n" + "\n".join(differ[:12])
