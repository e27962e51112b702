"""The Python face of the ladder: one search function over every rung, the
pure-Python ones (swladder.baseline) and the compiled ones (swladder._core,
which iterates the C++ registry)."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import operator
import os
from pathlib import Path
from typing import Any, Iterable, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _core, baseline

PathLike = Union[str, "os.PathLike[str]"]
MatrixName = Union[str, "os.PathLike[str]"]
DatabaseSource = Union["Database", PathLike, Iterable[Union[str, Tuple[str, str]]]]

DEFAULT_SEED: int = _core.DEFAULT_SEED
PYTHON_KERNEL = "python"

# --- Rungs ---------------------------------------------------------------------


def stage_info() -> list[dict[str, Any]]:
    """Every rung that runs here, in ladder order: the Python rungs, then the
    compiled stages of the C++ registry that this CPU supports. Each is a dict
    with name, summary, kind ("python" or "compiled"), kernels (those this CPU
    runs, best first) and threaded (whether ``threads`` changes anything;
    python_multiprocessing reads it as its number of processes)."""
    rungs = [
        {
            "name": name,
            "summary": summary,
            "kind": "python",
            "kernels": [PYTHON_KERNEL],
            "threaded": function is baseline.python_multiprocessing,
        }
        for name, (function, summary) in baseline.RUNGS.items()
    ]
    for stage in _core.stages():
        if stage["supported"]:
            rungs.append(
                {
                    "name": stage["name"],
                    "summary": stage["summary"],
                    "kind": "compiled",
                    "kernels": list(stage["kernels"]),
                    "threaded": bool(stage["threaded"]),
                }
            )
    return rungs


def stages() -> list[str]:
    """Names of the rungs that run here, in ladder order."""
    return [rung["name"] for rung in stage_info()]


def _resolve_stage(stage: str) -> str:
    """The rung a ``stage`` argument names. "auto" is the last compiled stage
    of the ladder this CPU supports: the ladder is ordered slowest to fastest,
    and every stage is checked against the reference by the test suite and by
    ``swladder verify`` before it is trusted, so the last one is the fastest
    verified rung."""
    if not isinstance(stage, str):
        raise TypeError(f"stage must be a str, not {type(stage).__name__}")
    compiled = _core.stages()
    if stage == "auto":
        supported = [entry["name"] for entry in compiled if entry["supported"]]
        return supported[-1]
    if stage in baseline.RUNGS:
        return stage
    for entry in compiled:
        if entry["name"] == stage:
            if not entry["supported"]:
                raise ValueError(
                    f"stage '{stage}' has no kernel this CPU can run (CPU has: {_core.cpu_features() or 'none'})"
                )
            return stage
    known = ", ".join([*baseline.RUNGS, *(entry["name"] for entry in compiled)])
    raise ValueError(f"unknown stage '{stage}' (stages: {known})")


# --- Scoring arguments -----------------------------------------------------------


def _matrix_argument(matrix: MatrixName) -> str:
    if isinstance(matrix, (str, os.PathLike)):
        return os.fsdecode(os.fspath(matrix))
    raise TypeError(f"matrix must be a name or a path, not {type(matrix).__name__}")


def _penalties(gap_open: int, gap_extend: int) -> tuple[int, int]:
    gap_open = operator.index(gap_open)
    gap_extend = operator.index(gap_extend)
    if not all(-(2**31) <= value < 2**31 for value in (gap_open, gap_extend)):
        # Beyond what C++ takes: give the message it would have given.
        baseline.validate_penalties(gap_open, gap_extend)
    return gap_open, gap_extend


def _threads_argument(threads: int | None) -> int:
    """None: every core (0 to the C++ side, which asks OpenMP)."""
    if threads is None:
        return 0
    threads = operator.index(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1 (or None for every core), got {threads}")
    return min(threads, 2**31 - 1)


def matrix(name_or_path: MatrixName) -> tuple[str, npt.NDArray[np.int32]]:
    """(alphabet, table): a built-in matrix (BLOSUM45/50/62/80, PAM250, any
    case) or an NCBI-format matrix file, as a 24x24 int32 array whose rows and
    columns follow the alphabet string."""
    _, table = _core.matrix(_matrix_argument(name_or_path))
    return _core.ALPHABET, table


@functools.lru_cache(maxsize=16)
def _builtin_letter_matrix(name: str) -> baseline.Matrix:
    return _letter_matrix(name)


def _letter_matrix(name_or_path: str) -> baseline.Matrix:
    """The matrix as the Python rungs take it: a dict of dicts by letter."""
    _, table = _core.matrix(name_or_path)
    letters = _core.ALPHABET
    return {a: {b: int(table[i, j]) for j, b in enumerate(letters)} for i, a in enumerate(letters)}


def _matrix_for_python(name_or_path: str) -> baseline.Matrix:
    if name_or_path.upper() in _core.builtin_matrices():
        return _builtin_letter_matrix(name_or_path.upper())
    return _letter_matrix(name_or_path)


# --- The database ------------------------------------------------------------------


def _read_bytes_gz(path: str, what: str) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot open {what} file '{path}'") from None
    except (OSError, EOFError) as error:
        raise OSError(f"error reading {what} file '{path}': {error}") from None


def _fasta_path(path: PathLike) -> str:
    path = os.fsdecode(os.fspath(path))
    # Reading a directory yields no bytes rather than an error: say what it is.
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot read FASTA file '{path}': it is a directory")
    return path


def read_fasta(path: PathLike) -> list[tuple[str, str, str]]:
    """(name, description, sequence) of every record of a FASTA file (.gz is
    decompressed), with the C++ reader's rules and messages."""
    path = _fasta_path(path)
    if path.endswith(".gz"):
        return _core.parse_fasta(_read_bytes_gz(path, "FASTA"), path)
    return _core.read_fasta(path)


class Database:
    """A protein database, encoded once and searched many times.

    ``Database(source)`` takes the path of a FASTA file (str or PathLike; a
    name ending in .gz is decompressed), a list of sequences (named seq1,
    seq2, ...), or a list of (name, sequence) pairs. Every record is kept, in
    order, so score i belongs to record i. Invalid input raises ValueError with
    the C++ reader's message (file, line, record, position); a missing file
    raises FileNotFoundError."""

    __slots__ = ("_core",)

    def __init__(self, source: DatabaseSource) -> None:
        if isinstance(source, Database):
            self._core: _core.Database = source._core
        elif isinstance(source, _core.Database):
            self._core = source
        elif isinstance(source, (str, os.PathLike)):
            path = _fasta_path(source)
            if path.endswith(".gz"):
                self._core = _core.Database.from_fasta_bytes(_read_bytes_gz(path, "FASTA"), path)
            else:
                self._core = _core.Database.from_fasta(path)
        elif isinstance(source, (bytes, bytearray)):
            raise TypeError("a database is a FASTA path, a list of sequences or a list of (name, sequence) pairs")
        else:
            self._core = self._from_items(list(source))

    @staticmethod
    def _from_items(items: list[Any]) -> _core.Database:
        if all(isinstance(item, str) for item in items):
            return _core.Database.from_sequences(items)
        pairs = []
        for number, item in enumerate(items, start=1):
            if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                raise TypeError(
                    "database entries must be all sequences (str) or all (name, sequence) pairs; "
                    f"entry #{number} is {item!r:.60}"
                )
            if not item[0]:
                raise ValueError(f"database entry #{number}: empty sequence name")
            pairs.append((item[0], item[1]))
        return _core.Database.from_pairs(pairs)

    @classmethod
    def from_fasta(cls, path: PathLike) -> Database:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
        return cls(path)

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"<swladder.Database: {len(self)} sequences, {self.total_residues} residues>"

    @property
    def names(self) -> list[str]:
        return self._core.names

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return self._core.lengths

    @property
    def total_residues(self) -> int:
        return self._core.total_residues

    @property
    def max_length(self) -> int:
        return self._core.max_length

    def sequence(self, index: int) -> str:
        """Record ``index`` in the 24 matrix letters (uppercase; U, O, J... as X)."""
        index = operator.index(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("database index out of range")
        return self._core.sequence(index)

    def sequences(self) -> list[str]:
        return self._core.sequences()


def _as_database(database: DatabaseSource) -> Database:
    return database if isinstance(database, Database) else Database(database)


# --- Search -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """One search: the scores (int32, database order) and what produced them."""

    scores: npt.NDArray[np.int32]
    stage: str
    kernel: str  # the kernel that actually ran ("python" for the Python rungs)
    threads: int  # threads (or, for python_multiprocessing, processes) actually used
    rescored: int  # subjects whose narrow lanes saturated and were scored again wider


def _search_python(name: str, query: str, database: Database, matrix_name: str, gap_open: int, gap_extend: int,
                   threads: int, kernel: str | None) -> SearchResult:
    if kernel not in (None, "", PYTHON_KERNEL):
        raise ValueError(f"stage '{name}' has no kernel '{kernel}' (it has: {PYTHON_KERNEL})")
    _core.check_scoring(matrix_name, gap_open, gap_extend)
    _core.check_sequence(query, "query")
    letter_matrix = _matrix_for_python(matrix_name)
    subjects = database.sequences()
    rung = baseline.RUNGS[name][0]
    if rung is baseline.python_multiprocessing:
        processes = threads or os.cpu_count() or 1
        scores = rung(query, subjects, letter_matrix, gap_open, gap_extend, processes=processes)
    else:
        processes = 1
        scores = rung(query, subjects, letter_matrix, gap_open, gap_extend)
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
    if kernel is not None and not isinstance(kernel, str):
        raise TypeError(f"kernel must be a str or None, not {type(kernel).__name__}")
    name = _resolve_stage(stage)
    database = _as_database(database)
    matrix_name = _matrix_argument(matrix)
    gap_open, gap_extend = _penalties(gap_open, gap_extend)
    thread_count = _threads_argument(threads)
    if name in baseline.RUNGS:
        return _search_python(name, query, database, matrix_name, gap_open, gap_extend, thread_count, kernel)
    scores, ran, used, rescored = _core.search(
        name, query, database._core, matrix_name, gap_open, gap_extend, thread_count, kernel or ""
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
    every core. ``kernel`` forces one of the stage's kernels (see
    stage_info()); without it SWLADDER_KERNEL is honoured, else the best kernel
    this CPU runs is used. The GIL is released while a compiled stage runs.

    Bad input raises ValueError with the C++ message (unknown residue, invalid
    penalty, unknown matrix, stage or kernel); a missing file raises
    FileNotFoundError."""
    return search_detailed(
        query, database, stage=stage, matrix=matrix, gap_open=gap_open, gap_extend=gap_extend, threads=threads,
        kernel=kernel,
    ).scores


def score(a: str, b: str, **options: Any) -> int:
    """The Smith-Waterman score of one pair; takes search()'s keyword options."""
    if not isinstance(b, str):
        raise TypeError(f"b must be a str, not {type(b).__name__}")
    return int(search(a, [b], **options)[0])


# --- Verification -------------------------------------------------------------------


def _data_dir() -> Path | None:
    """The bundled data: $SWLADDER_DATA, else the copy installed with the
    package, else a data/ folder above it (editable installs), else ./data."""
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
def _real_sample() -> tuple[str, ...]:
    """Up to 300 real sequences, every 7th of the bundled sample (the C++ tests
    take the same ones), or none when the data is not found."""
    directory = _data_dir()
    if directory is None:
        return ()
    records = _core.read_fasta(str(directory / "tursiops_sample.fa"))
    return tuple(sequence for _, _, sequence in records[::7][:300])


# The Python rungs run at 1 to 5 million cells per second: they are checked on
# the small pairs of the corpus, up to this many cells (a few seconds each).
_PYTHON_CELL_BUDGET = {"python_naive": 1_500_000}
_PYTHON_DEFAULT_BUDGET = 4_000_000


def _shorten(text: str, keep: int = 60) -> str:
    return text if len(text) <= keep else f"{text[:keep]}...({len(text)} residues)"


def _verify_python(name: str, seed: int, large: bool, threads: int) -> dict[str, Any]:
    budget = _PYTHON_CELL_BUDGET.get(name, _PYTHON_DEFAULT_BUDGET) * (10 if large else 1)
    largest_pair = budget // 20
    processes = (threads or os.cpu_count() or 1) if name == "python_multiprocessing" else 1
    report: dict[str, Any] = {
        "stage": name, "reference": "scalar", "kernel": PYTHON_KERNEL, "threads": processes, "passed": False,
        "cases": 0, "pairs": 0, "skipped_pairs": 0, "cells": 0.0, "first_mismatch": None, "error": None,
    }
    try:
        for case in _core.corpus(seed, False, list(_real_sample())):
            query, subjects = case["query"], case["subjects"]
            kept = [(k, s) for k, s in enumerate(subjects) if len(query) * len(s) <= largest_pair]
            cells = sum(len(query) * len(s) for _, s in kept)
            if not kept or report["cells"] + cells > budget:
                report["skipped_pairs"] += len(subjects)
                continue
            report["skipped_pairs"] += len(subjects) - len(kept)
            penalties = (case["gap_open"], case["gap_extend"])
            kept_subjects = [s for _, s in kept]
            expected, _, _, _ = _core.search(
                "scalar", query, _core.Database.from_sequences(kept_subjects), case["matrix"], *penalties, 1, ""
            )
            actual = _search_python(
                name, query, Database(kept_subjects), case["matrix"], *penalties, processes, None
            ).scores
            report["cases"] += 1
            report["cells"] += cells
            for (index, subject), want, got in zip(kept, expected, actual):
                report["pairs"] += 1
                if want != got:
                    report["first_mismatch"] = (
                        f"case '{case['label']}', subject #{index}: expected {want}, got {got} "
                        f"({case['matrix']} {penalties[0]}/{penalties[1]}; query {_shorten(query)}; "
                        f"subject {_shorten(subject)})"
                    )
                    break
            if report["first_mismatch"]:
                break
        else:
            report["passed"] = True
    except Exception as error:  # reported, like the C++ harness reports a stage's exception
        report["error"] = f"{type(error).__name__}: {error}"
    report["description"] = _describe_report(report, "pairs too large for pure Python skipped")
    return report


def _describe_report(report: dict[str, Any], skipped_what: str) -> str:
    threads = report["threads"]
    head = f"{report['stage']} [{report['kernel']}, {threads} thread{'' if threads == 1 else 's'}]: "
    if report["passed"]:
        text = f"PASS ({report['pairs']} pairs in {report['cases']} cases against {report['reference']}"
        if report["skipped_pairs"]:
            text += f", {report['skipped_pairs']} {skipped_what}"
        return head + text + ")"
    if report["error"]:
        return head + f"FAILED: {report['error']}"
    return head + f"FAILED against {report['reference']}: {report['first_mismatch']}"


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
    itself against naive). The Python rungs are checked against scalar on the
    small pairs of the same corpus, a few seconds' worth."""
    name = _resolve_stage(stage)
    thread_count = _threads_argument(threads)
    seed = operator.index(seed)
    if name in baseline.RUNGS:
        if kernel not in (None, "", PYTHON_KERNEL):
            raise ValueError(f"stage '{name}' has no kernel '{kernel}' (it has: {PYTHON_KERNEL})")
        return _verify_python(name, seed, large, thread_count)
    return _core.verify(name, seed, bool(large), list(_real_sample()), thread_count, kernel or "")
