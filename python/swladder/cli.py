"""The ``swladder`` command.

Each subcommand is one function that adds its parser to the subparsers and
sets ``run`` (a function of the parsed arguments returning the exit status);
SUBCOMMANDS lists them in the order ``--help`` shows them. Bad input (a
malformed file, an unknown residue, stage, kernel or matrix, an invalid
penalty, a missing file) ends with one line, ``swladder: error: ...``, on
stderr and exit status 2, as argparse does for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence, TextIO

import numpy as np

from . import _core, _fasta, _files, _hits, _output, _search, _stages, _tune, _verify
from ._version import __version__

PROG = "swladder"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, saying a bad argument in one line as the command
    says every other error, with where to read the usage instead of it."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{PROG}: error: {text} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: '{text}'") from None


def _add_scoring_options(parser: argparse.ArgumentParser, blast_spellings: bool = False) -> None:
    # blastp's spellings too where a BLAST user types them: the search.
    blast = (lambda *names: names) if blast_spellings else (lambda *names: ())
    parser.add_argument(*blast("-matrix"), "--matrix", dest="matrix", default="BLOSUM62",
                        help="built-in matrix (BLOSUM45, BLOSUM50, BLOSUM62, BLOSUM80, PAM250) "
                        "or the path of an NCBI-format matrix file (default: %(default)s)")
    parser.add_argument(*blast("-gapopen"), "--gap-open", dest="gap_open", type=_int, default=11, metavar="N",
                        help="a gap of length k costs gap_open + k * gap_extend (default: %(default)s)")
    parser.add_argument(*blast("-gapextend"), "--gap-extend", dest="gap_extend", type=_int, default=1, metavar="N",
                        help="(default: %(default)s)")


def _subcommand(subparsers: argparse._SubParsersAction, name: str, run, *, help: str,
                description: str) -> argparse.ArgumentParser:
    """A subcommand whose arguments the caller adds; `run(args)` carries it out."""
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.set_defaults(run=run)
    return parser


# --- search ------------------------------------------------------------------------


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: '{text}'") from None


def _evalue(text: str) -> float:
    # A cut-off below the smallest double (1e-400) reads as 0: say so with the text as typed.
    value = _float(text)
    if value == 0 and any(digit in "123456789" for digit in text.lower().partition("e")[0]):
        raise argparse.ArgumentTypeError(f"'{text}' is too small: it underflows to 0 as a double, and the "
                                         "E-value cut-off must be positive (the smallest is about 5e-324)")
    return value


def _taxid_list(text: str) -> frozenset[int]:
    """A comma-separated list of taxonomy ids, as blastp's -taxids takes it."""
    found = set()
    for word in text.split(","):
        word = word.strip()
        if not word.isdigit() or int(word) < 1:
            raise argparse.ArgumentTypeError(f"'{word}' in '{text}' is not a taxonomy id (a positive integer): "
                                             "give them comma-separated, as 9606,10090")
        found.add(int(word))
    return frozenset(found)


def _taxid_file(option: str, path: str | None) -> frozenset[int] | None:
    """A file of taxonomy ids, one a line, as blastp's -taxidlist reads it."""
    from . import _blastdb

    if path is None:
        return None
    found = set()
    for number, word in _blastdb.read_list(option, path):
        if not word.isdigit() or int(word) < 1:
            raise ValueError(f"{option} '{path}' line {number}: '{word}' is not a taxonomy id (a positive integer)")
        found.add(int(word))
    if not found:
        raise ValueError(f"{option} '{path}' lists no taxonomy ids")
    return frozenset(found)


def _subset_options(args: argparse.Namespace) -> dict[str, Any]:
    """-seqidlist, -taxids and -negative_taxids as hits()'s keywords."""
    from . import _blastdb

    return dict(seqids=None if args.seqidlist is None else _blastdb.read_seqidlist(args.seqidlist),
                taxids=args.taxids if args.taxids is not None else _taxid_file("-taxidlist", args.taxidlist),
                negative_taxids=args.negative_taxids if args.negative_taxids is not None
                else _taxid_file("-negative_taxidlist", args.negative_taxidlist))


def _add_search(subparsers: argparse._SubParsersAction) -> None:
    parser = _subcommand(
        subparsers, "search", _run_search,
        help="search queries against a database: BLAST-style hits with alignments",
        description="For each query, the best database sequences by exact Smith-Waterman local alignment, "
        "ranked as blastp ranks them (E-value, then score, then the later in the database first), with their "
        "alignments, "
        "printed as BLAST tabular output (-outfmt 6) by default. The database is read in chunks, so it may be "
        "larger than memory. --outfmt score prints QUERY<TAB>SUBJECT<TAB>SCORE for every subject instead.",
    )
    parser.set_defaults(parser=parser)  # for the usage errors found after parsing
    parser.add_argument("query", nargs="?", default=None,
                        help="FASTA file of one or more queries (gzip allowed; - reads standard input; or -query)")
    parser.add_argument("database", nargs="?", default=None,
                        help="the database: a FASTA file (gzip allowed; - reads standard input) or a BLAST protein "
                        "database's name, as blastp takes it (looked up here, then in $BLASTDB); or -db")
    parser.add_argument("-query", dest="query_option", default=None, metavar="FILE", help="the query, as blastp names it")
    parser.add_argument("-db", dest="database_option", default=None, metavar="DB",
                        help="the database, as blastp names it")
    parser.add_argument("-max_target_seqs", "-k", "--max-target-seqs", "--top", dest="top", type=_positive_int,
                        default=None, metavar="N",
                        help=f"keep the N best subjects of each query (default: {_hits.DEFAULT_MAX_TARGET_SEQS}; "
                        "all with --outfmt score)")
    parser.add_argument("-max_hsps", "--max-hsps", dest="max_hsps", type=_positive_int, default=None, metavar="N",
                        help="alignments per subject at most (swladder reports the best one, which meets any N)")
    parser.add_argument("-dbsize", "--dbsize", dest="dbsize", type=_positive_int, default=None, metavar="N",
                        help="the database's length in residues for E-values, as blastp's -dbsize "
                        "(default: the real one)")
    parser.add_argument("-searchsp", "--searchsp", dest="searchsp", type=_positive_int, default=None, metavar="N",
                        help="the effective search space for E-values, as blastp's -searchsp: then an E-value is "
                        "K N exp(-lambda S), without the finite-size correction (default: per pair)")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("-seqidlist", "--seqidlist", dest="seqidlist", default=None, metavar="FILE",
                      help="search only the records of a BLAST database (made with -parse_seqids) with one of the "
                      "IDs in FILE, one a line (an accession with or without its version, or a Seq-id such as "
                      "sp|P69905.2|HBA_HUMAN), as blastp's -seqidlist; E-values are for those records")
    part.add_argument("-taxids", "--taxids", dest="taxids", type=_taxid_list, default=None, metavar="IDS",
                      help="search only the records of a BLAST database with one of these taxonomy ids "
                      "(comma-separated, as blastp's -taxids: 9606,10090)")
    part.add_argument("-taxidlist", "--taxidlist", dest="taxidlist", default=None, metavar="FILE",
                      help="as -taxids, the taxonomy ids one a line in FILE")
    part.add_argument("-negative_taxids", "--negative-taxids", dest="negative_taxids", type=_taxid_list,
                      default=None, metavar="IDS", help="search only the records with none of these taxonomy ids")
    part.add_argument("-negative_taxidlist", "--negative-taxidlist", dest="negative_taxidlist", default=None,
                      metavar="FILE", help="as -negative_taxids, the taxonomy ids one a line in FILE")
    parser.add_argument("-evalue", "-e", "--evalue", dest="evalue", type=_evalue, default=None, metavar="E",
                        help=f"keep hits with E-value <= E (default: {_hits.DEFAULT_EVALUE:g}; an error where the "
                        "scoring has no published statistics)")
    parser.add_argument("-outfmt", "--outfmt", dest="outfmt", default="6", metavar="FMT",
                        help="6 (BLAST tabular; '6 qseqid sseqid score ...' or '6 std qlen' picks columns), 7 "
                        "(tabular with comment lines), 10 (CSV), 5 (BLAST XML), json, 0 or pairwise (alignments), score (every "
                        "subject's score; default: %(default)s)")
    parser.add_argument("-out", "--out", "-o", dest="out", default=None, metavar="FILE",
                        help="write here instead of standard output ('-': standard output); a file is replaced "
                        "only when the search succeeds, and an input file is refused")
    parser.add_argument("--chunk", type=_float, default=_hits.DEFAULT_CHUNK_RESIDUES / 1e6, metavar="MB",
                        help="read the database this many million residues at a time (default: %(default)g)")
    parser.add_argument("--stage", default="auto",
                        help="rung to run (see 'swladder stages'; default: auto, the fastest verified one)")
    _add_scoring_options(parser, blast_spellings=True)
    parser.add_argument("-num_threads", "--threads", "--num-threads", dest="threads", type=_positive_int,
                        default=None, metavar="N",
                        help="threads (processes for python_multiprocessing; default: every usable CPU; "
                        "more are capped to those, above 4096 an error)")
    parser.add_argument("--kernel", default=None,
                        help="force one of the stage's kernels (default: SWLADDER_KERNEL, else the one "
                        "'swladder tune' chose for this machine)")
    parser.add_argument("--timings", action="store_true",
                        help="print the seconds spent searching and aligning on standard error")
    cluster = parser.add_argument_group(
        "on a Dask cluster (needs the dask extra: pip install 'swladder[dask]')",
        "Each shard of the database is a task; DATABASE is then a directory written by 'swladder shard', an "
        "uncompressed FASTA file that every worker reads at that path, searched in --shards byte ranges, or a "
        "BLAST database that every worker maps, searched in --shards runs of records. "
        "Each task searches with --threads threads (default 1).")
    where = cluster.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="search on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786)")
    where.add_argument("--dask-workers", type=_positive_int, default=None, metavar="N",
                       help="start a local Dask cluster of N worker processes (1 thread each) and search on it")
    cluster.add_argument("--shards", type=_positive_int, default=None, metavar="N",
                         help="pieces to split the database into: byte ranges of a FASTA file, runs of records "
                         "of a BLAST database (default: one per worker thread)")
    cluster.add_argument("-v", "--verbose", action="store_true",
                         help="also show the logs and warnings of Dask's scheduler, workers and client")


def _read_queries(path: str) -> list[tuple[str, str, str]]:
    """The query records; none at all is an error (as blastp says "Query
    string not found"), and a record without residues is said on stderr
    (it can have no hits, as blastp warns too)."""
    if path == "-":
        records = _fasta.parse_fasta_bytes(_fasta.read_stdin_bytes(), _fasta.STDIN_NAME)
    else:
        records = _fasta.read_fasta(path)
    if not records:
        raise ValueError(f"no query sequences in {'standard input' if path == '-' else repr(path)}")
    for name, _, sequence in records:
        if not sequence:
            print(f"{PROG}: warning: query '{name}' has no residues (every score 0, no hits)", file=sys.stderr)
    return records


def _run_scores(args: argparse.Namespace, out: TextIO) -> int:
    """--outfmt score: every subject's score, best first (ties in database order)."""
    queries = _read_queries(args.query)
    if args.database == "-":
        database = _fasta.Database._from_fasta_bytes(_fasta.read_stdin_bytes(), _fasta.STDIN_NAME)
    else:
        database = _fasta.Database(args.database)
    names = database.names
    options = dict(stage=args.stage, matrix=args.matrix, gap_open=args.gap_open, gap_extend=args.gap_extend,
                   threads=args.threads, kernel=args.kernel)
    for query_name, _, sequence in queries:
        scores = _search.search(sequence, database, **options)
        order = np.argsort(-scores.astype(np.int64), kind="stable")
        if args.top is not None:
            order = order[: args.top]
        out.write("".join(f"{query_name}\t{names[i]}\t{scores[i]}\n" for i in order))
    return 0


def _chunk_residues(megabytes: float) -> int:
    """--chunk, in millions of residues, as a residue count."""
    if not (megabytes > 0 and math.isfinite(megabytes)):
        raise ValueError(f"--chunk must be a positive number of MB, got {megabytes:g}")
    # Past any file's size a chunk reads it whole: 2**62 stands for more.
    return max(1, int(min(megabytes * 1e6, 2.0**62)))


def _run_hits(args: argparse.Namespace, out: TextIO) -> int:
    _output.parse_outfmt(args.outfmt)  # a bad format fails before the search
    _core.check_scoring(args.matrix, args.gap_open, args.gap_extend)
    chunk = _chunk_residues(args.chunk)
    if not _hits.has_statistics(args.matrix, args.gap_open, args.gap_extend) and args.evalue is None:
        print(f"{PROG}: note: no published statistics for {args.matrix} with gap costs "
              f"{args.gap_open}/{args.gap_extend}: E-values and bit scores are n/a and hits rank by score",
              file=sys.stderr)
    timings: dict[str, float] = {}
    results = _hits.hits_of_records(_read_queries(args.query), args.database,
                                    k=args.top or _hits.DEFAULT_MAX_TARGET_SEQS, evalue=args.evalue,
                                    matrix=args.matrix, gap_open=args.gap_open, gap_extend=args.gap_extend,
                                    threads=args.threads, stage=args.stage, chunk=chunk, kernel=args.kernel,
                                    timings=timings, dbsize=args.dbsize, searchsp=args.searchsp,
                                    **_subset_options(args))
    if args.timings:
        print(f"{PROG}: timings: search {timings['search']:.3f} s, align {timings['align']:.3f} s", file=sys.stderr)
    _output.write_hits(results, out, args.outfmt, database=args.database)
    return 0


@contextlib.contextmanager
def _dask_logs_at(level: int):
    """Dask's log handlers in this process at `level` meanwhile, as
    LocalCluster's silence_logs sets them (and its workers') for a local
    cluster."""
    handlers = [handler for handler in logging.getLogger("distributed").handlers
                if isinstance(handler, logging.StreamHandler)]
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(level)
    try:
        yield
    finally:
        for handler, old in zip(handlers, levels):
            handler.setLevel(old)


def _run_distributed(args: argparse.Namespace, out: TextIO) -> int:
    """The search on a Dask cluster: the same output as without one."""
    if args.database == "-":
        raise ValueError("a Dask search reads the database on the workers: give its path, not standard input")
    if args.stage == "python_multiprocessing":
        raise ValueError("the python_multiprocessing stage cannot run inside Dask workers: choose another --stage")
    try:
        from distributed import Client

        from . import distributed as swladder_distributed
    except ImportError:
        raise ValueError("a search on a Dask cluster needs dask and distributed: pip install 'swladder[dask]'") from None
    _output.parse_outfmt(args.outfmt)
    _core.check_scoring(args.matrix, args.gap_open, args.gap_extend)
    chunk = _chunk_residues(args.chunk)
    queries = _read_queries(args.query)
    subset = _subset_options(args)
    # Dask's own logs and warnings (a task that failed, with its worker's
    # traceback; a busy dashboard port) would come before the error that
    # says the same in one line: they are for --verbose.
    quiet = {} if args.verbose else {"silence_logs": logging.CRITICAL}
    if quiet:
        warnings.filterwarnings("ignore", module=r"distributed(\.|$)")
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        cluster = None
        if args.scheduler is not None:
            if quiet:
                stack.enter_context(_dask_logs_at(logging.CRITICAL))
            client = stack.enter_context(Client(args.scheduler))
        else:
            cluster = stack.enter_context(swladder_distributed.local_cluster(args.dask_workers, **quiet))
            client = stack.enter_context(Client(cluster))
        on_terminal = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if done == 0 and client.dashboard_link:
                # Once the shards are listed: a database that is not there is then one line.
                print(f"{PROG}: Dask dashboard: {client.dashboard_link}", file=sys.stderr, flush=True)
            # One line rewritten in place on a terminal; a line per shard in a log.
            end = "\n" if not on_terminal or done == total else "\r"
            print(f"{PROG}: searched {done} of {total} shards", end=end, file=sys.stderr, flush=True)

        try:
            results = swladder_distributed.hits_of_records(
                queries, args.database, client=client, k=args.top or _hits.DEFAULT_MAX_TARGET_SEQS,
                evalue=args.evalue, matrix=args.matrix, gap_open=args.gap_open, gap_extend=args.gap_extend,
                threads=args.threads if args.threads is not None else 1, stage=args.stage,
                chunk=chunk, kernel=args.kernel, shards=args.shards, progress=progress, dbsize=args.dbsize,
                searchsp=args.searchsp, **subset)
        except KeyboardInterrupt:
            if cluster is not None:
                # A task in C++ would hold its worker, and closing the cluster,
                # for seconds more.
                swladder_distributed._kill_workers(cluster)
            raise
    if args.timings:
        print(f"{PROG}: timings: search and align on the cluster {time.perf_counter() - started:.3f} s",
              file=sys.stderr)
    _output.write_hits(results, out, args.outfmt, database=args.database)
    return 0


def _blast_spellings(args: argparse.Namespace) -> None:
    """The query and the database as arguments, in that order, or as
    blastp's -query and -db: the arguments fill what the options leave."""
    arguments = [value for value in (args.query, args.database) if value is not None]
    args.query = args.query_option if args.query_option is not None else arguments.pop(0) if arguments else None
    args.database = (args.database_option if args.database_option is not None
                     else arguments.pop(0) if arguments else None)
    if arguments:
        raise ValueError(f"unexpected argument '{arguments[0]}': the query and the database are given already")
    if args.query is None:
        raise ValueError("no query: give a FASTA file of queries (or -query FILE)")
    if args.database is None:
        raise ValueError("no database: give a FASTA file or a BLAST database's name (or -db DB)")


def _run_search(args: argparse.Namespace) -> int:
    try:
        _blast_spellings(args)
    except ValueError as error:
        args.parser.error(str(error))  # a usage error, said as argparse's are
    if args.query == "-" and args.database == "-":
        raise ValueError("standard input can be the query or the database, not both")
    on_dask = args.scheduler is not None or args.dask_workers is not None
    if args.shards is not None and not on_dask:
        raise ValueError("--shards splits the database for a Dask search: give --scheduler or --dask-workers")
    subset_options = (args.seqidlist, args.taxids, args.taxidlist, args.negative_taxids, args.negative_taxidlist)
    if args.outfmt.strip() == "score" and any(option is not None for option in subset_options):
        raise ValueError("--outfmt score searches the whole database: -seqidlist, -taxids and -negative_taxids "
                         "need a BLAST format (-outfmt 6, 7, 10, 5, json or 0)")
    if on_dask and args.outfmt.strip() == "score":
        raise ValueError("--outfmt score is not available on a Dask cluster: choose 6, 7, json or pairwise")
    run = _run_distributed if on_dask else _run_scores if args.outfmt.strip() == "score" else _run_hits
    inputs = [("query file", args.query), ("database", args.database)]
    if os.path.isfile(args.matrix):
        inputs.append(("matrix file", args.matrix))
    for option in ("seqidlist", "taxidlist", "negative_taxidlist"):
        if getattr(args, option) is not None:
            inputs.append((f"-{option} file", getattr(args, option)))
    _files.refuse_output_that_is_input(args.out, inputs)
    with _files.output_text(args.out if args.out is not None else _files.STDOUT) as out:
        return run(args, out)


# --- shard -------------------------------------------------------------------------


def _add_shard(subparsers: argparse._SubParsersAction) -> None:
    parser = _subcommand(
        subparsers, "shard", _run_shard,
        help="split a database into shards for a search on a Dask cluster",
        description="Writes the records of DATABASE (FASTA, gzip allowed) into N FASTA files of about equal "
        "residues in DIR, in database order, with manifest.json (each shard's first sequence in the database, "
        "its sequences, residues and SHA-256). 'swladder search QUERIES DIR --scheduler ...' searches them. "
        "DIR must be new, empty or an earlier output of 'swladder shard', which is then replaced whole; "
        "a failed run leaves it as it was.",
    )
    parser.add_argument("database", help="FASTA file of the database (gzip allowed)")
    parser.add_argument("--shards", type=_positive_int, required=True, metavar="N", help="number of shards")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write (created if missing)")


def _run_shard(args: argparse.Namespace) -> int:
    from ._shards import write_shards

    manifest = write_shards(args.database, args.shards, args.out)
    shards = manifest["shards"]
    print(f"wrote {len(shards)} shards of {manifest['sequences']} sequences and {manifest['residues']} residues "
          f"(largest {max(shard['residues'] for shard in shards)}) to {args.out}")
    return 0


# --- verify ------------------------------------------------------------------------


def _add_verify(subparsers: argparse._SubParsersAction) -> None:
    parser = _subcommand(
        subparsers, "verify", _run_verify,
        help="check every rung and kernel against the reference",
        description="Runs the verification harness over every rung (every kernel of each compiled stage "
        "that this CPU runs) and prints one line per rung and kernel. Exit status 1 if any failed.",
    )
    parser.add_argument("--stage", action="append", default=None, metavar="S",
                        help="check only this rung (repeatable; default: all)")
    parser.add_argument("--large", action="store_true", help="add the slow titin-size cases")
    parser.add_argument("--seed", type=_int, default=_verify.DEFAULT_SEED, help="corpus seed (default: %(default)s)")
    parser.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                        help="threads for threaded rungs (default: every core)")


def _run_verify(args: argparse.Namespace) -> int:
    rungs = {rung["name"]: rung for rung in _stages.stage_info()}
    wanted = args.stage or list(rungs)
    for name in wanted:
        if name not in rungs:
            _stages.resolve_stage(name)  # raises the unknown-stage (or unsupported) message
    if _verify.data_dir() is None:
        print(f"{PROG}: note: bundled data not found (set SWLADDER_DATA to the data/ folder): "
              "compiled stages are checked without real sequences", file=sys.stderr)
    failed = 0
    for name in wanted:
        rung = rungs[name]
        kernels = [None] if rung["kind"] == "python" else rung["kernels"]
        for kernel in kernels:
            report = _verify.verify(name, large=args.large, seed=args.seed, kernel=kernel, threads=args.threads)
            failed += not report["passed"]
            print(report["description"], flush=True)
    return EXIT_FAILED if failed else 0


# --- stages ------------------------------------------------------------------------


def _add_stages(subparsers: argparse._SubParsersAction) -> None:
    _subcommand(
        subparsers, "stages", _run_stages,
        help="list the rungs that run here",
        description="The rungs of the ladder that run on this machine, slowest first: name, kind, "
        "kernels this CPU runs (best first) and summary.",
    )


def _run_stages(args: argparse.Namespace) -> int:
    rows = [("name", "kind", "kernels", "summary")]
    rows += [(r["name"], r["kind"], ",".join(r["kernels"]), r["summary"]) for r in _stages.stage_info()]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return 0


# --- tune --------------------------------------------------------------------------


def _add_tune(subparsers: argparse._SubParsersAction) -> None:
    parser = _subcommand(
        subparsers, "tune", _run_tune,
        help="time every kernel on this machine and cache the fastest per stage",
        description="Checks every kernel of each stage that has a choice on this CPU against the reference, "
        "times them on a short real search (the fastest of alternating rounds, in CPU time on one thread, so that "
        "other processes do not sway it; a few seconds in all) and caches "
        "the fastest per stage in $XDG_CACHE_HOME/swladder/tune.json (default ~/.cache/swladder/), keyed by CPU "
        "model, instruction sets and library version. Searches that name no kernel run the cached choice; the "
        "first search on a machine without one tunes by itself. SWLADDER_TUNE=off makes searches skip the "
        "cache and run built-in defaults; SWLADDER_KERNEL or --kernel force a kernel.",
    )
    parser.add_argument("--show", action="store_true",
                        help="print what searches use now (the cached tuning, tuning first if there is none) "
                        "instead of tuning again")


def _run_tune(args: argparse.Namespace) -> int:
    tuning = _tune.current_tuning() if args.show else _tune.tune()
    key = tuning.key
    print(f"cpu: {key['cpu_model']} ({key['vendor']} family {key['family']:#x} model {key['model']:#x})")
    print(f"instruction sets: {key['features'] or 'none'}")
    if tuning.source == "default":
        print("tuning off (SWLADDER_TUNE=off, or another process was still tuning): built-in defaults")
    else:
        print(f"tune set: {tuning.cells / 1e6:.1f} M cells per search, {tuning.threads} thread(s), "
              f"tuned {tuning.tuned_at}")
    rows = [("stage", "kernel", "ms", "GCUPS", "vs fastest", "")]
    for stage, choice in tuning.choices.items():
        seconds = tuning.seconds.get(stage, {})
        timed = [s for s in seconds.values() if s is not None]
        fastest = min(timed) if timed else None
        for kernel in key["kernels"][stage]:
            spent = seconds.get(kernel)
            mark = " ".join(word for word, on in (("chosen", kernel == choice),
                                                   ("default", kernel == tuning.defaults.get(stage)),
                                                   ("UNVERIFIED", kernel in seconds and spent is None)) if on)
            if spent is None:
                rows.append((stage, kernel, "-", "-", "-", mark))
            else:
                rows.append((stage, kernel, f"{spent * 1e3:.2f}", f"{tuning.cells / spent / 1e9:.2f}",
                             f"{spent / fastest:.3f}", mark))
    if len(rows) == 1:
        print("no stage has a choice of kernels on this CPU")
    else:
        widths = [max(len(row[column]) for row in rows) for column in range(5)]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[5])
    if tuning.path:
        print(f"cached in {tuning.path}")
    elif tuning.source != "default":
        print("not cached (the cache folder cannot be written): kept for this process only")
    if not args.show and _tune.tune_mode() == "off":
        print("note: SWLADDER_TUNE=off: searches ignore this tuning and run the built-in defaults")
    return 0


# --- ladder ------------------------------------------------------------------------


def _rung_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one rung name")
    return names


def _add_ladder(subparsers: argparse._SubParsersAction) -> None:
    parser = _subcommand(
        subparsers, "ladder", _run_ladder,
        help="verify and time every rung and the installed peers: the speedup ladder",
        description="Verifies every rung (and every installed peer: parasail, ssearch36, numba, pyopal) on a "
        "shared sample against the scalar reference, then times each on the same queries and database. Rungs "
        "too slow for the whole database run on a prefix of it, and speed is given in cell updates per second. "
        "Prints the table and writes ladder.json, ladder.md and ladder.png.",
    )
    parser.add_argument("--query", default=None, metavar="FASTA",
                        help="queries (default: the bundled data/queries.fa)")
    parser.add_argument("--db", default=None, metavar="FASTA",
                        help="database (default: the bundled data/tursiops_sample.fa)")
    parser.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                        help="threads for threaded rungs and peers (default: every core)")
    parser.add_argument("--rungs", type=_rung_list, default=None, metavar="A,B,...",
                        help="only these rungs and peers, by name (default: every rung and peer)")
    parser.add_argument("--quick", action="store_true",
                        help="a small run (2 queries, 400 sequences, short timings; under a minute)")
    parser.add_argument("--out", default="ladder-out", metavar="DIR", help="where to write (default: %(default)s)")
    parser.add_argument("--repeat", type=_positive_int, default=1, metavar="N",
                        help="time each rung N times and keep the median (default: %(default)s)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per cell of each compiled rung with valgrind (slow)")
    parser.add_argument("--no-peers", action="store_true", help="leave the peers out")


def _run_ladder(args: argparse.Namespace) -> int:
    from . import ladder

    data = _verify.data_dir()
    if (args.query is None or args.db is None) and data is None:
        raise ValueError("bundled data not found: give --query and --db, or set SWLADDER_DATA to the data/ folder")
    query = args.query or str(data / "queries.fa")
    database = args.db or str(data / "tursiops_sample.fa")
    report = ladder.run_ladder(query, database, threads=args.threads, rungs=args.rungs, quick=args.quick,
                               out_dir=None, repeat=args.repeat, instructions=args.instructions,
                               peers=not args.no_peers, progress=lambda line: print(line, file=sys.stderr, flush=True))
    written = ladder.write_outputs(report, Path(args.out))
    print(ladder.format_text_table(report))
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    return EXIT_FAILED if any(row["verified"] is False and row["kind"] == "rung" for row in report["rungs"]) else 0


# --- The command ---------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_search, _add_shard, _add_verify, _add_stages, _add_tune, _add_ladder,
]


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog=PROG,
        description="Exact Smith-Waterman protein database search: a speedup ladder from pure Python "
        "to SIMD and threads, every rung checked against the same reference.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_subcommand in SUBCOMMANDS:
        add_subcommand(subparsers)
    return parser


def _error(message: object) -> int:
    if isinstance(message, OSError) and message.errno is not None and message.filename is None and message.strerror:
        message = message.strerror  # an error of ours that names its file and carries errno: no "[Errno N]"
    text = " ".join(str(message).split("\n")).strip() or "unknown error"
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # Warnings of the package (an unwritable tuning cache) as one line, the
    # way the command says everything else.
    text = " ".join(str(message).split())
    print(text if text.startswith(f"{PROG}:") else f"{PROG}: warning: {text}", file=sys.stderr)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is: whatever stops a search on Ctrl-C (a
    compiled rung's cancel flag, the python_multiprocessing pool's
    terminate, a local Dask cluster's workers) stops it on SIGTERM too."""


@contextlib.contextmanager
def _sigterm_raises():
    """SIGTERM raises _Terminated meanwhile, where this process would
    otherwise die at once and leave its worker processes running. Only where
    SIGTERM has its default action (main() may run inside a program with a
    handler of its own) and on the main thread (the only one that can)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    owner = os.getpid()

    def terminate(signum, frame):
        if os.getpid() != owner:
            # A forked worker (python_multiprocessing's pool, stopped by
            # SIGTERM) dies as the default action would have it.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        raise _Terminated

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Standard output whose write errors say so; closed at the start (>&-), every write is an error, not a no-op.
    original_stdout = sys.stdout
    sys.stdout = (_files.ClosedOutput() if sys.stdout is None  # type: ignore[assignment]
                  else _files.NamedWriter(sys.stdout, _files.STDOUT_NAME))
    _tune.set_announcer(lambda text: print(f"{PROG}: {text}", file=sys.stderr, flush=True))
    try:
        with warnings.catch_warnings(), _sigterm_raises():
            warnings.showwarning = _show_warning
            status = args.run(args)
            sys.stdout.flush()  # a full disk is an error of this command, said here
            return status
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, like any Unix filter.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13
    except _Terminated:
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except (ValueError, OSError) as error:
        return _error(error)
    except MemoryError:
        return _error("out of memory")
    finally:
        _tune.set_announcer(None)
        sys.stdout = original_stdout
