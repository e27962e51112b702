"""Bad input fails with the exact error type and the C++ message, through the
API and through the command line (one line on stderr, exit status 2)."""

from __future__ import annotations

import errno
import re
import subprocess
import sys

import pytest

import swladder
from swladder import cli
from conftest import compiled_stages

STAGES = ", ".join(["python_naive", "python_tuned", "python_multiprocessing",
                    *(stage["name"] for stage in swladder._core.stages())])
MATRICES = "BLOSUM45, BLOSUM50, BLOSUM62, BLOSUM80, PAM250"


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.fa"
    good.write_text(">q1 a query\nMKVLAWTTRY\n>q2\nWWHKP\n")
    paths = {"good": good, "dir": tmp_path}
    for label, text in {
        "no_header": "MKVL\n>a\nMK\n",
        "empty_name": ">a\nMK\n>   \nMK\n",
        "bad_residue": ">a\nMK\n>b x\nMK\nM9K\n",
        "control_byte": ">a\nM\x01K\n",
    }.items():
        paths[label] = tmp_path / f"{label}.fa"
        paths[label].write_text(text)
    return paths


def fasta_message(paths, label: str) -> str:
    path = paths[label]
    return {
        "no_header": f"{path}:1: sequence data before the first '>' header (is this a FASTA file?)",
        "empty_name": f"{path}:3: header '>' has no sequence name",
        "bad_residue": f"{path}:5: sequence 'b' (header on line 3): invalid residue '9' at position 4",
        "control_byte": f"{path}:2: sequence 'a' (header on line 1): invalid residue byte 0x01 at position 2",
    }[label]


def raises(error_type, message, action):
    with pytest.raises(error_type) as caught:
        action()
    assert type(caught.value) is error_type
    assert str(caught.value) == message


# --- The API ---------------------------------------------------------------------


@pytest.mark.parametrize("label", ["no_header", "empty_name", "bad_residue", "control_byte"])
def test_malformed_fasta(files, label):
    raises(ValueError, fasta_message(files, label), lambda: swladder.Database(files[label]))
    raises(ValueError, fasta_message(files, label), lambda: swladder.read_fasta(files[label]))


def test_missing_file(files):
    missing = files["dir"] / "missing.fa"
    raises(FileNotFoundError, f"cannot open FASTA file '{missing}': No such file or directory",
           lambda: swladder.Database(missing))
    gz = files["dir"] / "missing.fa.gz"
    raises(FileNotFoundError, f"cannot open FASTA file '{gz}': No such file or directory", lambda: swladder.Database(gz))
    directory = files["dir"]
    raises(IsADirectoryError, f"cannot read FASTA file '{directory}': it is a directory",
           lambda: swladder.Database(directory))
    raises(IsADirectoryError, f"cannot read FASTA file '{directory}': it is a directory",
           lambda: swladder.read_fasta(directory))
    matrix = files["dir"] / "missing.txt"
    raises(FileNotFoundError, f"cannot open matrix file '{matrix}': No such file or directory",
           lambda: swladder.matrix(matrix))


def test_file_errors_carry_their_errno(files):
    """As Python's open() raises them: the errno set (its words are in the
    message), from the C++ reader as from the package."""
    directory, missing = files["dir"], files["dir"] / "missing.fa"
    for read, path, error_type, number in (
        (swladder._core.read_fasta, directory, IsADirectoryError, errno.EISDIR),
        (swladder.read_fasta, directory, IsADirectoryError, errno.EISDIR),
        (swladder._core.read_fasta, missing, FileNotFoundError, errno.ENOENT),
        (swladder.Database, missing, FileNotFoundError, errno.ENOENT),
        (swladder.matrix, directory, IsADirectoryError, errno.EISDIR),
        (lambda path: swladder.hits(str(files["good"]), path), directory, IsADirectoryError, errno.EISDIR),
        (lambda path: swladder.hits(str(files["good"]), path), missing, FileNotFoundError, errno.ENOENT),
    ):
        with pytest.raises(error_type) as caught:
            read(str(path))
        assert caught.value.errno == number, (read, path)
        assert str(path) in str(caught.value) and not str(caught.value).startswith("[Errno")


@pytest.mark.parametrize("stage", swladder.stages())
def test_unknown_residue_in_query_and_database(stage):
    raises(ValueError, "sequence 'query': invalid residue '-' at position 3",
           lambda: swladder.search("MK-V", ["MKV"], stage=stage))
    raises(ValueError, "sequence 'seq2': invalid residue '1' at position 2",
           lambda: swladder.search("MKV", ["MKV", "W1"], stage=stage))
    raises(ValueError, "sequence 'second': invalid residue byte 0xC3 at position 3",
           lambda: swladder.search("MKV", [("first", "MKV"), ("second", "MK\u00e9")], stage=stage))


def test_empty_sequence_name_in_pairs():
    raises(ValueError, "database entry #2: empty sequence name", lambda: swladder.Database([("a", "MK"), ("", "W")]))


@pytest.mark.parametrize("stage", swladder.stages())
@pytest.mark.parametrize(
    "gap_open, gap_extend, message",
    [
        (-1, 1, "gap_open must be between 0 and 255, got -1"),
        (11, -2, "gap_extend must be between 0 and 255, got -2"),
        (256, 1, "gap_open must be between 0 and 255, got 256"),
        (10**20, 1, f"gap_open must be between 0 and 255, got {10**20}"),
        (0, 0, "gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded"),
    ],
)
def test_invalid_penalties(stage, gap_open, gap_extend, message):
    raises(ValueError, message,
           lambda: swladder.search("MKV", ["MKV"], stage=stage, gap_open=gap_open, gap_extend=gap_extend))


@pytest.mark.parametrize("stage", swladder.stages())
def test_invalid_penalties_even_with_nothing_to_align(stage):
    raises(ValueError, "gap_open must be between 0 and 255, got -1",
           lambda: swladder.search("", [], stage=stage, gap_open=-1))


@pytest.mark.parametrize("stage", swladder.stages())
def test_unknown_matrix(stage):
    raises(ValueError, f"unknown matrix 'BLOSUM99' (built in: {MATRICES}; or give the path of an NCBI-format "
           "matrix file)", lambda: swladder.search("MKV", ["MKV"], stage=stage, matrix="BLOSUM99"))
    raises(ValueError, f"unknown matrix 'nope' (built in: {MATRICES}; or give the path of an NCBI-format "
           "matrix file)", lambda: swladder.matrix("nope"))


def test_malformed_matrix_file(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("   A  R\nA  4 -1\nR -1\n")
    raises(ValueError, f"matrix '{path}' line 3: expected 2 scores, found 1", lambda: swladder.matrix(path))


def test_unknown_stage():
    raises(ValueError, f"unknown stage 'fastest' (stages: {STAGES})",
           lambda: swladder.search("MKV", ["MKV"], stage="fastest"))
    raises(ValueError, f"unknown stage 'fastest' (stages: {STAGES})", lambda: swladder.verify("fastest"))


@pytest.mark.parametrize("stage", [rung["name"] for rung in compiled_stages()])
def test_unknown_kernel_of_a_compiled_stage(stage):
    with pytest.raises(ValueError) as caught:
        swladder.search("MKV", ["MKV"], stage=stage, kernel="sse9")
    assert type(caught.value) is ValueError
    kernels = next(rung["kernels"] for rung in compiled_stages() if rung["name"] == stage)
    # A stage with one kernel lists exactly it; a dispatching stage lists every kernel it has.
    if kernels == ["scalar"]:
        assert str(caught.value) == f"stage '{stage}' has no kernel 'sse9' (it has: scalar)"
    else:
        assert str(caught.value).startswith(f"stage '{stage}' has no kernel 'sse9' (it has: ")


@pytest.mark.parametrize("stage", ["python_naive", "python_tuned", "python_multiprocessing"])
def test_unknown_kernel_of_a_python_rung(stage):
    raises(ValueError, f"stage '{stage}' has no kernel 'avx2' (it has: python)",
           lambda: swladder.search("MKV", ["MKV"], stage=stage, kernel="avx2"))


def test_wrong_types():
    with pytest.raises(TypeError):
        swladder.search(b"MKV", ["MKV"])
    with pytest.raises(TypeError):
        swladder.search("MKV", ["MKV"], gap_open=1.5)
    with pytest.raises(TypeError):
        swladder.Database(b"MKV")
    for source in (5, None, 1.5):
        with pytest.raises(TypeError, match=f"a database is a FASTA path, .* pairs, not {type(source).__name__}$"):
            swladder.Database(source)


# --- The command line ----------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def assert_one_line_error(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == f"swladder: error: {message}\n"


@pytest.mark.parametrize("label", ["no_header", "empty_name", "bad_residue", "control_byte"])
def test_cli_malformed_fasta(files, label):
    assert_one_line_error(run_cli("search", files["good"], files[label]), fasta_message(files, label))
    assert_one_line_error(run_cli("search", files[label], files["good"]), fasta_message(files, label))


def test_cli_bad_arguments(files):
    good = files["good"]
    missing = files["dir"] / "missing.fa"
    cases = [
        (["search", good, missing], f"cannot open FASTA file '{missing}': No such file or directory"),
        (["search", missing, good], f"cannot open FASTA file '{missing}': No such file or directory"),
        (["search", good, files["dir"]], f"cannot read FASTA file '{files['dir']}': it is a directory"),
        (["search", good, good, "--gap-open", "-1"], "gap_open must be between 0 and 255, got -1"),
        (["search", good, good, "--gap-open", "0", "--gap-extend", "0"],
         "gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded"),
        (["search", good, good, "--matrix", "BLOSUM99"],
         f"unknown matrix 'BLOSUM99' (built in: {MATRICES}; or give the path of an NCBI-format matrix file)"),
        (["search", good, good, "--stage", "fastest"], f"unknown stage 'fastest' (stages: {STAGES})"),
        (["search", good, good, "--stage", "scalar", "--kernel", "sse9"],
         "stage 'scalar' has no kernel 'sse9' (it has: scalar)"),
        (["verify", "--stage", "fastest"], f"unknown stage 'fastest' (stages: {STAGES})"),
    ]
    for args, message in cases:
        assert_one_line_error(run_cli(*args), message)


def test_cli_usage_errors_exit_2():
    for args in ([], ["search"], ["search", "a.fa", "b.fa", "-k", "0"], ["nonsense"]):
        done = run_cli(*args)
        assert done.returncode == 2
        assert re.match(r"swladder: error: ", done.stderr), done.stderr
        assert "Traceback" not in done.stderr


# --- Messages that say what is wrong, where ---------------------------------------------


def test_database_entries_name_the_entry_that_breaks_the_kind():
    raises(TypeError, "database entries must be all sequences (str) or all (name, sequence) pairs; entry #3 is None",
           lambda: swladder.Database(["ACD", "ACD", None]))
    raises(TypeError, "database entries must be all sequences (str) or all (name, sequence) pairs; entry #2 is 'ACD'",
           lambda: swladder.Database([("a", "ACD"), "ACD"]))


def test_hits_of_none_says_what_queries_are():
    raises(TypeError, "queries are a FASTA path, a sequence (str), a list of sequences or (name, sequence) pairs, "
           "not NoneType", lambda: swladder.hits(None, ["ACD"]))


def test_a_binary_matrix_file_is_named_and_its_bytes_are_not_echoed(tmp_path):
    binary = tmp_path / "program"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00 A R\n")
    raises(ValueError, f"matrix file '{binary}' is not a text matrix: it holds binary data (give an NCBI-format "
           "matrix file)", lambda: swladder.search("MKV", ["MKV"], matrix=binary))
    # Without a NUL byte the words are quoted with their odd bytes escaped.
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"\x7fELF\x02\x01 A R\n")
    raises(ValueError, f"matrix '{odd}' line 1: header entry '\\x7fELF\\x02\\x01' is not a residue letter",
           lambda: swladder.matrix(odd))


def test_a_directory_named_as_the_matrix_without_a_slash_is_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in ("data", "./data"):
        raises(IsADirectoryError, f"cannot open matrix file '{name}': Is a directory",
               lambda: swladder.search("MKV", ["MKV"], matrix=name))


def test_cli_message_fixes(tmp_path, monkeypatch):
    good = tmp_path / "good.fa"
    good.write_text(">q1\nMKVLAWTTRY\n")
    binary = tmp_path / "program"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00 A R\n")
    assert_one_line_error(run_cli("search", good, good, "-outfmt", "score qseqid"),
                          "-outfmt score takes no column names (it prints query, subject and score); "
                          "for chosen columns use 6: '6 qseqid score'")
    assert_one_line_error(run_cli("search", good, good, "--matrix", binary),
                          f"matrix file '{binary}' is not a text matrix: it holds binary data (give an NCBI-format "
                          "matrix file)")
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run_cli("search", good, good, "--matrix", "."), "cannot open matrix file '.': Is a directory")
    (tmp_path / "data").mkdir()
    assert_one_line_error(run_cli("search", good, good, "--matrix", "data"),
                          "cannot open matrix file 'data': Is a directory")


def test_cli_evalue_too_small_for_a_double_is_said_as_typed(tmp_path):
    good = tmp_path / "good.fa"
    good.write_text(">q1\nMKVLAWTTRY\n")
    done = run_cli("search", good, good, "-evalue", "1e-400")
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "swladder: error: argument -evalue/-e/--evalue: '1e-400' is too small: it underflows to 0 as a double, and "
        "the E-value cut-off must be positive (the smallest is about 5e-324) (see 'swladder search --help')"]


@pytest.mark.parametrize("args, message", [
    (["search", "q.fa", "d.fa", "-k", "0"],
     "argument -max_target_seqs/-k/--max-target-seqs/--top: must be at least 1, got 0"),
    (["search", "q.fa", "d.fa", "-num_threads", "0"],
     "argument -num_threads/--threads/--num-threads: must be at least 1, got 0"),
    (["search", "q.fa", "d.fa", "--dask-workers", "0"], "argument --dask-workers: must be at least 1, got 0"),
    (["search", "q.fa", "d.fa", "--shards", "0"], "argument --shards: must be at least 1, got 0"),
    (["search", "q.fa", "d.fa", "--gap-open", "x"], "argument -gapopen/--gap-open: not an integer: 'x'"),
    (["search", "q.fa", "d.fa", "-evalue", "e"], "argument -evalue/-e/--evalue: not a number: 'e'"),
    (["search", "q.fa"], "no database: give a FASTA file or a BLAST database's name (or -db DB)"),
    (["search", "-db", "d.fa"], "no query: give a FASTA file of queries (or -query FILE)"),
    (["verify", "--seed", "x"], "argument --seed: not an integer: 'x'"),
    (["shard", "d.fa", "--out", "dir"], "the following arguments are required: --shards"),
    (["ladder", "--repeat", "0"], "argument --repeat: must be at least 1, got 0"),
])
def test_cli_argument_errors_are_one_line(capsys, args, message):
    """The error and where to read the usage, in one line: not argparse's usage block first."""
    with pytest.raises(SystemExit) as caught:
        cli.main(args)
    captured = capsys.readouterr()
    assert caught.value.code == 2
    assert captured.out == ""
    assert captured.err == f"swladder: error: {message} (see 'swladder {args[0]} --help')\n"


def test_cli_command_errors_are_one_line(capsys):
    for args, message in (([], "the following arguments are required: COMMAND"),
                          (["search", "q.fa", "d.fa", "--bogus"], "unrecognized arguments: --bogus")):
        with pytest.raises(SystemExit) as caught:
            cli.main(args)
        assert caught.value.code == 2
        assert capsys.readouterr().err == f"swladder: error: {message} (see 'swladder --help')\n"
