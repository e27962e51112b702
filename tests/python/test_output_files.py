"""No command destroys a user's file: an output that is an input is refused
before anything is written, an output file is replaced only when the run
succeeds (its mode kept, no temporary file left behind), 'swladder shard'
writes only into a new, empty or earlier shard folder, and standard output
closed or full is an error of one line."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import subprocess
import sys

import pytest

from swladder import _files, _hits, _shards, cli

from conftest import DATA, assert_one_error_line, require, run_swladder

QUERIES = DATA / "queries.fa"
DATABASE = DATA / "tursiops_sample.fa"


run_cli = run_swladder
one_error_line = assert_one_error_line


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith((".tmp", ".old")))


# --- An output that is an input ---------------------------------------------------


@pytest.fixture
def inputs(tmp_path):
    shutil.copy(DATABASE, tmp_path / "db.fa")
    shutil.copy(QUERIES, tmp_path / "q.fa")
    return tmp_path


@pytest.mark.parametrize("spelling", ["db.fa", "./db.fa", "{tmp}/db.fa", "link.fa", "hard.fa"])
def test_an_output_that_is_the_database_is_refused_and_the_database_kept(inputs, spelling):
    os.symlink("db.fa", inputs / "link.fa")
    os.link(inputs / "db.fa", inputs / "hard.fa")
    before = (inputs / "db.fa").read_bytes()
    done = run_cli("search", "q.fa", "db.fa", "-out", spelling.format(tmp=inputs), cwd=inputs)
    one_error_line(done, "is the database", "give another output file")
    assert (inputs / "db.fa").read_bytes() == before
    assert leftovers(inputs) == []


def test_an_output_that_is_a_gzip_database_is_refused(inputs):
    data = gzip.compress(DATABASE.read_bytes())
    (inputs / "db.fa.gz").write_bytes(data)
    one_error_line(run_cli("search", "q.fa", "db.fa.gz", "-out", "db.fa.gz", cwd=inputs), "is the database")
    assert (inputs / "db.fa.gz").read_bytes() == data


def test_an_output_that_is_the_query_file_or_the_matrix_file_is_refused(inputs):
    queries = (inputs / "q.fa").read_bytes()
    one_error_line(run_cli("search", "q.fa", "db.fa", "-out", "q.fa", cwd=inputs), "is the query file")
    assert (inputs / "q.fa").read_bytes() == queries
    shutil.copy(DATA.parent / "core" / "matrices" / "BLOSUM62.txt", inputs / "m.txt")
    matrix = (inputs / "m.txt").read_bytes()
    one_error_line(run_cli("search", "q.fa", "db.fa", "--matrix", "m.txt", "-out", "m.txt", cwd=inputs),
                   "is the matrix file")
    assert (inputs / "m.txt").read_bytes() == matrix


def test_an_output_that_is_a_shard_of_the_database_is_refused(inputs):
    _shards.write_shards(inputs / "db.fa", 2, inputs / "shards")
    shard = inputs / "shards" / "shard-0001.fa"
    before = shard.read_bytes()
    one_error_line(run_cli("search", "q.fa", "shards", "--dask-workers", "1", "-out", shard, cwd=inputs),
                   "is the database")
    assert shard.read_bytes() == before


# --- Replaced only on success ------------------------------------------------------


@pytest.mark.parametrize("bad", [["--stage", "bogus"], ["--matrix", "BLOSUM99"], ["-outfmt", "6 nosuchcolumn"]])
def test_a_failed_run_leaves_the_old_output_as_it_was(inputs, bad):
    (inputs / "prev.tsv").write_text("old\n")
    one_error_line(run_cli("search", "q.fa", "db.fa", *bad, "-out", "prev.tsv", cwd=inputs))
    assert (inputs / "prev.tsv").read_text() == "old\n"
    assert leftovers(inputs) == []


def test_a_bad_residue_found_while_searching_leaves_the_old_output(inputs):
    with open(inputs / "db.fa", "a") as database:
        database.write(">late\nMKV1L\n")
    (inputs / "prev.tsv").write_text("old\n")
    one_error_line(run_cli("search", "q.fa", "db.fa", "-out", "prev.tsv", cwd=inputs), "late")
    assert (inputs / "prev.tsv").read_text() == "old\n"
    assert leftovers(inputs) == []


def test_an_interrupted_run_leaves_the_old_output(inputs, monkeypatch, capsys):
    (inputs / "prev.tsv").write_text("old\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_hits, "hits_of_records", interrupted)
    monkeypatch.chdir(inputs)
    assert cli.main(["search", "q.fa", "db.fa", "-out", "prev.tsv"]) == 130
    assert (inputs / "prev.tsv").read_text() == "old\n"
    assert leftovers(inputs) == []


def test_a_successful_run_replaces_the_output_and_keeps_its_mode(inputs):
    (inputs / "prev.tsv").write_text("old\n")
    os.chmod(inputs / "prev.tsv", 0o640)
    done = run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "prev.tsv", cwd=inputs)
    assert done.returncode == 0, done.stderr
    text = (inputs / "prev.tsv").read_text()
    assert text.count("\n") == 7 and "old" not in text
    assert stat.S_IMODE(os.stat(inputs / "prev.tsv").st_mode) == 0o640
    assert leftovers(inputs) == []


def test_an_output_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(inputs):
    (inputs / "sub").mkdir()
    (inputs / "sub" / "target.tsv").write_text("old\n")
    os.symlink("sub/target.tsv", inputs / "link.tsv")
    done = run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "link.tsv", cwd=inputs)
    assert done.returncode == 0, done.stderr
    assert os.path.islink(inputs / "link.tsv")
    assert (inputs / "sub" / "target.tsv").read_text().count("\n") == 7
    assert leftovers(inputs) == [] and leftovers(inputs / "sub") == []


def test_a_new_output_file_gets_the_default_mode(inputs):
    done = run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "new.tsv", cwd=inputs)
    assert done.returncode == 0, done.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(inputs / "new.tsv").st_mode) == 0o666 & ~umask


def test_devices_are_written_in_place_and_a_dash_is_standard_output(inputs):
    assert run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "/dev/null", cwd=inputs).returncode == 0
    done = run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "-", cwd=inputs)
    assert done.returncode == 0 and done.stdout.count("\n") == 7
    assert not (inputs / "-").exists()


def test_a_full_disk_is_one_line_naming_the_output(inputs):
    one_error_line(run_cli("search", "q.fa", "db.fa", "-k", "1", "-out", "/dev/full", cwd=inputs),
                   "error writing '/dev/full'", "No space left on device")
    with open("/dev/full", "w") as full:
        one_error_line(run_cli("stages", stdout=full), "error writing standard output")


def test_an_output_folder_is_refused_naming_it(inputs):
    (inputs / "folder").mkdir()
    one_error_line(run_cli("search", "q.fa", "db.fa", "-out", "folder", cwd=inputs), "'folder'", "directory")


@pytest.mark.parametrize("command", [["search", QUERIES, DATABASE, "-k", "1"], ["stages"]])
def test_a_closed_standard_output_is_an_error(command):
    # The child starts with descriptor 1 closed, as the shell's >&- leaves it.
    done = subprocess.run([sys.executable, "-m", "swladder", *map(str, command)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=300, preexec_fn=lambda: os.close(1))
    one_error_line(done, "standard output", "closed")


# --- swladder shard ------------------------------------------------------------------


def test_shard_refuses_a_folder_of_other_files_and_leaves_them(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "shard-0000.fa").write_text("mine\n")
    one_error_line(run_cli("shard", DATABASE, "--shards", "2", "--out", folder), "'" + str(folder) + "'",
                   "empty or new folder")
    assert os.listdir(folder) == ["shard-0000.fa"] and (folder / "shard-0000.fa").read_text() == "mine\n"


def test_shard_refuses_a_file_in_the_place_of_the_folder(tmp_path):
    (tmp_path / "file").write_text("mine\n")
    one_error_line(run_cli("shard", DATABASE, "--shards", "2", "--out", tmp_path / "file"), "not a directory")
    assert (tmp_path / "file").read_text() == "mine\n"


def test_resharding_replaces_an_earlier_sharding_whole(tmp_path):
    folder = tmp_path / "shards"
    _shards.write_shards(DATABASE, 4, folder)
    (folder / "shard-0000.fa").write_text(">edited\nMKV\n")  # an earlier sharding, even changed, is replaced
    done = run_cli("shard", DATABASE, "--shards", "2", "--out", folder)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(folder)) == ["manifest.json", "shard-0000.fa", "shard-0001.fa"]
    assert leftovers(tmp_path) == []


def test_shard_into_an_empty_folder_and_a_new_one(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        _shards.write_shards(DATABASE, 2, folder)
        assert sorted(os.listdir(folder)) == ["manifest.json", "shard-0000.fa", "shard-0001.fa"]


def test_a_failed_sharding_leaves_the_earlier_one(tmp_path):
    folder = tmp_path / "shards"
    _shards.write_shards(DATABASE, 3, folder)
    before = {name: (folder / name).read_bytes() for name in os.listdir(folder)}
    bad = tmp_path / "bad.fa"
    bad.write_text(DATABASE.read_text() + ">late\nMKV1\n")
    one_error_line(run_cli("shard", bad, "--shards", "2", "--out", folder), "late")
    assert {name: (folder / name).read_bytes() for name in os.listdir(folder)} == before
    assert sorted(os.listdir(tmp_path)) == ["bad.fa", "shards"]


def test_shard_refuses_a_database_inside_the_folder_it_would_replace(tmp_path):
    folder = tmp_path / "shards"
    _shards.write_shards(DATABASE, 2, folder)
    before = (folder / "shard-0000.fa").read_bytes()
    one_error_line(run_cli("shard", folder / "shard-0000.fa", "--shards", "2", "--out", folder),
                   "the folder to write")
    assert (folder / "shard-0000.fa").read_bytes() == before


def test_files_refuses_by_device_and_inode(tmp_path):
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "b")
    with pytest.raises(ValueError, match="is the database"):
        _files.refuse_output_that_is_input(str(tmp_path / "b"), [("database", str(tmp_path / "a"))])
    _files.refuse_output_that_is_input(str(tmp_path / "c"), [("database", str(tmp_path / "a"))])


def test_sigterm_during_a_search_leaves_the_old_output(inputs):
    import signal
    import time

    (inputs / "prev.tsv").write_text("old\n")
    child = subprocess.Popen([sys.executable, "-m", "swladder", "search", "q.fa", "db.fa", "--stage", "python_naive",
                              "-out", "prev.tsv"], cwd=inputs, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 60
    while not any(name.endswith(".tmp") for name in os.listdir(inputs)) and time.monotonic() < deadline:
        time.sleep(0.05)  # the temporary output is there once the search runs
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM, err
    assert (inputs / "prev.tsv").read_text() == "old\n"
    assert leftovers(inputs) == []


def test_an_output_that_is_a_file_of_a_blast_database_is_refused(inputs):
    makeblastdb = shutil.which("makeblastdb")
    require(makeblastdb is not None, "makeblastdb is not installed (scripts/setup.sh installs it)")
    subprocess.run([makeblastdb, "-in", "db.fa", "-dbtype", "prot", "-out", "blast"], cwd=inputs, check=True,
                   capture_output=True, timeout=300)
    before = (inputs / "blast.psq").read_bytes()
    one_error_line(run_cli("search", "q.fa", "blast", "-out", "blast.psq", cwd=inputs), "is the database")
    assert (inputs / "blast.psq").read_bytes() == before
