"""blastp's spellings where a BLAST user types them: -query and -db,
-matrix, -gapopen and -gapextend, -max_hsps, the std keyword and the qacc
column of -outfmt, CSV (-outfmt 10), and -dbsize and -searchsp, whose
E-values are checked against blastp's own for the same search."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import pytest

import swladder

from conftest import (DATA, assert_one_error_line, require, run_swladder, standard_letter_records,
                      write_blast_search)

QUERIES = DATA / "queries.fa"
SAMPLE = DATA / "tursiops_sample.fa"


run_cli = run_swladder
one_error_line = assert_one_error_line


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def base_output():
    return ok(run_cli("search", QUERIES, SAMPLE, "-k", "3"))


@pytest.mark.parametrize("spelling", [
    ["-query", QUERIES, "-db", SAMPLE],
    ["-db", SAMPLE, "-query", QUERIES],
    ["-query", QUERIES, SAMPLE],
    [QUERIES, "-db", SAMPLE],
])
def test_query_and_db_as_blastp_spells_them(base_output, spelling):
    assert ok(run_cli("search", *spelling, "-k", "3")) == base_output


@pytest.mark.parametrize("arguments, words", [
    ([QUERIES], ["no database", "-db"]),
    (["-db", SAMPLE], ["no query", "-query"]),
    ([QUERIES, SAMPLE, SAMPLE], ["arguments"]),
    (["-query", QUERIES, "-db", SAMPLE, SAMPLE], ["argument"]),
])
def test_a_missing_or_extra_query_or_database_is_one_line(arguments, words):
    one_error_line(run_cli("search", *arguments), *words)


def test_blastp_scoring_spellings_equal_the_long_ones():
    long = ok(run_cli("search", QUERIES, SAMPLE, "-k", "2", "--matrix", "BLOSUM45", "--gap-open", "14",
                      "--gap-extend", "2"))
    blast = ok(run_cli("search", QUERIES, SAMPLE, "-k", "2", "-matrix", "BLOSUM45", "-gapopen", "14",
                       "-gapextend", "2"))
    assert blast == long
    assert blast != ok(run_cli("search", QUERIES, SAMPLE, "-k", "2"))


def test_max_hsps_is_met_by_one_alignment_per_subject(base_output):
    for count in ("1", "5"):
        assert ok(run_cli("search", QUERIES, SAMPLE, "-k", "3", "-max_hsps", count)) == base_output
    one_error_line(run_cli("search", QUERIES, SAMPLE, "-max_hsps", "0"), "-max_hsps", "at least 1")


def test_std_stands_for_the_twelve_default_columns(base_output):
    with_std = ok(run_cli("search", QUERIES, SAMPLE, "-k", "3", "-outfmt", "6 std qlen qacc"))
    rows = [line.split("\t") for line in with_std.splitlines()]
    assert [row[:12] for row in rows] == [line.split("\t") for line in base_output.splitlines()]
    assert all(row[13] == row[0] for row in rows)  # a FASTA query's qacc is its first word, as blastp prints it
    lengths = {name: len(sequence) for name, _, sequence in swladder.read_fasta(QUERIES)}
    assert all(int(row[12]) == lengths[row[0]] for row in rows)


def test_csv_is_the_tabular_output_with_commas(base_output):
    csv = ok(run_cli("search", QUERIES, SAMPLE, "-k", "3", "-outfmt", "10"))
    assert csv == base_output.replace("\t", ",")


def test_unknown_columns_and_sizes_are_one_line():
    one_error_line(run_cli("search", QUERIES, SAMPLE, "-outfmt", "10 nosuch"), "nosuch")
    one_error_line(run_cli("search", QUERIES, SAMPLE, "-dbsize", "0"), "-dbsize")
    one_error_line(run_cli("search", QUERIES, SAMPLE, "-searchsp", "x"), "-searchsp")


# --- Against blastp --------------------------------------------------------------------


def tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (scripts/setup.sh installs it)")
    return path


@pytest.fixture(scope="module")
def blast_search(tmp_path_factory):
    """A database of the sample's first 600 sequences that hold only the 20
    standard letters (blastp scores X its own way), as FASTA and as a BLAST
    database, and three queries."""
    folder = tmp_path_factory.mktemp("blast-options")
    records, queries = standard_letter_records()
    query_path, database = write_blast_search(folder, tool("makeblastdb"), records, queries)
    return folder, query_path, database


COLUMNS = "10 qacc sseqid score evalue bitscore"


@pytest.mark.parametrize("sizes", [[], ["-dbsize", "100000000"], ["-searchsp", "1000000000"],
                                   ["-dbsize", "100000000", "-searchsp", "1000000000"],
                                   ["-searchsp", "123456"]])
def test_evalues_with_dbsize_and_searchsp_are_blastps(blast_search, sizes):
    folder, queries, database = blast_search
    done = subprocess.run([tool("blastp"), "-query", str(queries), "-db", str(folder / "db"), "-comp_based_stats",
                           "0", "-seg", "no", "-use_sw_tback", "-max_hsps", "1", "-max_target_seqs", "20",
                           "-outfmt", COLUMNS, *sizes], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    theirs = {tuple(line.split(",")[:2]): line for line in done.stdout.splitlines()}
    ours = {tuple(line.split(",")[:2]): line
            for line in ok(run_cli("search", "-query", queries, "-db", database, "-max_target_seqs", "20",
                                   "-outfmt", COLUMNS, *sizes)).splitlines()}
    compared = [pair for pair in theirs.keys() & ours.keys()
                if theirs[pair].split(",")[2] == ours[pair].split(",")[2]]  # the same raw score
    assert len(compared) >= 10
    for pair in compared:
        assert ours[pair] == theirs[pair]


def test_searchsp_gives_the_classic_evalue_through_the_api():
    record = swladder.read_fasta(QUERIES)[0]
    plain = swladder.hits(record[2], str(SAMPLE), k=3)[0]
    fixed = swladder.hits(record[2], str(SAMPLE), k=3, searchsp=10**9)[0]
    parameters = swladder.karlin_altschul()
    for before, after in zip(plain, fixed):
        assert after.score == before.score and after.bitscore == before.bitscore
        assert after.evalue == pytest.approx(parameters["K"] * 1e9 * math.exp(-parameters["lambda"] * after.score))
    total = sum(len(sequence) for _, _, sequence in swladder.read_fasta(SAMPLE))
    larger = swladder.hits(record[2], str(SAMPLE), k=3, dbsize=100 * total)[0]
    for before, after in zip(plain, larger):
        assert after.evalue == pytest.approx(100 * before.evalue, rel=1e-9)


def test_ties_rank_and_are_kept_as_blastp_ranks_and_keeps_them(tmp_path):
    """Hits with the same E-value and score (copies of one sequence, and of
    another one letter apart, spread through the database): blastp ranks the
    later in the database first, and keeps the later ones at its cut."""
    makeblastdb, blastp = tool("makeblastdb"), tool("blastp")
    records = [r for r in swladder.read_fasta(SAMPLE) if set(r[2]) <= set("ACDEFGHIKLMNPQRSTVWY")][:300]
    first = "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAV"
    second = first[:-1] + "W"
    for place, (name, sequence) in zip((40, 120, 121, 200, 299), (("t1", first), ("t2", second), ("t3", first),
                                                                    ("t4", second), ("t5", first))):
        records.insert(place, (name, "", sequence))
    database = tmp_path / "ties.fa"
    database.write_text("".join(f">{name}\n{sequence}\n" for name, _, sequence in records))
    subprocess.run([makeblastdb, "-in", str(database), "-dbtype", "prot", "-out", str(tmp_path / "ties")],
                   check=True, capture_output=True, timeout=300)
    (tmp_path / "q.fa").write_text(f">q\n{first}\n")
    for keep in ("3", "500"):
        done = subprocess.run([blastp, "-query", str(tmp_path / "q.fa"), "-db", str(tmp_path / "ties"),
                               "-comp_based_stats", "0", "-seg", "no", "-use_sw_tback", "-max_target_seqs", keep,
                               "-outfmt", "6 sseqid score evalue"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        theirs = [line.split("\t")[0] for line in done.stdout.splitlines() if line.startswith("t")]
        ours = [line.split("\t")[0] for line in ok(run_cli("search", tmp_path / "q.fa", database, "-max_target_seqs",
                                                            keep, "-outfmt", "6 sseqid score evalue")).splitlines()
                if line.startswith("t")]
        assert ours == theirs == (["t5", "t3", "t1"] if keep == "3" else ["t5", "t3", "t1", "t4", "t2"])
