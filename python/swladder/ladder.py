"""``swladder ladder``: the speedup ladder, verified and timed in one run.

Every rung (the Python ones, then the compiled stages of the registry) and
every installed peer is first checked on a shared sample against the scalar
reference; compiled rungs also run the full verification harness. Only what
passed is timed. Timing goes through the bindings, the way a user calls the
kernels: ``time.perf_counter`` around ``search_detailed`` for each query, the
database already encoded, the GIL released in C++. A rung too slow to cover
the whole database in the time budget runs on a deterministic prefix of it,
and its speed is given per cell, which is exact because the work is exactly
query length times subject length.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from . import _api, _core

BASELINE = "python_naive"

# Seconds of work each rung gets per timed pass: rungs slower than this on the
# whole database run on a prefix of it.
FULL_BUDGET_SECONDS = 3.0
QUICK_BUDGET_SECONDS = 0.25
# A fast rung is repeated within one pass until this much time has passed, so
# that timer resolution and call overhead do not dominate.
MIN_PASS_SECONDS = 0.3
QUICK_MIN_PASS_SECONDS = 0.05
# --quick: the first two queries against the first 400 database sequences.
QUICK_QUERIES = 2
QUICK_SUBJECTS = 400
# The shared verification sample: the first query and the first subjects,
# each cut to this many residues, so that python_naive checks it in well under
# a second.
SAMPLE_SUBJECTS = 12
SAMPLE_RESIDUES = 160

Progress = Callable[[str], None]


@dataclasses.dataclass
class Row:
    name: str
    kind: str  # "rung" or "peer"
    summary: str
    verified: bool | None = None  # None: not installed
    cells: int = 0
    seconds: float = 0.0
    gcups: float = 0.0
    speedup_vs_baseline: float | None = None
    speedup_vs_previous: float | None = None
    kernel: str = ""
    threads: int = 1
    sliced: bool = False
    subjects: int = 0  # database sequences timed
    instructions_per_cell: float | None = None
    note: str = ""  # why it failed or was not run


# --- Machine and inputs ---------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "isa": _core.cpu_features(),
        "compiler": _core.compiler(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


@dataclasses.dataclass
class Inputs:
    queries: list[tuple[str, str]]
    subjects: list[tuple[str, str]]  # (name, sequence in the 24 letters)
    query_residues: int
    prefix_residues: list[int]  # prefix_residues[n]: residues in the first n subjects
    # Encoded prefixes, built once each: sizing, timing and the reference all reuse them.
    _databases: dict[int, _api.Database] = dataclasses.field(default_factory=dict)

    def cells(self, n_subjects: int) -> int:
        return self.query_residues * self.prefix_residues[n_subjects]

    def database(self, n_subjects: int) -> _api.Database:
        if n_subjects not in self._databases:
            self._databases[n_subjects] = _api.Database(self.subjects[:n_subjects])
        return self._databases[n_subjects]


def load_inputs(query_path: str, db_path: str, quick: bool) -> Inputs:
    db = _api.Database(db_path)
    subjects = list(zip(db.names, db.sequences()))
    queries = [(name, sequence) for name, _, sequence in _api.read_fasta(query_path)]
    if not queries:
        raise ValueError(f"no query sequences in '{query_path}'")
    if not subjects:
        raise ValueError(f"no database sequences in '{db_path}'")
    if quick:
        queries = queries[:QUICK_QUERIES]
        subjects = subjects[:QUICK_SUBJECTS]
    prefix = [0]
    for _, sequence in subjects:
        prefix.append(prefix[-1] + len(sequence))
    return Inputs(queries, subjects, sum(len(q) for _, q in queries), prefix)


# --- Rungs and peers as one kind of thing ------------------------------------------


@dataclasses.dataclass
class Outcome:
    scores: list[int]
    kernel: str
    threads: int
    reported_seconds: float | None = None  # a peer's own search time, where it reports one


@dataclasses.dataclass
class Candidate:
    """Something the ladder can verify and time: a rung or a peer."""

    name: str
    kind: str
    summary: str
    threaded: bool
    # search(query, database, subjects, threads) -> Outcome
    search: Callable[[str, _api.Database, list[tuple[str, str]], int], Outcome] | None
    missing: str = ""  # for peers that are not installed
    timing_note: str = ""
    # A peer that runs as a process takes every query in one call, so that
    # start-up is paid once per pass; such a peer always covers the whole database.
    search_all: Callable[[list[str], list[tuple[str, str]], int], tuple[list[Outcome], float]] | None = None


def rung_candidates() -> list[Candidate]:
    candidates = []
    for info in _api.stage_info():

        def search(query, db, _subjects, threads, _name=info["name"]):
            result = _api.search_detailed(query, db, stage=_name, threads=threads)
            return Outcome(result.scores.tolist(), result.kernel, result.threads)

        candidates.append(Candidate(info["name"], "rung", info["summary"], info["threaded"], search))
    return candidates


def select_candidates(names: Sequence[str] | None, peers: bool) -> list[Candidate]:
    """Every rung, then every peer (unless peers is False); or, given names,
    just those rungs and peers, in ladder order."""
    candidates = rung_candidates() + (peer_candidates() if peers or names else [])
    if not names:
        return candidates
    unknown = sorted(set(names) - {c.name for c in candidates})
    if unknown:
        known = ", ".join(c.name for c in candidates)
        raise ValueError(f"unknown or unsupported rung(s): {', '.join(unknown)} (rungs and peers: {known})")
    return [c for c in candidates if c.name in names]


def _parasail_candidate() -> Candidate:
    summary = "parasail sw_striped_profile_sat: Farrar striped, 8-bit then 16-bit (Python binding)"
    try:
        import parasail  # type: ignore[import-not-found]
    except ImportError:
        return Candidate("parasail", "peer", summary, False, None, missing="not installed (pip install parasail)")

    def search(query, _db, subjects, _threads):
        profile = parasail.profile_create_sat(query, parasail.blosum62)
        scores = [parasail.sw_striped_profile_sat(profile, subject, 12, 1).score for _, subject in subjects]
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
    try:
        import numba  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return Candidate("numba", "peer", summary, False, None, missing="not installed (pip install numba)")
    from ._numba_peer import numba_search

    def search(query, _db, subjects, _threads):
        return Outcome(numba_search(query, [s for _, s in subjects]), "numba", 1)

    return Candidate("numba", "peer", summary, False, search)


def _pyopal_candidate() -> Candidate:
    summary = "pyopal: Opal's inter-sequence SIMD kernel, 8-bit then 16-bit (Python binding)"
    try:
        import pyopal  # type: ignore[import-not-found]
    except ImportError:
        return Candidate("pyopal", "peer", summary, True, None, missing="not installed (pip install pyopal)")
    from scoring_matrices import ScoringMatrix  # type: ignore[import-not-found]  # a pyopal dependency

    # Opal charges gap_open + (k - 1) * gap_extend for a gap of length k, so
    # our 11/1 is its 12/1. Its BLOSUM62 alphabet is our 24 letters; letters we
    # read as X (U, O, J...) are given to it as X, so both score the same thing.
    blosum62 = ScoringMatrix.from_name("BLOSUM62")
    letters = frozenset(_core.ALPHABET)

    def as_opal(sequence: str) -> str:
        upper = sequence.upper()
        return upper if letters.issuperset(upper) else "".join(c if c in letters else "X" for c in upper)

    # Opal's encoded database, built once per database prefix (as ours is),
    # so that only the search is timed. Holding the Database keeps its id unique.
    encoded: dict[int, tuple[_api.Database, object]] = {}

    def search(query, db, subjects, threads):
        key = id(db)
        if key not in encoded:
            encoded.clear()
            encoded[key] = (db, pyopal.Database([as_opal(s) for _, s in subjects]))
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


# --- Verification ------------------------------------------------------------------------


def _reference_scores(query: str, subjects: list[tuple[str, str]]) -> list[int]:
    return _api.search(query, _api.Database(subjects), stage="scalar").tolist()


def _first_mismatch(expected: list[int], actual: list[int], subjects: list[tuple[str, str]]) -> str:
    if len(expected) != len(actual):
        return f"returned {len(actual)} scores for {len(expected)} subjects"
    for index, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            return f"subject #{index} ({subjects[index][0]}): expected {want}, got {got}"
    return ""


def verify_candidate(candidate: Candidate, inputs: Inputs, threads: int, harness: bool) -> str:
    """'' when the candidate passed; otherwise its first mismatch."""
    query = inputs.queries[0][1][:SAMPLE_RESIDUES]
    subjects = [(name, sequence[:SAMPLE_RESIDUES]) for name, sequence in inputs.subjects[:SAMPLE_SUBJECTS]]
    expected = _reference_scores(query, subjects)
    outcome = candidate.search(query, _api.Database(subjects), subjects, threads)
    mismatch = _first_mismatch(expected, outcome.scores, subjects)
    if mismatch:
        return "shared sample: " + mismatch
    if harness and candidate.kind == "rung":
        report = _api.verify(candidate.name)
        if not report["passed"]:
            return "harness: " + str(report.get("first_mismatch") or report.get("error") or report)
    return ""


# --- Timing --------------------------------------------------------------------------------


def _time_pass(candidate: Candidate, inputs: Inputs, n_subjects: int, threads: int,
               min_seconds: float) -> tuple[float, list[list[int]], str, int]:
    """Seconds for one pass over every query against the first n subjects,
    repeating the pass until min_seconds have gone by."""
    db = inputs.database(n_subjects)
    subjects = inputs.subjects[:n_subjects]
    passes = 0
    total = 0.0
    if candidate.search_all is not None:
        while True:
            outcomes, seconds = candidate.search_all([query for _, query in inputs.queries], subjects, threads)
            passes += 1
            total += seconds
            if total >= min_seconds:
                return total / passes, [o.scores for o in outcomes], outcomes[0].kernel, outcomes[0].threads
    while True:
        all_scores = []
        elapsed = 0.0
        kernel, used = "", threads
        for _, query in inputs.queries:
            start = time.perf_counter()
            outcome = candidate.search(query, db, subjects, threads)
            stop = time.perf_counter()
            reported = outcome.reported_seconds
            elapsed += reported if reported is not None else stop - start
            all_scores.append(outcome.scores)
            kernel, used = outcome.kernel, outcome.threads
        passes += 1
        total += elapsed
        if total >= min_seconds or n_subjects == 0:
            return total / passes, all_scores, kernel, used


def choose_slice(candidate: Candidate, inputs: Inputs, threads: int, budget: float) -> int:
    """How many database sequences the rung can cover in about `budget`
    seconds: the whole database if it can, else a prefix sized from a
    calibration run that grows until it takes a measurable time."""
    total = len(inputs.subjects)
    if candidate.search_all is not None:
        return total
    n = min(total, 4)
    while True:
        seconds, _, _, _ = _time_pass(candidate, inputs, n, threads, 0.0)
        if seconds >= 0.05 or n == total:
            break
        n = min(total, n * 4)
    rate = inputs.cells(n) / max(seconds, 1e-9)
    if inputs.cells(total) / rate <= budget:
        return total
    wanted_cells = budget * rate
    chosen = next((k for k in range(1, total + 1) if inputs.cells(k) >= wanted_cells), total)
    return max(chosen, 1)


def _reference_for(inputs: Inputs, n_subjects: int, cache: dict[int, list[list[int]]]) -> list[list[int]]:
    if n_subjects not in cache:
        db = inputs.database(n_subjects)
        cache[n_subjects] = [_api.search(query, db, stage="scalar").tolist() for _, query in inputs.queries]
    return cache[n_subjects]


# --- Instructions per cell ---------------------------------------------------------------


def count_instructions(stage: str, kernel: str) -> float | None:
    """Instructions per cell of one compiled stage on a small fixed input,
    counted by valgrind's callgrind inside swl::Stage::search only. Deterministic on
    any x86-64 machine, unlike seconds. valgrind cannot execute AVX-512, so
    SIMD stages are counted with their avx2 kernel."""
    if shutil.which("valgrind") is None:
        return None
    code = (
        "import sys, swladder\n"
        "from swladder import ladder\n"
        "q, subjects = ladder.instruction_input()\n"
        "db = swladder.Database(subjects)\n"
        "swladder.search_detailed(q, db, stage=sys.argv[1], kernel=sys.argv[2] or None, threads=1)\n"
    )
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--toggle-collect=*swl::Stage::search*",
               sys.executable, "-c", code, stage, kernel]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("SWLADDER_KERNEL", None)
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    match = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if result.returncode != 0 or not match:
        return None
    query, subjects = instruction_input()
    cells = len(query) * sum(len(s) for s in subjects)
    return int(match.group(1)) / cells


def instruction_input() -> tuple[str, list[str]]:
    """The fixed input instructions are counted on: 200 x 60 x 150 residues of
    a deterministic synthetic set, so the counts can be reproduced anywhere."""
    sequences = _core.synthetic_database(20261128, 61, 150, 150)
    return sequences[0][:200], sequences[1:]


def _kernel_for_counting(candidate_kernels: Sequence[str]) -> str:
    for preferred in ("avx2", "sse41", "eigen", "scalar"):
        if preferred in candidate_kernels:
            return preferred
    return ""


# --- The run ----------------------------------------------------------------------------------


def run_ladder(query_path: str, db_path: str, *, threads: int | None = None, rungs: Sequence[str] | None = None,
               quick: bool = False, out_dir: str = ".", repeat: int = 1, instructions: bool = False,
               peers: bool = True, progress: Progress | None = None) -> dict[str, Any]:
    say = progress or (lambda message: None)
    threads_all = threads or os.cpu_count() or 1
    budget = QUICK_BUDGET_SECONDS if quick else FULL_BUDGET_SECONDS
    min_pass = QUICK_MIN_PASS_SECONDS if quick else MIN_PASS_SECONDS
    inputs = load_inputs(query_path, db_path, quick)
    candidates = select_candidates(rungs, peers)
    stage_kernels = {info["name"]: info["kernels"] for info in _api.stage_info()}

    say(f"ladder: {len(inputs.queries)} queries ({inputs.query_residues} residues) against "
        f"{len(inputs.subjects)} sequences ({inputs.prefix_residues[-1]} residues), "
        f"{threads_all} thread(s) for threaded rungs")
    reference_cache: dict[int, list[list[int]]] = {}
    rows: list[Row] = []
    for number, candidate in enumerate(candidates, start=1):
        step = f"[{number}/{len(candidates)}] {candidate.name}"
        row = Row(candidate.name, candidate.kind, candidate.summary)
        rows.append(row)
        if candidate.search is None:
            row.note = candidate.missing
            say(f"{step}: {candidate.missing}")
            continue
        use_threads = threads_all if candidate.threaded else 1
        say(f"{step}: verifying")
        try:
            mismatch = verify_candidate(candidate, inputs, use_threads, harness=not quick)
        except Exception as error:  # a peer that crashes is reported, not fatal
            mismatch = f"{type(error).__name__}: {error}"
        if mismatch:
            row.verified = False
            row.note = mismatch
            say(f"{step}: FAILED verification: {mismatch}")
            continue
        say(f"{step}: verified; sizing the timed slice")
        n_subjects = choose_slice(candidate, inputs, use_threads, budget)
        row.sliced = n_subjects < len(inputs.subjects)
        row.subjects = n_subjects
        row.cells = inputs.cells(n_subjects)
        say(f"{step}: timing {n_subjects} sequences ({row.cells:.3g} cells) x {repeat}")
        timings = []
        for _ in range(repeat):
            seconds, scores, row.kernel, row.threads = _time_pass(candidate, inputs, n_subjects, use_threads, min_pass)
            timings.append(seconds)
            expected = _reference_for(inputs, n_subjects, reference_cache)
            for (query_name, _), want, got in zip(inputs.queries, expected, scores):
                mismatch = _first_mismatch(want, got, inputs.subjects)
                if mismatch:
                    row.verified = False
                    row.note = f"timed run, query {query_name}: {mismatch}"
                    break
            if row.verified is False:
                break
        if row.verified is False:
            say(f"{step}: FAILED on the timed input: {row.note}")
            continue
        row.verified = True
        row.seconds = statistics.median(timings)
        row.gcups = row.cells / row.seconds / 1e9
        if candidate.timing_note:
            row.note = candidate.timing_note
        if instructions and candidate.kind == "rung" and candidate.name in stage_kernels and \
                not candidate.name.startswith("python"):
            kernel = _kernel_for_counting(stage_kernels[candidate.name])
            say(f"{step}: counting instructions (valgrind, kernel {kernel})")
            row.instructions_per_cell = count_instructions(candidate.name, kernel)
        say(f"{step}: {row.gcups:.4g} GCUPS ({row.kernel}, {row.threads} thread(s))")

    _fill_speedups(rows)
    report = {
        "machine": machine_info(),
        "config": {
            "query": str(query_path),
            "database": str(db_path),
            "queries": len(inputs.queries),
            "query_residues": inputs.query_residues,
            "subjects": len(inputs.subjects),
            "subject_residues": inputs.prefix_residues[-1],
            "matrix": "BLOSUM62",
            "gap_open": 11,
            "gap_extend": 1,
            "threads": threads_all,
            "quick": quick,
            "repeat": repeat,
            "budget_seconds": budget,
            "timing": "time.perf_counter around swladder.search_detailed per query, database pre-encoded; "
                      "median of --repeat passes",
        },
        "rungs": [_row_json(row) for row in rows],
    }
    write_outputs(report, Path(out_dir))
    return report


def _fill_speedups(rows: list[Row]) -> None:
    baseline = next((r for r in rows if r.name == BASELINE and r.verified), None)
    previous: Row | None = None
    for row in rows:
        if not row.verified:
            continue
        if baseline is not None:
            row.speedup_vs_baseline = row.gcups / baseline.gcups
        if row.kind == "rung":
            if previous is not None:
                row.speedup_vs_previous = row.gcups / previous.gcups
            previous = row


def _row_json(row: Row) -> dict[str, Any]:
    data = dataclasses.asdict(row)
    if row.verified is not True:
        for key in ("gcups", "seconds", "speedup_vs_baseline", "speedup_vs_previous"):
            data[key] = None
    return data


# --- Output -----------------------------------------------------------------------------------


def _times(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}x" if value >= 100 else f"{value:.3g}x"


def table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["rung", "what changed", "cells timed", "seconds", "GCUPS", "x vs python_naive", "x vs previous",
              "kernel", "threads"]
    if any(r.get("instructions_per_cell") for r in report["rungs"]):
        header.append("instr/cell")
    body = []
    for r in report["rungs"]:
        name = r["name"] + (" (peer)" if r["kind"] == "peer" else "")
        if r["verified"] is None:
            line = [name, r["summary"], "", "", r["note"], "", "", "", ""]
        elif not r["verified"]:
            line = [name, r["summary"], "", "", "FAILED", "", "", r["kernel"], ""]
        else:
            cells = f"{r['cells']:.3g}" + (f" (first {r['subjects']} seqs)" if r["sliced"] else "")
            line = [name, r["summary"], cells, f"{r['seconds']:.3g}", f"{r['gcups']:.3g}",
                    _times(r["speedup_vs_baseline"]), _times(r["speedup_vs_previous"]), r["kernel"],
                    str(r["threads"])]
        if len(header) == 10:
            ipc = r.get("instructions_per_cell")
            line.append(f"{ipc:.3g}" if ipc else "")
        body.append(line)
    return header, body


def format_text_table(report: dict[str, Any]) -> str:
    header, body = table_rows(report)
    widths = [max(len(header[i]), *(len(row[i]) for row in body)) for i in range(len(header))]
    widths[1] = min(widths[1], 48)

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "~"

    lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths)))
    failed = [r for r in report["rungs"] if r["verified"] is False]
    for r in failed:
        lines.append(f"FAILED {r['name']}: {r['note']}")
    return "\n".join(lines)


def format_markdown(report: dict[str, Any]) -> str:
    header, body = table_rows(report)
    machine = report["machine"]
    config = report["config"]
    out = [
        f"Ladder on {machine['cpu']} ({machine['cores']} cores; {machine['isa']}), {machine['compiler']}, "
        f"Python {machine['python']}, {machine['date']}.",
        f"{config['queries']} queries ({config['query_residues']} residues) against {config['subjects']} sequences "
        f"({config['subject_residues']} residues), BLOSUM62 11/1, {config['threads']} threads for threaded rungs.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in body:
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    for r in report["rungs"]:
        if r["verified"] is False:
            out.append(f"\nFAILED {r['name']}: {r['note']}")
    notes = [f"- {r['name']}: {r['note']}" for r in report["rungs"] if r["verified"] and r["note"]]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def plot(report: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in report["rungs"] if r["verified"]]
    if not rows:
        return False
    names = [r["name"] + (" (peer)" if r["kind"] == "peer" else "") for r in rows]
    speeds = [r["gcups"] * 1e3 for r in rows]  # MCUPS reads better at the bottom of the ladder
    colours = ["#1f77b4" if r["kind"] == "rung" else "#ff7f0e" for r in rows]
    figure, axes = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.8))
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, speeds, color=colours)
    axes.set_xscale("log")
    axes.set_yticks(positions)
    axes.set_yticklabels(names)
    axes.set_xlabel("million cell updates per second (log scale)")
    machine = report["machine"]
    axes.set_title(f"Smith-Waterman speedup ladder: {machine['cpu']}, {report['config']['threads']} threads max",
                   fontsize=10)
    right = max(speeds) * 60
    axes.set_xlim(min(speeds) / 3, right)
    for position, speed, r in zip(positions, speeds, rows):
        label = f"{speed / 1e3:.3g} GCUPS"
        if r["speedup_vs_baseline"]:
            label += f"   {_times(r['speedup_vs_baseline'])} vs python_naive"
        axes.text(speed * 1.1, position, label, va="center", fontsize=8)
    from matplotlib.patches import Patch

    axes.legend(handles=[Patch(color="#1f77b4", label="swladder rung"), Patch(color="#ff7f0e", label="peer")],
                loc="upper right", fontsize=8)
    axes.grid(axis="x", which="major", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def write_outputs(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ladder.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "ladder.md").write_text(format_markdown(report))
    plot(report, out_dir / "ladder.png")
