"""The peers: other people's Smith-Waterman, each behind the Candidate
interface so the ladder verifies and times it like a rung. parasail and pyopal
through their Python bindings, ssearch36 (FASTA package) as a process, and the
scalar recurrence compiled by numba. One that is not installed is listed as such."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .._fasta import Database
from .candidates import Candidate, Outcome


def _import_peer(module: str):
    """The peer's module, or None where it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _not_installed(name: str, summary: str, threaded: bool, package: str) -> Candidate:
    return Candidate(name, "peer", summary, threaded, None, missing=f"not installed (pip install {package})")


# parasail and pyopal know the 24 NCBI letters only. U and O reach them as
# the letters whose scores they take (C and K), which scores the same; J takes
# the better of I and L, which no one letter does, so it joins their tables
# as a 25th letter built from their own I and L entries.
_PEER_ALPHABET = "ARNDCQEGHILKMFPSTWYVBZX*J"
_AS_PEER_LETTERS = str.maketrans("UO", "CK")


def _peer_sequence(sequence: str) -> str:
    return sequence.upper().translate(_AS_PEER_LETTERS)


def _with_j(table: list[list[int]]) -> list[list[int]]:
    """A 24x24 table in NCBI order, with J's row and column added last."""
    i, l = _PEER_ALPHABET.index("I"), _PEER_ALPHABET.index("L")
    rows = [list(row) + [max(row[i], row[l])] for row in table]
    rows.append([max(a, b) for a, b in zip(rows[i], rows[l])])
    return rows


def _parasail_candidate() -> Candidate:
    summary = "parasail sw_striped_profile_sat: Farrar striped, 8-bit then 16-bit (Python binding)"
    parasail = _import_peer("parasail")
    if parasail is None:
        return _not_installed("parasail", summary, False, "parasail")

    blosum62 = parasail.matrix_create(_PEER_ALPHABET, 0, 0)
    for row, entries in enumerate(_with_j(parasail.blosum62.matrix.tolist())):
        for column, value in enumerate(entries):
            blosum62.set_value(row, column, value)

    def search(query, _db, subjects, _threads):
        profile = parasail.profile_create_sat(_peer_sequence(query), blosum62)
        scores = [parasail.sw_striped_profile_sat(profile, _peer_sequence(subject), 12, 1).score
                  for _, subject in subjects]
        return Outcome(scores, "parasail " + ".".join(map(str, parasail.version())), 1)

    return Candidate("parasail", "peer", summary, False, search)


# A line of ssearch36's "best scores" table for our numbered subjects:
# "s17  ( 435) 2260": name, (length), s-w score.
_SSEARCH_HIT = re.compile(r"^s(\d+)\b.*\(\s*\d+\)\s+(\d+)\s*$")


def _ssearch_candidate() -> Candidate:
    summary = "ssearch36 (FASTA package): Farrar SIMD Smith-Waterman, threads across the library"
    binary = shutil.which("ssearch36")
    if binary is None:
        return Candidate("ssearch36", "peer", summary, True, None, missing="not installed (apt-get install fasta3)")
    # ssearch36's own "Total Scan time" adds up the workers' time, so with
    # threads it is not elapsed time. The ladder times the process instead and
    # takes off what the same command costs with a one-residue query: start-up
    # and reading the library, which is not search.
    overhead_cache: dict[tuple[int, int], float] = {}  # (database text hash, threads) -> seconds

    def run(queries: list[str], db_text: str, threads: int, count: int) -> tuple[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            query_file = Path(tmp, "query.fa")
            db_file = Path(tmp, "db.fa")
            query_file.write_text("".join(f">q{index}\n{query}\n" for index, query in enumerate(queries)))
            db_file.write_text(db_text)
            command = [binary, "-q", "-p", "-T", str(threads), "-f", "-11", "-g", "-1", "-s", "BL62",
                       "-z", "-1", "-E", "1e300", "-b", str(max(count, 1)), "-d", "0",
                       str(query_file), str(db_file)]
            start = time.perf_counter()
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            return output, time.perf_counter() - start

    def parse(output: str, count: int) -> list[list[int]]:
        tables: list[list[int]] = []
        in_table = False
        for line in output.splitlines():
            if line.startswith("The best scores are:"):
                tables.append([0] * count)  # subjects with no positive alignment are not listed
                in_table = True
                continue
            hit = _SSEARCH_HIT.match(line) if in_table else None
            if hit is None:
                in_table = False
                continue
            tables[-1][int(hit.group(1))] = int(hit.group(2))
        return tables

    def search_all(queries, subjects, threads):
        # Names must be unique for the scores to map back: number them.
        db_text = "".join(f">s{index}\n{sequence}\n" for index, (_, sequence) in enumerate(subjects))
        key = (hash(db_text), threads)
        if key not in overhead_cache:
            overhead_cache[key] = min(run(["A"], db_text, threads, len(subjects))[1] for _ in range(3))
        output, seconds = run(queries, db_text, threads, len(subjects))
        tables = parse(output, len(subjects))
        if len(tables) != len(queries):
            raise RuntimeError(f"ssearch36 reported {len(tables)} result tables for {len(queries)} queries")
        outcomes = [Outcome(table, "ssearch36", threads) for table in tables]
        return outcomes, max(seconds - overhead_cache[key], 1e-6)

    def search(query, _db, subjects, threads):
        outcomes, seconds = search_all([query], subjects, threads)
        outcomes[0].reported_seconds = seconds
        return outcomes[0]

    candidate = Candidate("ssearch36", "peer", summary, True, search, search_all=search_all)
    candidate.timing_note = "process wall time less that of a one-residue query (start-up and reading the library)"
    return candidate


def _numba_candidate() -> Candidate:
    summary = "the scalar recurrence compiled by numba"
    if _import_peer("numba") is None:
        return _not_installed("numba", summary, False, "numba")
    from .numba_peer import numba_search

    def search(query, _db, subjects, _threads):
        return Outcome(numba_search(query, [s for _, s in subjects]), "numba", 1)

    return Candidate("numba", "peer", summary, False, search)


def _pyopal_candidate() -> Candidate:
    summary = "pyopal: Opal's inter-sequence SIMD kernel, 8-bit then 16-bit (Python binding)"
    pyopal = _import_peer("pyopal")
    if pyopal is None:
        return _not_installed("pyopal", summary, True, "pyopal")
    from scoring_matrices import ScoringMatrix  # type: ignore[import-not-found]  # a pyopal dependency

    # Opal charges gap_open + (k - 1) * gap_extend for a gap of length k, so
    # our 11/1 is its 12/1.
    blosum62 = ScoringMatrix(_with_j([list(row) for row in ScoringMatrix.from_name("BLOSUM62")]),
                             alphabet=_PEER_ALPHABET, name="BLOSUM62")
    as_opal = _peer_sequence

    # Opal's encoded database, built once per database prefix (as ours is),
    # so that only the search is timed. Holding the Database keeps its id unique.
    encoded: dict[int, tuple[Database, object]] = {}

    def search(query, db, subjects, threads):
        key = id(db)
        if key not in encoded:
            encoded.clear()
            encoded[key] = (db, pyopal.Database([as_opal(s) for _, s in subjects],
                                                alphabet=pyopal.Alphabet(_PEER_ALPHABET)))
        # One thread runs on this one; more split the database over a thread
        # pool, whose chunks come back in any order: each hit names its subject.
        hits = pyopal.align(as_opal(query), encoded[key][1], blosum62, gap_open=12, gap_extend=1,
                            mode="score", algorithm="sw", threads=max(threads, 1))
        scores = [0] * len(subjects)
        for hit in hits:
            scores[hit.target_index] = hit.score
        return Outcome(scores, f"pyopal {pyopal.__version__}", max(threads, 1))

    return Candidate("pyopal", "peer", summary, True, search)


def peer_candidates() -> list[Candidate]:
    return [_parasail_candidate(), _ssearch_candidate(), _numba_candidate(), _pyopal_candidate()]
