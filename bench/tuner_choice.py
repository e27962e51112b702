#!/usr/bin/env python3
"""Is the tuner's choice the fastest kernel on real work? Runs swladder.tune()
(its short tune search), then times every kernel of every stage with a
choice on a real workload (by default q4 of Debian's plast-example against
its whole Tursiops proteome; --db/--query for others) in alternating rounds
(A B C, B C A, ...), after checking each kernel's scores against the first's,
and prints per stage: each kernel's median seconds (--fastest: its fastest
round's, steadier where other jobs share the machine) and GCUPS, its ratio
to the fastest, and which one the tuner chose and which is the built-in
default (the choice without tuning).

Targets: the choice within 5% of the fastest in the same run, and
never slower than the default. Not a test: run it by hand.

Usage: bench/tuner_choice.py [--rounds 7] [--fastest] [--threads N] [--query F] [--db F] [--query-index 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path("/usr/share/doc/plast-example/db")


def alternating_times(query: str, db, stage: str, kernels: list[str], rounds: int,
                      threads: int | None) -> dict[str, list[float]]:
    """Wall seconds of each kernel's searches over `rounds` alternating
    rounds (A B C, B C A, ...), so that a change in the machine's load falls
    on all of them alike."""
    import swladder  # imported by the caller, once its environment is set

    samples: dict[str, list[float]] = {kernel: [] for kernel in kernels}
    for round_number in range(rounds):
        for i in range(len(kernels)):
            kernel = kernels[(round_number + i) % len(kernels)]
            started = time.perf_counter()
            swladder.search_detailed(query, db, stage=stage, kernel=kernel, threads=threads)
            samples[kernel].append(time.perf_counter() - started)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="default: every usable CPU (as searches)")
    parser.add_argument("--query", default=str(EXAMPLE / "query.fa.gz"))
    parser.add_argument("--query-index", type=int, default=3, help="which record of --query (default: q4)")
    parser.add_argument("--db", default=str(EXAMPLE / "tursiops.fa.gz"))
    parser.add_argument("--fastest", action="store_true", help="each kernel's fastest round instead of the median")
    args = parser.parse_args()

    # A cache of our own: the tune below must not read or replace the user's.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="swladder-tuner-bench-")
    os.environ.pop("SWLADDER_KERNEL", None)
    import swladder
    from swladder import _tune

    started = time.perf_counter()
    tuning = swladder.tune()
    tune_seconds = time.perf_counter() - started
    _, _, query = swladder.read_fasta(args.query)[args.query_index]
    db = swladder.Database(args.db)
    cells = len(query) * db.total_residues
    print(f"cpu: {tuning.key['cpu_model']}; {tuning.key['features']}; {swladder.usable_cpus()} usable CPUs")
    print(f"tune: {tune_seconds:.2f} s, choices {tuning.choices}")
    print(f"workload: {len(query)} residues x {len(db)} sequences ({cells / 1e9:.2f} G cells), "
          f"{args.rounds} alternating rounds, {'fastest rounds' if args.fastest else 'medians'}")
    failed = False
    for stage, kernels in tuning.key["kernels"].items():
        reference = None
        for kernel in kernels:  # verify (and warm up), then time
            scores = swladder.search_detailed(query, db, stage=stage, kernel=kernel, threads=args.threads).scores
            if reference is None:
                reference = scores
            elif not (scores == reference).all():
                sys.exit(f"{stage} {kernel}: scores differ from {kernels[0]}")
        samples = alternating_times(query, db, stage, kernels, args.rounds, args.threads)
        statistic = min if args.fastest else statistics.median
        figures = {kernel: statistic(times) for kernel, times in samples.items()}
        fastest = min(figures.values())
        chosen, default = tuning.choices[stage], tuning.defaults[stage]
        for kernel in kernels:
            marks = " ".join(m for m, on in (("chosen", kernel == chosen), ("default", kernel == default)) if on)
            tune_gcups = tuning.gcups(stage, kernel)
            print(f"  {stage:9} {kernel:24} {figures[kernel]:8.4f} s  {cells / figures[kernel] / 1e9:7.2f} GCUPS  "
                  f"x{figures[kernel] / fastest:.3f}  (tune set {tune_gcups or 0:.2f} GCUPS)  {marks}")
        within = figures[chosen] <= fastest * 1.05
        not_slower = figures[chosen] <= figures[default] * 1.02  # within this run's noise of the default
        print(f"  {stage}: chosen {chosen}: x{figures[chosen] / fastest:.3f} of the fastest "
              f"({'ok' if within else 'MISSED'}), x{figures[chosen] / figures[default]:.3f} of the default "
              f"({'ok' if not_slower else 'SLOWER'})")
        failed |= not (within and not_slower)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
