"""Every rung, reached through the package, gives the scores of the
pure-Python program; and the package's promises about kernels, threads,
databases and results hold."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import swladder
from conftest import DATA, MATRICES, compiled_stages, every_stage_and_kernel, random_cases, sw


@pytest.fixture(scope="module")
def random_expectations():
    """Small random cases with the scores of python_naive, which python_tuned
    must reproduce before anything is compared with them."""
    cases = random_cases(seed=2026, count=30)
    expected = []
    for case in cases:
        matrix = sw.load_matrix(case.matrix)
        args = (case.query, case.subjects, matrix, case.gap_open, case.gap_extend)
        naive = sw.python_naive(*args)
        assert sw.python_tuned(*args) == naive, case
        expected.append(naive)
    return cases, expected


@pytest.mark.parametrize("stage", swladder.stages())
def test_every_rung_matches_the_python_program(stage, random_expectations):
    cases, expected = random_expectations
    for case, scores in zip(cases, expected):
        result = swladder.search(case.query, case.subjects, stage=stage, threads=2, **case.options)
        assert result.tolist() == scores, (stage, case)


def test_auto_is_the_last_compiled_stage_and_matches(random_expectations):
    assert swladder._stages.resolve_stage("auto") == compiled_stages()[-1]["name"]
    cases, expected = random_expectations
    for case, scores in zip(cases[:10], expected[:10]):
        assert swladder.search(case.query, case.subjects, **case.options).tolist() == scores


def test_gap_of_length_k_costs_open_plus_k_extend():
    for stage in swladder.stages():
        assert swladder.score("W" * 20, "W" * 10 + "PPP" + "W" * 10, stage=stage) == 20 * 11 - (11 + 3 * 1)


def test_real_queries_against_the_sample(query_records, sample_records):
    subjects = sample_records[1:16]
    db = swladder.Database([(r.name, r.sequence) for r in subjects])
    matrix = sw.load_matrix("BLOSUM62")
    for query in query_records[:1]:
        expected = sw.python_tuned(query.sequence, [r.sequence for r in subjects], matrix)
        for stage in swladder.stages():
            if stage == "python_naive":
                continue  # python_tuned stands for it here: 100x slower, same scores above
            assert swladder.search(query.sequence, db, stage=stage).tolist() == expected, stage


# --- Results --------------------------------------------------------------------


@pytest.mark.parametrize("stage", swladder.stages())
def test_results_are_int32_arrays_in_database_order(stage):
    db = swladder.Database([("b", "WWWW"), ("a", "MKV"), ("c", "")])
    scores = swladder.search("WWWWMKV", db, stage=stage)
    assert isinstance(scores, np.ndarray) and scores.dtype == np.int32 and scores.shape == (3,)
    assert scores.tolist() == [44, 5 + 5 + 4, 0]
    detailed = swladder.search_detailed("WWWWMKV", db, stage=stage)
    assert detailed.stage == stage and detailed.scores.tolist() == scores.tolist()
    assert detailed.rescored >= 0 and detailed.threads >= 1


@pytest.mark.parametrize("stage", swladder.stages())
def test_empty_query_subject_and_database(stage):
    assert swladder.search("", ["ACD", ""], stage=stage).tolist() == [0, 0]
    assert swladder.search("ACD", ["", "ACD"], stage=stage).tolist() == [0, 4 + 9 + 6]
    empty = swladder.search("ACD", [], stage=stage)
    assert empty.dtype == np.int32 and empty.shape == (0,)
    assert swladder.score("", "", stage=stage) == 0


LARGE_STAGES = [name for name in swladder.stages() if name != "python_naive"]  # 9M cells in full matrices: minutes


@pytest.mark.parametrize("stage", LARGE_STAGES)
def test_scores_past_16_bits_stay_exact(stage):
    poly_w = "W" * 3000
    if stage.startswith("python_"):  # 9 million cells a pair: one pair is enough
        assert swladder.score(poly_w, poly_w, stage=stage) == 33000
        return
    scores = swladder.search(poly_w, [poly_w, "W" * 2990, "A" * 3000], stage=stage)
    assert scores.tolist() == [33000, 2990 * 11, 0]


def test_python_naive_scores_past_8_bits():
    assert swladder.score("W" * 300, "W" * 300, stage="python_naive") == 3300


# --- Kernels and threads ------------------------------------------------------------


@pytest.mark.parametrize("stage, kernel", every_stage_and_kernel())
def test_the_requested_kernel_is_the_one_that_runs(stage, kernel):
    query = "MKVLAWTTRYCQ" * 5
    subjects = [query[3:40], "W" * 70, "ACDEFGHIKLMNPQRSTVWY" * 4]
    result = swladder.search_detailed(query, subjects, stage=stage, kernel=kernel)
    assert result.kernel == kernel
    assert result.scores.tolist() == swladder.search(query, subjects, stage="scalar").tolist()


@pytest.mark.parametrize("stage, kernel", [(s, k) for s, k in every_stage_and_kernel() if k != "python"])
def test_swladder_kernel_environment_variable_is_honoured(stage, kernel, monkeypatch):
    # The C++ side reads the variable at each call.
    monkeypatch.setenv("SWLADDER_KERNEL", kernel)
    assert swladder.search_detailed("MKVLAWTTRY" * 4, ["MKVLAW" * 9], stage=stage).kernel == kernel


def test_an_explicit_kernel_wins_over_the_environment(monkeypatch):
    stage = compiled_stages()[-1]
    monkeypatch.setenv("SWLADDER_KERNEL", stage["kernels"][0])
    last = stage["kernels"][-1]
    assert swladder.search_detailed("MKVLAW", ["MKVLAW"], stage=stage["name"], kernel=last).kernel == last


def test_python_rungs_report_the_python_kernel_and_processes():
    assert swladder.search_detailed("MKV", ["MKV"], stage="python_tuned").threads == 1
    result = swladder.search_detailed("MKV", ["MKV", "WW"], stage="python_multiprocessing", threads=2)
    assert (result.kernel, result.threads) == ("python", min(2, swladder.usable_cpus()))  # capped to the CPUs


def test_concurrent_searches_from_python_threads(sample_records, query_records):
    """The GIL is released while a compiled stage runs: searches from several
    threads at once must each get exactly their own scores."""
    threaded = [rung for rung in compiled_stages() if rung["threaded"]]
    stage = (threaded or compiled_stages())[-1]["name"]
    db = swladder.Database([(r.name, r.sequence) for r in sample_records[:300]])
    queries = [r.sequence for r in query_records]
    expected = [swladder.search(q, db, stage=stage, threads=1) for q in queries]
    started = threading.Barrier(4)

    def run(index: int) -> np.ndarray:
        started.wait()
        return swladder.search(queries[index % len(queries)], db, stage=stage, threads=2)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(12)))
    for index, scores in enumerate(results):
        np.testing.assert_array_equal(scores, expected[index % len(queries)])


def test_threads_argument():
    for stage in swladder.stage_info():
        if stage["kind"] == "compiled":
            result = swladder.search_detailed("MKV", ["MKV"], stage=stage["name"], threads=2)
            # A threaded stage may use fewer threads than asked for on one subject, never more.
            assert 1 <= result.threads <= 2 if stage["threaded"] else result.threads == 1
    for bad in (0, -1):
        with pytest.raises(ValueError, match=r"threads must be at least 1 \(or None for every core\), got"):
            swladder.search("MKV", ["MKV"], threads=bad)


# --- Stages -----------------------------------------------------------------------


def test_stages_are_the_python_rungs_then_the_registry_in_order():
    registry = [stage["name"] for stage in swladder._core.stages() if stage["supported"]]
    assert swladder.stages() == ["python_naive", "python_tuned", "python_multiprocessing", *registry]
    assert registry[:2] == ["naive", "scalar"]


def test_stage_info_describes_every_rung():
    info = swladder.stage_info()
    assert [rung["name"] for rung in info] == swladder.stages()
    for rung in info:
        assert set(rung) == {"name", "summary", "kind", "kernels", "threaded"}
        assert rung["kind"] in ("python", "compiled") and rung["summary"] and rung["kernels"]
        assert isinstance(rung["threaded"], bool)


# --- Databases ----------------------------------------------------------------------


def test_database_from_fasta_path_pathlike_and_gzip(tmp_path):
    text = ">x one\nMKVw\n>y\n\n>z\nUOJ*\n"
    (tmp_path / "db.fa").write_text(text)
    with gzip.open(tmp_path / "db.fa.gz", "wt") as stream:
        stream.write(text)
    for source in (str(tmp_path / "db.fa"), tmp_path / "db.fa", tmp_path / "db.fa.gz"):
        db = swladder.Database(source)
        assert len(db) == 3 and db.names == ["x", "y", "z"]
        assert db.lengths.dtype == np.int64 and db.lengths.tolist() == [4, 0, 4]
        assert db.total_residues == 8 and db.max_length == 4
        assert db.sequences() == ["MKVW", "", "UOJ*"] and db.sequence(-1) == "UOJ*"
    assert swladder.Database.from_fasta(tmp_path / "db.fa").names == ["x", "y", "z"]


def test_database_from_sequences_and_pairs():
    assert swladder.Database(["MKV", "W"]).names == ["seq1", "seq2"]
    db = swladder.Database([("first", "MKV"), ("second", "W")])
    assert db.names == ["first", "second"]
    assert swladder.Database(db) is not db and swladder.Database(db).names == db.names
    assert len(swladder.Database([])) == 0
    with pytest.raises(TypeError):
        swladder.Database([("a", "MKV"), 3])


def test_a_database_is_reused_across_searches(sample_records):
    db = swladder.Database(DATA / "tursiops_sample.fa")
    assert len(db) == len(sample_records) == 2075
    assert db.total_residues == 1_184_438
    first = swladder.search("MKVLAW", db, stage="scalar")
    second = swladder.search("WWYHKP", db, stage="scalar")
    assert swladder.search("MKVLAW", db, stage="scalar").tolist() == first.tolist()
    assert first.shape == second.shape == (2075,)


def test_matrix_returns_the_alphabet_and_table():
    letters, table = swladder.matrix("blosum62")
    assert letters == "ARNDCQEGHILKMFPSTWYVBZX*UOJ" == swladder.ALPHABET
    assert table.shape == (27, 27) and np.issubdtype(table.dtype, np.integer)
    assert table[letters.index("W"), letters.index("W")] == 11
    assert (table == table.T).all()
    path_letters, path_table = swladder.matrix(MATRICES / "PAM250.txt")
    np.testing.assert_array_equal(path_table, swladder.matrix("PAM250")[1])


def test_score_is_an_int():
    value = swladder.score("HEAGAWGHEE", "PAWHEAE", stage="scalar", matrix="BLOSUM50", gap_open=8, gap_extend=2)
    assert type(value) is int
    assert value == sw.python_naive("HEAGAWGHEE", ["PAWHEAE"], sw.load_matrix("BLOSUM50"), 8, 2)[0]


def test_a_swladder_kernel_no_stage_has_is_an_error(monkeypatch):
    # Once silently ignored: every stage ran its default under a typo.
    monkeypatch.setenv("SWLADDER_KERNEL", "avx2/4col/mx")
    for stage in [s["name"] for s in compiled_stages()]:
        with pytest.raises(ValueError,
                           match=r"SWLADDER_KERNEL: no stage has a kernel 'avx2/4col/mx' \(kernels this CPU runs: "):
            swladder.search("MKVLAW", ["MKVLAW"], stage=stage)
    with pytest.raises(ValueError, match="SWLADDER_KERNEL: no stage has a kernel 'avx2/4col/mx'"):
        swladder.align("MKVLAW", "MKVLAW")
    with pytest.raises(ValueError, match="SWLADDER_KERNEL: no stage has a kernel 'avx2/4col/mx'"):
        swladder.search("MKVLAW", ["MKVLAW"], stage="python_tuned")
    monkeypatch.setenv("SWLADDER_KERNEL", "python")  # the Python rungs' kernel: the compiled ones run their default
    assert swladder.search_detailed("MKVLAW", ["MKVLAW"], stage="python_tuned").kernel == "python"
    assert swladder.search_detailed("MKVLAW", ["MKVLAW"], stage="scalar").kernel == "scalar"
    env = dict(os.environ, SWLADDER_KERNEL="bogus")
    done = subprocess.run([sys.executable, "-m", "swladder", "search", "-", str(DATA / "tursiops_sample.fa")],
                          input=">q\nMKVLAW\n", env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("swladder: error: SWLADDER_KERNEL: no stage has a kernel 'bogus'")


def test_a_path_given_as_the_query_is_an_error():
    database = ["MKTAYIAKQRQISFVKSHFSRQ"]
    for query in ("data/queries.fa", "queries.fa"):
        with pytest.raises(ValueError, match=f"query '{query}' looks like a file path: search\\(\\) takes one sequence"):
            swladder.search(query, database)
    # Small letters are residues in search(), as read_fasta() gives them.
    assert swladder.search("mktayiakqrqisfvkshfsrq", database).tolist() == swladder.search(database[0], database).tolist()


def test_a_sequence_given_as_the_database_says_to_use_a_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"'MKTAYIAK': No such file .*a list: Database\(\['MKTAYIAK'\]\)"):
        swladder.Database("MKTAYIAK")
    with pytest.raises(FileNotFoundError, match=r"'MKTAYIAK': No such file .*a list"):
        swladder.search("MKTAYIAK", "MKTAYIAK")
