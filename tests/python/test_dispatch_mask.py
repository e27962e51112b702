"""Kernel fallbacks under a CPU-feature mask.

SWLADDER_CPU_FEATURES (comma or space separated) makes dispatch see only the
listed features, intersected with the real CPU's, as on an older machine. It
is read once per process, so every case runs in a fresh interpreter: this
checks which kernels each stage then lists and runs, that the fallbacks give
the scalar stage's scores, and the errors for a kernel the masked CPU lacks.
Also here, from the sources: every feature word of the dispatch table is one
that kernels/dispatch.cpp can ask the CPU about.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "tursiops_sample.fa"
TABLE = REPO / "kernels" / "dispatch_table.def"
DISPATCH_CPP = REPO / "kernels" / "dispatch.cpp"

SSE41 = "sse4.1"
AVX2_MACHINE = "sse4.1,avx2,bmi2"
SKYLAKE_SP = "sse4.1,avx2,bmi2,avx512f,avx512bw,avx512vl"  # AVX-512BW, no VBMI
STRIPED_STAGES = ("striped", "openmp")

# What a child process reports: the kernels of each stage, cpu_features(),
# then per requested search the kernel that ran and the scores, or the error.
CHILD = textwrap.dedent(
    """
    import json, sys
    import swladder

    request = json.loads(sys.argv[1])
    records = swladder.read_fasta(request["fasta"])
    query = records[0][2]
    db = swladder.Database([(name, seq) for name, _, seq in records[1 : 1 + request["subjects"]]])
    out = {
        "kernels": {s["name"]: s["kernels"] for s in swladder.stage_info()},
        "cpu": swladder.cpu_features(),
        "searches": [],
    }
    for stage, kernel in request["searches"]:
        try:
            result = swladder.search_detailed(query, db, stage=stage, kernel=kernel)
            out["searches"].append({"kernel": result.kernel, "scores": [int(s) for s in result.scores]})
        except ValueError as error:
            out["searches"].append({"error": str(error)})
    print(json.dumps(out))
    """
)


def run_masked(mask: str | None, searches=(), kernel_env: str | None = None, subjects: int = 12) -> dict:
    """Runs CHILD with SWLADDER_CPU_FEATURES=mask (None: unset, the real CPU)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SWLADDER_CPU_FEATURES", "SWLADDER_KERNEL")}
    if mask is not None:
        env["SWLADDER_CPU_FEATURES"] = mask
    if kernel_env is not None:
        env["SWLADDER_KERNEL"] = kernel_env
    request = {"fasta": str(SAMPLE), "subjects": subjects, "searches": [list(s) for s in searches]}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(request)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"child failed (mask {mask!r}):\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@cache
def unmasked() -> dict:
    return run_masked(None, [("scalar", None)])


def real_features() -> set[str]:
    return set(unmasked()["cpu"].split())


def reference_scores() -> list[int]:
    return unmasked()["searches"][0]["scores"]


def table_levels() -> set[str]:
    """The SWL_ISA_LEVEL names of the dispatch table."""
    found = re.findall(r'^SWL_ISA_LEVEL\(\s*([a-z0-9_]+)\s*,', TABLE.read_text(), flags=re.MULTILINE)
    assert found, "no SWL_ISA_LEVEL lines"
    return set(found)


def level_of(kernel: str) -> str:
    """The level of a kernel name: interseq's variants are <level>/<columns>col/<form>."""
    return kernel.split("/")[0]


def has_avx512_kernel(kernels: dict[str, list[str]]) -> list[str]:
    return [f"{stage}:{k}" for stage, names in kernels.items() for k in names if k.startswith("avx512")]


# --- SSE4.1 only -------------------------------------------------------------------


def test_sse41_mask_falls_back_to_sse41_and_scalar():
    if SSE41 not in real_features():
        pytest.skip("this CPU lacks SSE4.1")
    out = run_masked(SSE41, [("striped", None), ("openmp", None), ("interseq", None)])
    for stage in STRIPED_STAGES:
        assert out["kernels"][stage] == ["sse41", "scalar"], stage
    assert out["kernels"]["interseq"] == ["scalar"]
    assert out["kernels"]["scalar"] == ["scalar"]
    assert out["cpu"] == "sse4.1"

    striped, openmp, interseq = out["searches"]
    assert striped["kernel"] == "sse41"
    assert openmp["kernel"] == "sse41"
    assert interseq["kernel"] == "scalar"
    expected = reference_scores()
    assert len(expected) == 12 and max(expected) > 0
    for result in out["searches"]:
        assert result["scores"] == expected


def test_space_separated_mask_reads_the_same():
    if SSE41 not in real_features():
        pytest.skip("this CPU lacks SSE4.1")
    out = run_masked(" sse4.1  , ")
    assert out["cpu"] == "sse4.1"
    assert out["kernels"]["striped"] == ["sse41", "scalar"]


def test_kernel_the_masked_cpu_lacks_is_refused():
    if "avx2" not in real_features():
        pytest.skip("this CPU lacks AVX2: avx2 is refused anyway")
    out = run_masked(SSE41, [("striped", "avx2"), ("interseq", "avx2"), ("striped", "sse41")])
    for refused in out["searches"][:2]:
        assert "error" in refused, refused
        message = refused["error"]
        assert "'avx2'" in message and "lacks" in message, message
        for feature in ("avx2", "bmi2"):  # the features the mask took away
            assert re.search(rf"needs [^,]*\b{feature}\b", message), message
        assert "CPU has: sse4.1)" in message, message
    assert out["searches"][2]["kernel"] == "sse41"
    assert out["searches"][2]["scores"] == reference_scores()


def test_swladder_kernel_the_masked_cpu_lacks_fails_the_default_search():
    if "avx2" not in real_features():
        pytest.skip("this CPU lacks AVX2")
    out = run_masked(SSE41, [("striped", None), ("striped", "sse41"), ("scalar", None)], kernel_env="avx2")
    default, explicit, scalar = out["searches"]
    assert "error" in default, default
    assert "SWLADDER_KERNEL" in default["error"] and "avx2" in default["error"], default["error"]
    assert explicit["kernel"] == "sse41"  # an explicit kernel overrides SWLADDER_KERNEL
    assert scalar["kernel"] == "scalar"  # a stage without avx2 ignores it


# --- An AVX2 machine -----------------------------------------------------------------


def test_avx2_mask_picks_avx2():
    if not {"sse4.1", "avx2", "bmi2"} <= real_features():
        pytest.skip("this CPU lacks AVX2/BMI2")
    out = run_masked(AVX2_MACHINE, [("striped", None), ("interseq", None)])
    for stage in (*STRIPED_STAGES, "interseq"):
        assert level_of(out["kernels"][stage][0]) == "avx2", stage
        assert out["kernels"][stage][-1] == "scalar", stage
    assert "sse41" in out["kernels"]["striped"]  # the fallbacks below avx2 stay listed
    assert out["cpu"] == "sse4.1 avx2 bmi2"
    assert not has_avx512_kernel(out["kernels"])
    assert [level_of(s["kernel"]) for s in out["searches"]] == ["avx2", "avx2"]
    for result in out["searches"]:
        assert result["scores"] == reference_scores()


# --- A Skylake-SP: AVX-512BW without VBMI -------------------------------------------------


def interseq_variants(level: str) -> list[str]:
    """The interseq variants the dispatch table offers at `level`, by name."""
    found = re.findall(
        rf"^SWL_VARIANT\(\s*interseq\s*,\s*{level}\s*,\s*([0-9]+)\s*,\s*([a-z_]+)\s*\)",
        TABLE.read_text(),
        flags=re.MULTILINE,
    )
    return [f"{level}/{columns}col/{form.replace('_', '/')}" for columns, form in found]


def test_skylake_mask_splits_the_families():
    """On an AVX-512 CPU this runs interseq's AVX-512BW variants (no VBMI), each one."""
    bw_variants = interseq_variants("avx512bw")
    assert bw_variants, "the table offers interseq no avx512bw variant"
    searches = [("striped", None), ("interseq", None)] + [("interseq", name) for name in bw_variants]
    out = run_masked(SKYLAKE_SP, searches)
    real = real_features()
    masked = set(SKYLAKE_SP.split(","))
    assert set(out["cpu"].split()) == real & masked  # the mask never adds a feature
    if masked <= real:
        assert out["kernels"]["striped"][0] == "avx512bw"
        assert out["kernels"]["interseq"][: len(bw_variants)] == bw_variants  # VBMI masked off
        assert not [k for k in out["kernels"]["interseq"] if level_of(k) == "avx512vbmi"]
        # An unforced search runs the built-in default (the tests run with
        # SWLADDER_TUNE=off) among the kernels the masked CPU offers.
        from swladder import _tune

        default = _tune.builtin_default("interseq", out["kernels"]["interseq"])
        assert level_of(default) == "avx512bw"
        assert [s.get("kernel") for s in out["searches"]] == ["avx512bw", default, *bw_variants]
    else:
        assert not has_avx512_kernel(out["kernels"]), "a mask listed AVX-512 that the CPU lacks"
        if {"sse4.1", "avx2", "bmi2"} <= real:
            assert out["kernels"]["striped"][0] == "avx2"
            assert level_of(out["kernels"]["interseq"][0]) == "avx2"
        out["searches"] = out["searches"][:2]
        for refused in run_masked(SKYLAKE_SP, [("interseq", name) for name in bw_variants])["searches"]:
            assert "lacks" in refused.get("error", ""), refused
    for result in out["searches"]:
        assert result["scores"] == reference_scores()


def test_avx512_alias_under_masks():
    out = run_masked(AVX2_MACHINE, [("striped", "avx512"), ("interseq", "avx512")])
    for refused in out["searches"]:
        assert "error" in refused and "avx512" in refused["error"] and "lacks" in refused["error"], refused


# --- No features at all ------------------------------------------------------------------


def test_empty_mask_leaves_only_scalar():
    out = run_masked("", [("striped", None), ("openmp", None), ("interseq", None)])
    assert out["cpu"] == ""
    levels = table_levels()
    for stage, kernels in out["kernels"].items():  # ("eigen" and "python" are no table levels)
        assert not set(kernels) & levels, (stage, kernels)
    for stage in (*STRIPED_STAGES, "interseq"):
        assert out["kernels"][stage] == ["scalar"]
    assert [s["kernel"] for s in out["searches"]] == ["scalar"] * 3
    for result in out["searches"]:
        assert result["scores"] == reference_scores()


# --- The table against dispatch.cpp ------------------------------------------------------


def test_every_table_feature_is_one_dispatch_can_check():
    words: set[str] = set()
    for line in TABLE.read_text().splitlines():
        if match := re.match(r'^SWL_ISA_LEVEL\(\s*[a-z0-9_]+\s*,\s*"([^"]*)"\s*\)', line.strip()):
            words |= set(match.group(1).replace(",", " ").split())
    assert words, "no SWL_ISA_LEVEL lines"
    source = DISPATCH_CPP.read_text()
    checked = set(re.findall(r'if \(feature == "([^"]+)"\) return __builtin_cpu_supports\("([^"]+)"\);', source))
    for word in sorted(words):
        assert f'__builtin_cpu_supports("{word}")' in source, f"dispatch.cpp never asks the CPU for {word!r}"
        assert (word, word) in checked, f"cpu_has_feature does not map {word!r} to __builtin_cpu_supports({word!r})"
