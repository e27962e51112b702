#!/usr/bin/env python3
"""One query against a synthetic BLAST database of at least some gigabytes
of residues (makeblastdb of bench/big_database.py's FASTA): how long from the
start of the search's process to the first kernel call, and how much private
memory (RssAnon) the search holds, against their targets (under 1 s; at most
1.5 times the chunk's residues plus 100 MB). The database's pages are mapped
from its files: they count in RssFile, which the page cache can drop, not in
RssAnon.

    .venv/bin/python bench/blastdb_scale.py --workdir /tmp/blastscale --gigabytes 2
    rm -r /tmp/blastscale

The search runs to its end in a process of its own, whose start is the
kernel's clock's zero: the process's start time in /proc/self/stat (the
exec, so the interpreter's start-up and every import count; 10 ms ticks).
The first kernel call is the first call of swladder._hits.search_detailed,
wrapped here, which also samples RssAnon before and after each call; a
thread samples it every 20 ms besides. Before the search the database's
pages are dropped from the page cache (--warm keeps them), so that the start
reads them from disk as a first search would.

The FASTA file and the database are made once in --workdir and reused by
the next run (the FASTA is deleted once the database is made, unless
--keep-fasta). Not committed data: use a temporary place. A 2 G-residue
database takes makeblastdb a few minutes on one core; the search of one query
against it, a few more.
"""

from __future__ import annotations

import os
import time


def seconds_since_start() -> float:
    """Seconds since this process started: /proc/self/stat's start time
    (clock ticks since boot) against the same boot-time clock. The tick
    truncates the start, so this errs long by up to one tick."""
    fields = open("/proc/self/stat").read().rpartition(")")[2].split()
    start_ticks = int(fields[19])  # field 22, starttime; the split begins at field 3
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


# Both before the package's imports, which count in the start-up.
STARTED = time.perf_counter()
AGE_AT_STARTED = seconds_since_start()

import argparse  # noqa: E402
import json  # noqa: E402
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
BASE_NAME = "synthetic"
# big_database.py sizes its FASTA in bytes, of which titles and line ends
# take about 11% (1.787 G residues in 2.007 GB); asking for the residues
# over this slightly low ratio makes the database at least as large as asked,
# which make_database checks.
RESIDUES_PER_FASTA_BYTE = 0.88


def since_start(moment: float) -> float:
    """A perf_counter() reading as seconds since this process started."""
    return AGE_AT_STARTED + (moment - STARTED)


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

    def sample(self) -> dict[str, int]:
        now = memory()
        for key, value in now.items():
            self.peak[key] = max(self.peak[key], value)
        return now

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


def database_files(workdir: Path) -> list[Path]:
    return [path for path in workdir.glob(f"{BASE_NAME}.*") if path.suffix != ".fa"]


def make_database(workdir: Path, gigabytes: float, keep_fasta: bool) -> tuple[Path, dict]:
    """The database's base path, and what its making recorded (residues,
    sequences, makeblastdb's seconds). A database is reused only where a
    run finished making it (its record file: makeblastdb stopped half-way
    leaves volumes that open) and it is large enough."""
    base = workdir / BASE_NAME
    record_path = workdir / f"{BASE_NAME}.made.json"
    wanted = int(gigabytes * 1e9)
    if record_path.exists():
        record = json.loads(record_path.read_text())
        if record["residues"] >= wanted:
            print(f"reusing the database {base} ({record['residues']:,} residues)", file=sys.stderr)
            return base, record
        print(f"the database in {workdir} has {record['residues']:,} residues, fewer than {wanted:,}: making it again",
              file=sys.stderr)
    makeblastdb = shutil.which("makeblastdb")
    if makeblastdb is None:
        raise SystemExit("makeblastdb is not installed (apt-get install ncbi-blast+)")
    workdir.mkdir(parents=True, exist_ok=True)
    for path in database_files(workdir):  # another size's or an unfinished database: none of its volumes may linger
        path.unlink()
    fasta = workdir / f"{BASE_NAME}.fa"
    fasta_gigabytes = gigabytes / RESIDUES_PER_FASTA_BYTE
    if not fasta.exists() or fasta.stat().st_size < fasta_gigabytes * 1e9:
        print(f"writing {fasta_gigabytes:.2f} GB of FASTA to {fasta}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(HERE / "big_database.py"), str(fasta), "--gigabytes",
                        f"{fasta_gigabytes:.4f}"], check=True)
    print(f"makeblastdb -in {fasta} -dbtype prot -out {base}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run([makeblastdb, "-in", str(fasta), "-dbtype", "prot", "-out", str(base)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"makeblastdb failed:\n{done.stdout}{done.stderr}")
    seconds = time.perf_counter() - started
    database = _core.BlastDatabase(str(base))
    record = {"residues": database.total_residues, "sequences": len(database), "makeblastdb_seconds": seconds,
              "fasta_bytes": fasta.stat().st_size}
    print(f"made in {seconds:.0f} s: {record['residues']:,} residues", file=sys.stderr, flush=True)
    if record["residues"] < wanted:
        raise SystemExit(f"the database has {record['residues']:,} residues, fewer than {wanted:,}: "
                         "lower RESIDUES_PER_FASTA_BYTE")
    record_path.write_text(json.dumps(record) + "\n")
    if not keep_fasta:
        fasta.unlink()
    return base, record


def drop_cached_pages(workdir: Path) -> None:
    """Drops the database files' pages from the page cache (only this
    database's: the rest of the machine's cache stays)."""
    for path in database_files(workdir):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def measure(args: argparse.Namespace, base: Path) -> dict:
    """The search, timed from this process's start (the interpreter's
    start-up and the imports included)."""
    name, _, sequence = swladder.read_fasta(QUERIES)[args.query - 1]
    calls: list[dict] = []
    kernel: list[str] = []
    real_search = _hits.search_detailed
    with PeakMemory() as peak:
        def search_detailed(*positional, **keywords):  # the kernels' entry: note when and with what memory
            called = time.perf_counter()
            before = peak.sample()
            result = real_search(*positional, **keywords)
            returned = time.perf_counter()
            after = peak.sample()
            chunk = positional[1] if len(positional) > 1 else keywords["database"]
            if not kernel:
                kernel.append(f"{result.stage} / {result.kernel} on {result.threads} threads")
            calls.append({"called_seconds": since_start(called), "returned_seconds": since_start(returned),
                          "chunk_residues": chunk.total_residues, "chunk_sequences": len(chunk),
                          "rss_anon_before": before["RssAnon"], "rss_anon_after": after["RssAnon"],
                          "rss_file_after": after["RssFile"]})
            return result

        _hits.search_detailed = search_detailed
        try:
            results = swladder.hits([(name, sequence)], str(base), k=10, threads=args.threads, chunk=args.chunk)
        finally:
            _hits.search_detailed = real_search
    ended = time.perf_counter()
    database = _core.BlastDatabase(str(base))  # opened after the search, so that it warms nothing the search reads
    return {
        "cpu": cpu_identity(), "cores": os.cpu_count(), "threads": args.threads, "kernel": kernel[0],
        "database_residues": database.total_residues, "database_sequences": len(database),
        "volumes": len(database.volumes), "chunk_residues": args.chunk, "chunks": len(calls),
        "query": name, "query_length": len(sequence), "best_hit": results[0][0].sseqid if len(results[0]) else None,
        "script_top_seconds": AGE_AT_STARTED,
        "first_kernel_call_seconds": calls[0]["called_seconds"],
        "first_kernel_call_from_script_top_seconds": calls[0]["called_seconds"] - AGE_AT_STARTED,
        "total_seconds": since_start(ended),
        "peak_rss_anon_bytes": peak.peak["RssAnon"], "peak_rss_file_bytes": peak.peak["RssFile"],
        "rss_anon_bound_bytes": int(1.5 * args.chunk + 100e6), "calls": calls, "swladder": swladder.__version__,
        "swladder_path": str(Path(swladder.__file__).parent),
        "machine": machine_info(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="where the FASTA and the database are made")
    parser.add_argument("--gigabytes", type=float, default=2.0,
                        help="residues of the database at least, in G (default 2)")
    parser.add_argument("--keep-fasta", action="store_true", help="keep the FASTA file the database is made of")
    parser.add_argument("--chunk", type=int, default=_hits.DEFAULT_CHUNK_RESIDUES,
                        help="residues a chunk (default: the search's own, %(default)s)")
    parser.add_argument("--query", type=int, default=4,
                        help="which protein of data/queries.fa (1-based; default 4, 435 residues)")
    parser.add_argument("--threads", type=int, default=2, help="search threads (default 2)")
    parser.add_argument("--warm", action="store_true", help="leave the database's pages in the page cache")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args, args.measure)))
        return 0
    base, record = make_database(args.workdir, args.gigabytes, args.keep_fasta)
    if not args.warm:
        drop_cached_pages(args.workdir)
    print(f"searching query {args.query} of {QUERIES.name} against {base}", file=sys.stderr, flush=True)
    # The search runs in a process of its own, started now: its start-up is what a user waits for.
    child = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--measure", str(base)], stdout=subprocess.PIPE,
                           text=True)
    if child.returncode != 0:
        raise SystemExit("the search failed")
    figures = json.loads(child.stdout)
    figures["makeblastdb_seconds"] = record.get("makeblastdb_seconds")
    figures["page_cache"] = "warm" if args.warm else "dropped"
    bound = figures["rss_anon_bound_bytes"]
    first = figures["first_kernel_call_seconds"]
    peak_anon = figures["peak_rss_anon_bytes"]
    largest_at_calls = max(max(call["rss_anon_before"], call["rss_anon_after"]) for call in figures["calls"])
    first_call = figures["calls"][0]
    print(f"CPU: {figures['cpu']}, {figures['cores']} cores; kernel {figures['kernel']}")
    print(f"database: {figures['database_residues']:,} residues in {figures['database_sequences']:,} sequences, "
          f"{figures['volumes']} volumes (makeblastdb {figures['makeblastdb_seconds']:.0f} s); chunk "
          f"{args.chunk:,} residues, {figures['chunks']} chunks (the first {first_call['chunk_residues']:,}); "
          f"page cache {figures['page_cache']}")
    print(f"swladder {figures['swladder']} from {figures['swladder_path']}")
    print(f"query {figures['query']} ({figures['query_length']} residues); best hit {figures['best_hit']}")
    print(f"process start to the first kernel call: {first:.3f} s (script's first line at "
          f"{figures['script_top_seconds']:.3f} s, then {figures['first_kernel_call_from_script_top_seconds']:.3f} s) "
          f"{'PASS' if first < 1.0 else 'FAIL'}: target < 1 s")
    print(f"process start to the end of the search: {figures['total_seconds']:.1f} s")
    print(f"RssAnon at the first kernel call {first_call['rss_anon_before'] / 1e6:.0f} MB, after it "
          f"{first_call['rss_anon_after'] / 1e6:.0f} MB; largest at any call {largest_at_calls / 1e6:.0f} MB")
    print(f"peak RssAnon {peak_anon / 1e6:.0f} MB, bound 1.5 x chunk + 100 MB = {bound / 1e6:.0f} MB "
          f"{'PASS' if peak_anon <= bound else 'FAIL'}")
    print(f"peak RssFile (the database's mapped pages among them) {figures['peak_rss_file_bytes'] / 1e6:.0f} MB")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
