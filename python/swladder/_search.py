"""One search function over every rung: the pure-Python ones (the baseline
program) and the compiled ones (swladder._core, which iterates the C++
registry)."""

from __future__ import annotations

import dataclasses
import functools
import numbers
import operator
import os
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from . import _core, _tune
from ._baseline import baseline
from ._fasta import Database, DatabaseSource, as_database, has_path_punctuation
from ._stages import PYTHON_KERNEL, resolve_stage

MatrixName = Union[str, "os.PathLike[str]"]


# --- Scoring arguments -----------------------------------------------------------


def matrix_argument(matrix: MatrixName) -> str:
    if isinstance(matrix, (str, os.PathLike)):
        return os.fsdecode(os.fspath(matrix))
    raise TypeError(f"matrix must be a name or a path, not {type(matrix).__name__}")


def penalties(gap_open: int, gap_extend: int) -> tuple[int, int]:
    gap_open = integer_argument("gap_open", gap_open)
    gap_extend = integer_argument("gap_extend", gap_extend)
    if not all(-(2**31) <= value < 2**31 for value in (gap_open, gap_extend)):
        # Beyond what C++ takes: give the message it would have given.
        baseline.validate_penalties(gap_open, gap_extend)
    return gap_open, gap_extend


def integer_argument(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int (of at least ``minimum`` if given): a TypeError
    naming the argument for what is not an integer (1.5 or "2" are not
    truncated or parsed, as numpy's counts are not), a ValueError below
    ``minimum``."""
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


def real_argument(name: str, value: Any) -> float:
    """``value`` as a float: a TypeError for what is not a real number (a
    string is not parsed)."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def threads_argument(threads: int | None) -> int:
    """None: every usable CPU (0 to the C++ side). Above MAX_THREADS a
    ValueError; the C++ side caps the rest to usable_cpus()."""
    if threads is None:
        return 0
    threads = integer_argument("threads", threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1 (or None for every core), got {threads}")
    if threads > _core.MAX_THREADS:
        raise ValueError(f"threads must be at most {_core.MAX_THREADS}, got {threads}")
    return threads


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask (taskset, Slurm), lowered
    to its cgroup CPU quota (Docker --cpus, Slurm, Kubernetes). Searches never
    run more threads (or processes) than this."""
    return _core.usable_cpus()


def matrix(name_or_path: MatrixName) -> tuple[str, npt.NDArray[np.int32]]:
    """(alphabet, table): a built-in matrix (BLOSUM45/50/62/80, PAM250, any
    case) or an NCBI-format matrix file, as a square int32 array whose rows and
    columns follow the alphabet string (the 24 NCBI letters, then U, O, J)."""
    _, table = _core.matrix(matrix_argument(name_or_path))
    return _core.ALPHABET, table


@functools.lru_cache(maxsize=16)
def _builtin_letter_matrix(name: str) -> baseline.Matrix:
    return _letter_matrix(name)


def _letter_matrix(name_or_path: str) -> baseline.Matrix:
    """The matrix as the Python rungs take it: a dict of dicts by letter."""
    _, table = _core.matrix(name_or_path)
    letters = _core.ALPHABET
    return {a: {b: int(table[i, j]) for j, b in enumerate(letters)} for i, a in enumerate(letters)}


@functools.lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    return frozenset(_core.builtin_matrices())


def matrix_for_python(name_or_path: str) -> baseline.Matrix:
    if name_or_path.upper() in _builtin_names():
        return _builtin_letter_matrix(name_or_path.upper())
    return _letter_matrix(name_or_path)


# --- Search -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """One search: the scores (int32, database order) and what produced them."""

    scores: npt.NDArray[np.int32]
    stage: str
    kernel: str  # the kernel that actually ran ("python" for the Python rungs)
    threads: int  # threads (or, for python_multiprocessing, processes) actually used
    rescored: int  # subjects whose narrow lanes saturated and were scored again wider


def check_python_kernel(name: str, kernel: str | None) -> None:
    if kernel not in (None, "", PYTHON_KERNEL):
        raise ValueError(f"stage '{name}' has no kernel '{kernel}' (it has: {PYTHON_KERNEL})")


def python_scores(name: str, query: str, subjects: list[str], matrix_name: str, gap_open: int, gap_extend: int,
                  processes: int) -> list[int]:
    """Scores from a Python rung; ``processes`` is python_multiprocessing's pool size."""
    letter_matrix = matrix_for_python(matrix_name)
    rung = baseline.RUNGS[name][0]
    if rung is baseline.python_multiprocessing:
        return rung(query, subjects, letter_matrix, gap_open, gap_extend, processes=processes)
    return rung(query, subjects, letter_matrix, gap_open, gap_extend)


def _search_python(name: str, query: str, database: Database, matrix_name: str, gap_open: int, gap_extend: int,
                   threads: int, kernel: str | None) -> SearchResult:
    check_python_kernel(name, kernel)
    _core.check_scoring(matrix_name, gap_open, gap_extend)
    _core.check_sequence(query, "query")
    multiprocessing = baseline.RUNGS[name][0] is baseline.python_multiprocessing
    processes = baseline.pool_size(threads or None, len(database)) if multiprocessing else 1
    scores = python_scores(name, query, database.sequences(), matrix_name, gap_open, gap_extend, processes)
    return SearchResult(np.asarray(scores, dtype=np.int32).reshape(-1), name, PYTHON_KERNEL, processes, 0)


def search_detailed(
    query: str,
    database: DatabaseSource,
    *,
    stage: str = "auto",
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = None,
    kernel: str | None = None,
) -> SearchResult:
    """Like search(), returning a SearchResult that also says which stage and
    kernel ran, on how many threads, and how many subjects were rescored."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, not {type(query).__name__}")
    if has_path_punctuation(query):
        raise ValueError(f"query {query!r:.60} looks like a file path: search() takes one sequence "
                         "(search a FASTA file of queries with hits(), or read it with read_fasta())")
    if kernel is not None and not isinstance(kernel, str):
        raise TypeError(f"kernel must be a str or None, not {type(kernel).__name__}")
    name = resolve_stage(stage)
    database = as_database(database)
    matrix_name = matrix_argument(matrix)
    gap_open, gap_extend = penalties(gap_open, gap_extend)
    thread_count = threads_argument(threads)
    if name in baseline.RUNGS:
        if not kernel:
            _core.check_forced_kernel()  # the Python rungs run "python" whatever it names, but a typo is an error
        return _search_python(name, query, database, matrix_name, gap_open, gap_extend, thread_count, kernel)
    if not kernel:
        kernel = _tune.kernel_for(name)
    scores, ran, used, rescored = _core.search(
        name, query, database._core, matrix_name, gap_open, gap_extend, thread_count, kernel
    )
    return SearchResult(scores, name, ran, used, rescored)


def search(
    query: str,
    database: DatabaseSource,
    *,
    stage: str = "auto",
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = None,
    kernel: str | None = None,
) -> npt.NDArray[np.int32]:
    """Smith-Waterman scores of ``query`` against every sequence of ``database``.

    Returns an int32 array, one score per database sequence, in database
    order. A gap of length k costs gap_open + k * gap_extend. ``stage`` is any
    name from stages(), or "auto" for the fastest verified rung (the last
    compiled stage of the ladder this CPU supports). ``threads=None`` uses
    every usable CPU (usable_cpus(): the affinity mask and the cgroup CPU
    quota); a larger request is capped to them and to the number of subjects
    (search_detailed(...).threads says what ran), and one above MAX_THREADS
    (4096) is a ValueError. ``kernel`` forces one of the stage's kernels (see
    stage_info()); without it SWLADDER_KERNEL is honoured, else the kernel
    the tuner chose for this machine runs (see tune(): the first search on a
    machine without a cached choice tunes, a few seconds; SWLADDER_TUNE=off
    runs a built-in default instead). The GIL is released while a compiled stage runs,
    and Ctrl-C stops a long search within a fraction of a second
    (KeyboardInterrupt).

    ``query`` is one sequence, in either case, never a path: a str with a
    '/' or a '.' is a ValueError saying it looks like one.

    Bad input raises ValueError with the C++ message (unknown residue, invalid
    penalty, unknown matrix, stage or kernel); a file that cannot be opened
    raises FileNotFoundError, PermissionError or IsADirectoryError, saying
    why."""
    return search_detailed(
        query, database, stage=stage, matrix=matrix, gap_open=gap_open, gap_extend=gap_extend, threads=threads,
        kernel=kernel,
    ).scores


def score(a: str, b: str, **options: Any) -> int:
    """The Smith-Waterman score of one pair; takes search()'s keyword options."""
    if not isinstance(b, str):
        raise TypeError(f"b must be a str, not {type(b).__name__}")
    return int(search(a, [b], **options)[0])
