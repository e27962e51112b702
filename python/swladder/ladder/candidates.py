"""Rungs and peers as one kind of thing: a Candidate the ladder can verify and time."""

from __future__ import annotations

import dataclasses
from typing import Callable

from .._fasta import Database
from .._search import search_detailed
from .._stages import stage_info


@dataclasses.dataclass
class Outcome:
    scores: list[int]
    kernel: str
    threads: int
    reported_seconds: float | None = None  # a peer's own search time, where it reports one


@dataclasses.dataclass
class Candidate:
    """Something the ladder can verify and time: a rung or a peer."""

    name: str
    kind: str  # "rung" or "peer"
    summary: str
    threaded: bool
    # search(query, database, subjects, threads) -> Outcome
    search: Callable[[str, Database, list[tuple[str, str]], int], Outcome] | None
    missing: str = ""  # for peers that are not installed
    timing_note: str = ""
    # A peer that runs as a process takes every query in one call, so that
    # start-up is paid once per pass; such a peer always covers the whole database.
    search_all: Callable[[list[str], list[tuple[str, str]], int], tuple[list[Outcome], float]] | None = None
    compiled: bool = False  # a compiled stage of the registry


def rung_candidates() -> list[Candidate]:
    candidates = []
    for info in stage_info():

        def search(query, db, _subjects, threads, _name=info["name"]):
            result = search_detailed(query, db, stage=_name, threads=threads)
            return Outcome(result.scores.tolist(), result.kernel, result.threads)

        candidates.append(Candidate(info["name"], "rung", info["summary"], info["threaded"], search,
                                    compiled=info["kind"] == "compiled"))
    return candidates
