"""Shared helpers for the Python tests: the source-tree baseline module, the
bundled data, and a generator of small random cases that reach every corner
of the alphabet and of the scoring (lowercase, B/Z/X/*, U/O/J and their stand-in rule,
free gap opening or extension, the largest penalties)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Searches that name no kernel would tune this machine and cache the result in
# the user's cache folder: the suite runs with tuning off (the built-in
# defaults) and, should a test turn it on, a cache folder of its own. Set
# before swladder is imported; subprocesses inherit both. test_tune.py turns
# tuning on with a temporary XDG_CACHE_HOME per test.
os.environ["SWLADDER_TUNE"] = "off"
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="swladder-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

import swladder  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
BASELINE_SOURCE = REPO / "baseline" / "smith_waterman.py"


def require(condition: bool, why: str) -> None:
    """Skip when a prerequisite (a reference program, a package, a build) is
    missing, except under CI=true: fail there, as the set-up script installs
    every one."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: a missing prerequisite fails)")
    pytest.skip(why)


def build_dir() -> Path:
    """The CMake build folder the tests read compiled objects from (SWL_BUILD_DIR overrides)."""
    return Path(os.environ.get("SWL_BUILD_DIR") or REPO / "build")


# The published tables: core/matrices/ (kernels/matrices/ before the core/ folder).
MATRICES = next((path for path in (REPO / "core" / "matrices", REPO / "kernels" / "matrices") if path.is_dir()),
                REPO / "core" / "matrices")


def _load_source_baseline():
    # The file itself, as the script runs it, next to swladder.baseline (the
    # installed copy): both must behave the same.
    spec = importlib.util.spec_from_file_location("smith_waterman", BASELINE_SOURCE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["smith_waterman"] = module  # multiprocessing pickles its workers by module name
    spec.loader.exec_module(module)
    return module


sw = _load_source_baseline()

# Residue letters of every kind: the 24, lowercase, and U, O, J (scored by stand-ins).
LETTERS = "ARNDCQEGHILKMFPSTWYVBZX*" + "arndcqeghilkmfpstwyvbzx" + "UOJuoj"
PROTEIN = "ARNDCQEGHILKMFPSTWYV"


@dataclass
class Case:
    query: str
    subjects: list[str]
    matrix: str
    gap_open: int
    gap_extend: int

    @property
    def options(self) -> dict:
        return {"matrix": self.matrix, "gap_open": self.gap_open, "gap_extend": self.gap_extend}


def random_penalties(rng: random.Random) -> tuple[int, int]:
    return rng.choice(
        [(0, 1), (rng.randint(1, 20), 0), (255, 255), (11, 1), (rng.randint(0, 16), rng.randint(1, 4)), (1, 0)]
    )


def mutate(rng: random.Random, source: str, substitution: float = 0.2, indel: float = 0.05) -> str:
    out = []
    for residue in source:
        u = rng.random()
        if u < indel / 2:
            continue
        if u < indel:
            out.append("".join(rng.choice(PROTEIN) for _ in range(rng.randint(1, 5))))
        out.append(rng.choice(PROTEIN) if rng.random() < substitution else residue)
    return "".join(out)


def random_cases(seed: int, count: int, max_length: int = 60, subjects: int = 6) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        query = "".join(rng.choice(LETTERS) for _ in range(rng.randint(0, max_length)))
        subject_list = []
        for _ in range(subjects):
            if query and rng.random() < 0.4:
                subject_list.append(mutate(rng, query))
            else:
                subject_list.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(0, max_length))))
        gap_open, gap_extend = random_penalties(rng)
        cases.append(Case(query, subject_list, rng.choice(swladder.builtin_matrices()), gap_open, gap_extend))
    return cases


@pytest.fixture(scope="session")
def baseline_source():
    return sw


@pytest.fixture(scope="session")
def sample_records():
    return sw.read_fasta(DATA / "tursiops_sample.fa")


@pytest.fixture(scope="session")
def query_records():
    return sw.read_fasta(DATA / "queries.fa")


def compiled_stages() -> list[dict]:
    return [rung for rung in swladder.stage_info() if rung["kind"] == "compiled"]


def every_stage_and_kernel() -> list[tuple[str, str]]:
    return [(rung["name"], kernel) for rung in swladder.stage_info() for kernel in rung["kernels"]]


def run_swladder(*args, cwd=None, stdout=subprocess.PIPE, timeout=300) -> subprocess.CompletedProcess:
    """The command line in a child process, its output as text."""
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, cwd=cwd)


def assert_one_error_line(done: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2 with one line on stderr, "swladder: error: ...", holding each of ``words``."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("swladder: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def standard_letter_records(subjects: int = 600, queries: int = 3):
    """The bundled sample's first ``subjects`` sequences of the 20 standard
    letters only (blastp scores X its own way), and the first ``queries``
    queries without X: (name, description, sequence) lists."""
    records = [r for r in swladder.read_fasta(DATA / "tursiops_sample.fa")
               if set(r[2]) <= set("ACDEFGHIKLMNPQRSTVWY")][:subjects]
    chosen = [r for r in swladder.read_fasta(DATA / "queries.fa") if "X" not in r[2]][:queries]
    return records, chosen


def write_blast_search(folder: Path, makeblastdb: str, records, queries) -> tuple[Path, Path]:
    """``records`` as folder/db.fa and the BLAST database folder/db made of
    it, ``queries`` as folder/q.fa: (queries path, FASTA database path)."""
    database = folder / "db.fa"
    database.write_text("".join(f">{n}{' ' + d if d else ''}\n{s}\n" for n, d, s in records))
    subprocess.run([makeblastdb, "-in", str(database), "-dbtype", "prot", "-out", str(folder / "db")], check=True,
                   capture_output=True, timeout=300)
    query_path = folder / "q.fa"
    query_path.write_text("".join(f">{n}{' ' + d if d else ''}\n{s}\n" for n, d, s in queries))
    return query_path, database

