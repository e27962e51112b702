"""BLAST protein databases as makeblastdb writes them: the same search on the
FASTA file and on each database (versions 4 and 5, with and without
-parse_seqids, with -taxid_map, in volumes, under an alias) gives the same
hits; E-values use the database size blastp uses; and every kind of broken
database ends in one line naming the file (exit 2, or a Python exception)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import swladder
from swladder import _blastdb, _core, _hits, _statistics

from conftest import DATA, require

QUERIES = DATA / "queries.fa"
SAMPLE = DATA / "tursiops_sample.fa"

# Every Seq-id form -parse_seqids reads, and every NCBIstdaa letter that is not one of the 20.
CRAFTED = """\
>sp|P69905.2|HBA_HUMAN Hemoglobin subunit alpha
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKL
>pdb|1ABC|A chain A with U, O and J
MVLSPADKTNUKAAWGKVGAHAGEYGAEALEOMFLSFPTTKTYFPHFJLSHGSAQVKGHGKKVADALT
>gi|12345|ref|NP_000509.1| hemoglobin beta with B, Z, X and *
MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATLBZX*SELHCDKLHVDPENFRLLGNV
>lcl|local7 a local id
KVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSF
>plain42
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF
"""


# Every Seq-id form blastp prints an accession of its own for, titles with a
# tab and none, and the taxonomy ids of -taxid_map.
ID_FORMS = """\
>sp|P69905.2|HBA_HUMAN Hemoglobin subunit alpha
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKL
>tr|Q9XYZ1|Q9XYZ1_MOUSE uncharacterised\twith a tab
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHG
>ref|XP_123.4| a RefSeq id alone
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQ
>gnl|mydb|abc123 a general id
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVK
>sp|P12345|NOVER_HUMAN without a version
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKG
>emb|CAA12345.1| an EMBL id
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGH
>pdb|2XYZ|BB a two-letter chain
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHG
>AB123456.1 a bare accession
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGK
>gi|4504349|ref|NP_000509.1| a gi number and a RefSeq id
MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATL
>lcl|local7 a local id
KVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSF
>untitled
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF
"""
ID_TAXA = "sp|P69905.2|HBA_HUMAN\t9606\nQ9XYZ1\t10090\nNP_000509.1\t9606\nlocal7\t10090\nmydb:abc123\t7\n"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (scripts/setup.sh installs it)")
    return path


def run(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr


def run_cli(*args, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swladder", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The FASTA files and a database of each kind made from them."""
    makeblastdb = require_tool("makeblastdb")
    aliastool = require_tool("blastdb_aliastool")
    folder = tmp_path_factory.mktemp("blastdb")
    sample = "".join(f">{name}{' ' + description if description else ''}\n{sequence}\n"
                     for name, description, sequence in swladder.read_fasta(SAMPLE)[:400])
    (folder / "sample.fa").write_text(sample)
    (folder / "crafted.fa").write_text(CRAFTED)
    (folder / "both.fa").write_text(CRAFTED + sample)
    (folder / "crafted.taxa").write_text("sp|P69905.2|HBA_HUMAN\t9606\n1ABC_A\t7\nNP_000509.1\t9606\n"
                                         "local7\t10090\nplain42\t1\n")

    def make(fasta: str, out: str, *options: str) -> None:
        run(makeblastdb, "-in", fasta, "-dbtype", "prot", "-out", out, *options, cwd=folder)

    for version in ("4", "5"):
        make("crafted.fa", f"crafted_v{version}", "-blastdb_version", version)
        make("crafted.fa", f"crafted_ids_v{version}", "-blastdb_version", version, "-parse_seqids")
        make("sample.fa", f"sample_v{version}", "-blastdb_version", version)
        make("sample.fa", f"volumes_v{version}", "-blastdb_version", version, "-max_file_sz", "100000")
    make("crafted.fa", "crafted_taxa", "-parse_seqids", "-taxid_map", "crafted.taxa")
    (folder / "ids.fa").write_text(ID_FORMS)
    (folder / "ids.taxa").write_text(ID_TAXA)
    make("ids.fa", "ids_plain")
    make("ids.fa", "ids_parsed_v4", "-parse_seqids", "-blastdb_version", "4")
    make("ids.fa", "ids_parsed", "-parse_seqids", "-taxid_map", "ids.taxa")
    make("ids.fa", "ids_one_taxon", "-taxid", "9606")
    make("sample.fa", "sample_ids", "-parse_seqids")
    run(aliastool, "-dblist", "crafted_v5 volumes_v5", "-dbtype", "prot", "-out", "both", "-title", "both",
        cwd=folder)
    return folder


def hit_rows(results, names: bool = True) -> list[tuple]:
    rows = []
    for query in results:
        for hit in query:
            row = (hit.qseqid, hit.subject_index, hit.slen, hit.score, hit.evalue, hit.bitscore, hit.qstart, hit.qend,
                   hit.sstart, hit.send, hit.qseq, hit.sseq, hit.btop)
            rows.append(row + ((hit.sseqid, hit.stitle) if names else ()))
    return rows


def local_names(rows: list[tuple]) -> list[tuple]:
    # -parse_seqids reads "lcl|local7" as the local id local7, which blastp prints bare.
    return [row[:-2] + (row[-2].removeprefix("lcl|"), row[-1].removeprefix("lcl|")) for row in rows]


DATABASES = [
    ("crafted_v4", "crafted.fa"), ("crafted_v5", "crafted.fa"), ("crafted_ids_v4", "crafted.fa"),
    ("crafted_ids_v5", "crafted.fa"), ("crafted_taxa", "crafted.fa"), ("sample_v4", "sample.fa"),
    ("sample_v5", "sample.fa"), ("sample_ids", "sample.fa"), ("volumes_v4", "sample.fa"),
    ("volumes_v5", "sample.fa"), ("both", "both.fa"),
]


@pytest.mark.parametrize(("name", "fasta"), DATABASES)
def test_same_hits_as_the_fasta_file(built, name, fasta):
    queries = [(n, s) for n, _, s in swladder.read_fasta(QUERIES)[:2]]
    queries.append(("crafted", "MVLSPADKTNUKAAWGKVGAHAGEYGAEALEOMFLSFPTTKTYFPHFJLSHGSAQVKGHGKKVADALTBZX*SELH"))
    # A small chunk, so that a database is read in several chunks, across volume boundaries.
    expected = swladder.hits(queries, built / fasta, k=50, chunk=20_000, threads=1)
    got = swladder.hits(queries, str(built / name), k=50, chunk=20_000, threads=1)
    assert len(hit_rows(expected)) >= 10
    # With -parse_seqids a subject's ID and title are blastp's (test_id_columns_are_blastps).
    names = "ids" not in name and "taxa" not in name
    assert local_names(hit_rows(got, names)) == local_names(hit_rows(expected, names)) if names else (
        hit_rows(got, names) == hit_rows(expected, names))
    assert swladder.Database(str(built / name)).sequences() == swladder.Database(built / fasta).sequences()


def test_the_first_chunk_is_small_so_that_the_search_starts_at_once(built, monkeypatch):
    monkeypatch.setattr(_blastdb, "FIRST_CHUNK_RESIDUES", 2_000)
    sizes = [chunk.total_residues for chunk in _blastdb.chunks(str(built / "volumes_v5"), 50_000)]
    longest = _core.BlastDatabase(str(built / "volumes_v5")).max_length
    assert 2_000 <= sizes[0] < 2_000 + longest
    assert all(50_000 <= size < 50_000 + longest for size in sizes[1:-1]) and len(sizes) >= 3
    assert sum(sizes) == _core.BlastDatabase(str(built / "volumes_v5")).total_residues


def test_volumes_and_alias_are_read_whole(built):
    assert len(_core.BlastDatabase(str(built / "volumes_v4")).volumes) >= 3
    assert len(_core.BlastDatabase(str(built / "volumes_v5")).volumes) >= 3
    both = _core.BlastDatabase(str(built / "both"))
    assert (len(both), both.title) == (405, "both")
    assert (both.statistics_sequences, both.statistics_residues) == (405, both.total_residues)


def test_seqids_titles_and_taxids_are_read(built):
    database = _core.BlastDatabase(str(built / "crafted_taxa"))
    assert [database.deflines(oid) for oid in range(len(database))] == [
        [("Hemoglobin subunit alpha", ["sp|P69905.2|HBA_HUMAN"], 9606)],
        [("chain A with U, O and J", ["pdb|1ABC|A"], 7)],
        [("hemoglobin beta with B, Z, X and *", ["gi|12345", "ref|NP_000509.1|"], 9606)],
        [("a local id", ["lcl|local7"], 10090)],
        [("", ["lcl|plain42"], 1)],
    ]
    records = swladder.Database(str(built / "crafted_taxa"))
    assert records.names == ["sp|P69905.2|HBA_HUMAN", "pdb|1ABC|A", "gi|12345|ref|NP_000509.1|", "local7", "plain42"]
    # Without -parse_seqids the header is the title, and the name its first word, as in the FASTA file.
    assert swladder.Database(str(built / "crafted_v5")).names == swladder.Database(built / "crafted.fa").names


ID_COLUMNS = "qseqid qacc sseqid sacc saccver sallseqid sallacc sgi staxid staxids stitle salltitles"


def _search_both(blastp: str, db: Path, outfmt: str, tmp_path: Path, *extra: str) -> tuple[str, str]:
    """(blastp's output, swladder's) of the same search of ``db``."""
    queries = tmp_path / "id_query.fa"
    queries.write_text(">sp|Q0|QUERY_HUMAN a query with an ID\n"
                       "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALT\n")
    options = ["-evalue", "1000", "-max_target_seqs", "50", "-outfmt", outfmt, *extra]
    done = subprocess.run([blastp, "-query", str(queries), "-db", str(db), "-comp_based_stats", "0", "-seg", "no",
                           "-use_sw_tback", *options], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ours = run_cli("search", "-query", queries, "-db", db, *options)
    assert ours.returncode == 0, ours.stderr
    return done.stdout, ours.stdout


@pytest.mark.parametrize("name", ["ids_plain", "ids_parsed_v4", "ids_parsed", "ids_one_taxon"])
def test_id_columns_are_blastps(built, tmp_path, name):
    """sseqid, sacc, saccver, sallseqid, sallacc, sgi, staxid(s), stitle and
    salltitles as blastp prints them for the same database, with and without
    -parse_seqids; every record is a hit."""
    blastp = require_tool("blastp")
    theirs, ours = _search_both(blastp, built / name, "6 " + ID_COLUMNS, tmp_path)
    assert len(theirs.splitlines()) == ID_FORMS.count(">")
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())


@pytest.mark.parametrize("name", ["ids_plain", "ids_parsed"])
def test_xml_and_pairwise_name_subjects_as_blastp(built, tmp_path, name):
    blastp = require_tool("blastp")
    theirs, ours = _search_both(blastp, built / name, "5", tmp_path)
    fields = ("Hit_id", "Hit_def", "Hit_accession", "Hit_len")

    def subjects(xml: str) -> list[tuple[str, ...]]:
        from xml.etree import ElementTree

        return sorted(tuple(hit.findtext(field) for field in fields) for hit in ElementTree.fromstring(xml).iter("Hit"))

    assert len(subjects(theirs)) == ID_FORMS.count(">")
    assert subjects(ours) == subjects(theirs)
    theirs, ours = _search_both(blastp, built / name, "0", tmp_path)
    headers = [line for line in theirs.splitlines() if line.startswith(">")]
    assert len(headers) == ID_FORMS.count(">")
    assert sorted(line for line in ours.splitlines() if line.startswith(">")) == sorted(headers)


SEQIDLIST = "P69905\nNP_000509.1\n2XYZ_BB\nlocal7\nmydb:abc123\n\ntr|Q9XYZ1|Q9XYZ1_MOUSE\n"


@pytest.mark.parametrize("option", ["-seqidlist", "-taxids", "-negative_taxids", "-taxidlist", "-negative_taxidlist"])
def test_part_of_a_database_as_blastp_searches_it(built, tmp_path, option):
    """blastp's -seqidlist, -taxids and -negative_taxids: the same records,
    and E-values for those records alone."""
    blastp = require_tool("blastp")
    (tmp_path / "list.txt").write_text(SEQIDLIST)
    (tmp_path / "taxa.txt").write_text("9606\n7\n")
    value = {"-seqidlist": str(tmp_path / "list.txt"), "-taxidlist": str(tmp_path / "taxa.txt"),
             "-negative_taxidlist": str(tmp_path / "taxa.txt")}.get(option, "9606,7")
    theirs, ours = _search_both(blastp, built / "ids_parsed", "6 std sseqid staxids", tmp_path, option, value)
    assert 2 <= len(theirs.splitlines()) < ID_FORMS.count(">")
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())


def test_part_of_a_database_from_python(built):
    whole = swladder.hits(QUERIES, str(built / "ids_parsed"), k=50, threads=1, evalue=1e9)
    part = swladder.hits(QUERIES, str(built / "ids_parsed"), k=50, threads=1, evalue=1e9, seqids=["P69905", "local7"])
    assert {hit.sseqid for query in part for hit in query} == {"sp|P69905.2|HBA_HUMAN", "local7"}
    kept = {(q.qseqid, h.subject_index): h.score for q in whole for h in q}
    assert all(kept[(q.qseqid, h.subject_index)] == h.score for q in part for h in q)
    assert [h.staxid for q in swladder.hits(QUERIES, str(built / "ids_parsed"), k=50, threads=1,
                                            negative_taxids=[9606, 10090]) for h in q] and all(
        h.staxid not in (9606, 10090) for q in swladder.hits(QUERIES, str(built / "ids_parsed"), k=50, threads=1,
                                                              negative_taxids=[9606, 10090]) for h in q)
    with pytest.raises(ValueError, match="cannot be given together"):
        swladder.hits(QUERIES, str(built / "ids_parsed"), seqids=["P69905"], taxids=[9606])
    with pytest.raises(ValueError, match="not a BLAST database|is not one"):
        swladder.hits(QUERIES, built / "ids.fa", taxids=[9606])
    with pytest.raises(ValueError, match="without makeblastdb -parse_seqids"):
        swladder.hits(QUERIES, str(built / "ids_plain"), seqids=["P69905"])
    with pytest.raises(ValueError, match="no taxonomy ids"):
        swladder.hits(QUERIES, str(built / "ids_parsed_v4"), taxids=[9606])
    with pytest.raises(ValueError, match="no sequence .* is selected"):
        swladder.hits(QUERIES, str(built / "ids_parsed"), taxids=[424242])
    with pytest.raises(TypeError):
        swladder.hits(QUERIES, str(built / "ids_parsed"), seqids="P69905")
    with pytest.raises(ValueError, match="not a taxonomy id"):
        swladder.hits(QUERIES, str(built / "ids_parsed"), taxids=[0])


@pytest.mark.parametrize(("args", "words"), [
    (["-taxids", "9606", "-negative_taxids", "7"], "not allowed with argument"),
    (["-taxids", "96x06"], "not a taxonomy id"),
    (["-seqidlist", "missing.txt"], "cannot read -seqidlist 'missing.txt'"),
    (["-seqidlist", "binary.bin"], "binary list"),
    (["-seqidlist", "empty.txt"], "lists no IDs"),
    (["-taxids", "424242"], "no sequence of BLAST database"),
    (["-taxids", "9606", "--outfmt", "score"], "--outfmt score searches the whole database"),
    (["-taxidlist", "bad_taxa.txt"], "-taxidlist 'bad_taxa.txt' line 2: 'human' is not a taxonomy id"),
    (["-negative_taxidlist", "empty.txt"], "-negative_taxidlist 'empty.txt' lists no taxonomy ids"),
    (["-taxidlist", "list.txt", "-out", "list.txt"], "is the -taxidlist file"),
])
def test_bad_parts_are_one_line_and_exit_2(built, tmp_path, args, words):
    (tmp_path / "binary.bin").write_bytes(b"\0\0\0\x02\x07P69905")
    (tmp_path / "empty.txt").write_text("\n# nothing\n")
    (tmp_path / "bad_taxa.txt").write_text("9606\nhuman\n")
    (tmp_path / "list.txt").write_text("9606\n")
    done = run_cli("search", QUERIES, built / "ids_parsed", *args, cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert done.stdout == ""


def test_command_line_by_name_in_the_folder_and_in_blastdb(built, tmp_path):
    expected = run_cli("search", QUERIES, built / "sample.fa", "-outfmt", "6")
    assert expected.returncode == 0, expected.stderr
    here = run_cli("search", QUERIES, "volumes_v5", "-outfmt", "6", cwd=built)
    assert (here.returncode, here.stdout) == (0, expected.stdout), here.stderr
    env = dict(os.environ, BLASTDB=f"{tmp_path}{os.pathsep}{built}")
    found = run_cli("search", QUERIES, "sample_v4", "-outfmt", "6", cwd=tmp_path, env=env)
    assert (found.returncode, found.stdout) == (0, expected.stdout), found.stderr
    scores = run_cli("search", QUERIES, "both", "--outfmt", "score", "--top", "3", cwd=built)
    fasta_scores = run_cli("search", QUERIES, "both.fa", "--outfmt", "score", "--top", "3", cwd=built)
    assert (scores.returncode, scores.stdout) == (0, fasta_scores.stdout.replace("lcl|local7", "local7")), scores.stderr


def _blastp_rows(blastp: str, queries: Path, db: Path) -> dict[tuple[str, str], list[str]]:
    done = subprocess.run([blastp, "-query", str(queries), "-db", str(db), "-comp_based_stats", "0", "-seg", "no",
                           "-use_sw_tback", "-max_target_seqs", "50", "-evalue", "1000", "-outfmt",
                           "6 qseqid sseqid score evalue bitscore"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    first: dict[tuple[str, str], list[str]] = {}
    for line in done.stdout.splitlines():
        fields = line.split("\t")
        first.setdefault((fields[0], fields[1]), fields)
    return first


def test_evalues_are_blastps_with_the_alias_size(built, tmp_path):
    """An alias file's NSEQ and LENGTH are the database size of blastp's
    E-values; without them, the indexes' counts."""
    blastp = require_tool("blastp")
    queries = tmp_path / "q.fa"
    queries.write_text("".join(f">{n}\n{s}\n" for n, _, s in swladder.read_fasta(QUERIES)[:3]))
    (built / "scaled.pal").write_text('TITLE scaled\nDBLIST "volumes_v4"\nNSEQ 4000\nLENGTH 3000000\n')
    for name in ("volumes_v4", "scaled"):
        reference = _blastp_rows(blastp, queries, built / name)
        compared = 0
        for query in swladder.hits(queries, str(built / name), k=50, evalue=1000, threads=1):
            for hit in query:
                fields = reference.get((hit.qseqid, hit.sseqid))
                if fields is None or int(fields[2]) != hit.score or any(c in hit.qseq + hit.sseq for c in "XOJ"):
                    continue
                compared += 1
                assert fields[3] == _statistics.format_evalue(hit.evalue), (name, hit.sseqid, fields)
                assert fields[4] == _statistics.format_bitscore(hit.bitscore), (name, hit.sseqid, fields)
        assert compared >= 10, name
    # A Database read from it keeps that size.
    by_name = swladder.hits(queries, str(built / "scaled"), k=5, threads=1)
    by_database = swladder.hits(queries, swladder.Database(str(built / "scaled")), k=5, threads=1)
    assert hit_rows(by_database) == hit_rows(by_name)
    assert hit_rows(by_name) != hit_rows(swladder.hits(queries, built / "sample.fa", k=5, threads=1))


def test_dask_shard_reads_the_database(built):
    try:
        from swladder import distributed
    except ImportError:
        require(False, "dask and distributed are not installed (scripts/setup.sh installs the dask extra)")
    shards = distributed.shards_of(str(built / "both"))
    assert len(shards) == 1
    settings = _hits.search_settings(k=20, evalue=None, matrix="BLOSUM62", gap_open=11, gap_extend=1, threads=1,
                                     stage="auto", chunk=30_000, kernel=None)
    queries = [(n, d, s) for n, d, s in swladder.read_fasta(QUERIES)[:2]]
    partial = distributed._search_shard(shards[0], queries, settings)
    database = _core.BlastDatabase(str(built / "both"))
    assert (partial.sequences, partial.residues) == (database.statistics_sequences, database.statistics_residues)
    expected = swladder.hits(QUERIES, built / "both.fa", k=20, threads=1)[:2]
    assert [list(kept.index) for kept in partial.kept] == [[hit.subject_index for hit in q] for q in expected]


# --- Broken databases ---------------------------------------------------------------


def copy_database(built: Path, name: str, to: Path) -> Path:
    for path in built.glob(f"{name}.*"):
        shutil.copy(path, to / path.name)
    return to / name


def pin_layout(pin: bytes) -> tuple[int, int]:
    """(where the sequence count is, the count) of a version 4 index."""
    at = 8
    for _ in range(2):  # title, date
        (length,) = struct.unpack(">I", pin[at:at + 4])
        at += 4 + length
    return at, struct.unpack(">I", pin[at:at + 4])[0]


def corrupt(kind: str, built: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A broken database: (its base path, the file the error names, words the error has)."""
    base = copy_database(built, "crafted_v4", tmp_path)
    pin = bytearray(Path(f"{base}.pin").read_bytes())
    if kind == "truncated pin":
        Path(f"{base}.pin").write_bytes(pin[:len(pin) - 5])
        return base, f"{base}.pin", "truncated"
    if kind == "bad version":
        pin[0:4] = struct.pack(">I", 3)
        Path(f"{base}.pin").write_bytes(pin)
        return base, f"{base}.pin", "version 3"
    if kind == "offsets not increasing":
        count_at, count = pin_layout(bytes(pin))
        sequences_at = count_at + 16 + 4 * (count + 1)
        pin[sequences_at + 8:sequences_at + 12] = pin[sequences_at + 4:sequences_at + 8]
        Path(f"{base}.pin").write_bytes(pin)
        return base, f"{base}.pin", "do not increase"
    if kind == "offsets past the end":
        Path(f"{base}.psq").write_bytes(Path(f"{base}.psq").read_bytes()[:-10])
        return base, f"{base}.psq", "truncated"
    if kind == "ber length":
        phr = bytearray(Path(f"{base}.phr").read_bytes())
        at = phr.index(b"\x1a", 4)  # the first title's VisibleString
        phr[at + 1] = 0x7f
        Path(f"{base}.phr").write_bytes(phr)
        return base, f"{base}.phr", "runs past"
    if kind == "truncated phr":
        Path(f"{base}.phr").write_bytes(Path(f"{base}.phr").read_bytes()[:-3])
        return base, f"{base}.phr", "truncated"
    if kind == "truncated pal":
        (tmp_path / "cut.pal").write_text('TITLE cut\nDBLIST "crafted_v4')
        return tmp_path / "cut", f"{tmp_path / 'cut.pal'}:2", "unclosed quote"
    if kind == "bad residue":
        psq = bytearray(Path(f"{base}.psq").read_bytes())
        psq[3] = 40
        Path(f"{base}.psq").write_bytes(psq)
        return base, f"{base}.psq", "no NCBIstdaa residue"
    if kind == "nucleotide":
        fasta = tmp_path / "dna.fa"
        fasta.write_text(">d1\nACGTACGTACGT\n")
        run(require_tool("makeblastdb"), "-in", str(fasta), "-dbtype", "nucl", "-out", str(tmp_path / "dna"))
        return tmp_path / "dna", str(tmp_path / "dna"), "nucleotide"
    if kind == "nucleotide type":
        pin[4:8] = struct.pack(">I", 0)
        Path(f"{base}.pin").write_bytes(pin)
        return base, f"{base}.pin", "nucleotide"
    if kind == "missing volume":
        volumes = copy_database(built, "volumes_v4", tmp_path)
        os.remove(f"{volumes}.01.pin")
        return volumes, f"{volumes}.pal", "missing"
    if kind == "missing psq":
        os.remove(f"{base}.psq")
        return base, f"{base}.psq", "No such file"
    if kind == "alias cycle":
        (tmp_path / "a.pal").write_text('TITLE a\nDBLIST "b"\n')
        (tmp_path / "b.pal").write_text('TITLE b\nDBLIST "crafted_v4" "a"\n')
        return tmp_path / "a", "a.pal", "cycle"
    for key in ("GILIST", "OIDLIST", "SEQIDLIST", "TAXIDLIST"):
        if kind == key:
            (tmp_path / "listed.pal").write_text(f'TITLE listed\nDBLIST "crafted_v4"\n{key} ids.txt\n')
            return tmp_path / "listed", f"{tmp_path / 'listed.pal'}:3", key
    raise AssertionError(kind)


BROKEN = ["truncated pin", "truncated phr", "truncated pal", "bad version", "offsets not increasing",
          "offsets past the end", "ber length",
          "bad residue", "nucleotide", "nucleotide type", "missing volume", "missing psq", "alias cycle", "GILIST",
          "OIDLIST", "SEQIDLIST", "TAXIDLIST"]


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_database_is_one_line_naming_the_file(built, tmp_path, kind):
    base, file, words = corrupt(kind, built, tmp_path)
    done = run_cli("search", QUERIES, base, "-outfmt", "6")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("swladder: error: "), done.stderr
    assert file in lines[0] and words in lines[0], lines[0]
    with pytest.raises((ValueError, OSError), match=words):
        swladder.hits("MVLSPADKTNVKAAWGKV", str(base))
    with pytest.raises((ValueError, OSError), match=words):
        swladder.Database(str(base))


def test_a_file_cut_short_while_open_is_an_error_not_a_crash(built, tmp_path):
    """makeblastdb writing a database again while it is searched: the
    residues file shrinks under the map, whose pages past its new end would
    be SIGBUS. The read that comes next says so instead (in a process of
    its own, which a crash would end)."""
    base = copy_database(built, "sample_v4", tmp_path)
    script = (
        "import os, sys\n"
        "from swladder import _core\n"
        f"database = _core.BlastDatabase({str(base)!r})\n"
        f"os.truncate({str(base) + '.psq'!r}, 4096)\n"
        "try:\n"
        "    database.read(0, len(database))\n"
        "except ValueError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{base}.psq: cut short while it was read (4096 bytes" in done.stdout


def test_a_name_that_is_both_fasta_and_blast_is_ambiguous(built, tmp_path):
    base = copy_database(built, "crafted_v5", tmp_path)
    shutil.copy(built / "crafted.fa", base)
    done = run_cli("search", QUERIES, base)
    assert done.returncode == 2 and "ambiguous" in done.stderr and done.stderr.count("\n") == 1, done.stderr
    with pytest.raises(ValueError, match="ambiguous"):
        swladder.Database(str(base))
    # The index file names the BLAST database; a FASTA file alone stays FASTA.
    assert swladder.Database(f"{base}.pin").names == swladder.Database(built / "crafted.fa").names
    assert _blastdb.resolve(str(built / "crafted.fa")) is None


def test_volumes_without_their_alias_file(built, tmp_path):
    base = copy_database(built, "volumes_v5", tmp_path)
    os.remove(f"{base}.pal")
    database = _core.BlastDatabase(str(base))
    assert len(database.volumes) >= 3
    assert swladder.Database(str(base)).sequences() == swladder.Database(built / "sample.fa").sequences()
    # A volume missing in the middle would drop the ones after it.
    for suffix in ("pin", "psq", "phr"):
        os.remove(f"{base}.01.{suffix}")
    with pytest.raises(ValueError, match=r"volume 1 of .* is missing"):
        swladder.Database(str(base))


def test_an_alias_without_a_title_takes_its_first_databases(built, tmp_path):
    (tmp_path / "untitled.pal").write_text(f'DBLIST "{built / "crafted_v5"}" "{built / "sample_v5"}"\n')
    database = _core.BlastDatabase(str(tmp_path / "untitled"))
    assert (database.title, len(database)) == ("crafted.fa", 405)


def test_shard_refuses_a_blast_database(built, tmp_path):
    done = run_cli("shard", built / "volumes_v4", "--shards", "2", "--out", tmp_path / "shards")
    assert done.returncode == 2 and "is a BLAST database" in done.stderr, done.stderr
    assert not (tmp_path / "shards").exists()
