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

import os
import statistics
from pathlib import Path
from typing import Any, Callable, Sequence

from .._stages import stage_info
from .._tune import describe_selection
from . import candidates
from .candidates import Candidate, Outcome, rung_candidates
from .inputs import Inputs, load_inputs
from .instructions import count_instructions, instruction_input, kernel_for_counting
from .machine import machine_info
from .peers import peer_candidates
from .report import (BASELINE, Row, fill_speedups, format_markdown, format_text_table, plot, row_json, table_rows,
                     write_outputs)
from .timing import (FULL_BUDGET_SECONDS, MIN_PASS_SECONDS, QUICK_BUDGET_SECONDS, QUICK_MIN_PASS_SECONDS,
                     choose_slice, time_pass)
from .verification import verify_candidate, verify_timed

__all__ = ["BASELINE", "Candidate", "Inputs", "Outcome", "Row", "choose_slice", "count_instructions",
           "format_markdown", "format_text_table", "instruction_input", "load_inputs", "machine_info",
           "peer_candidates", "plot", "run_ladder", "rung_candidates", "select_candidates", "table_rows",
           "verify_candidate", "write_outputs"]

Progress = Callable[[str], None]


def select_candidates(names: Sequence[str] | None, peers: bool) -> list[Candidate]:
    """Every rung, then every peer (unless peers is False); or, given names,
    just those rungs and peers, in ladder order."""
    chosen = candidates.rung_candidates() + (peer_candidates() if peers or names else [])
    if not names:
        return chosen
    unknown = sorted(set(names) - {c.name for c in chosen})
    if unknown:
        known = ", ".join(c.name for c in chosen)
        raise ValueError(f"unknown or unsupported rung(s): {', '.join(unknown)} (rungs and peers: {known})")
    return [c for c in chosen if c.name in names]


def run_ladder(query_path: str, db_path: str, *, threads: int | None = None, rungs: Sequence[str] | None = None,
               quick: bool = False, out_dir: str | None = ".", repeat: int = 1, instructions: bool = False,
               peers: bool = True, progress: Progress | None = None) -> dict[str, Any]:
    say = progress or (lambda message: None)
    threads_all = threads or os.cpu_count() or 1
    budget = QUICK_BUDGET_SECONDS if quick else FULL_BUDGET_SECONDS
    min_pass = QUICK_MIN_PASS_SECONDS if quick else MIN_PASS_SECONDS
    inputs = load_inputs(query_path, db_path, quick)
    chosen = select_candidates(rungs, peers)
    stage_kernels = {info["name"]: info["kernels"] for info in stage_info()}

    # Before anything is timed: the first search on an untuned machine tunes.
    kernel_choice = describe_selection()
    say(f"ladder: kernels: {kernel_choice}")
    say(f"ladder: {len(inputs.queries)} queries ({inputs.query_residues} residues) against "
        f"{len(inputs.subjects)} sequences ({inputs.prefix_residues[-1]} residues), "
        f"{threads_all} thread(s) for threaded rungs")
    rows: list[Row] = []
    for number, candidate in enumerate(chosen, start=1):
        step = f"[{number}/{len(chosen)}] {candidate.name}"
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
            seconds, scores, row.kernel, row.threads = time_pass(candidate, inputs, n_subjects, use_threads, min_pass)
            timings.append(seconds)
            mismatch = verify_timed(candidate, inputs, n_subjects, scores)
            if mismatch:
                row.verified = False
                row.note = mismatch
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
            kernel = kernel_for_counting(stage_kernels[candidate.name])
            say(f"{step}: counting instructions (valgrind, kernel {kernel})")
            row.instructions_per_cell = count_instructions(candidate.name, kernel)
        say(f"{step}: {row.gcups:.4g} GCUPS ({row.kernel}, {row.threads} thread(s))")

    fill_speedups(rows)
    report = {
        "machine": {**machine_info(), "kernel_choice": kernel_choice},
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
        "rungs": [row_json(row) for row in rows],
    }
    if out_dir is not None:
        write_outputs(report, Path(out_dir))
    return report
