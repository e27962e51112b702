"""BLAST XML (-outfmt 5) as blastp 2.12 writes it for the same search, and
Biopython's Bio.SearchIO, a client no one here wrote, reading swladder's
tabular, commented tabular and XML output into the same hits and HSP fields
as blastp's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

import swladder

from conftest import DATA, require, standard_letter_records, write_blast_search

QUERIES = DATA / "queries.fa"
SAMPLE = DATA / "tursiops_sample.fa"
ORACLE = ["-comp_based_stats", "0", "-seg", "no", "-use_sw_tback", "-max_hsps", "1"]


def tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (scripts/setup.sh installs it)")
    return path


def search_io():
    try:
        from Bio import SearchIO
    except ImportError:
        require(False, "biopython is not installed (scripts/setup.sh installs the test extra)")
    return SearchIO


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """The sample's first 600 sequences of the 20 standard letters (blastp
    scores X its own way) as FASTA and as a BLAST database, and three
    queries, with a title that needs escaping."""
    folder = tmp_path_factory.mktemp("blast-xml")
    records, queries = standard_letter_records()
    records[5] = (records[5][0], "a&b <x> \"quoted\" it's", records[5][2])
    queries.append(("self5", "", records[5][2]))
    query_path, database = write_blast_search(folder, tool("makeblastdb"), records, queries)
    # The same records made with -parse_seqids: a subject is then named by its Seq-id.
    subprocess.run([tool("makeblastdb"), "-in", str(database), "-dbtype", "prot", "-parse_seqids", "-out",
                    str(folder / "db_ids")], check=True, capture_output=True, timeout=300)
    return folder, query_path, database


def run_both(searched, outfmt: str, *options: str, ours_on: str = "db", theirs_on: str = "db") -> tuple[str, str]:
    """blastp's output and ours for the same search: blastp on the BLAST
    database, ours on it too ("db") or on the FASTA it was made of ("db.fa")."""
    folder, queries, _ = searched
    theirs = subprocess.run([tool("blastp"), "-query", str(queries), "-db", theirs_on, *ORACLE, "-outfmt", outfmt,
                             *options], capture_output=True, text=True, timeout=600, cwd=folder)
    assert theirs.returncode == 0, theirs.stderr
    ours = subprocess.run([sys.executable, "-m", "swladder", "search", "-query", str(queries), "-db", ours_on,
                           "-outfmt", outfmt, *options], capture_output=True, text=True, timeout=600,
                          cwd=folder)
    assert ours.returncode == 0, ours.stderr
    return ours.stdout, theirs.stdout


def parsed(text: str):
    root = ElementTree.fromstring(text)
    header = {child.tag: child.text for child in root if child.tag not in ("BlastOutput_param",
                                                                             "BlastOutput_iterations")}
    parameters = {child.tag: child.text for child in root.find("BlastOutput_param/Parameters")}
    iterations = []
    for iteration in root.iter("Iteration"):
        fields = {child.tag: child.text for child in iteration if child.tag not in ("Iteration_hits", "Iteration_stat")}
        statistics = {child.tag: child.text for child in iteration.find("Iteration_stat/Statistics")}
        hits = {}
        for hit in iteration.iter("Hit"):
            record = {child.tag: child.text for child in hit if child.tag not in ("Hit_hsps", "Hit_num")}
            record.update({child.tag: child.text for child in hit.find("Hit_hsps/Hsp")})
            hits[record["Hit_id"]] = record
        iterations.append((fields, statistics, hits))
    return header, parameters, iterations


@pytest.mark.parametrize("options, ours_on", [
    (["-evalue", "0.5"], "db"), (["-evalue", "0.5"], "db.fa"), (["-dbsize", "100000000"], "db"),
    (["-searchsp", "1000000000"], "db.fa"), (["-dbsize", "100000000", "-searchsp", "1000000000"], "db")])
def test_xml_is_blastps_for_the_hits_both_report(searched, options, ours_on):
    ours, theirs = run_both(searched, "5", "-max_target_seqs", "20", *options, ours_on=ours_on)
    our_header, our_parameters, our_iterations = parsed(ours)
    their_header, their_parameters, their_iterations = parsed(theirs)
    assert our_header.pop("BlastOutput_version").startswith("SWLADDER ")
    their_header.pop("BlastOutput_version")
    # The database as it was named: the BLAST database, or the FASTA file it was made of.
    assert (our_header.pop("BlastOutput_db"), their_header.pop("BlastOutput_db")) == (ours_on, "db")
    assert our_header == their_header  # the first query, the reference
    assert our_parameters == their_parameters
    assert len(our_iterations) == len(their_iterations) == 4
    compared = 0
    for (our_fields, our_statistics, our_hits), (their_fields, their_statistics, their_hits) in zip(
            our_iterations, their_iterations):
        assert our_fields == their_fields
        assert our_statistics == their_statistics  # sizes, length adjustment, search space, parameters
        for key in our_hits.keys() & their_hits.keys():
            compared += 1
            # blastp finds fewer hits (it is heuristic), so ranks differ: every other element is equal,
            # the alignment letters too where the traceback resolves ties alike.
            assert our_hits[key] == their_hits[key], key
    assert compared >= 10
    assert "<Hit_def>ENSTTRP" in ours and "a&amp;b &lt;x&gt; &quot;quoted&quot; it&apos;s" in ours


def test_xml_of_a_query_without_hits_is_blastps_whole(searched, tmp_path):
    folder, _, _ = searched
    (tmp_path / "none.fa").write_text(">nohit just W\nWWWWWWWW\n")
    theirs = subprocess.run([tool("blastp"), "-query", str(tmp_path / "none.fa"), "-db", "db", *ORACLE,
                             "-outfmt", "5", "-evalue", "1e-10"], capture_output=True, text=True, timeout=600,
                            cwd=folder)
    ours = subprocess.run([sys.executable, "-m", "swladder", "search", str(tmp_path / "none.fa"), "db.fa", "-outfmt",
                           "5", "-evalue", "1e-10"], capture_output=True, text=True, timeout=600, cwd=folder)
    assert ours.returncode == 0, ours.stderr
    assert "<Iteration_message>No hits found</Iteration_message>" in ours.stdout
    mine = ours.stdout.replace("<BlastOutput_db>db.fa<", "<BlastOutput_db>db<").splitlines(keepends=True)
    blasts = theirs.stdout.splitlines(keepends=True)
    assert [line for line in mine if "BlastOutput_version" not in line] == [
        line for line in blasts if "BlastOutput_version" not in line]


def test_xml_needs_published_statistics(tmp_path):
    shutil.copy(DATA.parent / "core" / "matrices" / "BLOSUM62.txt", tmp_path / "m.txt")
    done = subprocess.run([sys.executable, "-m", "swladder", "search", QUERIES, SAMPLE, "--matrix",
                           str(tmp_path / "m.txt"), "-outfmt", "5"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("swladder: error: -outfmt 5 reports Karlin-Altschul statistics")


def test_length_adjustment_is_blasts():
    from swladder._blast_xml import length_adjustment

    parameters = swladder.karlin_altschul()
    assert length_adjustment(parameters, 8, 251576, 600) == 0
    # Figures blastp 2.12 printed (Statistics_hsp-len) for these sizes.
    assert length_adjustment(parameters, 142, 431, 3) == 23


# --- Bio.SearchIO ---------------------------------------------------------------------


def hsp_fields(queries, names):
    found = {}
    for query in queries:
        for hit in query:
            hsp = hit[0]
            found[(query.id, hit.id)] = {name: getattr(hsp, name, None) for name in names}
    return found


@pytest.mark.parametrize("outfmt, format_name, options, names", [
    ("6", "blast-tab", {}, ["evalue", "bitscore", "ident_pct", "aln_span", "mismatch_num", "gapopen_num",
                            "query_start", "query_end", "hit_start", "hit_end"]),
    ("7", "blast-tab", {"comments": True}, ["evalue", "bitscore", "ident_pct", "aln_span", "query_start",
                                            "query_end", "hit_start", "hit_end"]),
    ("5", "blast-xml", {}, ["evalue", "bitscore", "bitscore_raw", "ident_num", "pos_num", "gap_num", "aln_span",
                            "query_start", "query_end", "hit_start", "hit_end"]),
])
@pytest.mark.parametrize("database", ["db", "db_ids"])
def test_biopython_reads_ours_as_it_reads_blastps(searched, outfmt, format_name, options, names, database, tmp_path):
    search_io_module = search_io()
    ours, theirs = run_both(searched, outfmt, "-max_target_seqs", "20", "-evalue", "0.5", ours_on=database,
                            theirs_on=database)
    (tmp_path / "ours").write_text(ours)
    (tmp_path / "theirs").write_text(theirs)
    our_queries = list(search_io_module.parse(str(tmp_path / "ours"), format_name, **options))
    their_queries = list(search_io_module.parse(str(tmp_path / "theirs"), format_name, **options))
    assert [q.id for q in our_queries] == [q.id for q in their_queries]
    if format_name == "blast-xml":
        assert [q.description for q in our_queries] == [q.description for q in their_queries]
        assert [q.seq_len for q in our_queries] == [q.seq_len for q in their_queries]
    mine, blasts = hsp_fields(our_queries, names), hsp_fields(their_queries, names)
    common = mine.keys() & blasts.keys()
    assert len(common) >= 15
    for key in common:
        assert mine[key] == blasts[key], key
    if format_name == "blast-xml":
        # How the subjects are named: Seq-id, title and accession, or the ordinal and the whole header.
        def subjects(queries):
            return {(query.id, hit.id): (hit.description, hit.accession) for query in queries for hit in query}

        our_subjects, their_subjects = subjects(our_queries), subjects(their_queries)
        assert all(our_subjects[key] == their_subjects[key] for key in our_subjects.keys() & their_subjects.keys())
        assert len(our_subjects.keys() & their_subjects.keys()) >= 15
