#!/usr/bin/env python3
"""Can a busy machine fool the tuner? Times every kernel of every stage with a
choice on a real workload on the machine as it is (the reference: q4 of
Debian's plast-example against its whole Tursiops proteome, medians of
alternating rounds on every usable CPU, as bench/tuner_choice.py), then
starts a busy loop pinned to one CPU (by default the last usable one) and
runs the tuner N times in a row, each in a fresh process, and prints each
tuning's choice per stage with the reference time of that kernel against the
fastest.

Target: every choice within 5% of the fastest, with the busy loop running.
The reference is only as quiet as the machine: run it with nothing else
running, or pass --reference from such a run. Not a test: run it by hand.

--record FILE also writes the reference and every tuning's search times, in
the order the tuner ran them (its timing per search, whatever clock the
installed tuner reads), for tests/python/data/tuner_busy_series.json.

Usage: bench/tuner_busy.py [--tunings 10] [--busy-cpu N] [--rounds 5] [--reference FILE] [--record FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXAMPLE = Path("/usr/share/doc/plast-example/db")


def tune_once(extra_rounds: int) -> None:
    """One tuning, in this process: prints its choices and every search time
    it measured, per stage and kernel in the order they ran, as JSON. Then
    `extra_rounds` more alternating rounds of the tune set, timed the same
    way under the same load, for a replay by a tuner that times more."""
    from swladder import _tune

    runs: dict[str, dict[str, list[float]]] = {}
    timed_search = _tune._search

    def recorded(stage: str, query: str, database: Any, threads: int, kernel: str):
        result = timed_search(stage, query, database, threads, kernel)
        runs.setdefault(stage, {}).setdefault(kernel, []).append(result[2])
        return result

    _tune._search = recorded
    started = time.perf_counter()
    tuning = _tune.measure()
    seconds = time.perf_counter() - started
    if extra_rounds:
        query, database = _tune.tune_set(_tune.TUNE_CELLS)
        for stage, kernels in tuning.key["kernels"].items():
            for round_number in range(extra_rounds):
                for i in range(len(kernels)):
                    recorded(stage, query, database, tuning.threads, kernels[(round_number + i) % len(kernels)])
    print(json.dumps({"choices": tuning.choices, "defaults": tuning.defaults, "kernels": tuning.key["kernels"],
                      "threads": tuning.threads, "rounds": tuning.rounds, "runs": runs,
                      "seconds": seconds}))


def reference_times(args: argparse.Namespace) -> dict[str, Any]:
    import swladder
    from swladder import _tune
    from tuner_choice import alternating_times  # beside this script

    _, _, query = swladder.read_fasta(args.query)[args.query_index]
    db = swladder.Database(args.db)
    times: dict[str, dict[str, float]] = {}
    for stage, kernels in _tune.stage_kernels().items():
        for kernel in kernels:  # warm up
            swladder.search_detailed(query, db, stage=stage, kernel=kernel, threads=args.threads)
        samples = alternating_times(query, db, stage, kernels, args.rounds, args.threads)
        times[stage] = {kernel: statistics.median(values) for kernel, values in samples.items()}
    return {"workload": f"{Path(args.query).name}[{args.query_index}] x {Path(args.db).name}, "
                        f"{args.rounds} alternating rounds, medians, threads={args.threads or 'all'}",
            "cpu": _tune.cpu_identity().model_name, "times": times}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tunings", type=int, default=10)
    parser.add_argument("--busy-cpu", type=int, default=None, help="default: the last usable CPU")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the reference timing")
    parser.add_argument("--threads", type=int, default=None, help="reference threads (default: every usable CPU)")
    parser.add_argument("--query", default=str(EXAMPLE / "query.fa.gz"))
    parser.add_argument("--query-index", type=int, default=3, help="which record of --query (default: q4)")
    parser.add_argument("--db", default=str(EXAMPLE / "tursiops.fa.gz"))
    parser.add_argument("--reference", help="reference times from an earlier --record file instead of timing them")
    parser.add_argument("--record", help="write the reference and every tuning's search times here (JSON)")
    parser.add_argument("--extra-rounds", type=int, default=8, help="with --record: rounds timed after each tuning")
    parser.add_argument("--tune-once", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tune_once is not None:
        tune_once(args.tune_once)
        return 0

    os.environ.pop("SWLADDER_KERNEL", None)
    if args.reference:
        reference = json.loads(Path(args.reference).read_text())["reference"]
    else:
        reference = reference_times(args)
    usable = sorted(os.sched_getaffinity(0))
    busy_cpu = usable[-1] if args.busy_cpu is None else args.busy_cpu
    print(f"cpu: {reference['cpu']}; usable CPUs {usable}; busy loop on CPU {busy_cpu}")
    print(f"reference: {reference['workload']}")
    busy = subprocess.Popen([sys.executable, "-c",
                             f"import os\nos.sched_setaffinity(0, {{{busy_cpu}}})\nwhile True:\n    pass\n"])
    tunings = []
    try:
        time.sleep(0.5)
        env = {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="swladder-tuner-busy-")}
        command = [sys.executable, __file__, "--tune-once", str(args.extra_rounds if args.record else 0)]
        for _ in range(args.tunings):
            out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
            tunings.append(json.loads(out.splitlines()[-1]))
    finally:
        busy.kill()
        busy.wait()

    worst: dict[str, float] = {}
    missed = 0
    for number, tuning in enumerate(tunings, 1):
        cells = []
        failed = False
        for stage, chosen in tuning["choices"].items():
            times = reference["times"][stage]
            ratio = times[chosen] / min(times.values())
            worst[stage] = max(worst.get(stage, 0.0), ratio)
            failed |= ratio > 1.05
            cells.append(f"{stage} {chosen} x{ratio:.3f}{'' if ratio <= 1.05 else ' MISSED'}")
        missed += failed
        print(f"tuning {number:2} ({tuning['seconds']:.1f} s, {tuning['threads']} thread(s)): " + "; ".join(cells))
    print(f"{args.tunings} tunings with CPU {busy_cpu} busy: {args.tunings - missed} chose within 5% of the "
          "fastest in every stage; worst choice per stage: "
          + ", ".join(f"{stage} x{ratio:.3f}" for stage, ratio in worst.items()))
    if args.record:
        Path(args.record).write_text(json.dumps({"reference": reference, "busy_cpu": busy_cpu,
                                                 "tunings": tunings}, indent=1) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
