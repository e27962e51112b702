"""As a hostile user found it: absurd thread counts (which crashed
libgomp), unreadable files reported as missing, and input misread (a NUL in
a FASTA header, a matrix entry of 2^40, a directory given as a matrix)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import swladder
from conftest import BASELINE_SOURCE, MATRICES, require, sw

QUERY = "MKTAYIAKQRQ"
SUBJECTS = ["ACDEFGHIKLMN"] * 10


def threaded_stages() -> list[tuple[str, str]]:
    return [(rung["name"], kernel) for rung in swladder.stage_info() if rung["threaded"]
            for kernel in rung["kernels"]]


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kwargs)


# --- Thread and process counts -----------------------------------------------------


def test_usable_cpus_follow_the_affinity_mask():
    cpus = swladder.usable_cpus()
    assert 1 <= cpus <= len(os.sched_getaffinity(0))
    assert cpus == sw.usable_cpus() == swladder.baseline.usable_cpus()
    # Under taskset (one CPU), both sides see one CPU and no search runs more.
    code = ("import swladder; from swladder import baseline; "
            "r = swladder.search_detailed('MKV', ['MKV'] * 8, stage='openmp', threads=4); "
            "print(swladder.usable_cpus(), baseline.usable_cpus(), r.threads)")
    first_cpu = min(os.sched_getaffinity(0))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.sched_setaffinity(0, {first_cpu}))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1", "1"]


@pytest.mark.parametrize("stage,kernel", threaded_stages())
def test_large_thread_counts_are_capped_to_the_cpus(stage, kernel):
    expected = list(swladder.search(QUERY, SUBJECTS, stage="scalar"))
    for threads in (swladder.usable_cpus() + 1, 300, 4000, swladder.MAX_THREADS):
        result = swladder.search_detailed(QUERY, SUBJECTS, stage=stage, kernel=kernel, threads=threads)
        assert list(result.scores) == expected
        assert 1 <= result.threads <= min(swladder.usable_cpus(), len(SUBJECTS))
    # Never more threads than subjects.
    assert swladder.search_detailed(QUERY, SUBJECTS[:1], stage=stage, kernel=kernel, threads=2).threads == 1


@pytest.mark.parametrize("stage", ["openmp", "interseq", "scalar", "python_multiprocessing"])
def test_thread_counts_above_the_limit_are_errors(stage):
    for threads in (swladder.MAX_THREADS + 1, 40000, 100000, 2**40):
        with pytest.raises(ValueError) as caught:
            swladder.search(QUERY, SUBJECTS, stage=stage, threads=threads)
        assert str(caught.value) == f"threads must be at most 4096, got {threads}"


def test_process_pools_are_capped_to_the_cpus_and_the_subjects():
    result = swladder.search_detailed(QUERY, SUBJECTS[:2], stage="python_multiprocessing", threads=300)
    assert result.threads == min(2, swladder.usable_cpus())
    assert list(result.scores) == list(swladder.search(QUERY, SUBJECTS[:2], stage="scalar"))
    assert sw.pool_size(300, 2) == min(2, sw.usable_cpus())
    assert sw.pool_size(None, 1000) == sw.usable_cpus()
    assert sw.pool_size(1, 0) == 1
    for bad, message in ((0, "processes must be at least 1, got 0"),
                         (4097, "processes must be at most 4096, got 4097")):
        with pytest.raises(ValueError) as caught:
            sw.python_multiprocessing(QUERY, SUBJECTS, sw.load_matrix("BLOSUM62"), processes=bad)
        assert str(caught.value) == message


def test_cli_thread_counts(tmp_path):
    query, db = tmp_path / "q.fa", tmp_path / "db.fa"
    query.write_text(f">q\n{QUERY}\n")
    db.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SUBJECTS)))
    too_many = run_cli("search", "--stage", "openmp", "--threads", "100000", query, db, "--outfmt", "score")
    assert (too_many.returncode, too_many.stdout) == (2, "")
    assert too_many.stderr == "swladder: error: threads must be at most 4096, got 100000\n"
    capped = run_cli("search", "--stage", "openmp", "--threads", "300", query, db, "--outfmt", "score")
    assert capped.returncode == 0, capped.stderr
    reference = run_cli("search", "--stage", "scalar", query, db, "--outfmt", "score")
    assert capped.stdout == reference.stdout and len(capped.stdout.splitlines()) == len(SUBJECTS)


# --- Files that cannot be read ---------------------------------------------------------

NOBODY = 65534

# Run as the unprivileged user: every way to read an unreadable file, through
# the package and the baseline, as (error type, message).
PROBE = textwrap.dedent("""
    import json, sys
    import swladder
    from swladder import baseline
    plain, gz, matrix = sys.argv[1:4]
    def outcome(action):
        try:
            action()
        except Exception as error:
            return [type(error).__name__, str(error)]
        return ["no error", ""]
    print(json.dumps({
        "Database": outcome(lambda: swladder.Database(plain)),
        "Database gz": outcome(lambda: swladder.Database(gz)),
        "read_fasta": outcome(lambda: swladder.read_fasta(plain)),
        "read_fasta gz": outcome(lambda: swladder.read_fasta(gz)),
        "matrix": outcome(lambda: swladder.matrix(matrix)),
        "search matrix": outcome(lambda: swladder.search("MKV", ["MKV"], matrix=matrix)),
        "baseline read_fasta": outcome(lambda: baseline.read_fasta(plain)),
        "baseline read_fasta gz": outcome(lambda: baseline.read_fasta(gz)),
        "baseline load_matrix": outcome(lambda: baseline.load_matrix(matrix)),
    }))
""")


def _unprivileged(tmp: Path) -> tuple[list[str], dict[str, str]]:
    """The command prefix and environment that run Python without root's
    right to read any file: as is for a user, under setpriv as nobody for
    root (CI), with a copy of the package where nobody cannot read this one."""
    if os.geteuid() != 0:
        return [sys.executable], dict(os.environ)
    setpriv = shutil.which("setpriv")
    require(setpriv is not None,
            "setpriv (util-linux) is missing: as root, no file is unreadable without dropping privileges")
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    environment = {key: value for key, value in os.environ.items() if key not in ("HOME", "PYTHONPATH")}
    environment["HOME"] = str(tmp)
    check = subprocess.run([*prefix, sys.executable, "-c", "import swladder, swladder.baseline"],
                           capture_output=True, text=True, env=environment, timeout=120)
    if check.returncode == 0:
        return [*prefix, sys.executable], environment
    # The checkout is private (a clone under /root): copy the package and numpy.
    import numpy
    packages = tmp / "site"
    for module in (swladder, numpy):
        source = Path(module.__file__).parent
        shutil.copytree(source, packages / source.name)
        libs = source.parent / f"{source.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, packages / libs.name)
    for path in [packages, *packages.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    environment["PYTHONPATH"] = str(packages)
    return [*prefix, os.path.realpath(sys.executable), "-s"], environment


@pytest.fixture
def unreadable():
    """A world-readable folder with a readable FASTA file and an unreadable
    FASTA file, gzip file and matrix file, and the way to run Python there
    without the right to read them."""
    tmp = Path(tempfile.mkdtemp(prefix="swl-perm-"))
    try:
        tmp.chmod(0o755)
        good = tmp / "good.fa"
        good.write_text(">q\nMKVLAW\n")
        secret = tmp / "secret.fa"
        secret.write_text(">s\nMKVLAW\n")
        secret_gz = tmp / "secret.fa.gz"
        secret_gz.write_bytes(gzip.compress(b">s\nMKVLAW\n"))
        secret_matrix = tmp / "secret.txt"
        secret_matrix.write_text((MATRICES / "BLOSUM62.txt").read_text())
        good.chmod(0o644)
        for path in (secret, secret_gz, secret_matrix):
            path.chmod(0)
        prefix, environment = _unprivileged(tmp)
        yield {"dir": tmp, "good": good, "plain": secret, "gz": secret_gz, "matrix": secret_matrix,
               "python": prefix, "env": environment}
    finally:
        for path in tmp.rglob("*"):
            if not path.is_symlink():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(tmp)


def test_unreadable_files_raise_permission_error(unreadable):
    u = unreadable
    done = subprocess.run([*u["python"], "-c", PROBE, str(u["plain"]), str(u["gz"]), str(u["matrix"])],
                          capture_output=True, text=True, env=u["env"], cwd=u["dir"], timeout=300)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout)
    fasta = {path: f"cannot open FASTA file '{u[path]}': Permission denied" for path in ("plain", "gz")}
    matrix = f"cannot open matrix file '{u['matrix']}': Permission denied"
    assert outcomes == {
        "Database": ["PermissionError", fasta["plain"]],
        "Database gz": ["PermissionError", fasta["gz"]],
        "read_fasta": ["PermissionError", fasta["plain"]],
        "read_fasta gz": ["PermissionError", fasta["gz"]],
        "matrix": ["PermissionError", matrix],
        "search matrix": ["PermissionError", matrix],
        "baseline read_fasta": ["PermissionError", fasta["plain"]],
        "baseline read_fasta gz": ["PermissionError", fasta["gz"]],
        "baseline load_matrix": ["PermissionError", matrix],
    }


def test_cli_reports_unreadable_files(unreadable):
    u = unreadable
    good, plain, gz, matrix = (str(u[key]) for key in ("good", "plain", "gz", "matrix"))
    baseline = ["-W", "ignore::RuntimeWarning", "-m", "swladder.baseline"]  # runpy warns: already imported
    cases = [
        (["-m", "swladder", "search", plain, good], "swladder", plain, "FASTA"),
        (["-m", "swladder", "search", good, plain], "swladder", plain, "FASTA"),
        (["-m", "swladder", "search", gz, good], "swladder", gz, "FASTA"),
        (["-m", "swladder", "search", good, gz], "swladder", gz, "FASTA"),
        (["-m", "swladder", "search", "--matrix", matrix, good, good], "swladder", matrix, "matrix"),
        ([*baseline, plain, good], "smith_waterman.py", plain, "FASTA"),
        ([*baseline, good, gz], "smith_waterman.py", gz, "FASTA"),
        ([*baseline, "--matrix", matrix, good, good], "smith_waterman.py", matrix, "matrix"),
    ]
    for args, program, path, kind in cases:
        done = subprocess.run([*u["python"], *args], capture_output=True, text=True, env=u["env"], cwd=u["dir"],
                              timeout=300)
        assert (done.returncode, done.stdout) == (2, ""), (args, done.stderr)
        assert done.stderr == f"{program}: error: cannot open {kind} file '{path}': Permission denied\n", args


def test_missing_files_say_why(tmp_path):
    missing = tmp_path / "missing.fa"
    for read in (swladder.Database, swladder.read_fasta, sw.read_fasta):
        for path in (missing, tmp_path / "missing.fa.gz"):
            with pytest.raises(FileNotFoundError) as caught:
                read(path)
            assert str(caught.value) == f"cannot open FASTA file '{path}': No such file or directory"


# --- Input misread ------------------------------------------------------------------------

HEADER_CASES = [
    (b">ab\x00cd\nMK\n", "1: invalid byte 0x00 in header at column 4"),
    (b">a\nMK\n  >b \x1b[31m\nMK\n", "3: invalid byte 0x1B in header at column 6"),
    (b">a\x7f\nMK\n", "1: invalid byte 0x7F in header at column 3"),
    (b">a b\x01\nMK\n", "1: invalid byte 0x01 in header at column 5"),
]


@pytest.mark.parametrize("content,message", HEADER_CASES)
def test_control_bytes_in_headers_are_errors(tmp_path, content, message):
    path = tmp_path / "x.fa"
    path.write_bytes(content)
    gz = tmp_path / "x.fa.gz"
    gz.write_bytes(gzip.compress(content))
    for source in (path, gz):
        for read in (swladder.Database, swladder.read_fasta, sw.read_fasta):
            with pytest.raises(ValueError) as caught:
                read(source)
            assert str(caught.value) == f"{source}:{message}", read
    with pytest.raises(ValueError) as caught:
        sw.parse_fasta(content.decode("utf-8"), "x")
    assert str(caught.value) == f"x:{message}"
    done = run_cli("search", path, path)
    assert (done.returncode, done.stderr) == (2, f"swladder: error: {path}:{message}\n")


def test_blanks_and_utf8_in_headers_stay_allowed(tmp_path):
    path = tmp_path / "x.fa"
    path.write_bytes(b">a\tb\vc\r\n>\xc3\xa9t\xc3\xa9 d\nMK\n")
    expected = [("a", "b\vc", ""), ("\xe9t\xe9", "d", "MK")]
    assert [tuple(r) for r in swladder.read_fasta(path)] == expected
    assert [tuple(r) for r in sw.read_fasta(path)] == expected


MATRIX_HEAD = "   A  R\nA  5 -2\nR -2 "


@pytest.mark.parametrize("entry,message", [
    ("1099511627776", "score 1099511627776 is outside [-127, 127]"),
    ("-99999999999999999999", "score -99999999999999999999 is outside [-127, 127]"),
    ("300", "score 300 is outside [-127, 127]"),
    ("99999999999x", "score '99999999999x' is not an integer"),
    ("+", "score '+' is not an integer"),
])
def test_matrix_entries_out_of_range(tmp_path, entry, message):
    path = tmp_path / "m.txt"
    path.write_text(MATRIX_HEAD + entry + "\n")
    expected = f"matrix '{path}' line 3: {message}"
    for load in (swladder.matrix, sw.load_matrix):
        with pytest.raises(ValueError) as caught:
            load(str(path))
        assert str(caught.value) == expected


def test_directory_as_matrix(tmp_path):
    expected = f"cannot open matrix file '{tmp_path}': Is a directory"
    for load in (swladder.matrix, sw.load_matrix, lambda m: swladder.search("MKV", ["MKV"], matrix=m)):
        with pytest.raises(IsADirectoryError) as caught:
            load(str(tmp_path))
        assert str(caught.value) == expected
    fasta = tmp_path / "q.fa"
    fasta.write_text(">q\nMKV\n")
    done = run_cli("search", "--matrix", tmp_path, fasta, fasta)
    assert (done.returncode, done.stderr) == (2, f"swladder: error: {expected}\n")
    baseline = subprocess.run([sys.executable, str(BASELINE_SOURCE), "--matrix", str(tmp_path), str(fasta),
                               str(fasta)], capture_output=True, text=True, timeout=120)
    assert (baseline.returncode, baseline.stderr) == (2, f"smith_waterman.py: error: {expected}\n")
