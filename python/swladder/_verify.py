"""swladder.verify: every rung through the one C++ harness. Compiled stages
run swl::verify_stage (_core.verify); the Python rungs are scored by a Python
callable that the harness calls and checks against the reference stage
(_core.verify_function). Reports and their descriptions come from C++."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

from . import _core
from ._baseline import baseline
from ._search import check_python_kernel, integer_argument, python_scores, threads_argument
from ._stages import resolve_stage

DEFAULT_SEED: int = _core.DEFAULT_SEED


def data_dir() -> Path | None:
    """The bundled data: $SWLADDER_DATA, else the copy installed with the
    package, else a data/ folder above it (source checkouts, editable
    installs), else ./data."""
    candidates = []
    if os.environ.get("SWLADDER_DATA"):
        candidates.append(Path(os.environ["SWLADDER_DATA"]))
    candidates.extend(parent / "data" for parent in Path(__file__).resolve().parents)
    candidates.append(Path.cwd() / "data")
    for candidate in candidates:
        if (candidate / "tursiops_sample.fa").is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=1)
def real_sample() -> tuple[str, ...]:
    """Up to 300 real sequences, every 7th of the bundled sample (the C++ tests
    take the same ones), or none when the data is not found."""
    directory = data_dir()
    if directory is None:
        return ()
    records = _core.read_fasta(str(directory / "tursiops_sample.fa"))
    return tuple(sequence for _, _, sequence in records[::7][:300])


# The Python rungs run at 1 to 5 million cells per second: they are checked on
# the small pairs of the corpus, up to this many cells in all (a few seconds),
# each pair at most a twentieth of it.
_PYTHON_CELL_BUDGET = {"python_naive": 1_500_000}
_PYTHON_DEFAULT_BUDGET = 4_000_000


def _python_cases(seed: int, large: bool, budget: int, largest_pair: int) -> list[dict[str, Any]]:
    """The corpus cases a Python rung is checked on: in corpus order, those
    whose pairs up to largest_pair cells fit in what is left of the budget."""
    chosen = []
    spent = 0
    for case in _core.corpus(seed, False, list(real_sample())):
        query = case["query"]
        cells = [len(query) * len(s) for s in case["subjects"]]
        kept = sum(c for c in cells if c <= largest_pair)
        if not any(c <= largest_pair for c in cells) or spent + kept > budget:
            continue
        spent += kept
        chosen.append(case)
    return chosen


def _verify_python(name: str, seed: int, large: bool, threads: int) -> dict[str, Any]:
    budget = _PYTHON_CELL_BUDGET.get(name, _PYTHON_DEFAULT_BUDGET) * (10 if large else 1)
    largest_pair = budget // 20
    multiprocessing = baseline.RUNGS[name][0] is baseline.python_multiprocessing
    processes = (threads or os.cpu_count() or 1) if multiprocessing else 1

    # python_multiprocessing starts a pool for every case: Ctrl-C that lands
    # in one of Python's after-fork callbacks raises its KeyboardInterrupt
    # there, where Python prints it as unraisable and drops it. It is raised
    # again once the case is scored, so that the harness stops all the same.
    dropped: list[BaseException] = []
    report_unraisable = sys.unraisablehook

    def note_dropped(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Exception) or unraisable.exc_value is None:
            report_unraisable(unraisable)
        else:
            dropped.append(unraisable.exc_value)

    def score(query: str, subjects: list[str], matrix: str, gap_open: int, gap_extend: int) -> list[int]:
        scores = python_scores(name, query, subjects, matrix, gap_open, gap_extend, processes)
        if dropped:
            raise dropped[0]
        return scores

    cases = _python_cases(seed, large, budget, largest_pair)
    sys.unraisablehook = note_dropped
    try:
        return _core.verify_function(name, score, seed, large, list(real_sample()), cases=cases,
                                     max_pair_cells=float(largest_pair))
    finally:
        sys.unraisablehook = report_unraisable


def verify(
    stage: str,
    *,
    large: bool = False,
    seed: int = DEFAULT_SEED,
    kernel: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Checks one rung against the reference and returns the report: a dict
    with passed, stage, reference, kernel, threads, cases, pairs,
    skipped_pairs, cells, first_mismatch (a text that reproduces it, or None),
    error (or None) and description (one line).

    Compiled stages run the C++ harness over its corpus (random cases around
    every lane boundary, homologs, every penalty corner, 8- and 16-bit
    overflow, plus real sequences from the bundled sample when the data folder
    is found; ``large`` adds titin-size cases) against the scalar stage (scalar
    itself against naive). The Python rungs go through the same harness
    against scalar, on the small pairs of the same corpus, a few seconds' worth."""
    name = resolve_stage(stage)
    thread_count = threads_argument(threads)
    seed = integer_argument("seed", seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be between 0 and 2**64 - 1, got {seed}")
    _core.check_forced_kernel()  # a typo in SWLADDER_KERNEL is bad input, not a failed verification
    if name in baseline.RUNGS:
        check_python_kernel(name, kernel)
        return _verify_python(name, seed, large, thread_count)
    return _core.verify(name, seed, bool(large), list(real_sample()), thread_count, kernel or "")
