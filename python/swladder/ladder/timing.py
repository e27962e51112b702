"""Slicing and timing: how much of the database a rung covers in its time
budget, and the seconds of one pass over every query."""

from __future__ import annotations

import time

from .candidates import Candidate
from .inputs import Inputs

# Seconds of work each rung gets per timed pass: rungs slower than this on the
# whole database run on a prefix of it.
FULL_BUDGET_SECONDS = 3.0
QUICK_BUDGET_SECONDS = 0.25
# A fast rung is repeated within one pass until this much time has passed, so
# that timer resolution and call overhead do not dominate.
MIN_PASS_SECONDS = 0.3
QUICK_MIN_PASS_SECONDS = 0.05


def time_pass(candidate: Candidate, inputs: Inputs, n_subjects: int, threads: int,
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
        seconds, _, _, _ = time_pass(candidate, inputs, n, threads, 0.0)
        if seconds >= 0.05 or n == total:
            break
        n = min(total, n * 4)
    rate = inputs.cells(n) / max(seconds, 1e-9)
    if inputs.cells(total) / rate <= budget:
        return total
    wanted_cells = budget * rate
    chosen = next((k for k in range(1, total + 1) if inputs.cells(k) >= wanted_cells), total)
    return max(chosen, 1)
