#!/usr/bin/env python3
"""End-to-end search speed beside the peers: every query of Debian's
plast-example (71 proteins) against its whole Tursiops proteome, keeping the
10 best hits of each with their alignments, by

  swladder search -k 10 (its search and alignment times split, from --timings)
  ssearch36 -T T -s BL62 -f -11 -g -1 -m 8 -b 10 -d 10
  blastp -comp_based_stats 0 -seg no -use_sw_tback -num_threads T -max_target_seqs 10

in alternating rounds, reporting each one's median wall time. blastp 2.12's
default threading (the database split between threads) has died of SIGSEGV
on this search on two machines; when it does, blastp runs from then on with
-mt_mode 1 (the queries split between threads, new in 2.12, the same hits),
and the report says so. Not a test:
run it by hand (apt-get install plast-example fasta3 ncbi-blast+).

Usage: bench/search_vs_peers.py [--rounds 3] [--threads 2] [--swladder PATH]
"""

from __future__ import annotations

import argparse
import gzip
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path("/usr/share/doc/plast-example/db")


def gunzip(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.decompress(source.read_bytes()))
    return target


def timed(command: list[str]) -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, done.stderr, done.returncode


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        match = re.search(r"Model name:\s*(.+)", out)
        return match.group(1).strip() if match else platform.processor()
    except OSError:
        return platform.processor()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    # The swladder of this interpreter's environment (a venv's bin), else PATH's.
    beside = Path(sys.executable).parent / "swladder"
    parser.add_argument("--swladder", default=str(beside) if beside.is_file() else shutil.which("swladder"),
                        help="the swladder command to time (default: %(default)s)")
    args = parser.parse_args()
    if args.swladder is None or shutil.which(args.swladder) is None:
        sys.exit(f"swladder command not found ({args.swladder or 'not on PATH'}): pip install . or give --swladder")
    for tool in ("ssearch36", "blastp", "makeblastdb"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (apt-get install fasta3 ncbi-blast+)")
    if not (EXAMPLE / "query.fa.gz").exists():
        sys.exit(f"{EXAMPLE} not found (apt-get install plast-example)")
    threads = str(args.threads)
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        queries = gunzip(EXAMPLE / "query.fa.gz", work_dir / "query.fa")
        database = gunzip(EXAMPLE / "tursiops.fa.gz", work_dir / "tursiops.fa")
        subprocess.run(["makeblastdb", "-in", str(database), "-dbtype", "prot", "-out", str(work_dir / "tursiops")],
                       check=True, capture_output=True)
        commands = {
            "swladder": [args.swladder, "search", str(queries), str(database), "-k", "10", "-num_threads", threads,
                         "--timings", "-out", str(work_dir / "swladder.tsv")],
            "ssearch36": ["ssearch36", "-q", "-T", threads, "-s", "BL62", "-f", "-11", "-g", "-1", "-m", "8", "-b",
                          "10", "-d", "10", str(queries), str(database)],
            "blastp": ["blastp", "-query", str(queries), "-db", str(work_dir / "tursiops"), "-comp_based_stats", "0",
                       "-seg", "no", "-use_sw_tback", "-num_threads", threads, "-max_target_seqs", "10",
                       "-outfmt", "6", "-out", str(work_dir / "blastp.tsv")],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        failed: dict[str, str] = {}
        changed: dict[str, str] = {}
        search_times, align_times = [], []
        for round_number in range(args.rounds):
            for name, command in commands.items():
                if name in failed:
                    continue
                elapsed, stderr, returncode = timed(command)
                if name == "blastp" and returncode < 0 and args.threads > 1 and "-mt_mode" not in command:
                    changed[name] = f"-mt_mode 1: its default threading died of signal {-returncode}"
                    print(f"round {round_number + 1}: blastp died of signal {-returncode}; "
                          "from now on with -mt_mode 1 (threads by query)", file=sys.stderr, flush=True)
                    command += ["-mt_mode", "1"]
                    elapsed, stderr, returncode = timed(command)
                if returncode != 0:
                    if name == "swladder":
                        sys.exit(f"failed ({returncode}): {' '.join(command)}\n{stderr}")
                    # A peer that crashes (blastp 2.12 has been seen to die of SIGSEGV
                    # here once in a while) is reported and left out, not the run.
                    failed[name] = f"exit status {returncode}: {stderr.strip()[-300:]}"
                    print(f"round {round_number + 1}: {name} failed ({failed[name]}); left out from now on",
                          file=sys.stderr, flush=True)
                    continue
                times[name].append(elapsed)
                if name == "swladder":
                    match = re.search(r"timings: search ([\d.]+) s, align ([\d.]+) s", stderr)
                    if match:
                        search_times.append(float(match.group(1)))
                        align_times.append(float(match.group(2)))
                print(f"round {round_number + 1}: {name} {elapsed:.2f} s", file=sys.stderr, flush=True)
    median = {name: statistics.median(values) for name, values in times.items() if values}
    print(f"CPU: {cpu_model()}; threads: {threads}; rounds: {args.rounds} (medians of alternating runs)")
    print("71 plast-example queries x Tursiops proteome, 10 hits each with alignments")
    for name, value in median.items():
        ratio = f"({median['ssearch36'] / value:5.2f}x ssearch36)" if "ssearch36" in median else ""
        runs = f", {len(times[name])} of {args.rounds} rounds" if name in failed else ""
        how = f"  [{changed[name]}]" if name in changed else ""
        print(f"  {name:<10} {value:8.2f} s   {ratio}{runs}{how}")
    for name, why in failed.items():
        print(f"  {name:<10} failed: {why}")
    if search_times:
        search, align = statistics.median(search_times), statistics.median(align_times)
        print(f"  swladder split: search {search:.2f} s, align {align:.3f} s "
              f"({100 * align / median['swladder']:.1f}% of its total), rest (start-up, reading, output) "
              f"{median['swladder'] - search - align:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
