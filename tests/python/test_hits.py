"""From scores to hits: selection and ranking, streaming the database in
chunks, the output formats, the search command, and the references
(ssearch36, blastp) on the bundled data."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import swladder
from swladder import _hits, _output, cli

from conftest import DATA, require


def run_cli(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], capture_output=True, input=stdin,
                          timeout=300)


def require_tool(name: str) -> str:
    """The tool's path; a skip where it is missing, a failure under CI=true."""
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (scripts/setup.sh installs it)")
    return path


# --- Ranking and selection, without the search -------------------------------------


def test_rank_order_is_evalue_then_score_then_the_later_subject():
    evalues = [1e-5, 1e-9, 1e-5, 1e-5, 3.0]
    scores = [50, 80, 60, 60, 20]
    indices = [0, 1, 7, 2, 3]
    assert _hits.rank_order(evalues, scores, indices).tolist() == [1, 2, 3, 0, 4]
    # Without statistics (NaN), the score then the place in the database decide.
    nan = [math.nan] * 5
    assert _hits.rank_order(nan, scores, indices).tolist() == [1, 2, 3, 0, 4]


def _fake_chunk(names, sequences):
    text = "".join(f">{name} about {name}\n{sequence}\n" for name, sequence in zip(names, sequences))
    return swladder.Database._from_fasta_bytes(text.encode(), "chunk.fa")


def test_keeping_the_best_across_chunks_equals_one_pass():
    rng = np.random.default_rng(5)
    count = 40
    names = [f"s{i}" for i in range(count)]
    sequences = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), size=rng.integers(1, 30))) for _ in range(count)]
    scores = rng.integers(0, 6, size=count).astype(np.int32)  # many ties and zeros
    evalues = np.where(scores > 2, 1.0 / (scores + 1.0), 1.0)
    for k in (1, 3, 10, 100):
        whole = _fake_chunk(names, sequences)
        one = _hits._keep_best(_hits._Kept(), k, scores, evalues, whole, 0)
        for size in (1, 3, 7):
            kept = _hits._Kept()
            for start in range(0, count, size):
                part = _fake_chunk(names[start:start + size], sequences[start:start + size])
                kept = _hits._keep_best(kept, k, scores[start:start + size], evalues[start:start + size], part, start)
            assert kept.index.tolist() == one.index.tolist()
            assert kept.names == one.names and kept.sequences == one.sequences
            assert kept.titles == one.titles == [f"{names[i]} about {names[i]}" for i in one.index]
        assert len(one.index) == min(k, int((scores > 0).sum()))
        assert all(scores[i] > 0 for i in one.index)


# --- Output formats, on hand-made hits ---------------------------------------------


def _hit(evalue=2.5e-10, bitscore=50.4):
    alignment = SimpleNamespace(
        score=119, qstart=0, qend=10, sstart=4, send=13, qseq="MKTAYIAKQR", sseq="MKTA-IAKQK", length=10, nident=8,
        positive=9, mismatch=1, gapopen=1, gaps=1, pident=80.0, ppos=90.0, cigar="4M1I5M", btop="4Y-4RK",
        midline="MKTA IAKQ+",
        pairwise=lambda q="Query", s="Sbjct": f"{q}  1  MKTAYIAKQR  10\n{s}  5  MKTA-IAKQK  13\n")
    return _hits.Hit("q1", "s1", "s1 a\tsubject", 20, 30, evalue, bitscore, alignment, 0)


def _results(*hits):
    return [_hits.QueryHits("q1", "first query", 20, list(hits)), _hits.QueryHits("q2", "", 5, [])]


def write(results, outfmt):
    out = io.StringIO()
    swladder.write_hits(results, out, outfmt, database="db.fa")
    return out.getvalue()


def test_tabular_is_blast_twelve_columns_one_based():
    assert write(_results(_hit()), "6") == "q1\ts1\t80.000\t10\t1\t1\t1\t10\t5\t13\t2.50e-10\t50.4\n"


def test_custom_columns_and_unknown_statistics():
    text = write(_results(_hit(math.nan, math.nan)), "6 qseqid sseqid score evalue bitscore qlen slen nident "
                 "positive gaps ppos qcovhsp stitle btop qseq sseq cigar")
    # stitle: the whole title, a tab written as three spaces as blastp writes it.
    assert text == ("q1\ts1\t119\tn/a\tn/a\t20\t30\t8\t9\t1\t90.00\t50\ts1 a   subject\t4Y-4RK\tMKTAYIAKQR\tMKTA-IAKQK"
                    "\t4M1I5M\n")


def test_commented_tabular_has_blast_header_lines():
    lines = write(_results(_hit()), "7").splitlines()
    assert lines[0] == f"# SWLADDER {swladder.__version__}"
    assert lines[1:5] == [
        "# Query: q1 first query", "# Database: db.fa",
        "# Fields: query acc.ver, subject acc.ver, % identity, alignment length, mismatches, gap opens, q. start, "
        "q. end, s. start, s. end, evalue, bit score",
        "# 1 hits found"]
    assert lines[5].startswith("q1\ts1\t80.000")
    assert lines[6:] == ["# SWLADDER " + swladder.__version__, "# Query: q2", "# Database: db.fa", "# 0 hits found",
                         "# SWLADDER processed 2 queries"]


def test_json_holds_every_field_with_null_for_unknown():
    document = json.loads(write(_results(_hit(math.nan, 50.4)), "json"))
    first = document["queries"][0]
    assert first["qseqid"] == "q1" and first["description"] == "first query"
    hit = first["hits"][0]
    assert hit["evalue"] is None and hit["bitscore"] == 50.4
    assert (hit["qstart"], hit["qend"], hit["sstart"], hit["send"]) == (0, 10, 4, 13)
    assert hit["btop"] == "4Y-4RK" and hit["qcovhsp"] == 50
    assert document["queries"][1]["hits"] == []


def test_pairwise_view_has_score_identities_and_blocks():
    text = write(_results(_hit()), "pairwise")
    assert text == write(_results(_hit()), "0")
    assert "Query= q1 first query\n\nLength=20\n\n>s1 a   subject\nLength=30\n\n" in text
    assert " Score = 50.4 bits (119),  Expect = 2.50e-10\n" in text
    assert " Identities = 8/10 (80%), Positives = 9/10 (90%), Gaps = 1/10 (10%)\n" in text
    assert "Query  1  MKTAYIAKQR  10\nSbjct  5  MKTA-IAKQK  13\n" in text
    assert "Query= q2\n\nLength=5\n\n***** No hits found *****" in text


@pytest.mark.parametrize("bad, message", [
    ("", "empty -outfmt"), ("8", "unknown output format '8'"), ("6 qseqid nonsense", "unknown -outfmt column 'nonsense'"),
    ("json qseqid", "only -outfmt 6, 7 and 10 take column names"), ("5 qseqid", "only -outfmt 6, 7 and 10"),
])
def test_bad_outfmt_is_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        _output.parse_outfmt(bad)


def test_to_dataframe_or_a_clear_import_error():
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs pandas"):
            swladder.to_dataframe(_results(_hit()))
        return
    frame = swladder.to_dataframe(_results(_hit()))
    assert list(frame["sseqid"]) == ["s1"] and frame["qstart"][0] == 0


# --- Streaming FASTA ---------------------------------------------------------------


def test_lone_carriage_returns_are_line_ends(tmp_path):
    path = tmp_path / "mac.fa"
    path.write_bytes(b">s1\rACDE\r>s2\rWWWW\r")
    assert swladder.Database(path).names == ["s1", "s2"]
    assert [r[2] for r in swladder.read_fasta(path)] == ["ACDE", "WWWW"]
    path.write_bytes(b">s1\r\nACDE\r\n>s2\r\nWWWW\r\n")
    assert swladder.Database(path).sequences() == ["ACDE", "WWWW"]


def test_read_errors_raise_oserror_naming_the_file():
    for read in (swladder.Database, swladder.read_fasta,
                 lambda path: list(_hits.fasta_chunks(path, 100))):
        with pytest.raises(OSError, match=r"'/proc/self/mem'.*Input/output error"):
            read("/proc/self/mem")


@pytest.mark.parametrize("compress", [False, True])
def test_chunks_are_bounded_and_keep_every_record_in_order(tmp_path, compress):
    records = swladder.read_fasta(DATA / "tursiops_sample.fa")
    text = open(DATA / "tursiops_sample.fa", "rb").read()
    path = tmp_path / "db.fa"
    path.write_bytes(gzip.compress(text) if compress else text)
    budget = 20000
    names, titles = [], []
    longest = max(len(r[2]) for r in records)
    for db in _hits.fasta_chunks(path, budget):
        assert db.total_residues < 2 * budget + longest
        names += db.names
        titles += [db._core.title(i) for i in range(len(db))]
    assert names == [r[0] for r in records]
    assert titles == [line[1:] for line in text.decode().splitlines() if line.startswith(">")]
    assert sum(1 for _ in _hits.fasta_chunks(path, budget)) > 5


# --- Hits end to end ---------------------------------------------------------------


QUERIES = DATA / "queries.fa"
SAMPLE = DATA / "tursiops_sample.fa"


@pytest.fixture(scope="module")
def whole_results():
    return swladder.hits(QUERIES, SAMPLE, k=20, threads=2)  # one chunk: the whole file in memory


def test_hits_are_ranked_aligned_and_exact(whole_results):
    queries = swladder.read_fasta(QUERIES)
    db = swladder.Database(SAMPLE)
    assert [q.qseqid for q in whole_results] == [q[0] for q in queries]
    for (name, _, sequence), query in zip(queries, whole_results):
        scores = swladder.search(sequence, db, stage="scalar")
        assert 0 < len(query) <= 20
        keys = [(h.evalue, -h.score, h.subject_index) for h in query]
        assert keys == sorted(keys)
        for hit in query:
            assert hit.score == scores[hit.subject_index] and hit.sseqid == db.names[hit.subject_index]
            assert hit.qlen == len(sequence) and hit.slen == len(db.sequence(hit.subject_index))
            assert sequence[hit.qstart:hit.qend].upper() == hit.qseq.replace("-", "")
            assert hit.evalue <= 10.0
        # Nothing better was left out: the best 20 by E-value, all scored.
        _, evalues = swladder._statistics.bit_scores_and_evalues(
            scores, len(sequence), db.lengths, db.total_residues, len(db))
        candidates = [i for i in range(len(db)) if scores[i] > 0 and evalues[i] <= 10.0]
        best = sorted(candidates, key=lambda i: (evalues[i], -scores[i], i))[:20]
        assert [h.subject_index for h in query] == best


def test_a_hit_reads_its_alignments_fields_and_nothing_else(whole_results):
    hit = whole_results[0][0]
    for name in (*_hits.ALIGNMENT_FIELDS, "midline"):
        assert getattr(hit, name) == getattr(hit.alignment, name), name
        assert isinstance(getattr(swladder.Hit, name), property), name  # no failed lookup first
    with pytest.raises(AttributeError, match="'Hit' object has no attribute 'qseqs'"):
        hit.qseqs  # noqa: B018
    assert dataclasses.replace(hit, evalue=1.0).btop == hit.btop


def test_streaming_in_tiny_chunks_gives_the_same_hits(whole_results):
    for chunk in (1, 5000):
        streamed = swladder.hits(QUERIES, SAMPLE, k=20, threads=2, chunk=chunk)
        assert streamed == whole_results  # every field of every hit, in order
    # A Database read whole into memory keeps the titles too.
    from_database = swladder.hits(QUERIES, swladder.Database(SAMPLE), k=20, threads=2)
    assert [list(q) for q in whole_results] == [list(q) for q in from_database]
    headers = {line[1:].split()[0]: line[1:] for line in SAMPLE.read_text().splitlines() if line.startswith(">")}
    assert all(h.stitle == headers[h.sseqid] and " " in h.stitle for q in whole_results for h in q)


def test_k_and_evalue_cut_off(whole_results):
    few = swladder.hits(QUERIES, SAMPLE, k=3, evalue=1e-20)
    for query, full in zip(few, whole_results):
        expected = [h for h in full if h.evalue <= 1e-20][:3]
        assert [h.sseqid for h in query] == [h.sseqid for h in expected]


def test_no_statistics_ranks_by_score_and_rejects_a_cut_off():
    found = swladder.hits(QUERIES, SAMPLE, k=5, gap_open=13, gap_extend=3)
    for query in found:
        assert all(math.isnan(h.evalue) and math.isnan(h.bitscore) for h in query)
        assert [h.score for h in query] == sorted((h.score for h in query), reverse=True)
    with pytest.raises(ValueError, match="no published statistics .* cannot be applied"):
        swladder.hits(QUERIES, SAMPLE, evalue=1.0, gap_open=13, gap_extend=3)


def test_hits_takes_sequences_and_pairs():
    one = swladder.hits("MKTAYIAKQRQISFVKSHFSRQ", SAMPLE, k=2)
    assert len(one) == 1 and one[0].qseqid == "query"
    pairs = swladder.hits([("a", "MKTAYIAKQRQISFVKSHFSRQ")], [(r[0], r[2]) for r in swladder.read_fasta(SAMPLE)], k=2)
    assert pairs[0].qseqid == "a" and [h.sseqid for h in pairs[0]] == [h.sseqid for h in one[0]]
    with pytest.raises(ValueError, match="k .* at least 1"):
        swladder.hits("MK", SAMPLE, k=0)


@pytest.mark.parametrize("argument, message", [
    (dict(k=1.5), r"k \(max_target_seqs\) must be an integer, not float"),
    (dict(k="2"), r"k \(max_target_seqs\) must be an integer, not str"),
    (dict(chunk=1000.0), r"chunk \(residues\) must be an integer, not float"),
    (dict(evalue="1"), "evalue must be a number, not str"),
    (dict(threads=1.5), "threads must be an integer, not float"),
    (dict(gap_open=11.0), "gap_open must be an integer, not float"),
])
def test_hits_arguments_of_the_wrong_type_are_type_errors(argument, message):
    # Not truncated (k=1.5 once kept one hit) nor parsed, as numpy's counts are not.
    with pytest.raises(TypeError, match=message):
        swladder.hits("MK", SAMPLE, **argument)
    assert len(swladder.hits("MKTAYIAKQRQISFVKSHFSRQ", SAMPLE, k=np.int64(2), evalue=np.float64(1e6))[0]) == 2


def test_write_shards_checks_its_chunk(tmp_path):
    from swladder import _shards

    with pytest.raises(TypeError, match=r"chunk \(residues\) must be an integer, not float"):
        _shards.write_shards(SAMPLE, 2, tmp_path, chunk=1000.0)
    with pytest.raises(ValueError, match=r"chunk \(residues\) must be at least 1, got 0"):
        _shards.write_shards(SAMPLE, 2, tmp_path, chunk=0)
    assert not any(tmp_path.iterdir())


def test_a_chunk_beyond_the_file_reads_it_whole_without_reserving_the_chunk():
    # The chunk is a bound: storage is set aside for what the file can hold,
    # so a budget of 2**62 residues neither fails to allocate nor splits.
    whole = swladder.hits(QUERIES, SAMPLE, k=3)
    for chunk in (2**40, 2**62):
        assert swladder.hits(QUERIES, SAMPLE, k=3, chunk=chunk) == whole
    with open(SAMPLE, "rb") as stream:
        assert _hits.bytes_left(stream) == SAMPLE.stat().st_size
        stream.read(10)
        assert _hits.bytes_left(stream) == SAMPLE.stat().st_size - 10
    assert _hits.chunk_reserve(2**62, 4096, 1000) == 1000 + 4096
    assert _hits.chunk_reserve(2**62, 4096, -10) == 4096  # a range starting past the end
    assert _hits.chunk_reserve(500, 4096, 10**9) == 500 + 4096
    expected = io.StringIO()
    swladder.write_hits(whole, expected, "6")
    for megabytes in ("1e300", "1e303"):  # the second overflows a float once in residues
        done = run_cli("search", QUERIES, SAMPLE, "-k", "3", "--chunk", megabytes)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode() == expected.getvalue()
    # Where the size is unknown (standard input) a budget that cannot be set
    # aside is reserved as far as it can be, and the storage grows.
    done = run_cli("search", QUERIES, "-", "-k", "3", "--chunk", "1e300", stdin=SAMPLE.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == expected.getvalue()


# --- The command -------------------------------------------------------------------


def test_cli_default_is_blast_tabular(capsys, whole_results):
    assert cli.main(["search", str(QUERIES), str(SAMPLE), "-max_target_seqs", "20", "-num_threads", "2"]) == 0
    out = capsys.readouterr().out
    expected = io.StringIO()
    swladder.write_hits(whole_results, expected, "6")
    assert out == expected.getvalue()
    assert all(len(line.split("\t")) == 12 for line in out.splitlines())


def test_cli_formats_and_options(tmp_path, capsys):
    target = tmp_path / "out.json"
    assert cli.main(["search", str(QUERIES), str(SAMPLE), "-k", "2", "-e", "1e-5", "-outfmt", "json",
                     "-out", str(target), "--chunk", "0.01"]) == 0
    assert capsys.readouterr().out == ""
    document = json.loads(target.read_text())
    assert all(len(q["hits"]) <= 2 and all(h["evalue"] <= 1e-5 for h in q["hits"]) for q in document["queries"])
    assert cli.main(["search", str(QUERIES), str(SAMPLE), "-k", "1", "--outfmt", "6 qseqid sseqid score cigar"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line.split("\t")) == 4 for line in lines) and lines
    assert cli.main(["search", str(QUERIES), str(SAMPLE), "-k", "1", "--outfmt", "0"]) == 0
    assert " Identities = " in capsys.readouterr().out


def test_cli_without_statistics_says_so_once(capsys):
    assert cli.main(["search", str(QUERIES), str(SAMPLE), "-k", "1", "--gap-open", "13", "--gap-extend", "3"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("no published statistics") == 1
    assert all(line.split("\t")[-2:] == ["n/a", "n/a"] for line in captured.out.splitlines())
    done = run_cli("search", QUERIES, SAMPLE, "-evalue", "1", "--gap-open", "13", "--gap-extend", "3")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().startswith("swladder: error: no published statistics") and done.stderr.count(b"\n") == 1


@pytest.mark.parametrize("args, message", [
    (["-outfmt", "9"], "unknown output format '9'"),
    (["-outfmt", "6 qseqid bogus"], "unknown -outfmt column 'bogus'"),
    (["-evalue", "0"], "the E-value cut-off must be positive"),
    (["--chunk", "0"], "--chunk must be a positive number of MB, got 0"),
    (["--chunk", "inf"], "--chunk must be a positive number of MB, got inf"),
    (["--chunk", "nan"], "--chunk must be a positive number of MB, got nan"),
])
def test_cli_bad_options_exit_2_with_one_line(args, message):
    done = run_cli("search", QUERIES, SAMPLE, *args)
    assert done.returncode == 2 and done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_cli_without_queries_is_exit_2_and_says_which_queries_are_empty(tmp_path):
    empty = tmp_path / "none.fa"
    empty.write_text("")
    done = run_cli("search", empty, SAMPLE)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == f"swladder: error: no query sequences in '{empty}'\n"
    done = run_cli("search", "-", SAMPLE, stdin=b"")
    assert done.returncode == 2 and done.stderr.decode() == "swladder: error: no query sequences in standard input\n"
    # A record without residues is kept (format 7 counts it) and said once.
    queries = tmp_path / "q.fa"
    queries.write_text(">blank\n>real\nMKTAYIAKQRQISFVKSHFSRQ\n")
    done = run_cli("search", queries, SAMPLE, "-outfmt", "7", "-k", "2")
    assert done.returncode == 0
    assert done.stderr.decode() == "swladder: warning: query 'blank' has no residues (every score 0, no hits)\n"
    out = done.stdout.decode()
    assert "# Query: blank\n" in out and "# 0 hits found\n" in out and "# SWLADDER processed 2 queries" in out


# --- The references ----------------------------------------------------------------


def _first_queries(tmp_path, count=3):
    path = tmp_path / "q.fa"
    path.write_text("".join(f">{n}\n{s}\n" for n, _, s in swladder.read_fasta(QUERIES)[:count]))
    return path


def _ssearch(ssearch: str, query, database, *options: str) -> str:
    done = subprocess.run([ssearch, "-q", "-s", "BL62", "-f", "-11", "-g", "-1", "-b", "10", "-d", "0", "-E", "1e6",
                           *options, str(query), str(database)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_matches_ssearch36(tmp_path):
    ssearch = require_tool("ssearch36")
    db = swladder.Database(SAMPLE)
    compared = internal_ties = 0
    for number, (name, _, sequence) in enumerate(swladder.read_fasta(QUERIES)[:3]):
        query = tmp_path / f"q{number}.fa"
        query.write_text(f">{name}\n{sequence}\n")
        # Raw Smith-Waterman scores from the score list ("name ... (length) s-w bits E").
        listing = _ssearch(ssearch, query, SAMPLE)
        block = listing.split("The best scores are:", 1)[1].split("\n\n", 1)[0]
        raw = {line.split()[0]: int(re.search(r"\(\s*\d+\)\s+(\d+)", line).group(1))
               for line in block.splitlines()[1:] if line.strip()}
        # Alignments from -m 8: pident (two decimals) length mismatch gapopen qstart qend sstart send.
        tabular = {}
        for line in _ssearch(ssearch, query, SAMPLE, "-m", "8").splitlines():
            if line.strip() and not line.startswith("#"):
                fields = line.split("\t")
                tabular.setdefault(fields[1], fields)
        ours = swladder.hits(query, SAMPLE, k=10, threads=2)[0]
        for hit in ours:
            if hit.sseqid not in raw:
                continue
            compared += 1
            assert hit.score == raw[hit.sseqid], (name, hit.sseqid)
            fields = tabular[hit.sseqid]
            # ssearch36's -m 8 columns count differently from BLAST's: its "length" is the aligned pairs, its
            # "gapopen" the gap columns, its "mismatch" the pairs that are not identities.
            pairs = hit.length - hit.gaps
            assert [int(x) for x in fields[3:10]][:1] + [int(fields[5])] + [int(x) for x in fields[6:10]] == [
                pairs, hit.gaps, hit.qstart + 1, hit.qend, hit.sstart + 1, hit.send], (hit.sseqid, fields)
            if (float(fields[2]), int(fields[4])) != (round(100 * hit.nident / pairs, 2), pairs - hit.nident):
                internal_ties += 1  # the same ends and score, gaps placed elsewhere (see the README)
        assert hit.score == swladder.score(hit.qseq.replace("-", ""), db.sequence(hit.subject_index))
    assert compared >= 10
    assert internal_ties <= compared // 5, f"{internal_ties} of {compared} alignments differ inside"


def _blast_db(tmp_path, records):
    makeblastdb = require_tool("makeblastdb")
    fasta = tmp_path / "blastdb.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, _, s in records))
    subprocess.run([makeblastdb, "-in", str(fasta), "-dbtype", "prot", "-out", str(tmp_path / "blastdb")],
                   check=True, capture_output=True, timeout=300)
    return fasta


def test_matches_blastp_bits_and_evalues(tmp_path):
    blastp = require_tool("blastp")
    records = swladder.read_fasta(SAMPLE)
    fasta = _blast_db(tmp_path, records)
    queries = _first_queries(tmp_path)
    done = subprocess.run([blastp, "-query", str(queries), "-db", str(tmp_path / "blastdb"), "-comp_based_stats",
                           "0", "-seg", "no", "-use_sw_tback", "-max_target_seqs", "10", "-outfmt",
                           "6 qseqid sseqid score evalue bitscore qstart qend sstart send", "-num_threads", "2",
                           "-mt_mode", "1"],  # threads by query: blastp 2.12's default threading can die of SIGSEGV
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    first_hsp: dict[tuple[str, str], list[str]] = {}
    for line in done.stdout.splitlines():
        fields = line.split("\t")
        first_hsp.setdefault((fields[0], fields[1]), fields)
    ours = swladder.hits(queries, fasta, k=10, threads=2)
    compared = 0
    for query in ours:
        for hit in query:
            fields = first_hsp.get((hit.qseqid, hit.sseqid))
            if fields is None or "X" in hit.qseq + hit.sseq or int(fields[2]) != hit.score:
                continue
            compared += 1
            assert fields[3] == swladder._statistics.format_evalue(hit.evalue), (hit.sseqid, fields)
            assert fields[4] == swladder._statistics.format_bitscore(hit.bitscore), (hit.sseqid, fields)
    assert compared >= 10


def test_stitle_is_blastps_subject_title(tmp_path):
    """stitle as blastp prints it for a FASTA database made without
    -parse_seqids: the header after '>' as written (runs of blanks and
    trailing blanks kept, a tab written as three spaces)."""
    blastp = require_tool("blastp")
    makeblastdb = require_tool("makeblastdb")
    fasta = tmp_path / "titled.fa"
    odd = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    fasta.write_bytes(SAMPLE.read_bytes() + f">odd1   spaced\tdesc  two  \n{odd}\n>odd2\n{odd}\n".encode())
    subprocess.run([makeblastdb, "-in", str(fasta), "-dbtype", "prot", "-out", str(tmp_path / "titled")],
                   check=True, capture_output=True, timeout=300)
    queries = _first_queries(tmp_path)
    with open(queries, "a") as out:
        out.write(f">oddq\n{odd}\n")
    columns = "6 qseqid sseqid stitle"
    done = subprocess.run([blastp, "-query", str(queries), "-db", str(tmp_path / "titled"), "-comp_based_stats", "0",
                           "-seg", "no", "-use_sw_tback", "-max_target_seqs", "10", "-outfmt", columns],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    theirs = {tuple(line.split("\t")[:2]): line for line in done.stdout.splitlines()}
    out = io.StringIO()
    swladder.write_hits(swladder.hits(queries, fasta, k=10, threads=2), out, columns)
    ours = {tuple(line.split("\t")[:2]): line for line in out.getvalue().splitlines()}
    common = theirs.keys() & ours.keys()
    assert len(common) >= 10 and ("oddq", "odd1") in common and ("oddq", "odd2") in common
    for pair in common:
        assert ours[pair] == theirs[pair]
    assert theirs[("oddq", "odd1")] == "oddq\todd1\todd1   spaced   desc  two  "


RSS_CHILD = """
import resource, sys
from swladder import _hits
path, budget = sys.argv[1], int(sys.argv[2])
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
residues = chunks = 0
for db in _hits.fasta_chunks(path, budget):
    residues += db.total_residues
    chunks += 1
    del db
print(residues, chunks, peak() - before)
"""


def test_streaming_holds_about_one_chunk(tmp_path):
    """Peak memory while streaming stays near the chunk size: the parser
    encodes into the chunk's own storage and each chunk is freed before the
    next is read (holding records and a Database at once took 3.4 chunks,
    holding the file would take 4). glibc's threshold for mmap is fixed in
    the child so that freed chunks go back to the system at once."""
    sequences = swladder._core.synthetic_database(7, 4000, 100, 1900)
    block = "".join(f">s{i} synthetic protein {i}\n" + "\n".join(s[j:j + 60] for j in range(0, len(s), 60)) + "\n"
                    for i, s in enumerate(sequences))
    block_residues = sum(map(len, sequences))
    repeats = -(-64_000_000 // block_residues)
    path = tmp_path / "big.fa"
    with open(path, "w") as out:
        for _ in range(repeats):
            out.write(block)
    budget = 16_000_000
    done = subprocess.run([sys.executable, "-c", RSS_CHILD, str(path), str(budget)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "MALLOC_MMAP_THRESHOLD_": str(1 << 20)})
    assert done.returncode == 0, done.stderr
    residues, chunks, growth = map(int, done.stdout.split())
    assert residues == repeats * block_residues and chunks >= 4
    assert growth < 1.5 * budget + 8_000_000, f"peak RSS grew {growth / 1e6:.1f} MB for {budget / 1e6:.0f} M-residue chunks"


# --- A str of queries: a path unless it is a sequence in capital letters -------------


def test_a_mistyped_query_path_is_a_missing_file_not_a_sequence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"cannot open FASTA file 'myqueries': No such file .*"
                       r"capital letters: give 'MYQUERIES' or \['myqueries'\]"):
        swladder.hits("myqueries", SAMPLE)
    with pytest.raises(FileNotFoundError, match=r"^cannot open FASTA file 'querys\.fa': No such file or directory$"):
        swladder.hits("querys.fa", SAMPLE)
    # A sequence in small letters goes in a list; in capitals it is a sequence as it stands.
    assert [q.qseqid for q in swladder.hits(["mktayiakqrqisfvkshfsrq"], SAMPLE, k=1)] == ["query"]
    assert swladder.hits(["mktayiakqrqisfvkshfsrq"], SAMPLE, k=2) == swladder.hits("MKTAYIAKQRQISFVKSHFSRQ",
                                                                                   SAMPLE, k=2)


def test_a_str_naming_a_file_is_read_whatever_its_letters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("queries", "QUERIES"):
        (tmp_path / name).write_text(">from_file\nMKTAYIAKQRQISFVKSHFSRQ\n")
        assert [q.qseqid for q in swladder.hits(name, SAMPLE, k=1)] == ["from_file"]


def test_queries_of_no_kind_name_their_type():
    for queries in (None, 5, b"MKTAY"):
        with pytest.raises(TypeError, match=f"^queries are a FASTA path, .* pairs, not {type(queries).__name__}$"):
            swladder.hits(queries, SAMPLE)


def test_distributed_hits_takes_the_same_rule(tmp_path, monkeypatch):
    swd = pytest.importorskip("swladder.distributed")
    monkeypatch.chdir(tmp_path)
    # The queries are read before any cluster is asked for.
    with pytest.raises(FileNotFoundError, match="cannot open FASTA file 'myqueries'.*capital letters"):
        swd.hits("myqueries", SAMPLE)
