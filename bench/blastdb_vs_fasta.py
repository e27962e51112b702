#!/usr/bin/env python3
"""The same search on a FASTA file and on the BLAST database makeblastdb
makes of it: Debian's plast-example queries (q4, its fourth protein, and all
71) against its whole Tursiops proteome, as whole `swladder search`
commands (start-up, reading, search, alignments, output), alternating FASTA
and BLAST database in each round so that both see the same load. The two
outputs must be the same bytes (checked before anything is timed); then
each one's median wall time over the rounds, its spread (min and max), and
the ratio BLAST database / FASTA (the target: at most 1.05).

The database is made without -parse_seqids, so that every column of the
default tabular output is the same; --parse-seqids makes it with them (the
subject IDs are then the bare local IDs, the same text for these names).

Not a test: run it by hand (apt-get install plast-example ncbi-blast+):

    bench/blastdb_vs_fasta.py --rounds 5
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import swladder
from swladder.ladder.machine import machine_info

EXAMPLE = Path("/usr/share/doc/plast-example/db")


def cpu_identity() -> str:
    """Family, model and stepping: under a hypervisor the model name alone
    ("AMD EPYC") can stand for several generations."""
    fields = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
        if not line.strip():
            break
    return f"family {fields.get('cpu family', '?')}, model {fields.get('model', '?')}, stepping {fields.get('stepping', '?')}"


def timed(command: list[str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each search (default: %(default)s)")
    parser.add_argument("--k", type=int, default=500, help="-max_target_seqs (default: blastp's %(default)s)")
    parser.add_argument("--threads", type=int, default=None, help="-num_threads (default: every core)")
    parser.add_argument("--parse-seqids", action="store_true", help="make the database with -parse_seqids")
    parser.add_argument("--query", type=Path, default=EXAMPLE / "query.fa.gz", help="queries (default: %(default)s)")
    parser.add_argument("--db", type=Path, default=EXAMPLE / "tursiops.fa.gz", help="database (default: %(default)s)")
    args = parser.parse_args()
    makeblastdb = shutil.which("makeblastdb")
    if makeblastdb is None:
        raise SystemExit("makeblastdb is not installed (apt-get install ncbi-blast+)")

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        fasta = work / "tursiops.fa"
        data = args.db.read_bytes()
        fasta.write_bytes(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        base = work / "tursiops_db"
        made = subprocess.run([makeblastdb, "-in", str(fasta), "-dbtype", "prot", "-out", str(base),
                               *(["-parse_seqids"] if args.parse_seqids else [])], capture_output=True, text=True)
        if made.returncode != 0:
            raise SystemExit(f"makeblastdb failed:\n{made.stdout}{made.stderr}")
        records = swladder.read_fasta(args.query)
        all_queries = work / "queries.fa"
        all_queries.write_text("".join(f">{n}{' ' + d if d else ''}\n{s}\n" for n, d, s in records))
        q4 = work / "q4.fa"
        name, description, sequence = records[3]
        q4.write_text(f">{name}{' ' + description if description else ''}\n{sequence}\n")

        options = ["-max_target_seqs", str(args.k), *(["-num_threads", str(args.threads)] if args.threads else [])]
        searches = {"q4": q4, f"{len(records)} queries": all_queries}
        results = {}
        for label, queries in searches.items():
            commands = {kind: [sys.executable, "-m", "swladder", "search", str(queries), str(database), *options]
                        for kind, database in (("FASTA", fasta), ("BLAST database", base))}
            outputs = {kind: timed(command)[1] for kind, command in commands.items()}  # also a warm-up
            if outputs["FASTA"] != outputs["BLAST database"]:
                raise SystemExit(f"{label}: the BLAST database's hits differ from the FASTA file's")
            hits = outputs["FASTA"].count(b"\n")
            times: dict[str, list[float]] = {kind: [] for kind in commands}
            for round_number in range(args.rounds):
                # Alternate which goes first, so that neither always follows the other.
                order = list(commands) if round_number % 2 == 0 else list(reversed(commands))
                for kind in order:
                    times[kind].append(timed(commands[kind])[0])
                print(f"{label}, round {round_number + 1}: " +
                      ", ".join(f"{kind} {times[kind][-1]:.2f} s" for kind in commands), file=sys.stderr, flush=True)
            results[label] = (hits, times)

    info = machine_info()
    threads = args.threads or os.cpu_count()
    print(f"CPU: {info['cpu']} ({cpu_identity()}; {info['cores']} cores), {threads} threads; {args.rounds} rounds, k={args.k}, "
          f"database {'with' if args.parse_seqids else 'without'} -parse_seqids")
    print(f"{'search':14s} {'hits':>6s}  {'FASTA median (min-max)':>24s}  {'BLAST db median (min-max)':>26s}  ratio")
    for label, (hits, times) in results.items():
        medians = {kind: statistics.median(values) for kind, values in times.items()}
        spread = {kind: f"{medians[kind]:.2f} s ({min(values):.2f}-{max(values):.2f})" for kind, values in times.items()}
        ratio = medians["BLAST database"] / medians["FASTA"]
        print(f"{label:14s} {hits:6d}  {spread['FASTA']:>24s}  {spread['BLAST database']:>26s}  {ratio:.3f} "
              f"({'within' if ratio <= 1.05 else 'over'} the 1.05 target)")
    print("the outputs of the two are the same bytes for every search")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
