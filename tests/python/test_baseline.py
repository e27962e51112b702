"""The pure-Python program (baseline/smith_waterman.py): its alphabet, FASTA
and matrix readers agree with the C++ ones message for message, its rungs
agree with each other, and it runs as a plain script."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

import swladder
from conftest import BASELINE_SOURCE, REPO, random_cases, sw


def error_of(action) -> tuple[type, str]:
    try:
        action()
    except Exception as error:  # the type is part of what is compared
        return type(error), str(error)
    return type(None), "(no error)"


# --- Alphabet ---------------------------------------------------------------------


def test_lowercase_reads_as_uppercase_and_u_o_j_as_themselves():
    assert sw.encode("ARNDCQEGHILKMFPSTWYVBZX*") == list(range(24))
    assert sw.encode("arndcqeghilkmfpstwyvbzx*") == list(range(24))
    assert sw.encode("UOJuoj") == [24, 25, 26] * 2
    assert sw.canonical("uojUOJ") == "UOJUOJ"
    assert sw.canonical("acuB*z") == "ACUB*Z"


@pytest.mark.parametrize(
    "sequence, name, message",
    [
        ("ACD1EF", "sp|P1", "sequence 'sp|P1': invalid residue '1' at position 4"),
        ("AC-D", "q", "sequence 'q': invalid residue '-' at position 3"),
        ("AC\x01", "q", "sequence 'q': invalid residue byte 0x01 at position 3"),
        ("A\u00e9", "q", "sequence 'q': invalid residue byte 0xC3 at position 2"),
        ("A C", "q", "sequence 'q': invalid residue ' ' at position 2"),
    ],
)
def test_invalid_residues_give_the_cpp_message(sequence, name, message):
    assert error_of(lambda: sw.encode(sequence, name)) == (ValueError, message)
    assert error_of(lambda: swladder._core.check_sequence(sequence, name)) == (ValueError, message)


@pytest.mark.parametrize(
    "gap_open, gap_extend, message",
    [
        (-1, 1, "gap_open must be between 0 and 255, got -1"),
        (11, 256, "gap_extend must be between 0 and 255, got 256"),
        (0, 0, "gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded"),
    ],
)
def test_invalid_penalties_give_the_cpp_message(gap_open, gap_extend, message):
    assert error_of(lambda: sw.validate_penalties(gap_open, gap_extend)) == (ValueError, message)
    assert error_of(lambda: swladder._core.check_scoring("BLOSUM62", gap_open, gap_extend)) == (ValueError, message)


# --- Matrices ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BLOSUM45", "BLOSUM50", "BLOSUM62", "BLOSUM80", "PAM250", "blosum62"])
def test_builtin_matrices_match_the_compiled_tables(name):
    letters, table = swladder.matrix(name)
    parsed = sw.load_matrix(name)
    assert letters == sw.ALPHABET
    assert [[parsed[a][b] for b in letters] for a in letters] == table.tolist()


def test_builtin_names_agree():
    assert sw.builtin_matrix_names() == swladder.builtin_matrices()


HEADER = "   " + "  ".join("ARNDCQEGHILKMFPSTWYVBZX*")
ROWS = sw.load_matrix("BLOSUM62")


def matrix_text(letters: str = sw.NCBI_LETTERS, rows: str | None = None, edit=None) -> str:
    lines = ["# a comment", "  " + " ".join(letters)]
    for a in rows if rows is not None else letters:
        values = [ROWS.get(a.upper(), ROWS["X"]).get(b.upper(), -1) for b in letters]
        lines.append(a + " " + " ".join(str(v) for v in values))
    if edit:
        lines = edit(lines)
    return "\n".join(lines) + "\n"


MATRIX_FILES = {
    "complete": matrix_text(),
    "no_stop": matrix_text(sw.NCBI_LETTERS[:-1]),
    "with_u_column": matrix_text(sw.NCBI_LETTERS + "U"),
    "with_u_o_j": matrix_text(sw.ALPHABET),
    # A J row of its own (the last line), different from the rule's.
    "own_j_scores": matrix_text(sw.NCBI_LETTERS + "J",
                                edit=lambda lines: lines[:-1] + [lines[-1].replace(" 4", " 3")]),
    "lowercase_header": matrix_text(sw.NCBI_LETTERS.lower()),
    "empty": "# nothing\n\n",
    "bad_header": matrix_text(edit=lambda lines: [lines[0], lines[1] + " 7"] + lines[2:]),
    "bad_row_label": matrix_text(edit=lambda lines: lines[:3] + ["1" + lines[3][1:]] + lines[4:]),
    "short_row": matrix_text(edit=lambda lines: lines[:3] + [lines[3].rsplit(" ", 1)[0]] + lines[4:]),
    "not_integer": matrix_text(edit=lambda lines: lines[:3] + [lines[3].replace(" 4 ", " 4x ", 1)] + lines[4:]),
    "out_of_range": matrix_text(edit=lambda lines: lines[:3] + [lines[3].replace(" 4 ", " 128 ", 1)] + lines[4:]),
    "missing_row": matrix_text(rows=sw.NCBI_LETTERS.replace("W", "")),
    "missing_stop_entry": matrix_text(edit=lambda lines: lines[:-1] + [lines[-1].rsplit(" ", 1)[0] + " x"]),
}


@pytest.mark.parametrize("label", sorted(MATRIX_FILES))
def test_matrix_files_parse_like_the_cpp_parser(tmp_path, label):
    path = tmp_path / f"{label}.txt"
    path.write_text(MATRIX_FILES[label])
    cpp = error_of(lambda: swladder.matrix(str(path)))
    python = error_of(lambda: sw.load_matrix(str(path)))
    assert python == cpp
    if cpp[0] is type(None):
        letters, table = swladder.matrix(path)
        parsed = sw.load_matrix(str(path))
        assert [[parsed[a][b] for b in letters] for a in letters] == table.tolist()


def test_unknown_and_missing_matrices(tmp_path):
    for name in ("BLOSUM99", str(tmp_path / "absent.txt")):
        assert error_of(lambda: sw.load_matrix(name)) == error_of(lambda: swladder.matrix(name))
    assert error_of(lambda: sw.load_matrix("BLOSUM99"))[1] == (
        "unknown matrix 'BLOSUM99' (built in: BLOSUM45, BLOSUM50, BLOSUM62, BLOSUM80, PAM250; "
        "or give the path of an NCBI-format matrix file)"
    )
    assert error_of(lambda: sw.load_matrix(str(tmp_path / "absent.txt")))[0] is FileNotFoundError


# --- FASTA ------------------------------------------------------------------------

FASTA_TEXTS = [
    ">a first one\nACDE\r\nFG\n\n>empty\n>b\n  ac de \n;comment\n>c\n*\n",
    "",
    "\n\n",
    ">  spaced\tname with words  \nMK\n",
    "ACDE\n>a\nAC\n",
    ">a\nAC\n>\nAC\n",
    ">a\nAC\n>b x\nAC\nA9C\n",
    ">a\nA\0C\n",
    ">a\nA\u00e9C\n",
    ">a\nAC\nA-C\n",
    ">n\xe9me\nACD\n",
]


@pytest.mark.parametrize("text", FASTA_TEXTS)
def test_fasta_parses_like_the_cpp_reader(text):
    def cpp():
        return [tuple(record) for record in swladder._core.parse_fasta(text.encode("utf-8"), "db.fa")]

    def python():
        return [tuple(record) for record in sw.parse_fasta(text, "db.fa")]

    assert error_of(python) == error_of(cpp)
    if error_of(cpp)[0] is type(None):
        assert python() == cpp()


def test_fasta_files_plain_and_gzipped(tmp_path):
    text = ">x one\nMKV\n>y\n\n>z\nWWw\n"
    (tmp_path / "db.fa").write_text(text)
    with gzip.open(tmp_path / "db.fa.gz", "wt") as stream:
        stream.write(text)
    expected = [("x", "one", "MKV"), ("y", "", ""), ("z", "", "WWw")]
    assert [tuple(r) for r in sw.read_fasta(tmp_path / "db.fa")] == expected
    assert [tuple(r) for r in sw.read_fasta(tmp_path / "db.fa.gz")] == expected
    assert [tuple(r) for r in swladder.read_fasta(tmp_path / "db.fa.gz")] == expected
    missing = str(tmp_path / "missing.fa")
    assert error_of(lambda: sw.read_fasta(missing)) == (FileNotFoundError,
                                                        f"cannot open FASTA file '{missing}': No such file or directory")
    assert error_of(lambda: sw.read_fasta(missing)) == error_of(lambda: swladder.read_fasta(missing))


# --- The rungs ----------------------------------------------------------------------


def test_rungs_are_ordered_and_summarised():
    assert list(sw.RUNGS) == ["python_naive", "python_tuned", "python_multiprocessing"]
    assert all(summary for _, summary in sw.RUNGS.values())
    assert list(swladder.baseline.RUNGS) == list(sw.RUNGS)


def test_installed_copy_is_the_source_file():
    assert swladder.baseline.__file__.endswith("baseline.py")
    with open(swladder.baseline.__file__, "rb") as installed:
        assert installed.read() == BASELINE_SOURCE.read_bytes(), "reinstall the package: swladder.baseline is stale"


def test_naive_and_tuned_agree_on_random_cases():
    for case in random_cases(seed=11, count=40):
        matrix = sw.load_matrix(case.matrix)
        args = (case.query, case.subjects, matrix, case.gap_open, case.gap_extend)
        assert sw.python_naive(*args) == sw.python_tuned(*args), case


def test_multiprocessing_agrees_and_keeps_database_order():
    matrix = sw.load_matrix("BLOSUM62")
    case = random_cases(seed=12, count=1, max_length=80, subjects=40)[0]
    query = case.query or "MKVLAW"
    expected = sw.python_tuned(query, case.subjects, matrix)
    assert sw.python_multiprocessing(query, case.subjects, matrix, processes=2) == expected
    assert sw.python_multiprocessing(query, case.subjects, matrix, processes=1) == expected
    assert sw.python_multiprocessing(query, [], matrix) == []
    assert sw.python_multiprocessing("", ["ACD", ""], matrix) == [0, 0]


def test_gap_of_length_k_costs_open_plus_k_extend():
    matrix = sw.load_matrix("BLOSUM62")
    query, subject = "W" * 20, "W" * 10 + "PPP" + "W" * 10
    for rung, _ in sw.RUNGS.values():
        assert rung(query, [subject], matrix) == [20 * 11 - (11 + 3 * 1)]


def test_empty_sequences_score_zero():
    matrix = sw.load_matrix("BLOSUM62")
    for rung, _ in sw.RUNGS.values():
        assert rung("", ["ACD", ""], matrix) == [0, 0]
        assert rung("ACD", ["", "ACD"], matrix) == [0, 4 + 9 + 6]
        assert rung("ACD", [], matrix) == []


def test_rungs_validate_their_input():
    matrix = sw.load_matrix("BLOSUM62")
    for rung, _ in sw.RUNGS.values():
        assert error_of(lambda: rung("AC1", ["A"], matrix)) == (
            ValueError, "sequence 'query': invalid residue '1' at position 3")
        assert error_of(lambda: rung("AC", ["A", "A-"], matrix)) == (
            ValueError, "sequence 'seq2': invalid residue '-' at position 2")
        assert error_of(lambda: rung("AC", ["A"], matrix, 0, 0))[0] is ValueError


# --- As a script ---------------------------------------------------------------------


@pytest.fixture
def tiny_files(tmp_path, query_records, sample_records):
    query = tmp_path / "query.fa"
    query.write_text("".join(f">{r.name}\n{r.sequence[:60]}\n" for r in query_records[:2]))
    database = tmp_path / "db.fa"
    database.write_text("".join(f">{r.name} {r.description}\n{r.sequence[:80]}\n" for r in sample_records[:6]))
    return query, database


@pytest.mark.parametrize("rung", ["python_naive", "python_tuned", "python_multiprocessing"])
def test_runs_as_a_script(tiny_files, rung):
    query, database = tiny_files
    done = subprocess.run(
        [sys.executable, str(BASELINE_SOURCE), str(query), str(database), "--rung", rung, "--matrix", "PAM250",
         "--gap-open", "10", "--gap-extend", "2"],
        capture_output=True, text=True, cwd=REPO / "tests", check=True,
    )
    db = swladder.Database(database)
    expected = []
    for _, _, sequence in swladder.read_fasta(query):
        scores = swladder.search(sequence, db, stage="scalar", matrix="PAM250", gap_open=10, gap_extend=2)
        expected += [f"{name}\t{score}" for name, score in zip(db.names, scores)]
    assert done.stdout.splitlines() == expected
    assert done.stderr == ""


def test_script_reports_bad_input_on_one_line(tmp_path, tiny_files):
    query, database = tiny_files
    bad = tmp_path / "bad.fa"
    bad.write_text(">q\nAC-D\n")
    for args, message in [
        ([str(bad), str(database)], f"{bad}:2: sequence 'q' (header on line 1): invalid residue '-' at position 3"),
        ([str(query), str(database), "--gap-open", "-3"], "gap_open must be between 0 and 255, got -3"),
        ([str(query), str(database), "--matrix", "NOPE"], "unknown matrix 'NOPE'"),
        ([str(query), str(tmp_path / "none.fa")], "cannot open FASTA file"),
    ]:
        done = subprocess.run([sys.executable, str(BASELINE_SOURCE), *args], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and message in done.stderr
        assert done.stderr.startswith("smith_waterman.py: error: ")


SPAWN_CHECK = """
import multiprocessing, sys
import swladder

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    db = swladder.Database(["MKVLAWTTR", "WWKV", "", "ACDEFGHIKLMNPQRSTVWY" * 3])
    scores = swladder.search("MKVLAW", db, stage="python_multiprocessing", threads=2)
    reference = swladder.search("MKVLAW", db, stage="scalar")
    sys.exit(0 if scores.tolist() == reference.tolist() else 1)
"""


def test_multiprocessing_works_with_spawn_from_the_package(tmp_path):
    script = tmp_path / "spawn_check.py"
    script.write_text(SPAWN_CHECK)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_multiprocessing_works_with_spawn_from_the_script(tiny_files):
    query, database = tiny_files
    runner = (
        "import multiprocessing, runpy, sys\n"
        "multiprocessing.set_start_method('spawn')\n"
        f"sys.argv = [{str(BASELINE_SOURCE)!r}, {str(query)!r}, {str(database)!r}, '--rung', 'python_multiprocessing']\n"
        f"runpy.run_path({str(BASELINE_SOURCE)!r}, run_name='__main__')\n"
    )
    spawned = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, timeout=120)
    plain = subprocess.run([sys.executable, str(BASELINE_SOURCE), str(query), str(database)], capture_output=True,
                           text=True, check=True)
    assert spawned.returncode == 0, spawned.stderr
    assert spawned.stdout == plain.stdout


def test_swladder_finds_the_baseline_in_a_source_checkout(tmp_path):
    # A checkout: python/swladder without the installed copy (baseline.py and
    # matrices/), baseline/smith_waterman.py and core/matrices beside it.
    import shutil

    from conftest import MATRICES

    package = Path(swladder.__file__).parent
    shutil.copytree(package, tmp_path / "python" / "swladder",
                    ignore=shutil.ignore_patterns("baseline.py", "matrices", "data", "__pycache__"))
    (tmp_path / "baseline").mkdir()
    shutil.copy(BASELINE_SOURCE, tmp_path / "baseline" / "smith_waterman.py")
    shutil.copytree(MATRICES, tmp_path / "core" / "matrices")
    code = ("import swladder\n"
            "print(swladder.baseline.__file__)\n"
            "print(swladder.search('HEAGAWGHEE', ['PAWHEAE'], stage='python_tuned', matrix='BLOSUM50',"
            " gap_open=8, gap_extend=2)[0])\n"
            "print(len(swladder.baseline.load_matrix('PAM250')))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path / "python")), timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert lines[0] == str(tmp_path / "baseline" / "smith_waterman.py")
    assert lines[1] == str(sw.python_naive("HEAGAWGHEE", ["PAWHEAE"], sw.load_matrix("BLOSUM50"), 8, 2)[0])
    assert lines[2] == "27"
