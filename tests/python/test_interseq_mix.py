"""The instruction mix that bench/ceiling.cpp weighs (instruction_mix in
kernels/interseq_kernel.hpp) against the compiled inner loop of every
interseq variant the dispatch table offers.

Each variant's int8 search is found in its level's kernel object by its
template arguments (Shape<columns, MaxForm, short, true>, the instantiation
for a gap extension of 1), and its innermost loop
that does saturating arithmetic (the sweep over the query rows) is counted
with objdump (bench/interseq_loops.py): per pass of that loop, one query row
of `columns` cell vectors.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys

import pytest
from conftest import REPO, build_dir, require

sys.path.insert(0, str(REPO / "bench"))

from interseq_loops import form_of, kernel_object, row_loop, search_of, table_mix, variants  # noqa: E402

CASES = variants()


def test_table_offers_variants_to_check():
    assert CASES, "kernels/dispatch_table.def: no SWL_VARIANT(interseq, ...) lines"


@pytest.mark.parametrize(("level", "columns", "form"), CASES, ids=[f"{l}-{c}col-{f}" for l, c, f in CASES])
def test_row_loop_has_the_tabled_mix(level, columns, form):
    require(platform.machine().lower() in ("x86_64", "amd64"), "kernel objects are built on x86-64 only")
    require(shutil.which("objdump") is not None, "needs objdump (binutils)")
    build = build_dir()
    require(kernel_object(build, level).is_file(), f"no kernel object in {build} (build with cmake --build {build})")
    loop = row_loop(search_of(build, level, columns, form))
    mnemonics = [m for _, m, _ in loop]
    expected = table_mix(form_of(form))
    adds = sum(m in ("vpaddsb", "vpsubsb") for m in mnemonics)
    maxes = sum(m == "vpmaxsb" for m in mnemonics)
    # The compiler writes the compare as vpcmpgtb or vpcmpnleb (the same
    # instruction, an immediate predicate), the masked move as vmovdqu8
    # {k} or vpblendmb, and the masked subtraction as vpsubb {k}.
    compares = sum(m in ("vpcmpgtb", "vpcmpnleb", "vpcmpltb") for m in mnemonics)
    masked_moves = sum((m == "vmovdqu8" and "{%k" in operands) or m == "vpblendmb" for _, m, operands in loop)
    masked_subtractions = sum(m == "vpsubb" and "{%k" in operands for _, m, operands in loop)
    where = f"{level}/{columns}col/{form}, loop of {len(loop)} instructions"
    assert adds == expected["adds"] * columns, where
    assert maxes == expected["maxes"] * columns, where
    assert compares == (expected["spread_pairs"] + expected["masked_pairs"]) * columns, where
    assert masked_moves == expected["spread_pairs"] * columns, where
    assert masked_subtractions == expected["masked_pairs"] * columns, where


def test_ceiling_is_measured_beside_each_variant():
    """swl_bench sets each interseq variant's GCUPS beside a ceiling measured on
    its own mix; a kernel cannot issue its mix faster than the mix alone, so
    the ratio stays below 1 (with room for a drifting machine). The old
    ceiling, all ALU operations at the fastest class's rate, was 19 GCUPS on
    a Zen 3 where avx2/4col/max/short ran at 32 (a ratio of 1.7)."""
    import json
    import subprocess

    build = build_dir()
    bench = build / "bench" / "swl_bench"
    require(bench.is_file(), f"no {bench} (build with cmake --build {build})")
    env = dict(os.environ, SWL_BENCH_SYNTHETIC="2000", SWL_BENCH_LENGTH="300")
    run = subprocess.run(
        [str(bench), "--benchmark_filter=^interseq/.*threads:1", "--benchmark_min_time=0.05",
         "--benchmark_format=json"],
        env=env, capture_output=True, text=True, timeout=600, check=True,
    )
    cases = [b for b in json.loads(run.stdout)["benchmarks"] if "col/" in b.get("label", "")]
    assert cases, run.stderr
    assert not [c["name"] for c in cases if c.get("error_occurred")]
    for case in cases:
        assert case["ceiling"] > 0, case["name"]
        assert 0.05 < case["of_ceiling"] < 1.3, (case["name"], case["of_ceiling"])
