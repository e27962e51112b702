"""Instructions per cell of a compiled stage, counted by valgrind's callgrind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import Sequence

from .. import _core


def count_instructions(stage: str, kernel: str) -> float | None:
    """Instructions per cell of one compiled stage on a small fixed input,
    counted by valgrind's callgrind inside swl::Stage::search only. Deterministic on
    any x86-64 machine, unlike seconds. valgrind cannot execute AVX-512, so
    SIMD stages are counted with their avx2 kernel."""
    if shutil.which("valgrind") is None:
        return None
    code = (
        "import sys, swladder\n"
        "from swladder.ladder.instructions import instruction_input\n"
        "q, subjects = instruction_input()\n"
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


def kernel_for_counting(candidate_kernels: Sequence[str]) -> str:
    for preferred in ("avx2", "sse41", "eigen", "scalar"):
        if preferred in candidate_kernels:
            return preferred
    return ""
