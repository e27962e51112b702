"""swladder.align: the alignment behind a score. Its score is the scalar
rung's, it re-scores (independently, here) to that score, its fields agree
with one another (coordinates, aligned strings, counts, cigar, btop,
midline), memory stays bounded on a titin-size pair, and its coordinates are
ssearch36's (fasta3) on the bundled data."""

from __future__ import annotations

import itertools
import random
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import swladder
from conftest import DATA, PROTEIN, mutate, random_cases, require, sw

CODES = {letter: code for code, letter in enumerate(swladder.ALPHABET)}


def code(residue: str) -> int:
    return CODES.get(residue.upper(), CODES["X"])


def independent_score(qseq: str, sseq: str, matrix: str, gap_open: int, gap_extend: int) -> int:
    """The score of aligned strings, from the matrix and the penalties alone."""
    _, table = swladder.matrix(matrix)
    total = 0
    for gapped, run in itertools.groupby(zip(qseq, sseq), key=lambda pair: "-" in pair):
        pairs = list(run)
        if not gapped:
            total += sum(int(table[code(a), code(b)]) for a, b in pairs)
            continue
        # A run of gap columns is one gap per side that changes: "-x" then "x-" is two gaps.
        for _, side in itertools.groupby(pairs, key=lambda pair: pair[0] == "-"):
            total -= gap_open + gap_extend * len(list(side))
    return total


def expand_cigar(cigar: str) -> str:
    return "".join(op * int(count) for count, op in re.findall(r"(\d+)([MID])", cigar))


def expand_btop(btop: str, qseq: str) -> tuple[str, str]:
    """(qseq, sseq) from a btop string; identities take their letters from qseq."""
    q, s = [], []
    for number, pair in re.findall(r"(\d+)|(..)", btop):
        if number:
            start = len(q)
            q.extend(qseq[start : start + int(number)])
            s.extend(qseq[start : start + int(number)])
        else:
            q.append(pair[0])
            s.append(pair[1])
    return "".join(q), "".join(s)


def check_alignment(a: swladder.Alignment, query: str, subject: str, matrix: str, gap_open: int, gap_extend: int):
    label = (query, subject, matrix, gap_open, gap_extend)
    assert a.score == swladder.score(query, subject, stage="scalar", matrix=matrix, gap_open=gap_open,
                                     gap_extend=gap_extend), label
    assert independent_score(a.qseq, a.sseq, matrix, gap_open, gap_extend) == a.score, label
    if a.score == 0:
        assert (a.qstart, a.qend, a.sstart, a.send, a.qseq, a.length, a.cigar, a.btop) == (0, 0, 0, 0, "", 0, "", "")
        return
    assert a.qseq.replace("-", "") == query[a.qstart : a.qend].upper(), label
    assert a.sseq.replace("-", "") == subject[a.sstart : a.send].upper(), label
    assert a.length == len(a.qseq) == len(a.sseq) == len(a.midline), label
    assert "-" not in (a.qseq[0], a.sseq[0], a.qseq[-1], a.sseq[-1]), label
    operations = expand_cigar(a.cigar)
    assert len(operations) == a.length, label
    for op, q, s in zip(operations, a.qseq, a.sseq):
        assert (q == "-", s == "-") == {"M": (False, False), "I": (False, True), "D": (True, False)}[op], label
    # An identity run keeps no letters: the subject's are the query's as the matrix sees them.
    btop_q, btop_s = expand_btop(a.btop, a.qseq)
    assert btop_q == a.qseq, label
    assert [code(x) for x in btop_s if x != "-"] == [code(x) for x in a.sseq if x != "-"], label
    assert [x == "-" for x in btop_s] == [x == "-" for x in a.sseq], label
    _, table = swladder.matrix(matrix)
    pairs = [(q, s) for q, s in zip(a.qseq, a.sseq) if "-" not in (q, s)]
    assert a.nident == sum(code(q) == code(s) for q, s in pairs), label
    assert a.positive == sum(table[code(q), code(s)] > 0 for q, s in pairs), label
    assert a.mismatch == len(pairs) - a.nident, label
    assert a.gaps == a.length - len(pairs), label
    assert a.gapopen == len(re.findall(r"I+|D+", operations)), label
    assert a.pident == pytest.approx(100 * a.nident / a.length)
    assert a.ppos == pytest.approx(100 * a.positive / a.length)
    for q, s, mid in zip(a.qseq, a.sseq, a.midline):
        if "-" in (q, s):
            assert mid == " "
        elif code(q) == code(s):
            assert mid == q
        else:
            assert mid == ("+" if table[code(q), code(s)] > 0 else " ")


def test_random_cases_every_letter_matrix_and_penalty():
    checked = 0
    for case in random_cases(seed=1129, count=60, max_length=80, subjects=4):
        for subject in case.subjects:
            a = swladder.align(case.query, subject, **case.options)
            check_alignment(a, case.query, subject, case.matrix, case.gap_open, case.gap_extend)
            checked += a.score > 0
    assert checked > 100  # most pairs align to something


def test_homologs_with_gaps():
    rng = random.Random("homologs")
    gapped = 0
    for gap_open, gap_extend in [(11, 1), (0, 1), (10, 0), (5, 2)]:
        for _ in range(8):
            query = "".join(rng.choice(PROTEIN) for _ in range(rng.randint(50, 400)))
            subject = "".join(rng.choice(PROTEIN) for _ in range(30)) + mutate(rng, query, 0.25, 0.08)
            a = swladder.align(query, subject, gap_open=gap_open, gap_extend=gap_extend)
            check_alignment(a, query, subject, "BLOSUM62", gap_open, gap_extend)
            gapped += a.gaps > 0
    assert gapped > 20


def test_edge_cases():
    assert swladder.align("", "ACDE").score == 0
    assert swladder.align("ACDE", "").length == 0
    empty = swladder.align("AAAA", "RRRR")
    assert (empty.score, empty.length, empty.cigar, empty.btop, empty.pident) == (0, 0, "", "", 0.0)
    assert empty.pairwise() == ""
    one = swladder.align("w", "W")
    assert (one.score, one.qseq, one.sseq, one.cigar, one.btop, one.midline) == (11, "W", "W", "1M", "1", "W")
    poly_w = "W" * 3000
    big = swladder.align(poly_w, poly_w)
    assert (big.score, big.cigar, big.btop, big.nident) == (33000, "3000M", "3000", 3000)
    for gap_open, gap_extend in [(0, 1), (1, 0), (255, 255)]:
        query, subject = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ", "MKTAYIAKQRQISFVKSHFSRQPPLEERLGLIEVQ"
        a = swladder.align(query, subject, gap_open=gap_open, gap_extend=gap_extend)
        check_alignment(a, query, subject, "BLOSUM62", gap_open, gap_extend)


def test_lowercase_is_identical_and_u_o_j_are_letters_of_their_own():
    a = swladder.align("MKWuVTFISL", "MKWUVTFISL")
    assert a.qseq == "MKWUVTFISL" and a.sseq == "MKWUVTFISL"
    assert (a.nident, a.btop) == (10, "10")
    # U borrows X's scores but is not identical to X (nor to O).
    for other in "XO":
        b = swladder.align("MKWUVTFISL", f"MKW{other}VTFISL")
        assert (b.nident, b.mismatch, b.btop) == (9, 1, f"3U{other}6")


def test_fields_on_a_known_alignment():
    # Four W in the query only, between two runs long enough to pay for the gap.
    query = "MKTAYIAKQRQISFVKSHFSRQWWWWLEERLGLIEVQ"
    subject = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    a = swladder.align(query, subject)
    assert (a.qstart, a.qend, a.sstart, a.send) == (0, 37, 0, 33)
    assert a.cigar == "22M4I11M"
    assert a.btop == "22W-W-W-W-11"
    assert (a.length, a.nident, a.mismatch, a.gapopen, a.gaps) == (37, 33, 0, 1, 4)
    check_alignment(a, query, subject, "BLOSUM62", 11, 1)
    substitution = swladder.align("MKTAYIAKQR", "MKSAYLAKQR")
    assert substitution.btop == "2TS2IL4"
    assert substitution.midline == "MK+AY+AKQR"
    assert substitution.mismatch == 2


def test_pairwise_blocks_and_coordinates():
    rng = random.Random("pairwise")
    query = "".join(rng.choice(PROTEIN) for _ in range(150))
    subject = "GGGGG" + query[:70] + "WWW" + query[70:]
    a = swladder.align(query, subject)
    text = a.pairwise()
    blocks = text.rstrip("\n").split("\n\n")
    assert len(blocks) == -(-a.length // 60)
    q_next, s_next = a.qstart + 1, a.sstart + 1
    for number, block in enumerate(blocks):
        q_line, mid_line, s_line = block.split("\n")
        q_name, q_start, q_part, q_end = q_line.split()
        s_name, s_start, s_part, s_end = s_line.split()
        assert (q_name, s_name) == ("Query", "Sbjct")
        assert q_part == a.qseq[number * 60 : number * 60 + 60]
        assert s_part == a.sseq[number * 60 : number * 60 + 60]
        column = q_line.index(q_part)
        assert s_line.index(s_part) == column
        assert mid_line[column:] == a.midline[number * 60 : number * 60 + 60].rstrip() or mid_line[column:] == \
            a.midline[number * 60 : number * 60 + 60]
        assert (int(q_start), int(s_start)) == (q_next, s_next)
        q_next += len(q_part.replace("-", ""))
        s_next += len(s_part.replace("-", ""))
        assert (int(q_end), int(s_end)) == (q_next - 1, s_next - 1)
    assert (q_next - 1, s_next - 1) == (a.qend, a.send)
    named = a.pairwise("ENSTTRP1", "hit")
    assert named.splitlines()[0].startswith("ENSTTRP1  ") and named.splitlines()[2].startswith("hit       ")


def test_bad_input_raises_precise_errors():
    with pytest.raises(ValueError, match=r"sequence 'subject': invalid residue '1' at position 3"):
        swladder.align("ACDE", "AC1E")
    with pytest.raises(ValueError, match=r"sequence 'query'"):
        swladder.align("A-C", "ACE")
    with pytest.raises(ValueError, match="BLOSUM99"):
        swladder.align("ACDE", "ACDE", matrix="BLOSUM99")
    with pytest.raises(ValueError):
        swladder.align("ACDE", "ACDE", gap_open=-1)
    with pytest.raises(TypeError, match="subject must be a str"):
        swladder.align("ACDE", b"ACDE")
    with pytest.raises(FileNotFoundError):
        swladder.align("ACDE", "ACDE", matrix="/nonexistent/matrix.txt")


def test_from_core_refuses_columns_that_do_not_fit():
    from_core = swladder.Alignment.from_core
    with pytest.raises(ValueError, match="alignment operation 'X' is not M, I or D"):
        from_core((1, 0, 1, 0, 1, "X"), "A", "A")
    with pytest.raises(ValueError, match=r"cover query 0\.\.1 and subject 0\.\.1, not 0\.\.2 and 0\.\.1"):
        from_core((1, 0, 2, 0, 1, "M"), "AA", "A")
    with pytest.raises(ValueError, match="sequences of 1 and 1"):
        from_core((1, 0, 2, 0, 2, "MM"), "A", "A")
    with pytest.raises(ValueError, match="must not be negative"):
        from_core((1, -1, 0, 0, 1, "D"), "A", "A")
    for args in (((1, 0, 1, 0, 1, "M"), "\u00e9", "A"), ((1, 0, 1, 0, 1, "\u00e9"), "A", "A")):
        with pytest.raises(ValueError, match="not ASCII"):
            from_core(*args)
    # Lowercase shows uppercase; a byte that is no residue compares as X.
    a = from_core((0, 0, 3, 0, 3, "MMM"), "a?x", "A?A")
    assert (a.qseq, a.sseq, a.midline, a.nident, a.btop, a.cigar) == ("A?X", "A?A", "A? ", 2, "2XA", "3M")


def test_align_many_equals_align_one_by_one():
    from swladder._align import align_many

    rng = random.Random("many")
    query = "".join(rng.choice(PROTEIN) for _ in range(200))
    subjects = [mutate(rng, query, 0.3, 0.05) if k % 2 else "".join(rng.choice(PROTEIN) for _ in range(250))
                for k in range(9)]
    db = swladder.Database(subjects)
    indices = [8, 1, 1, 0, -1]
    for threads in (1, 2, None):
        many = align_many(query, db, indices, gap_open=10, gap_extend=2, threads=threads)
        assert many == [swladder.align(query, subjects[k], gap_open=10, gap_extend=2) for k in indices]
    with pytest.raises(ValueError, match=r"database index 9 out of range \(the database has 9 sequences\)"):
        align_many(query, db, [0, 9])
    for index in (-10, 2**70):
        with pytest.raises(ValueError, match=f"database index {index} out of range"):
            align_many(query, db, [index])
    with pytest.raises(TypeError):
        align_many(query, db, ["1"])


def test_one_batch_over_many_queries_equals_align_one_by_one():
    # What hits() runs: every hit of every query in one parallel batch, each
    # with its search score known (a wrong one costs time, never the answer).
    from swladder import _core

    rng = random.Random("batch")
    queries = ["".join(rng.choice(PROTEIN) for _ in range(rng.randrange(20, 300))) for _ in range(4)]
    query_of = [k % 4 for k in range(14)]
    subjects = [mutate(rng, queries[q], 0.3, 0.05) if k % 3 else "".join(rng.choice(PROTEIN) for _ in range(150))
                for k, q in enumerate(query_of)]
    expected = [swladder.align(queries[q], s) for q, s in zip(query_of, subjects)]
    for scores in ([a.score for a in expected], [-1] * len(expected), [a.score + 2 for a in expected]):
        for threads in (1, 2):
            results = _core.align_batch(queries, subjects, query_of, scores, "BLOSUM62", 11, 1, threads)
            got = [swladder.Alignment.from_core(r, queries[q], s) for r, q, s in zip(results, query_of, subjects)]
            assert got == expected
    with pytest.raises(ValueError, match="query number 4 out of range"):
        _core.align_batch(queries, subjects[:1], [4], [-1], "BLOSUM62", 11, 1, 1)
    with pytest.raises(ValueError, match="1 subjects, 2 query numbers and 1 scores"):
        _core.align_batch(queries, subjects[:1], [0, 1], [-1], "BLOSUM62", 11, 1, 1)


# --- Memory: a titin-size pair in a fresh process ---------------------------------

MEMORY_SCRIPT = textwrap.dedent(
    """
    import random, sys
    import swladder

    def status_kib(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])

    length = int(sys.argv[1])
    rng = random.Random(length)
    letters = "ARNDCQEGHILKMFPSTWYV"
    query = "".join(rng.choice(letters) for _ in range(length))
    subject = list(query)
    for k in range(0, length, 7):
        subject[k] = rng.choice(letters)
    for k in range(length // 3, length, length // 5):
        subject[k:k] = "GGG"
    for k in range(length // 4, length, length // 6):
        del subject[k : k + 2]
    subject = "".join(subject)
    swladder.align("ACDEFGHIKL", "ACDEFGHIKL")  # load every lazily loaded piece first
    before = status_kib("VmRSS")
    a = swladder.align(query, subject)
    growth = status_kib("VmHWM") - before
    print(growth, a.score, a.length, a.gaps, a.qstart, a.qend, a.sstart, a.send)
    """
)


def peak_growth_mib(length: int) -> tuple[float, list[int]]:
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(length)], capture_output=True, text=True,
                            check=True, timeout=600)
    growth_kib, *fields = (int(x) for x in result.stdout.split())
    return growth_kib / 1024, fields


def test_bounded_memory_ten_thousand_square():
    growth, (score, length, gaps, qstart, qend, sstart, send) = peak_growth_mib(10_000)
    assert growth < 64, f"peak RSS grew {growth:.1f} MiB"
    assert qend - qstart > 9_000 and gaps > 0 and score > 30_000


def test_bounded_memory_titin_size():
    """35,000 x 35,000: a full traceback matrix would be 1.2 GB."""
    growth, (score, length, gaps, qstart, qend, sstart, send) = peak_growth_mib(35_000)
    assert growth < 64, f"peak RSS grew {growth:.1f} MiB"
    assert qend - qstart > 34_000 and gaps > 0 and score > 100_000


# --- Against ssearch36 ------------------------------------------------------------

STANDARD = set(PROTEIN)


def require_ssearch36() -> str:
    path = shutil.which("ssearch36")
    require(path is not None, "ssearch36 (Debian package fasta3) is not installed")
    return path


def ssearch36_hits(ssearch36: str, query_fasta, db_fasta, hits: int) -> list[tuple[str, int, int, int, int, str]]:
    """(subject, qstart, qend, sstart, send, btop) of the best alignment with each subject in ssearch36's -m 8CB
    report (it lists further, lower-scoring ones after it), coordinates 1-based inclusive."""
    command = [ssearch36, "-q", "-s", "BL62", "-f", "-11", "-g", "-1", "-m", "8CB", "-b", str(hits), "-d",
               str(hits), "-E", "1000", str(query_fasta), str(db_fasta)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout
    out = []
    for line in output.splitlines():
        if line.startswith("#") or line.count("\t") < 12:
            continue
        fields = line.split("\t")
        if any(hit[0] == fields[1] for hit in out):
            continue
        out.append((fields[1], int(fields[6]), int(fields[7]), int(fields[8]), int(fields[9]), fields[12]))
    return out


def alignment_from_btop(btop: str, query: str, subject: str, qstart: int, sstart: int) -> tuple[str, str]:
    """ssearch36's aligned strings, from its btop and 0-based starts."""
    q, s = [], []
    i, j = qstart, sstart
    for number, pair in re.findall(r"(\d+)|(..)", btop):
        if number:
            q.append(query[i : i + int(number)])
            s.append(subject[j : j + int(number)])
            i += int(number)
            j += int(number)
            continue
        q.append(pair[0])
        s.append(pair[1])
        i += pair[0] != "-"
        j += pair[1] != "-"
    return "".join(q), "".join(s)


def test_coordinates_agree_with_ssearch36(tmp_path):
    ssearch36 = require_ssearch36()
    queries = [(name, seq) for name, _, seq in swladder.read_fasta(DATA / "queries.fa") if set(seq) <= STANDARD]
    records = [(name, seq) for name, _, seq in swladder.read_fasta(DATA / "tursiops_sample.fa")
               if set(seq) <= STANDARD]
    assert len(queries) >= 4 and len(records) > 1000
    db_path = tmp_path / "db.fa"
    db_path.write_text("".join(f">{name}\n{seq}\n" for name, seq in records))
    by_name = dict(records)
    compared = ties = 0
    for name, query in queries:
        query_path = tmp_path / "query.fa"
        query_path.write_text(f">{name}\n{query}\n")
        for subject_name, qstart, qend, sstart, send, btop in ssearch36_hits(ssearch36, query_path, db_path, 10):
            subject = by_name[subject_name]
            ours = swladder.align(query, subject)
            theirs_q, theirs_s = alignment_from_btop(btop, query, subject, qstart - 1, sstart - 1)
            their_score = independent_score(theirs_q, theirs_s, "BLOSUM62", 11, 1)
            # ssearch36's alignment is optimal: it scores what ours scores.
            assert their_score == ours.score, (name, subject_name)
            compared += 1
            if (ours.qstart + 1, ours.qend, ours.sstart + 1, ours.send) != (qstart, qend, sstart, send):
                ties += 1
    assert compared >= 30
    assert ties == 0, f"{ties} of {compared} hits have other coordinates than ssearch36's"


# Pairs with several optimal alignments: W/W at either end, a zero-scoring
# A/T pair that may start the alignment or not, equal self-scores (Y/Y, P/P:
# 7) at swapped corners.
TIES = [("W", "AWAW"), ("AW", "TW"), ("WA", "WT"), ("YCCCCCP", "PDDDDDY"), ("PCCCCCY", "YDDDDDP"), ("WAW", "W"),
        ("WCCCCCW", "WDDDDDW"), ("ATW", "TAW"), ("WTA", "WAT")]


@pytest.mark.parametrize("query, subject", TIES)
def test_ties_are_broken_as_ssearch36_breaks_them(tmp_path, query, subject):
    ssearch36 = require_ssearch36()
    (tmp_path / "q.fa").write_text(f">q\n{query}\n")
    (tmp_path / "s.fa").write_text(f">s\n{subject}\n")
    [(_, qstart, qend, sstart, send, _)] = ssearch36_hits(ssearch36, tmp_path / "q.fa", tmp_path / "s.fa", 1)
    a = swladder.align(query, subject)
    assert (a.qstart + 1, a.qend, a.sstart + 1, a.send) == (qstart, qend, sstart, send)
