"""swladder.verify: the C++ harness for compiled stages (every kernel), a
Python check for the Python rungs; and a report that names a mismatch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import swladder
from conftest import every_stage_and_kernel

REPORT_KEYS = {"stage", "reference", "kernel", "threads", "passed", "cases", "pairs", "skipped_pairs", "cells",
               "first_mismatch", "error", "description"}


@pytest.mark.parametrize("stage, kernel", every_stage_and_kernel())
def test_every_rung_and_kernel_passes(stage, kernel):
    report = swladder.verify(stage, kernel=None if kernel == "python" else kernel, threads=2)
    assert set(report) == REPORT_KEYS
    assert report["passed"], report["description"]
    assert report["kernel"] == kernel
    assert report["first_mismatch"] is None and report["error"] is None
    assert report["pairs"] > 100 and report["cases"] > 10
    assert report["reference"] == ("naive" if stage == "scalar" else "scalar")
    assert ": PASS (" in report["description"]


def test_compiled_verification_includes_the_real_sample():
    sample = list(swladder._verify.real_sample())
    assert len(sample) == 297  # every 7th of the 2,075 bundled records, as the C++ tests take them
    seed = swladder.DEFAULT_SEED
    with_sample = len(swladder._core.corpus(seed, False, sample))
    assert with_sample > len(swladder._core.corpus(seed, False, []))
    assert swladder.verify("scalar")["cases"] == with_sample


def test_python_verification_names_a_mismatch(monkeypatch):
    def off_by_one(query, subjects, matrix, gap_open=11, gap_extend=1):
        scores = swladder.baseline.python_naive(query, subjects, matrix, gap_open, gap_extend)
        return [score + (len(query) == 64 and k == 3) for k, score in enumerate(scores)]

    monkeypatch.setitem(swladder.baseline.RUNGS, "python_naive", (off_by_one, "wrong once"))
    report = swladder.verify("python_naive")
    assert not report["passed"]
    assert report["first_mismatch"].startswith("case 'random residues, query length 64 against every grid length'"
                                               ", subject #3: expected ")
    assert "FAILED against scalar" in report["description"]


def test_seed_changes_the_corpus():
    first = swladder._core.corpus(1, False, [])
    second = swladder._core.corpus(2, False, [])
    assert [c["query"] for c in first] != [c["query"] for c in second]
    assert swladder.verify("python_tuned", seed=2)["passed"]


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_a_seed_out_of_range_is_a_value_error_and_exit_2(seed):
    # Once a pybind TypeError whose message held the whole real sample.
    for stage in ("scalar", "python_tuned"):
        with pytest.raises(ValueError, match=rf"seed must be between 0 and 2\*\*64 - 1, got {seed}"):
            swladder.verify(stage, seed=seed)
    done = subprocess.run([sys.executable, "-m", "swladder", "verify", "--stage", "scalar", "--seed", str(seed)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"swladder: error: seed must be between 0 and 2**64 - 1, got {seed}"]


def test_verify_under_a_swladder_kernel_typo_is_bad_input(monkeypatch):
    # Not a failed verification: the harness never ran.
    monkeypatch.setenv("SWLADDER_KERNEL", "avx2/4col/mx")
    for stage in ("interseq", "python_tuned"):
        with pytest.raises(ValueError, match="SWLADDER_KERNEL: no stage has a kernel 'avx2/4col/mx'"):
            swladder.verify(stage)
    with pytest.raises(TypeError, match="seed must be an integer, not float"):
        swladder.verify("naive", seed=1.5)
    monkeypatch.delenv("SWLADDER_KERNEL")
    assert swladder.verify("naive", seed=2**64 - 1)["passed"]  # the largest seed
