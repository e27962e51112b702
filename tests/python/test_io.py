"""User-facing input and output: --version, FASTA from standard input, gzip by
magic bytes rather than by name."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest

import swladder
from swladder import cli

from conftest import DATA

QUERY = ">q1 first\nMKTAYIAKQRQISFVKSHFSRQ\n>q2\nHEAGAWGHEE\n"
DB = ">s1\nMKTAYIAKQR\n>s2\nPAWHEAE\n>s3\nWWWW\n"


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], input=stdin, capture_output=True,
                          timeout=300)


def test_version_is_the_package_version():
    from importlib import metadata

    assert swladder.__version__ == metadata.version("swladder")
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"swladder {swladder.__version__}"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "q.fa").write_text(QUERY)
    (tmp_path / "db.fa").write_text(DB)
    return tmp_path


def test_query_from_stdin(files):
    expected = run_cli("search", files / "q.fa", files / "db.fa", "--outfmt", "score")
    done = run_cli("search", "-", files / "db.fa", "--outfmt", "score", stdin=QUERY.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected.stdout and done.stdout.count(b"\n") == 6


def test_database_from_stdin(files):
    expected = run_cli("search", files / "q.fa", files / "db.fa")
    done = run_cli("search", files / "q.fa", "-", stdin=DB.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected.stdout


def test_gzipped_stdin(files):
    expected = run_cli("search", files / "q.fa", files / "db.fa")
    done = run_cli("search", files / "q.fa", "-", stdin=gzip.compress(DB.encode()))
    assert done.stdout == expected.stdout


def test_both_from_stdin_is_an_error(files):
    done = run_cli("search", "-", "-", stdin=QUERY.encode())
    assert done.returncode == 2
    assert b"standard input" in done.stderr and done.stdout == b""


def test_bad_fasta_on_stdin_names_stdin(files):
    done = run_cli("search", files / "q.fa", "-", stdin=b">s1\nMK1T\n")
    assert done.returncode == 2
    assert b"<stdin>" in done.stderr


def test_gzip_is_known_by_its_magic_not_its_name(files):
    disguised = files / "x.fa"
    disguised.write_bytes(gzip.compress(DB.encode()))
    plain = files / "y.fa.gz"
    plain.write_text(DB)
    expected = swladder.read_fasta(files / "db.fa")
    assert swladder.read_fasta(disguised) == expected
    assert swladder.read_fasta(plain) == expected
    for path in (disguised, plain):
        db = swladder.Database(path)
        assert db.names == ["s1", "s2", "s3"] and db.sequences() == ["MKTAYIAKQR", "PAWHEAE", "WWWW"]
    assert swladder.baseline.read_fasta(disguised) == swladder.baseline.read_fasta(plain)
    assert cli.main(["search", str(files / "q.fa"), str(disguised)]) == 0


def test_corrupt_gzip_says_so(files, capsys):
    corrupt = files / "corrupt.fa"
    corrupt.write_bytes(gzip.compress(DB.encode())[:-12] + b"garbage")
    for read in (swladder.read_fasta, swladder.Database, swladder.baseline.read_fasta):
        with pytest.raises(ValueError, match="not a valid gzip file") as error:
            read(corrupt)
        assert str(corrupt) in str(error.value)
    assert cli.main(["search", str(files / "q.fa"), str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert "not a valid gzip file" in err and str(corrupt) in err


def test_stages_auto_is_resolved_from_a_cache(monkeypatch):
    swladder.search("MKT", ["MKT"])  # fill the cache
    calls = []
    real = swladder._core.stages
    monkeypatch.setattr(swladder._core, "stages", lambda: calls.append(1) or real())
    for _ in range(5):
        swladder.search("MKT", ["MKT"])
        swladder.search_detailed("MKT", ["MKT"], stage="scalar")
    swladder.stages()
    swladder.stage_info()
    assert calls == []
