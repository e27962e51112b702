"""Every candidate is checked against the scalar reference by the one C++
harness: on a shared sample before it is timed (and, for compiled rungs, on the
harness's whole corpus), then on the very queries and subjects it was timed on.
What fails is reported with the harness's own description of the mismatch."""

from __future__ import annotations

from typing import Any, Sequence

from .. import _core
from .._fasta import Database
from .._verify import DEFAULT_SEED, verify
from .candidates import Candidate
from .inputs import Inputs

# The shared verification sample: the first query and the first subjects,
# each cut to this many residues, so that python_naive checks it in well under
# a second.
SAMPLE_SUBJECTS = 12
SAMPLE_RESIDUES = 160

# The ladder's scoring: what every peer is set up for.
MATRIX, GAP_OPEN, GAP_EXTEND = "BLOSUM62", 11, 1


def _case(label: str, query: str, subjects: Sequence[str]) -> dict[str, Any]:
    return {"label": label, "query": query, "subjects": list(subjects), "matrix": MATRIX, "gap_open": GAP_OPEN,
            "gap_extend": GAP_EXTEND}


def _failure(report: dict[str, Any]) -> str:
    """'' for a report that passed; else the harness's account of the failure."""
    if report["passed"]:
        return ""
    return report["first_mismatch"] or report["error"] or report["description"]


def verify_candidate(candidate: Candidate, inputs: Inputs, threads: int, harness: bool) -> str:
    """'' when the candidate passed; otherwise its first mismatch."""
    query = inputs.queries[0][1][:SAMPLE_RESIDUES]
    subjects = [(name, sequence[:SAMPLE_RESIDUES]) for name, sequence in inputs.subjects[:SAMPLE_SUBJECTS]]
    sample = [_case("shared sample", query, [sequence for _, sequence in subjects])]
    search = candidate.search
    assert search is not None

    def score(query: str, _subjects: list[str], _matrix: str, _gap_open: int, _gap_extend: int) -> list[int]:
        return search(query, Database(subjects), subjects, threads).scores

    report = _core.verify_function(candidate.name, score, DEFAULT_SEED, False, [], cases=sample)
    mismatch = _failure(report)
    if mismatch:
        return mismatch
    if harness and candidate.compiled:
        mismatch = _failure(verify(candidate.name))
        if mismatch:
            return "harness: " + mismatch
    return ""


def verify_timed(candidate: Candidate, inputs: Inputs, n_subjects: int, scores: list[list[int]]) -> str:
    """'' when the scores of a timed pass (one list per query, against the
    first n_subjects) are the reference's; otherwise the first mismatch. The
    harness keeps the reference scores of each input, so repeats and other
    candidates on the same input cost only the comparison."""
    subjects = [sequence for _, sequence in inputs.subjects[:n_subjects]]
    cases = [_case(f"timed run, query {name}", query, subjects) for name, query in inputs.queries]
    answers = iter(scores)

    def timed_scores(*_case_arguments: Any) -> list[int]:
        return next(answers, [])

    return _failure(_core.verify_function(candidate.name, timed_scores, DEFAULT_SEED, False, [], cases=cases))
