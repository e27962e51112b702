"""The swladder command: search output, stages, verify, help."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import swladder
from swladder import cli


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def search_files(tmp_path, query_records, sample_records):
    query = tmp_path / "queries.fa"
    query.write_text("".join(f">{r.name} {r.description}\n{r.sequence}\n" for r in query_records[:2]))
    database = tmp_path / "db.fa"
    # Duplicates make ties, which must stay in database order.
    chosen = sample_records[:30] + [sample_records[3]._replace(name="copy_of_3")]
    database.write_text("".join(f">{r.name}\n{r.sequence}\n" for r in chosen))
    return query, database


def expected_lines(query_path, database_path, top=None, **options) -> list[str]:
    db = swladder.Database(database_path)
    lines = []
    for name, _, sequence in swladder.read_fasta(query_path):
        scores = swladder.search(sequence, db, stage="scalar", **options)
        order = sorted(range(len(db)), key=lambda i: (-scores[i], i))[:top]
        lines += [f"{name}\t{db.names[i]}\t{scores[i]}" for i in order]
    return lines


def test_search_prints_every_subject_best_first(search_files, capsys):
    query, database = search_files
    assert cli.main(["search", str(query), str(database), "--stage", "scalar", "--outfmt", "score"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == expected_lines(query, database)
    assert len(out) == 2 * 31
    first = [line for line in out if line.startswith(out[0].split("\t")[0])]
    scores = [int(line.split("\t")[2]) for line in first]
    assert scores == sorted(scores, reverse=True)


def test_search_keeps_the_top_k_with_options(search_files, capsys):
    query, database = search_files
    args = ["search", str(query), str(database), "-k", "5", "--matrix", "PAM250", "--gap-open", "10",
            "--gap-extend", "2", "--threads", "1", "--outfmt", "score"]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.splitlines() == expected_lines(query, database, top=5, matrix="PAM250",
                                                                   gap_open=10, gap_extend=2)


def test_ties_stay_in_database_order(tmp_path, capsys):
    (tmp_path / "q.fa").write_text(">q\nMKV\n")
    (tmp_path / "db.fa").write_text(">z\nMKV\n>a\nWW\n>m\nMKV\n>b\nMKV\n")
    assert cli.main(["search", str(tmp_path / "q.fa"), str(tmp_path / "db.fa"), "-k", "3", "--outfmt", "score"]) == 0
    assert capsys.readouterr().out == "q\tz\t14\nq\tm\t14\nq\tb\t14\n"


def test_search_with_a_python_rung_as_a_command(search_files):
    query, database = search_files
    done = run_cli("search", query, database, "--stage", "python_tuned", "-k", "3", "--outfmt", "score")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected_lines(query, database, top=3)


def test_stages_lists_every_rung(capsys):
    assert cli.main(["stages"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "kind", "kernels", "summary"]
    rows = [line.split() for line in lines[1:]]
    assert [row[0] for row in rows] == swladder.stages()
    for row, rung in zip(rows, swladder.stage_info()):
        assert row[1] == rung["kind"] and row[2] == ",".join(rung["kernels"])


def test_verify_reports_every_kernel_and_passes(capsys):
    assert cli.main(["verify", "--stage", "scalar", "--stage", "python_tuned"]) == 0
    lines = capsys.readouterr().out.splitlines()
    scalar_kernels = next(r["kernels"] for r in swladder.stage_info() if r["name"] == "scalar")
    assert len(lines) == len(scalar_kernels) + 1
    assert all(": PASS (" in line for line in lines)
    assert lines[0].startswith("scalar [") and lines[-1].startswith("python_tuned [python, 1 thread]: PASS")


def test_verify_exits_1_when_a_rung_fails(monkeypatch, capsys):
    def failing(stage, **options):
        return {"passed": False, "description": f"{stage} [scalar, 1 thread]: FAILED: on purpose"}

    monkeypatch.setattr(swladder._verify, "verify", failing)
    assert cli.main(["verify", "--stage", "naive"]) == 1
    assert "FAILED: on purpose" in capsys.readouterr().out


def test_help_lists_the_subcommands():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("search", "verify", "stages", "tune"):
        assert command in done.stdout
    assert run_cli("search", "--help").returncode == 0


def test_subcommands_are_one_list_to_extend():
    names = []
    parser = cli.build_parser()
    for action in parser._subparsers._group_actions:
        names += list(action.choices)
    assert names == ["search", "shard", "verify", "stages", "tune", "ladder"]
    assert len(cli.SUBCOMMANDS) == len(names)


def test_console_script_is_installed():
    import shutil

    script = shutil.which("swladder", path=str(__import__("pathlib").Path(sys.executable).parent))
    if script is None:
        pytest.skip("package not installed with its console script in this interpreter's bin/")
    done = subprocess.run([script, "stages"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "python_naive" in done.stdout


def test_broken_pipe_is_quiet(search_files):
    query, database = search_files
    command = f"{sys.executable!s} -m swladder search {query} {database} | head -1"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr


def test_scores_match_the_array_api(search_files):
    query, database = search_files
    db = swladder.Database(database)
    sequence = swladder.read_fasta(query)[0][2]
    np.testing.assert_array_equal(swladder.search(sequence, db), swladder.search(sequence, db, stage="scalar"))


def test_running_out_of_memory_is_one_line_and_exit_2(monkeypatch, capsys, search_files):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(swladder._hits, "hits_of_records", exhausted)
    assert cli.main(["search", *map(str, search_files)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "swladder: error: out of memory\n"


def test_an_unknown_cpu_feature_is_an_error_naming_it(tmp_path):
    import os

    query = tmp_path / "q.fa"
    query.write_text(">q\nMKTAYIAKQRQISFVKSHFSRQ\n")
    env = {**os.environ, "SWLADDER_CPU_FEATURES": "sse4.1,avx-2"}
    message = ("SWLADDER_CPU_FEATURES: unknown feature 'avx-2' (known: sse4.1, avx2, bmi2, avx512f, avx512bw, "
               "avx512vl, avx512vbmi; comma or space separated)")
    done = subprocess.run([sys.executable, "-m", "swladder", "search", query, query], env=env, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"swladder: error: {message}\n")
    script = ("import swladder\ntry:\n    swladder.search('MKT', ['MKT'])\nexcept ValueError as error:\n"
              "    print(error)\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == f"{message}\n", done.stderr
