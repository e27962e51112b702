"""The rungs: the Python ones (the baseline program) and the compiled stages
of the C++ registry that this CPU supports, in ladder order."""

from __future__ import annotations

import copy
import functools
from typing import Any

from . import _core
from ._baseline import baseline

PYTHON_KERNEL = "python"


@functools.lru_cache(maxsize=1)
def _compiled() -> tuple[dict[str, Any], ...]:
    """The registry as _core.stages() gives it. The registry and the CPU do
    not change while the process runs, so it is asked once."""
    return tuple(_core.stages())


def _python_rungs() -> list[dict[str, Any]]:
    # Not cached: baseline.RUNGS is a plain dict that may be changed (the tests
    # swap a rung), and building three small dicts costs nothing.
    return [
        {
            "name": name,
            "summary": summary,
            "kind": "python",
            "kernels": [PYTHON_KERNEL],
            "threaded": function is baseline.python_multiprocessing,
        }
        for name, (function, summary) in baseline.RUNGS.items()
    ]


@functools.lru_cache(maxsize=1)
def _compiled_rungs() -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            "name": stage["name"],
            "summary": stage["summary"],
            "kind": "compiled",
            "kernels": list(stage["kernels"]),
            "threaded": bool(stage["threaded"]),
        }
        for stage in _compiled()
        if stage["supported"]
    )


def stage_info() -> list[dict[str, Any]]:
    """Every rung that runs here, in ladder order: the Python rungs, then the
    compiled stages of the C++ registry that this CPU supports. Each is a dict
    with name, summary, kind ("python" or "compiled"), kernels (those this CPU
    runs, best first) and threaded (whether ``threads`` changes anything;
    python_multiprocessing reads it as its number of processes)."""
    # Copies: the caller may change what it gets without touching the cache.
    return _python_rungs() + copy.deepcopy(list(_compiled_rungs()))


def stages() -> list[str]:
    """Names of the rungs that run here, in ladder order."""
    return [*baseline.RUNGS, *(rung["name"] for rung in _compiled_rungs())]


@functools.lru_cache(maxsize=1)
def _fastest_compiled() -> str:
    return _compiled_rungs()[-1]["name"]


def resolve_stage(stage: str) -> str:
    """The rung a ``stage`` argument names. "auto" is the last compiled stage
    of the ladder this CPU supports: the ladder is ordered slowest to fastest,
    and every stage is checked against the reference by the test suite and by
    ``swladder verify`` before it is trusted, so the last one is the fastest
    verified rung."""
    if not isinstance(stage, str):
        raise TypeError(f"stage must be a str, not {type(stage).__name__}")
    if stage == "auto":
        return _fastest_compiled()
    if stage in baseline.RUNGS:
        return stage
    for entry in _compiled():
        if entry["name"] == stage:
            if not entry["supported"]:
                raise ValueError(
                    f"stage '{stage}' has no kernel this CPU can run (CPU has: {_core.cpu_features() or 'none'})"
                )
            return stage
    known = ", ".join([*baseline.RUNGS, *(entry["name"] for entry in _compiled())])
    raise ValueError(f"unknown stage '{stage}' (stages: {known})")
