"""The one harness: _core.verify_function checks a Python scorer against the
reference stage, and _core.verify takes given cases; reports and their text
come from C++."""

from __future__ import annotations

import swladder
from swladder import _core

REPORT_KEYS = {"stage", "reference", "kernel", "threads", "passed", "cases", "pairs", "skipped_pairs", "cells",
               "first_mismatch", "error", "description"}

CASES = [
    {"label": "small", "query": "HEAGAWGHEE", "subjects": ["PAWHEAE", "", "HEAGAWGHEE"], "matrix": "BLOSUM50",
     "gap_open": 8, "gap_extend": 2},
    {"label": "second", "query": "MKTAYIAKQRQISFVKSHFSRQ", "subjects": ["MKTAYIAKQR", "W" * 40],
     "matrix": "BLOSUM62", "gap_open": 11, "gap_extend": 1},
]


def scalar(query, subjects, matrix, gap_open, gap_extend):
    return swladder.search(query, subjects, stage="scalar", matrix=matrix, gap_open=gap_open, gap_extend=gap_extend)


def test_a_correct_function_passes_on_given_cases():
    report = _core.verify_function("mine", scalar, 1, False, [], cases=CASES)
    assert set(report) == REPORT_KEYS
    assert report["passed"] and report["cases"] == 2 and report["pairs"] == 5 and report["skipped_pairs"] == 0
    assert report["kernel"] == "python" and report["threads"] == 1 and report["reference"] == "scalar"
    assert report["cells"] == 10 * (7 + 0 + 10) + 22 * (10 + 40)
    assert report["description"] == "mine [python, 1 thread]: PASS (5 pairs in 2 cases against scalar)"


def test_a_wrong_score_is_named_by_case_and_subject():
    def off(query, subjects, *scoring):
        scores = list(scalar(query, subjects, *scoring))
        if query.startswith("MK"):
            scores[1] += 1
        return scores

    report = _core.verify_function("off", off, 1, False, [], cases=CASES)
    assert not report["passed"] and report["error"] is None
    assert report["first_mismatch"].startswith("case 'second', subject #1: expected ")
    assert report["description"].startswith("off [python, 1 thread]: FAILED against scalar: case 'second'")


def test_an_exception_and_a_wrong_length_are_errors():
    def boom(*_):
        raise RuntimeError("on purpose")

    report = _core.verify_function("boom", boom, 1, False, [], cases=CASES)
    assert not report["passed"] and report["error"] == "case 'small': RuntimeError: on purpose"
    assert report["description"] == "boom [python, 1 thread]: FAILED: case 'small': RuntimeError: on purpose"
    report = _core.verify_function("short", lambda *_: [0], 1, False, [], cases=CASES)
    assert report["error"] == "case 'small': returned 1 scores for 3 subjects"


def test_large_pairs_are_skipped_and_counted():
    report = _core.verify_function("mine", scalar, 1, False, [], cases=CASES, max_pair_cells=100)
    assert report["passed"]
    # 10x10 and 22x10 ... only pairs up to 100 cells: PAWHEAE (70), "" (0), HEAGAWGHEE (100).
    assert report["pairs"] == 3 and report["skipped_pairs"] == 2 and report["cases"] == 1


def test_without_cases_the_corpus_is_used():
    seen = []

    def recording(query, subjects, *scoring):
        seen.append(query)
        return scalar(query, subjects, *scoring)

    report = _core.verify_function("corpus", recording, 5, False, [], max_pair_cells=2000)
    assert report["passed"]
    assert seen == [c["query"] for c in _core.corpus(5, False, [])
                    if any(len(c["query"]) * len(s) <= 2000 for s in c["subjects"]) or not c["subjects"]]


def test_verify_takes_cases():
    report = _core.verify("scalar", 1, False, [], 1, "", cases=CASES)
    assert report["passed"] and report["cases"] == 2 and report["pairs"] == 5
    assert report["reference"] == "naive"


def test_python_rungs_go_through_the_harness():
    report = swladder.verify("python_tuned")
    assert report["passed"] and report["reference"] == "scalar" and report["kernel"] == "python"
    assert report["description"].startswith("python_tuned [python, 1 thread]: PASS (")
