"""The search on a Dask cluster (swladder.distributed): sharding and byte
ranges without Dask, then a real LocalCluster (2 worker processes, 1 thread
each) whose results must equal the one-machine search's, field for field,
for several k, shard counts and both kinds of shard; the errors; the CLI;
and a worker killed in the middle of a search.

Without dask and distributed these tests skip, and fail under CI=true
(scripts/setup.sh installs the dask extra)."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import swladder
from swladder import _hits, _shards, cli

from conftest import DATA, require

QUERIES = DATA / "queries.fa"
DATABASE = DATA / "tursiops_sample.fa"


def require_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        require(False, "dask and distributed are not installed (scripts/setup.sh installs the dask extra)")


def fasta_records(path) -> list[tuple[str, str, str]]:
    return swladder.read_fasta(path)


# --- Shards and byte ranges, without Dask -----------------------------------------


@pytest.mark.parametrize("count", [1, 2, 7])
def test_shard_files_hold_the_database_in_order_with_a_manifest(tmp_path, count):
    manifest = _shards.write_shards(DATABASE, count, tmp_path)
    whole = fasta_records(DATABASE)
    assert len(manifest["shards"]) == count
    assert manifest["sequences"] == len(whole)
    assert manifest["residues"] == sum(len(sequence) for _, _, sequence in whole)
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    pieces = []
    for entry in manifest["shards"]:
        records = fasta_records(tmp_path / entry["file"])
        assert entry["first"] == len(pieces)
        assert entry["sequences"] == len(records)
        assert entry["residues"] == sum(len(sequence) for _, _, sequence in records)
        pieces += records
    assert pieces == whole
    # About equal residues: no shard more than one record's length away from an equal share.
    share = manifest["residues"] / count
    longest = max(len(sequence) for _, _, sequence in whole)
    assert all(abs(entry["residues"] - share) <= longest for entry in manifest["shards"])


def test_sharding_gzip_and_more_shards_than_sequences(tmp_path):
    packed = tmp_path / "db.gz"
    packed.write_bytes(gzip.compress(b">a one\nMKV\n>b\nWWW\n"))
    manifest = _shards.write_shards(packed, 5, tmp_path / "out")
    assert [entry["sequences"] for entry in manifest["shards"]] == [1, 1]
    assert fasta_records(tmp_path / "out" / manifest["shards"][0]["file"]) == [("a", "one", "MKV")]


def test_merging_runs_of_chunks_in_a_tree_equals_one_pass():
    # Each piece numbers its subjects from 0; the merge shifts the second by the first's sequences.
    rng = np.random.default_rng(11)
    count = 60
    names = [f"s{i}" for i in range(count)]
    sequences = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), size=rng.integers(1, 30))) for _ in range(count)]
    scores = rng.integers(0, 5, size=count).astype(np.int32)  # many ties and zeros
    evalues = np.where(scores > 1, 1.0 / (scores + 1.0), 1.0)

    def kept_of(start, stop, k):
        part = swladder.Database(list(zip(names[start:stop], sequences[start:stop])))
        return _hits._keep_best(_hits._Kept(), k, scores[start:stop], evalues[start:stop], part, 0), stop - start

    for k in (1, 4, 100):
        one, _ = kept_of(0, count, k)
        for size in (1, 7, 13):
            level = [kept_of(start, min(count, start + size), k) for start in range(0, count, size)]
            while len(level) > 1:  # pairs of neighbours, as the merge tree takes them
                level = [(_hits.merge_kept(level[at][0], level[at + 1][0], k, level[at][1]),
                          level[at][1] + level[at + 1][1]) if at + 1 < len(level) else level[at]
                         for at in range(0, len(level), 2)]
            merged = level[0][0]
            assert merged.index.tolist() == one.index.tolist()
            assert merged.names == one.names and merged.sequences == one.sequences
            assert merged.titles == one.titles


def read_ranges(path, count, block_size=64) -> list[list[tuple[str, str, str]]]:
    size = os.path.getsize(path)
    out = []
    for shard in _shards.byte_ranges(str(path), size, count):
        with open(path, "rb") as stream:
            text = b"".join(_shards.range_blocks(stream, str(path), shard.start, shard.end, block_size))
        out.append(swladder._core.parse_fasta(text, str(path)) if text else [])
    return out


@pytest.mark.parametrize("count", [1, 2, 3, 7, 50])
def test_byte_ranges_hold_every_record_once_in_order(count):
    pieces = read_ranges(DATABASE, count)
    assert [record for piece in pieces for record in piece] == fasta_records(DATABASE)


@pytest.mark.parametrize("block_size", [1, 2, 3, 5])
def test_byte_ranges_split_at_record_starts_whatever_the_line_ends(tmp_path, block_size):
    # '>' inside a description is no record start; CRLF and lone CR end lines.
    text = b">a x>y\r\nMKV\r\n>b\rWW\rW\r>c >\nA\n>d\n\nC\n"
    path = tmp_path / "db.fa"
    path.write_bytes(text)
    whole = swladder._core.parse_fasta(text, "db")
    for count in range(1, len(text) + 1):
        pieces = read_ranges(path, count, block_size)
        assert [record for piece in pieces for record in piece] == whole, count


def test_a_gzip_database_in_byte_ranges_says_to_shard_it_first(tmp_path):
    packed = tmp_path / "db.fa.gz"
    packed.write_bytes(gzip.compress(DATABASE.read_bytes()))
    with pytest.raises(ValueError, match=r"gzip.*shard it first"):
        next(_shards.Shard(str(packed), 0, 10).chunks(1000))


def test_a_changed_shard_is_named():
    shard = _shards.Shard("shard-0001.fa", sequences=3, residues=30)
    with pytest.raises(ValueError, match="shard 'shard-0001.fa' holds 2 sequences"):
        shard.check(2, 30)


def test_the_shard_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "swladder", "shard", str(DATABASE), "--shards", "3", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 shards" in done.stdout
    assert len(json.loads((tmp_path / "manifest.json").read_text())["shards"]) == 3
    bad = subprocess.run([sys.executable, "-m", "swladder", "shard", str(tmp_path / "missing.fa"), "--shards", "3",
                          "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "missing.fa" in bad.stderr


# --- On a LocalCluster ----------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    require_dask()
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    dask_client = Client(cluster)
    yield dask_client
    dask_client.close()
    cluster.close()


@pytest.fixture(scope="module")
def one_machine():
    results = {}

    def search(k):
        if k not in results:
            results[k] = swladder.hits(str(QUERIES), str(DATABASE), k=k, threads=1)
        return results[k]

    return search


@pytest.fixture(scope="module")
def shard_dirs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    for count in (1, 2, 7):
        _shards.write_shards(DATABASE, count, folder / str(count))
    return {count: folder / str(count) for count in (1, 2, 7)}


def assert_same_hits(distributed_results, local_results):
    # Hits are frozen dataclasses: == compares every field, the alignment and the database ordinal included.
    assert len(distributed_results) == len(local_results)
    for mine, theirs in zip(distributed_results, local_results):
        assert (mine.qseqid, mine.description, mine.qlen) == (theirs.qseqid, theirs.description, theirs.qlen)
        assert mine.hits == theirs.hits


@pytest.mark.parametrize("k", [1, 5, 100])
@pytest.mark.parametrize("count", [1, 2, 7])
def test_shard_files_search_as_one_machine(client, one_machine, shard_dirs, k, count):
    from swladder import distributed as swd

    results = swd.hits(str(QUERIES), str(shard_dirs[count]), client=client, k=k)
    assert_same_hits(results, one_machine(k))


@pytest.mark.parametrize("k", [1, 5, 100])
@pytest.mark.parametrize("count", [1, 2, 7])
def test_byte_ranges_search_as_one_machine(client, one_machine, k, count):
    from swladder import distributed as swd

    results = swd.hits(str(QUERIES), str(DATABASE), client=client, k=k, shards=count, split_every=2)
    assert_same_hits(results, one_machine(k))


@pytest.fixture(scope="module")
def blast_database(tmp_path_factory):
    """The sample as a BLAST database made with -parse_seqids and a taxonomy
    id for every record (two volumes), and its name."""
    makeblastdb = shutil.which("makeblastdb")
    require(makeblastdb is not None, "makeblastdb is not installed (scripts/setup.sh installs it)")
    folder = tmp_path_factory.mktemp("blastdb")
    records = fasta_records(DATABASE)
    (folder / "taxa.txt").write_text("".join(f"{name}\t{1 + number % 3}\n" for number, (name, _, _) in enumerate(records)))
    done = subprocess.run([makeblastdb, "-in", str(DATABASE), "-dbtype", "prot", "-out", str(folder / "sample"),
                           "-parse_seqids", "-taxid_map", str(folder / "taxa.txt"), "-max_file_sz", "1MB"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return str(folder / "sample")


@pytest.mark.parametrize("count", [None, 2, 7])
def test_a_blast_database_searches_as_one_machine(client, blast_database, count):
    """Runs of records (OIDs) of a BLAST database, mapped by every worker:
    the same hits, IDs, E-values and alignments as swladder.hits."""
    from swladder import distributed as swd

    assert len(_shards.oid_ranges(blast_database, 7)) == 7
    expected = swladder.hits(str(QUERIES), blast_database, k=20, threads=1)
    assert_same_hits(swd.hits(str(QUERIES), blast_database, client=client, k=20, shards=count), expected)
    assert expected[0][0].ids is not None and expected[0][0].staxids
    # A part of it (blastp's -taxids), its E-values for that part.
    expected = swladder.hits(str(QUERIES), blast_database, k=20, threads=1, taxids=[2])
    assert {hit.staxid for query in expected for hit in query} == {2}
    assert_same_hits(swd.hits(str(QUERIES), blast_database, client=client, k=20, shards=count, taxids=[2]), expected)


def test_ties_rank_as_blastp_ranks_them_across_shards(client, tmp_path):
    from swladder import distributed as swd

    # Ten equal subjects: every score and E-value ties, so the database ordinal alone decides (the later first).
    path = tmp_path / "ties.fa"
    path.write_text("".join(f">s{number}\nMKVLAAGIW\n" for number in range(10)))
    local = swladder.hits("MKVLAAGIW", str(path), k=4)
    for count in (1, 3, 7):
        results = swd.hits("MKVLAAGIW", str(path), client=client, k=4, shards=count, split_every=2)
        assert [hit.sseqid for hit in results[0]] == ["s9", "s8", "s7", "s6"]
        assert_same_hits(results, local)


def test_other_options_and_a_list_of_shard_files(client, shard_dirs):
    from swladder import distributed as swd

    files = sorted(str(path) for path in shard_dirs[7].glob("shard-*.fa"))
    options = dict(k=20, evalue=1e-5, matrix="BLOSUM50", gap_open=13, gap_extend=2)
    local = swladder.hits(str(QUERIES), str(DATABASE), threads=1, **options)
    assert_same_hits(swd.hits(str(QUERIES), files, client=client, **options), local)
    # Without published statistics: NaN E-values, ranked by score.
    options = dict(k=7, gap_open=5, gap_extend=3)
    local = swladder.hits(str(QUERIES), str(DATABASE), threads=1, **options)
    mine = swd.hits(str(QUERIES), str(DATABASE), client=client, shards=3, **options)
    assert [[(hit.sseqid, hit.score) for hit in query] for query in mine] == \
        [[(hit.sseqid, hit.score) for hit in query] for query in local]


def test_submit_returns_a_future_and_progress_is_reported(client, one_machine):
    from swladder import distributed as swd

    future = swd.submit_hits(str(QUERIES), str(DATABASE), client=client, k=5, shards=3)
    assert_same_hits(future.result(), one_machine(5))
    seen = []
    swd.hits(str(QUERIES), str(DATABASE), client=client, k=5, shards=4, progress=lambda *x: seen.append(x))
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


def test_search_tasks_are_dealt_round_the_workers(client, one_machine):
    """All search tasks read the one queries task: without a preference the
    scheduler sends them all to the worker that holds it, and the others
    wait for work stealing."""
    from swladder import distributed as swd

    future = swd.submit_hits(str(QUERIES), str(DATABASE), client=client, k=5, shards=4, _delay=1.0)

    def preferences(dask_scheduler):
        return {str(key): (sorted(ts.worker_restrictions or ()), ts.loose_restrictions)
                for key, ts in dask_scheduler.tasks.items() if "swladder-search" in str(key)}

    deadline = time.monotonic() + 30
    while len(searches := client.run_on_scheduler(preferences)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)  # submissions reach the scheduler on their own stream
    assert len(searches) == 4
    assert all(len(workers) == 1 and loose for workers, loose in searches.values())
    assert sorted(workers[0] for workers, _ in searches.values()) == sorted(2 * list(client.scheduler_info()["workers"]))
    assert_same_hits(future.result(timeout=120), one_machine(5))


def test_missing_shards_and_gzip_byte_ranges_are_clear_errors(client, shard_dirs, tmp_path):
    from swladder import distributed as swd

    copy = tmp_path / "copy"
    shutil.copytree(shard_dirs[7], copy)
    (copy / "shard-0003.fa").unlink()
    with pytest.raises(FileNotFoundError, match="shard-0003.fa"):
        swd.hits(str(QUERIES), str(copy), client=client, k=5)
    with pytest.raises(FileNotFoundError, match="nowhere.fa"):
        swd.hits(str(QUERIES), [str(copy / "shard-0000.fa"), str(tmp_path / "nowhere.fa")], client=client)
    packed = tmp_path / "db.fa.gz"
    packed.write_bytes(gzip.compress(DATABASE.read_bytes()))
    with pytest.raises(ValueError, match=r"gzip-compressed.*shard it first"):
        swd.hits(str(QUERIES), str(packed), client=client, shards=2)
    with pytest.raises(ValueError, match="at least 1"):
        swd.hits(str(QUERIES), str(DATABASE), client=client, k=0)
    with pytest.raises(TypeError, match="files on the workers"):
        swd.hits(str(QUERIES), swladder.Database(str(DATABASE)), client=client)
    with pytest.raises(TypeError, match="files on the workers"):
        swd.hits(str(QUERIES), [("s1", "MKV")], client=client)


def test_a_changed_shard_file_is_named(client, shard_dirs, tmp_path):
    from swladder import distributed as swd

    copy = tmp_path / "copy"
    shutil.copytree(shard_dirs[2], copy)
    (copy / "shard-0001.fa").write_text(">x\nMKV\n")
    with pytest.raises(ValueError, match=r"shard '.*shard-0001.fa' changed after it was written"):
        swd.hits(str(QUERIES), str(copy), client=client, k=5)


def test_a_shard_edited_to_the_same_length_is_noticed(client, shard_dirs, tmp_path):
    # The counts in the manifest stay true after this edit: only the checksum sees it.
    from swladder import distributed as swd

    copy = tmp_path / "copy"
    shutil.copytree(shard_dirs[2], copy)
    lines = (copy / "shard-0000.fa").read_text().split("\n")
    lines[1] = lines[1][:5] + ("W" if lines[1][5] != "W" else "A") + lines[1][6:]
    (copy / "shard-0000.fa").write_text("\n".join(lines))
    assert _shards.read_manifest(str(copy / "manifest.json"))[0].residues == sum(
        len(sequence) for _, _, sequence in fasta_records(copy / "shard-0000.fa"))
    with pytest.raises(ValueError, match=r"shard '.*shard-0000.fa' changed after it was written"):
        swd.hits(str(QUERIES), str(copy), client=client, k=5)


def test_the_manifest_holds_each_shards_checksum(shard_dirs):
    import hashlib

    manifest = json.loads((shard_dirs[7] / "manifest.json").read_text())
    assert manifest["version"] == 2
    for entry in manifest["shards"]:
        assert entry["sha256"] == hashlib.sha256((shard_dirs[7] / entry["file"]).read_bytes()).hexdigest()


def test_a_manifest_without_checksums_is_refused(shard_dirs, tmp_path):
    copy = tmp_path / "old"
    shutil.copytree(shard_dirs[2], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["version"] = 1
    for entry in manifest["shards"]:
        del entry["sha256"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="older swladder, without the checksums.*shard the database again"):
        _shards.read_manifest(str(copy / "manifest.json"))


def tabular(results, database) -> str:
    out = io.StringIO()
    swladder.write_hits(results, out, "7 qseqid sseqid score evalue bitscore btop", database=str(database))
    return out.getvalue()


def test_the_search_command_on_a_cluster(client, one_machine, shard_dirs, capsys):
    address = client.scheduler.address
    for database, extra in ((DATABASE, ["--shards", "3"]), (shard_dirs[7], [])):
        status = cli.main(["search", str(QUERIES), str(database), "-k", "5", "-outfmt",
                           "7 qseqid sseqid score evalue bitscore btop", "--scheduler", address, *extra])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        assert captured.out == tabular(one_machine(5), database)
        shards = 3 if extra else 7
        assert f"searched 0 of {shards} shards" in captured.err and f"searched {shards} of {shards}" in captured.err
    assert cli.main(["search", str(QUERIES), str(DATABASE), "--outfmt", "score", "--scheduler", address]) == 2
    assert "score" in capsys.readouterr().err
    assert cli.main(["search", str(QUERIES), "-", "--scheduler", address]) == 2
    assert "standard input" in capsys.readouterr().err


def test_a_local_cluster_from_the_command_line(one_machine):
    require_dask()
    done = subprocess.run([sys.executable, "-m", "swladder", "search", str(QUERIES), str(DATABASE), "-k", "5",
                           "-outfmt", "7 qseqid sseqid score evalue bitscore btop", "--dask-workers", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == tabular(one_machine(5), DATABASE)
    assert "Dask dashboard" in done.stderr


def run_on_a_local_cluster(*args: str) -> subprocess.CompletedProcess:
    require_dask()
    return subprocess.run([sys.executable, "-m", "swladder", "search", str(QUERIES), *args, "--dask-workers", "1"],
                          capture_output=True, text=True, timeout=300)


def test_a_missing_database_on_a_local_cluster_is_one_line(tmp_path):
    """The error the workers raise, and nothing of Dask's: not the failed
    task's log and traceback, nor the dashboard's address of a search that
    never started. --verbose keeps Dask's logs."""
    missing = tmp_path / "missing.fa"
    done = run_on_a_local_cluster(str(missing))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"swladder: error: cannot open FASTA file '{missing}': No such file or directory\n"
    verbose = run_on_a_local_cluster(str(missing), "--verbose")
    assert verbose.returncode == 2
    assert "distributed.worker" in verbose.stderr
    assert verbose.stderr.endswith(done.stderr)


def test_bad_shards_on_a_local_cluster_say_only_the_error(tmp_path):
    copy = tmp_path / "shards"
    _shards.write_shards(DATABASE, 3, copy)
    (copy / "shard-0001.fa").write_text(">x\nMKV\n")
    (copy / "shard-0002.fa").unlink()
    packed = tmp_path / "db.fa.gz"
    packed.write_bytes(gzip.compress(DATABASE.read_bytes()))
    for args, error in (([str(copy)], r"(shard '.*shard-0001.fa' changed after it was written|.*shard-0002.fa)"),
                        ([str(packed), "--shards", "2"], r"database '.*db.fa.gz' is gzip-compressed"),
                        ([str(tmp_path)], r"'.*' is a directory without manifest.json")):
        done = run_on_a_local_cluster(*args)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        *progress, last = done.stderr.splitlines()
        assert re.match(rf"swladder: error: {error}", last), done.stderr
        # Progress lines of the shards searched before it, at most.
        assert all(re.match(r"swladder: (Dask dashboard|searched \d+ of 3 shards)", line) for line in progress), \
            done.stderr


def _session_processes(session: int) -> list[int]:
    """The live processes of a session, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the cluster's processes in /proc")
def test_ctrl_c_on_a_local_cluster_ends_it_at_once(tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group) while a worker is in
    the middle of a long task: exit 130 within a second, the cluster's
    processes gone, and nothing from Dask on stderr."""
    require_dask()
    process = subprocess.Popen([sys.executable, "-m", "swladder", "search", str(QUERIES), str(DATABASE), "--stage",
                                "naive", "--dask-workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("swladder: searched 0 of"):
            lines.append(process.stderr.readline())
            assert lines[-1], "".join(lines)  # the search task has started once this is printed
        time.sleep(0.5)
        sent = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        status = process.wait(timeout=60)
        delay = time.monotonic() - sent
        stdout, stderr = process.communicate()
        assert status == 130, "".join(lines) + stderr
        assert delay < 1.0, f"exit {delay:.2f} s after SIGINT"
        assert (stdout, stderr) == ("", "")
        deadline = time.monotonic() + 2
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(process.pid) == []
    finally:
        if process.poll() is None or _session_processes(process.pid):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def test_local_cluster_keeps_its_settings_in_every_process():
    """CLUSTER_CONFIG is set while the cluster starts: its worker processes
    and its scheduler must keep it after that, and the caller's own Dask
    settings must be as they were."""
    require_dask()
    import dask
    from distributed import Client

    from swladder import distributed as swd

    before = {name: dask.config.get(name) for name in swd.CLUSTER_CONFIG}
    assert before != swd.CLUSTER_CONFIG  # Dask's defaults, or the test checks nothing
    with swd.local_cluster(2, dashboard_address=":0") as cluster, Client(cluster) as dask_client:
        for name, value in swd.CLUSTER_CONFIG.items():
            seen = dask_client.run(lambda name=name: dask.config.get(name))
            assert list(seen.values()) == [value, value], name
        # The tick is read when each server starts (a private attribute of distributed.core.Server).
        assert dask_client.run(lambda dask_worker: dask_worker._tick_interval) == dict.fromkeys(seen, 0.2)
        assert cluster.scheduler._tick_interval == 0.2
        assert {name: dask.config.get(name) for name in swd.CLUSTER_CONFIG} == before


def test_a_worker_killed_mid_search_loses_nothing(client, one_machine):
    """Last: it leaves the cluster with a restarted worker."""
    from swladder import distributed as swd

    pids = client.run(os.getpid)
    assert len(pids) == 2
    # Each search task sleeps 3 s first: the kill lands while both workers are inside one.
    future = swd.submit_hits(str(QUERIES), str(DATABASE), client=client, k=5, shards=4, _delay=3.0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        executing = client.run(lambda dask_worker: sum(1 for task in dask_worker.state.executing
                                                       if "swladder-search" in str(task.key)))
        if len(executing) == 2 and all(count == 1 for count in executing.values()):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the search tasks never started on both workers")
    victim, pid = sorted(pids.items())[0]
    os.kill(pid, signal.SIGKILL)
    results = future.result(timeout=120)
    assert_same_hits(results, one_machine(5))
    assert victim not in client.scheduler_info()["workers"]  # it died: its task ran again elsewhere
