"""The search on a Dask cluster: the database in shards, each shard a task,
with the one-machine search's result (``swladder.hits``'s, equal field for
field).

    >>> from distributed import Client
    >>> from swladder import distributed as swd
    >>> client = Client("tcp://scheduler:8786")              # or Client(LocalCluster(...))
    >>> swd.write_shards("uniprot.fa", 64, "/shared/uniprot-shards")   # once; or search the FASTA by byte ranges
    >>> results = swd.hits("queries.fa", "/shared/uniprot-shards", client=client, k=50)

The graph: one task per shard reads its shard itself (a shard file, or a
byte range of one uncompressed FASTA file: the client sends the queries and
the parameters, never the database) and keeps each query's ``k`` best hits,
ranked with the provisional database size as the one-machine search ranks
chunks (see ``swladder._hits``), with the kept subjects' names, titles
and sequences. A tree of merge tasks (``split_every`` shards at a time, in
database order) reduces them to the ``k`` best of the whole database and its
residue and sequence counts; numbering each shard's subjects from its own
start and shifting them by the sequences before it as shards merge gives
every subject its database-wide ordinal without a counting pass. Align tasks
(a batch of queries each) then compute the final E-values with the whole
database's size and align only the final hits, from the subjects carried
with them. Every task is a pure function of its arguments and the files, so
the tasks of a worker that dies are rerun elsewhere with the same result.

Needs the ``dask`` extra: ``pip install 'swladder[dask]'``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from typing import Any, Callable, Iterable, Sequence, Union

try:
    import dask
    import distributed
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("swladder.distributed needs dask and distributed: pip install 'swladder[dask]'") from error

from . import _blastdb, _hits
from ._hits import DEFAULT_CHUNK_RESIDUES, DEFAULT_MAX_TARGET_SEQS, QueryHits, QuerySource, SearchSettings, _Kept
from ._fasta import Database, _open_error
from ._search import MatrixName, integer_argument
from ._shards import MANIFEST_NAME, Shard, byte_ranges, manifest_path, oid_ranges, read_manifest, write_shards

__all__ = ["CLUSTER_CONFIG", "DEFAULT_SPLIT_EVERY", "MANIFEST_NAME", "Shard", "hits", "hits_of_records", "local_cluster",
           "shards_of", "submit_hits", "write_shards"]

DEFAULT_SPLIT_EVERY = 8  # shards (or partial merges) per merge task

ShardSource = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]", Shard]]]


@dataclasses.dataclass
class _Partial:
    """The best hits of every query over a run of consecutive shards, their
    subjects numbered from the run's first sequence, with the run's size."""

    kept: list[_Kept]
    sequences: int
    residues: int
    # A BLAST database's shards number their subjects by OID and report the
    # size of the whole database (or selection): nothing to shift or to add.
    by_oid: bool = False


# Dask settings for a cluster that runs these searches (local_cluster's, so
# the command line's --dask-workers; the README gives them for other
# clusters). A search task spends its seconds in C++ with the GIL released,
# where the workers' statistical profiler (Python frames sampled every 10 ms)
# sees one frame, the call into the core; and the 20 ms health tick of every
# event loop (scheduler, nannies, workers) wakes each process for nothing.
# On 2 cores an idle scheduler and 2 workers took 1.7 CPU-seconds in 9 s with
# Dask's defaults and 0.5 with these: CPU the searching workers lose.
CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "200ms",
}


def local_cluster(n_workers: int, *, threads_per_worker: int = 1, **options: Any) -> distributed.LocalCluster:
    """A ``distributed.LocalCluster`` of ``n_workers`` worker processes with
    CLUSTER_CONFIG (its scheduler and workers keep it, restarted workers
    too); ``options`` go to LocalCluster. Close it, or use it as a context
    manager."""
    with dask.config.set(CLUSTER_CONFIG):
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                                        **options)


def _kill_workers(cluster: distributed.LocalCluster) -> None:
    """Ends the worker processes of a local cluster at once, for good (their
    nannies start no others). A worker asked to close waits for its running
    task, and a search task, in C++, does not stop on request: Ctrl-C would
    wait seconds for it, then for the nanny's kill."""
    for nanny in list(cluster.workers.values()):
        if not isinstance(nanny, distributed.Nanny):
            continue
        nanny.close_gracefully(reason="swladder-interrupted")
        pid = nanny.pid
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- Tasks (module-level functions: workers import them by name) ------------------------


def shards_of(database: ShardSource, shards: int | None = None, *, default_ranges: int = 1,
              subset: dict[str, Any] | None = None) -> list[Shard]:
    """The shards of a database, in database order: a directory written by
    ``write_shards`` (or its manifest), a list of FASTA files (or Shards), or
    one uncompressed FASTA file in ``shards`` byte ranges (None:
    ``default_ranges``).
    Runs where the files are (a task, when searching on a cluster)."""
    if not isinstance(database, (str, os.PathLike)):
        listed = [item if isinstance(item, Shard) else Shard(os.fsdecode(os.fspath(item))) for item in database]
        if not listed:
            raise ValueError("no shards given")
        if shards is not None:
            raise ValueError("shards= splits one FASTA file into byte ranges; a list of shards is already split")
        return listed
    path = os.fsdecode(os.fspath(database))
    if subset is not None:
        # Every record's def-lines read once, here, for all the shards.
        base, selection = _hits.blast_selection(path, subset)
        return oid_ranges(base, integer_argument("shards", default_ranges if shards is None else shards, 1), selection)
    blast = _blastdb.resolve(path)
    if blast is not None:
        return oid_ranges(blast, integer_argument("shards", default_ranges if shards is None else shards, 1))
    manifest = manifest_path(path)
    if manifest is not None:
        if shards is not None:
            raise ValueError(f"shards= splits one FASTA file into byte ranges; '{path}' is already sharded")
        return read_manifest(manifest)
    count = integer_argument("shards", default_ranges if shards is None else shards, 1)
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise _open_error(path, error) from None
    ranges = byte_ranges(path, size, count)
    for _ in ranges[0].chunks(1):  # fails early, naming the file, if it is gzip or unreadable
        break
    return ranges


def _search_shard(shard: Shard, query_list: list[tuple[str, str, str]], settings: SearchSettings,
                  delay: float = 0.0) -> _Partial:
    if delay:
        time.sleep(delay)  # tests only: a worker killed now dies in the middle of this task
    kept, residues, sequences = _hits.search_chunks(query_list, shard.chunks(settings.chunk), settings)
    shard.check(sequences, residues)
    return _Partial(kept, sequences, residues, shard.blast)


def _merge(k: int, *parts: _Partial) -> _Partial:
    """Consecutive runs of shards, in database order, as one."""
    result = parts[0]
    for part in parts[1:]:
        if part.by_oid:
            # Every shard that read a record reports the same size; one that read none, 0.
            kept = [_hits.merge_kept(first, second, k) for first, second in zip(result.kept, part.kept)]
            result = _Partial(kept, max(result.sequences, part.sequences), max(result.residues, part.residues), True)
            continue
        kept = [_hits.merge_kept(first, second, k, result.sequences) for first, second in zip(result.kept, part.kept)]
        result = _Partial(kept, result.sequences + part.sequences, result.residues + part.residues)
    return result


def _align(total: _Partial, query_batch: list[tuple[str, str, str]], first: int,
           settings: SearchSettings) -> list[QueryHits]:
    kept = total.kept[first:first + len(query_batch)]
    return _hits.finish_all(query_batch, kept, total.residues, total.sequences, settings)


def _concatenate(*batches: list[QueryHits]) -> list[QueryHits]:
    return [query for batch in batches for query in batch]


def _identity(value: Any) -> Any:
    return value


# --- The client's side: building the graph -------------------------------------------------


@dataclasses.dataclass
class _Submitted:
    result: distributed.Future  # list[QueryHits]
    searches: list[distributed.Future]  # one per shard, to watch progress


def _submit(query_list: list[tuple[str, str, str]], database: ShardSource, client: distributed.Client, *,
            k: int = DEFAULT_MAX_TARGET_SEQS, evalue: float | None = None, matrix: MatrixName = "BLOSUM62",
            gap_open: int = 11, gap_extend: int = 1, threads: int | None = 1, stage: str = "auto",
            chunk: int = DEFAULT_CHUNK_RESIDUES, kernel: str | None = None, shards: int | None = None,
            split_every: int = DEFAULT_SPLIT_EVERY, dbsize: int | None = None, searchsp: int | None = None,
            seqids: Any = None, taxids: Any = None, negative_taxids: Any = None, _delay: float = 0.0) -> _Submitted:
    if not isinstance(database, (str, os.PathLike, Database)):
        database = list(database)
    if isinstance(database, Database) or (
            not isinstance(database, (str, os.PathLike))
            and any(isinstance(item, tuple) or not isinstance(item, (str, os.PathLike, Shard)) for item in database)):
        raise TypeError("a Dask search reads its database from files on the workers: give a FASTA file, a shard "
                        "directory written by write_shards, or a list of FASTA files (not a Database or sequences)")
    settings = _hits.search_settings(k=k, evalue=evalue, matrix=matrix, gap_open=gap_open, gap_extend=gap_extend,
                                     threads=threads, stage=stage, chunk=chunk, kernel=kernel, dbsize=dbsize,
                                     searchsp=searchsp, seqids=seqids, taxids=taxids,
                                     negative_taxids=negative_taxids)
    split_every = integer_argument("split_every", split_every, 2)
    # One view of the workers for the whole graph: the default shard count
    # and align batches by their threads, and the tasks dealt round them.
    on_cluster = client.scheduler_info().get("workers", {})
    threads_on_cluster = max(1, sum(int(worker.get("nthreads", 1)) for worker in on_cluster.values()))
    workers = sorted(on_cluster)
    token = uuid.uuid4().hex
    # The shard list is read where the files are: the client needs no access to them.
    shard_list: list[Shard] = client.submit(shards_of, database, shards, default_ranges=threads_on_cluster,
                                            subset=settings.subset(),
                                            key=f"swladder-shards-{token}", pure=False).result()
    # A task, not scattered data: if the worker holding it dies, the scheduler recomputes it.
    queries_future = client.submit(_identity, query_list, key=f"swladder-queries-{token}")

    # Every search task reads the queries, so the scheduler would send them
    # all to the worker holding them and leave the rest to take them off it
    # by work stealing (measured: the second worker's only task started 0.8 s
    # late). They are dealt round the workers instead, as the align tasks
    # below are: only a preference, which stealing and a lost worker override.
    def dealt(number: int) -> dict[str, Any]:
        if not workers:
            return {}
        return {"workers": [workers[number % len(workers)]], "allow_other_workers": True}

    searches = [
        client.submit(_search_shard, shard, queries_future, settings, _delay, key=f"swladder-search-{token}-{number}",
                      **dealt(number))
        for number, shard in enumerate(shard_list)
    ]
    level = searches
    depth = 0
    while len(level) > 1:
        depth += 1
        level = [
            client.submit(_merge, settings.k, *level[at:at + split_every],
                          key=f"swladder-merge-{token}-{depth}-{at // split_every}")
            for at in range(0, len(level), split_every)
        ]
    total = level[0]
    batch_count = max(1, min(len(query_list), 2 * threads_on_cluster))
    bounds = [len(query_list) * number // batch_count for number in range(batch_count + 1)]
    # Every align task reads the one merged result (a few hundred
    # kilobytes): dealt round the workers too, they align at once.
    aligned = [
        client.submit(_align, total, query_list[bounds[number]:bounds[number + 1]], bounds[number], settings,
                      key=f"swladder-align-{token}-{number}", **dealt(number))
        for number in range(batch_count)
    ]
    result = client.submit(_concatenate, *aligned, key=f"swladder-hits-{token}")
    return _Submitted(result, searches)


def submit_hits(
    queries: QuerySource,
    database: ShardSource,
    *,
    client: distributed.Client | None = None,
    k: int = DEFAULT_MAX_TARGET_SEQS,
    evalue: float | None = None,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = 1,
    stage: str = "auto",
    chunk: int = DEFAULT_CHUNK_RESIDUES,
    kernel: str | None = None,
    shards: int | None = None,
    split_every: int = DEFAULT_SPLIT_EVERY,
    _delay: float = 0.0,
) -> distributed.Future:
    """hits(), submitted: a Future of its list of QueryHits (watch it with
    ``distributed.progress``; ``.result()`` waits for it). Returns once one
    short task has listed the shards where the files are (that is where a
    missing manifest or a gzip file for byte ranges raises); the search
    itself runs in the background."""
    client = client if client is not None else distributed.get_client()
    return _submit(_hits._queries(queries), database, client, k=k, evalue=evalue, matrix=matrix, gap_open=gap_open,
                   gap_extend=gap_extend, threads=threads, stage=stage, chunk=chunk, kernel=kernel, shards=shards,
                   split_every=split_every, _delay=_delay).result


def hits(
    queries: QuerySource,
    database: ShardSource,
    *,
    client: distributed.Client | None = None,
    k: int = DEFAULT_MAX_TARGET_SEQS,
    evalue: float | None = None,
    matrix: MatrixName = "BLOSUM62",
    gap_open: int = 11,
    gap_extend: int = 1,
    threads: int | None = 1,
    stage: str = "auto",
    chunk: int = DEFAULT_CHUNK_RESIDUES,
    kernel: str | None = None,
    shards: int | None = None,
    split_every: int = DEFAULT_SPLIT_EVERY,
    progress: Callable[[int, int], None] | None = None,
    dbsize: int | None = None,
    searchsp: int | None = None,
    seqids: Iterable[str] | None = None,
    taxids: Iterable[int] | None = None,
    negative_taxids: Iterable[int] | None = None,
    _delay: float = 0.0,
) -> list[QueryHits]:
    """``swladder.hits`` on a Dask cluster: the same list of QueryHits (the
    top ``k`` hits of each query over the whole database, E-values for the
    whole database's size, ties in database order), each shard searched by
    one task.

    ``database``: a directory written by ``write_shards`` / ``swladder
    shard`` (or its ``manifest.json``), a list of FASTA files (shards in
    database order), one uncompressed FASTA file searched in ``shards``
    byte ranges, or a BLAST protein database's name searched in ``shards``
    runs of records (default: one per worker thread of the cluster); the files
    must be readable by the workers at these paths (a shared file system),
    the client need not see them. ``client``: the Dask client (default: the
    current one, ``distributed.get_client()``). ``threads``: threads of
    each task (default 1: a worker runs as many tasks at once as it has
    threads). ``split_every``: partial results per merge task.
    ``progress(done, total)`` is called on the client as shard searches
    finish. The other parameters are ``swladder.hits``'s; ``chunk`` bounds
    a task's memory as it bounds the one-machine search's.

    A bad parameter raises here, before anything is submitted; a missing or
    unreadable shard raises the error naming it, a gzip database searched
    by byte ranges a ValueError saying to shard it first. A worker lost
    mid-search costs time, not results: Dask reruns its tasks."""
    return hits_of_records(_hits._queries(queries), database, client=client, k=k, evalue=evalue, matrix=matrix,
                           gap_open=gap_open, gap_extend=gap_extend, threads=threads, stage=stage, chunk=chunk,
                           kernel=kernel, shards=shards, split_every=split_every, progress=progress, dbsize=dbsize,
                           searchsp=searchsp, seqids=seqids, taxids=taxids, negative_taxids=negative_taxids,
                           _delay=_delay)


def hits_of_records(query_list: list[tuple[str, str, str]], database: ShardSource, *,
                    client: distributed.Client | None = None, progress: Callable[[int, int], None] | None = None,
                    **options: Any) -> list[QueryHits]:
    """hits() of (name, description, sequence) query records (read_fasta's)."""
    client = client if client is not None else distributed.get_client()
    submitted = _submit(query_list, database, client, **options)
    if progress is not None:
        total = len(submitted.searches)
        progress(0, total)
        for done, search in enumerate(distributed.as_completed(submitted.searches), start=1):
            if search.status == "error":
                search.result()  # its shard's error, at once: not counted as searched
            progress(done, total)
    del submitted.searches
    return submitted.result.result()
