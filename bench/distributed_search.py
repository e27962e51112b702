#!/usr/bin/env python3
"""The search on a Dask cluster against the one-machine search: every query
of Debian's plast-example (71 proteins) against its whole Tursiops proteome,
keeping the k best hits of each with their alignments, by

  swladder.hits(..., threads=1)                                   one process, one thread
  swladder.hits(..., threads=2)                                   one process, two threads (the machine's own scaling)
  swladder.distributed.hits(..., client=1 worker x 1 thread)      a local cluster of one worker process
  swladder.distributed.hits(..., client=2 workers x 1 thread)     a local cluster of two

(clusters from swd.local_cluster, as `swladder search --dask-workers N`
starts them, with swd.CLUSTER_CONFIG; --dask-defaults: Dask's own settings),

the database searched in byte ranges of the gunzipped FASTA (--shards of
them; by default one per worker thread, as swladder.distributed.hits picks), in
alternating rounds (each cluster started for its turn, after one untimed
warm-up search, and closed after it, so that only one is alive), reporting each
one's median wall time and the ratios (the targets: 2 workers at least
1.8x faster than 1, and 1 worker within 10% of the one-machine search). The
distributed results are checked equal to the one-machine ones first. Not a
test: run it by hand (apt-get install plast-example; pip install '.[dask]').

Usage: bench/distributed_search.py [--rounds 3] [--k 10] [--shards N] [--dask-defaults] [--query FASTA] [--db FASTA]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import statistics
import tempfile
import time
from pathlib import Path

import swladder
from swladder import distributed as swd
from swladder.ladder.machine import machine_info

EXAMPLE = Path("/usr/share/doc/plast-example/db")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (0: only check the results agree)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--shards", type=int, default=None,
                        help="byte ranges of the database (default: swd.hits's own, one per worker thread)")
    parser.add_argument("--dask-defaults", action="store_true",
                        help="clusters with Dask's own settings, not swd.CLUSTER_CONFIG (what --dask-workers uses)")
    parser.add_argument("--query", type=Path, default=EXAMPLE / "query.fa.gz", help="queries (default: %(default)s)")
    parser.add_argument("--db", type=Path, default=EXAMPLE / "tursiops.fa.gz", help="database (default: %(default)s)")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "query.fa"
        database = Path(folder) / "tursiops.fa"
        # Byte ranges need an uncompressed file: gunzip both (plain files are copied as they are).
        for source, target in ((args.query, queries), (args.db, database)):
            data = source.read_bytes()
            target.write_bytes(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        query_records = swladder.read_fasta(queries)

        def one_machine(threads: int = 1) -> list:
            return swladder.hits(str(queries), str(database), k=args.k, threads=threads)

        def on_cluster(count: int, rounds: int) -> tuple[list, list[float]]:
            """A warm-up search, then `rounds` timed ones, on a fresh cluster of
            `count` one-thread workers that is the only one alive: an idle
            cluster's processes would take their share of the two cores."""
            make = LocalCluster if args.dask_defaults else swd.local_cluster
            with make(n_workers=count, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                def run() -> list:
                    return swd.hits(str(queries), str(database), client=client, k=args.k, shards=args.shards)

                results = run()
                timings = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    run()
                    timings.append(time.perf_counter() - started)
                return results, timings

        names = ["one machine, 1 thread", "one machine, 2 threads", "Dask, 1 worker x 1 thread",
                 "Dask, 2 workers x 1 thread"]
        reference = one_machine()  # warm-up, and the results must agree
        if [query.hits for query in one_machine(2)] != [query.hits for query in reference]:
            raise SystemExit(f"{names[1]}: results differ from one thread's")
        for count, name in ((1, names[2]), (2, names[3])):
            results, _ = on_cluster(count, 0)
            if [query.hits for query in results] != [query.hits for query in reference]:
                raise SystemExit(f"{name}: results differ from the one-machine search")
        times: dict[str, list[float]] = {name: [] for name in names}
        for round_number in range(args.rounds):
            for threads, name in ((1, names[0]), (2, names[1])):
                started = time.perf_counter()
                one_machine(threads)
                times[name].append(time.perf_counter() - started)
            for count, name in ((1, names[2]), (2, names[3])):
                times[name] += on_cluster(count, 1)[1]
            print(f"round {round_number + 1}: " + ", ".join(f"{name} {times[name][-1]:.2f} s" for name in names),
                  flush=True)

    if args.rounds < 1:
        print(f"the {len(names)} searches agree ({len(query_records)} queries, k={args.k}); --rounds 0: nothing timed")
        return 0
    medians = {name: statistics.median(values) for name, values in times.items()}
    ranges = f"{args.shards} byte ranges" if args.shards else "a byte range per worker"
    settings = "Dask's default settings" if args.dask_defaults else "swd.CLUSTER_CONFIG"
    print(f"\nCPU: {machine_info()['cpu']}; {len(query_records)} queries, k={args.k}, {ranges}, {settings}, "
          f"{args.rounds} rounds, medians:")
    for name, value in medians.items():
        print(f"  {name:32s} {value:8.2f} s")
    one, one_two_threads, dask1, dask2 = medians.values()
    # Ratios within a round too: neighbours in time share the machine's load.
    paired = statistics.median(a / b for a, b in zip(times[names[2]], times[names[3]]))
    print(f"2 workers vs 1: {dask1 / dask2:.2f}x faster (target >= 1.8x); median of the rounds' own ratios "
          f"{paired:.2f}x")
    print(f"the same search on one machine, 2 threads vs 1: {one / one_two_threads:.2f}x faster "
          "(what the two cores give without Dask)")
    print(f"1 worker vs one machine: {dask1 / one:.3f} of its time (target <= 1.10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
