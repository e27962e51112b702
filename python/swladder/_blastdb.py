"""BLAST protein databases as a database source: a name resolved as blastp
resolves it, and chunks of records read from its memory-mapped volumes (the
same Databases a FASTA file streams as).

A name is looked up as given (relative to the current folder), then in each
folder of ``$BLASTDB``: ``name.pal`` (an alias), ``name.pin`` (one volume) or
``name.00.pin`` (volumes). A path that is itself a FASTA file keeps being
read as FASTA; a path that is a file and also the base name of BLAST files
beside it is ambiguous, and an error.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator, Sequence

import numpy as np

from . import _core, _files
from ._fasta import Database

_PROTEIN_SUFFIXES = (".pal", ".pin", ".00.pin")
_NUCLEOTIDE_SUFFIXES = (".nal", ".nin", ".00.nin")


def _has(base: str, suffixes: tuple[str, ...]) -> bool:
    return any(os.path.isfile(base + suffix) for suffix in suffixes)


def resolve(path: str) -> str | None:
    """The base path of the BLAST protein database that ``path`` names, or
    None when it names none (a FASTA file, standard input, or nothing: the
    FASTA reader then says what is wrong). ValueError for an ambiguous name
    or a nucleotide database."""
    if path == "-" or not path:
        return None
    for suffix in (".pal", ".pin"):
        # The alias or index file itself names its database.
        if path.endswith(suffix) and len(path) > len(suffix) and os.path.isfile(path):
            return path[: -len(suffix)]
    exists = os.path.exists(path)
    if _has(path, _PROTEIN_SUFFIXES):
        if exists:
            found = next(path + suffix for suffix in _PROTEIN_SUFFIXES if os.path.isfile(path + suffix))
            raise ValueError(f"database '{path}' is ambiguous: it is a file (FASTA) and the name of the BLAST database "
                             f"'{found}'; give '{found}' for the BLAST database, or rename one of them")
        return path
    if exists:
        return None
    candidates = [path]
    if not os.path.isabs(path):
        folders = os.environ.get("BLASTDB", "").split(os.pathsep)
        candidates += [os.path.join(folder, path) for folder in folders if folder]
    for base in candidates:
        if _has(base, _PROTEIN_SUFFIXES):
            return base
        if _has(base, _NUCLEOTIDE_SUFFIXES):
            raise ValueError(f"'{base}' is a nucleotide BLAST database: swladder searches protein databases")
    return None


# The first chunk's budget at most. Reading a chunk costs about 4 ms a
# million residues (mostly its records' titles), so a first chunk of the
# default 256 M would keep the kernels waiting a second at the start; a
# small first chunk starts them at once, and the others cost the same
# whatever their order.
FIRST_CHUNK_RESIDUES = 1 << 24


def chunks(base: str, residue_budget: int, first: int = 0, last: int | None = None,
           selection: Selection | None = None) -> Iterator[Database]:
    """The records of the database at ``base`` in OID order (those of
    [first, last), and of ``selection`` where given), as Databases of about
    ``residue_budget`` residues each (over it by at most one record), each
    carrying the whole database's size for E-values (an alias file's
    LENGTH and NSEQ where it gives them, which may differ from the records
    read; a selection's own size), its records' OIDs (``_oids``) and the
    database it came from (``_blast``, for the records' def-lines)."""
    database = _core.BlastDatabase(base)
    size = _statistics_size(database) if selection is None else (selection.residues, selection.sequences)
    last = len(database) if last is None else min(last, len(database))
    if selection is None:
        budget = min(residue_budget, FIRST_CHUNK_RESIDUES)
        while first < last:
            end = database.chunk_end(first, budget)
            budget = residue_budget
            end = min(end, last)
            yield _chunk(database, database.read(first, end), np.arange(first, end, dtype=np.int64), size)
            first = end
        return
    inside = (selection.oids >= first) & (selection.oids < last)
    oids, lengths = selection.oids[inside], selection.lengths[inside]
    # Cut where the running total passes each multiple of the budget, so
    # that a chunk ends on the record that brings it to the budget.
    ends = np.cumsum(lengths)
    start = 0
    while start < len(oids):
        reached = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, reached + residue_budget, side="left")) + 1
        stop = min(stop, len(oids))
        yield _chunk(database, database.read_oids(oids[start:stop]), oids[start:stop], size)
        start = stop


def _chunk(database: _core.BlastDatabase, records: _core.Database, oids: np.ndarray,
           size: tuple[int, int]) -> Database:
    chunk = Database(records)
    chunk._statistics_size = size
    chunk._oids = oids
    chunk._blast = database
    return chunk


def read_all(base: str) -> Database:
    """Every record of the database at ``base``, as one chunk."""
    database = _core.BlastDatabase(base)
    return _chunk(database, database.read(0, len(database)), np.arange(len(database), dtype=np.int64),
                  _statistics_size(database))


def _statistics_size(database: _core.BlastDatabase) -> tuple[int, int]:
    return database.statistics_residues, database.statistics_sequences


# --- Subjects' identifiers as blastp prints them ----------------------------------------


def ordinal_only(seqids: Sequence[str]) -> bool:
    """Whether a def-line's Seq-ids are only the ordinal makeblastdb gives a
    record without -parse_seqids (gnl|BL_ORD_ID|n)."""
    return len(seqids) == 1 and seqids[0].startswith("gnl|BL_ORD_ID|")

# The Seq-id types that carry an accession (FASTA prefix of each).
_TEXT_ACCESSIONS = ("ref", "gb", "emb", "dbj", "sp", "tr", "pir", "prf", "tpg", "tpe", "tpd", "gpp", "nat")


def _rank(seqid: str) -> int:
    """Which of a def-line's Seq-ids names its accession (lower first): an
    accession over a PDB id, a patent, a general or a local id, and a gi
    number last, as blastp chooses NP_000509 from gi|12345|ref|NP_000509.1|."""
    kind = seqid.split("|", 1)[0]
    order = ("text", "pdb", "pat", "gnl", "lcl", "gi")
    return order.index("text" if kind in _TEXT_ACCESSIONS else kind) if kind in (*_TEXT_ACCESSIONS, *order) else 9


def accessions(seqid: str) -> tuple[str, str]:
    """(accession, accession.version) of one Seq-id as FASTA writes it, as
    blastp's sacc and saccver print them: sp|P69905.2|HBA_HUMAN gives
    P69905 and P69905.2, pdb|1A3N|A gives 1A3N_A, gnl|db|tag gives db:tag,
    lcl|x gives x."""
    kind, _, rest = seqid.partition("|")
    fields = rest.split("|")
    if kind in _TEXT_ACCESSIONS:
        versioned = fields[0] or (fields[1] if len(fields) > 1 else "")
        return versioned.rsplit(".", 1)[0] if fields[0] and "." in versioned else versioned, versioned
    if kind == "pdb":
        name = fields[0] + (f"_{fields[1]}" if len(fields) > 1 and fields[1] else "")
        return name, name
    if kind == "gnl" and len(fields) > 1:
        name = f"{fields[0]}:{'|'.join(fields[1:])}"
        return name, name
    if kind == "pat":
        name = "_".join(field for field in fields if field)
        return name, name
    return rest, rest


@dataclasses.dataclass(frozen=True)
class SubjectIds:
    """A BLAST database record's identifiers and titles as blastp 2.12
    prints them (its sseqid, sacc, saccver, sallseqid, sallacc, sgi, stitle,
    salltitles, staxid and staxids columns). With -parse_seqids (``parsed``)
    they come from the def-lines' Seq-ids and the title is the text after
    the ID; without it (and for a FASTA file) every ID column is the
    header's first word and the title the whole header."""

    seqid: str
    acc: str
    accver: str
    allseqid: str
    allacc: str
    gi: int
    title: str
    alltitles: str
    taxid: int  # 0: none
    taxids: tuple[int, ...]
    parsed: bool
    xml_accession: str  # BLAST XML's Hit_accession (a general id's tag alone)

    @classmethod
    def of_record(cls, database: _core.BlastDatabase, oid: int) -> SubjectIds | None:
        """The IDs of record ``oid``, or None where they are those of a FASTA
        record (made without -parse_seqids, and without a taxonomy id)."""
        deflines = database.deflines(oid)
        if len(deflines) == 1 and not deflines[0][2] and ordinal_only(deflines[0][1]):
            return None
        return cls.of_deflines(deflines)

    @classmethod
    def of_deflines(cls, deflines: Sequence[tuple[str, Sequence[str], int | None]]) -> SubjectIds:
        taxids = tuple(sorted({taxid for _, _, taxid in deflines if taxid}))
        first_title, first_ids, first_taxid = deflines[0]
        if ordinal_only(first_ids):
            name = first_title.split(maxsplit=1)[0] if first_title.strip() else first_ids[0]
            return cls(name, name, name, name, name, 0, first_title, first_title, first_taxid or 0, taxids, False,
                       name)
        names, accs, gis = [], [], []
        for _, ids, _ in deflines:
            # A lone local id prints bare, as blastp prints it.
            names.append(ids[0][4:] if len(ids) == 1 and ids[0].startswith("lcl|") else "|".join(ids))
            best = min(ids, key=_rank)
            accs.append(accessions(best))
            gis += [int(seqid[3:]) for seqid in ids if seqid.startswith("gi|") and seqid[3:].isdigit()]
        best = min(first_ids, key=_rank)
        kind, _, rest = best.partition("|")
        xml_accession = rest.split("|", 1)[1] if kind == "gnl" and "|" in rest else accs[0][0]
        return cls(names[0], accs[0][0], accs[0][1], ";".join(names), ";".join(acc for acc, _ in accs),
                   gis[0] if gis else 0, first_title, "<>".join(title for title, _, _ in deflines),
                   first_taxid or 0, taxids, True, xml_accession)


def selection_keys(deflines: Sequence[tuple[str, Sequence[str], int | None]]) -> set[str]:
    """What a -seqidlist entry may be to select a record: any of its Seq-ids
    as FASTA writes it, its accession with or without the version, a local
    id bare, a gi number."""
    found: set[str] = set()
    for _, ids, _ in deflines:
        for seqid in ids:
            found.add(seqid)
            found.update(accessions(seqid))
    return found


# --- Part of a database: blastp's -seqidlist, -taxids and -negative_taxids ------------------


@dataclasses.dataclass(frozen=True)
class Selection:
    """The records of a database a search reads (OIDs ascending, and their
    lengths), with the size blastp's E-values use for it: the records'
    residues and their number."""

    oids: np.ndarray
    lengths: np.ndarray

    @property
    def residues(self) -> int:
        return int(self.lengths.sum())

    @property
    def sequences(self) -> int:
        return len(self.oids)


def read_list(option: str, path: str) -> list[tuple[int, str]]:
    """The entries of a list file of blastp's (-seqidlist, -taxidlist): one
    a line, as (line number, text), blank lines and '#' comments skipped.
    blastdb_aliastool's binary form is refused."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise _files.os_error(type(error), error.errno,
                              f"cannot read {option} '{path}': {error.strerror or error}") from None
    if b"\0" in data[:4096]:
        raise ValueError(f"{option} '{path}' is a binary list (blastdb_aliastool): give the text list it was made "
                         "from, one entry a line")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise ValueError(f"{option} '{path}' is not ASCII text (byte {error.start})") from None
    entries = [(number, line.split("#", 1)[0].strip()) for number, line in enumerate(text.splitlines(), start=1)]
    return [(number, entry) for number, entry in entries if entry]


def read_seqidlist(path: str) -> set[str]:
    """The IDs of a -seqidlist file (read_list)."""
    ids = {entry for _, entry in read_list("-seqidlist", path)}
    if not ids:
        raise ValueError(f"-seqidlist '{path}' lists no IDs")
    return ids


def select(base: str, seqids: set[str] | None = None, taxids: set[int] | None = None,
           negative_taxids: set[int] | None = None) -> Selection:
    """The records of the database at ``base`` whose Seq-ids include one of
    ``seqids`` (an accession with or without its version, as blastp matches
    a -seqidlist), whose taxonomy ids include one of ``taxids``, and none of
    ``negative_taxids``; each given filter applies. Reads every record's
    def-lines once. ValueError when the database has no Seq-ids to match
    (made without -parse_seqids) or no record is selected."""
    database = _core.BlastDatabase(base)
    chosen = []
    parsed = False
    with_taxids = False
    for oid in range(len(database)):
        deflines = database.deflines(oid)
        record_taxids = {taxid for _, _, taxid in deflines if taxid}
        with_taxids = with_taxids or bool(record_taxids)
        without_ids = ordinal_only(deflines[0][1])
        parsed = parsed or not without_ids
        if seqids is not None and (without_ids or not seqids & selection_keys(deflines)):
            continue
        if taxids is not None and not taxids & record_taxids:
            continue
        if negative_taxids is not None and negative_taxids & record_taxids:
            continue
        chosen.append(oid)
    if seqids is not None and not parsed:
        raise ValueError(f"BLAST database '{base}' holds no Seq-ids to match a -seqidlist against: it was made "
                         "without makeblastdb -parse_seqids")
    if (taxids is not None or negative_taxids is not None) and not with_taxids:
        raise ValueError(f"BLAST database '{base}' holds no taxonomy ids: make it with makeblastdb -taxid or "
                         "-taxid_map to filter by -taxids or -negative_taxids")
    if not chosen:
        raise ValueError(f"no sequence of BLAST database '{base}' is selected by the "
                         f"{' and '.join(name for name, given in (('-seqidlist', seqids), ('-taxids', taxids), ('-negative_taxids', negative_taxids)) if given is not None)}")
    oids = np.array(chosen, dtype=np.int64)
    return Selection(oids, database.lengths()[oids])
