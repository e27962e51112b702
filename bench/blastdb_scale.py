#!/usr/bin/env python3
"""One query against a synthetic BLAST database of some gigabytes of
residues (makeblastdb of bench/big_database.py's FASTA): how long from the
start of the process to the first kernel call, and how much private memory
(RssAnon) the search holds, against its targets (under 1 s; at most 1.5
times the chunk's residues plus 100 MB). The database's pages are mapped
from its files: they count in RssFile, which the page cache can drop, not
in RssAnon.

    bench/blastdb_scale.py --workdir /tmp/blastscale --gigabytes 2
    rm -r /tmp/blastscale

The FASTA file and the database are made once in --workdir and reused by
the next run (the FASTA is deleted once the database is made, unless
--keep-fasta). Not committed data: use a temporary place. Making a 2 GB
database takes makeblastdb some minutes; the search, a few more.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the package's imports, which count in the start-up

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import swladder  # noqa: E402
from swladder import _core, _hits  # noqa: E402
from swladder.ladder.machine import machine_info  # noqa: E402

HERE = Path(__file__).resolve().parent
QUERIES = HERE.parent / "data" / "queries.fa"


def memory() -> dict[str, int]:
    """RssAnon and RssFile of this process, in bytes."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            found[key] = int(value.split()[0]) * 1024
    return found


class PeakMemory:
    """The largest RssAnon (and RssFile) seen, sampled every 20 ms by a
    thread, and at the calls the search makes."""

    def __init__(self) -> None:
        self.peak = {"RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        for key, value in memory().items():
            self.peak[key] = max(self.peak[key], value)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def cpu_identity() -> str:
    fields: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return (f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model "
            f"{fields.get('model', '?')}, stepping {fields.get('stepping', '?')})")


def make_database(workdir: Path, gigabytes: float, keep_fasta: bool) -> Path:
    base = workdir / "synthetic"
    if any(workdir.glob("synthetic*.pin")):
        print(f"reusing the database {base}", file=sys.stderr)
        return base
    makeblastdb = shutil.which("makeblastdb")
    if makeblastdb is None:
        raise SystemExit("makeblastdb is not installed (apt-get install ncbi-blast+)")
    workdir.mkdir(parents=True, exist_ok=True)
    fasta = workdir / "synthetic.fa"
    if not fasta.exists():
        print(f"writing {gigabytes:g} GB of FASTA to {fasta}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(HERE / "big_database.py"), str(fasta), "--gigabytes", str(gigabytes)],
                       check=True)
    print(f"makeblastdb -in {fasta} -out {base}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run([makeblastdb, "-in", str(fasta), "-dbtype", "prot", "-out", str(base)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"makeblastdb failed:\n{done.stdout}{done.stderr}")
    print(f"made in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if not keep_fasta:
        fasta.unlink()
    return base


def measure(args: argparse.Namespace, base: Path) -> dict:
    """The search, timed from this process's start (its imports included)."""
    asked = time.perf_counter()
    name, _, sequence = swladder.read_fasta(QUERIES)[args.query - 1]
    database = _core.BlastDatabase(str(base))
    first_call: list[float] = []
    calls = 0
    real_search = _hits.search_detailed
    with PeakMemory() as peak:
        def search_detailed(*positional, **keywords):  # the kernels' entry: note when it is first called
            nonlocal calls
            if not first_call:
                first_call.append(time.perf_counter())
            calls += 1
            peak.sample()
            result = real_search(*positional, **keywords)
            peak.sample()
            return result

        _hits.search_detailed = search_detailed
        try:
            results = swladder.hits([(name, sequence)], str(base), k=10, threads=args.threads, chunk=args.chunk)
        finally:
            _hits.search_detailed = real_search
    ended = time.perf_counter()
    return {
        "cpu": cpu_identity(), "cores": os.cpu_count(), "threads": args.threads or os.cpu_count(),
        "database_residues": database.total_residues, "database_sequences": len(database),
        "volumes": len(database.volumes), "chunk_residues": args.chunk, "chunks": calls,
        "query": name, "query_length": len(sequence), "best_hit": results[0][0].sseqid if len(results[0]) else None,
        "imports_seconds": asked - STARTED,
        "first_kernel_call_seconds": first_call[0] - STARTED,
        "total_seconds": ended - STARTED,
        "peak_rss_anon_bytes": peak.peak["RssAnon"], "peak_rss_file_bytes": peak.peak["RssFile"],
        "rss_anon_bound_bytes": int(1.5 * args.chunk + 100e6), "swladder": swladder.__version__,
        "machine": machine_info(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="where the FASTA and the database are made")
    parser.add_argument("--gigabytes", type=float, default=2.0, help="residues of the database, in GB (default 2)")
    parser.add_argument("--keep-fasta", action="store_true", help="keep the FASTA file the database is made of")
    parser.add_argument("--chunk", type=int, default=_hits.DEFAULT_CHUNK_RESIDUES,
                        help="residues a chunk (default: the search's own, %(default)s)")
    parser.add_argument("--query", type=int, default=4, help="which protein of data/queries.fa (1-based; default 4)")
    parser.add_argument("--threads", type=int, default=None, help="search threads (default: every core)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args, args.measure)))
        return 0
    base = make_database(args.workdir, args.gigabytes, args.keep_fasta)
    # The search runs in a process of its own, started now: its start-up is what a user waits for.
    child = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--measure", str(base)], capture_output=True,
                           text=True)
    if child.returncode != 0:
        raise SystemExit(f"the search failed:\n{child.stderr}")
    figures = json.loads(child.stdout)
    bound = figures["rss_anon_bound_bytes"]
    first = figures["first_kernel_call_seconds"]
    peak_anon = figures["peak_rss_anon_bytes"]
    print(f"CPU: {figures['cpu']}, {figures['cores']} cores, {figures['threads']} threads")
    print(f"database: {figures['database_residues'] / 1e9:.2f} G residues in {figures['database_sequences']:,} "
          f"sequences, {figures['volumes']} volumes; chunk {args.chunk / 1e6:g} M residues "
          f"({figures['chunks']} chunks)")
    print(f"query {figures['query']} ({figures['query_length']} residues); best hit {figures['best_hit']}")
    print(f"process start to the first kernel call: {first:.3f} s, of which imports {figures['imports_seconds']:.3f} s "
          f"({'PASS' if first < 1.0 else 'FAIL'}: target < 1 s)")
    print(f"whole process: {figures['total_seconds']:.1f} s")
    print(f"peak RssAnon {peak_anon / 1e6:.0f} MB, bound 1.5 x chunk + 100 MB = {bound / 1e6:.0f} MB "
          f"({'PASS' if peak_anon <= bound else 'FAIL'}); peak RssFile (mapped database pages) "
          f"{figures['peak_rss_file_bytes'] / 1e6:.0f} MB")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
