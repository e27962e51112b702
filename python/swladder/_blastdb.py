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

import os
from typing import Iterator

from . import _core
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


def chunks(base: str, residue_budget: int) -> Iterator[Database]:
    """The records of the database at ``base`` in OID order, as Databases of
    about ``residue_budget`` residues each (over it by at most one record),
    each carrying the whole database's size for E-values (an alias file's
    LENGTH and NSEQ where it gives them, which may differ from the records
    read)."""
    database = _core.BlastDatabase(base)
    size = _statistics_size(database)
    first = 0
    while first < len(database):
        last = database.chunk_end(first, residue_budget)
        chunk = Database(database.read(first, last))
        chunk._statistics_size = size
        yield chunk
        del chunk  # let the consumer's release of this chunk free it before the next is read
        first = last


def read_all(base: str) -> tuple[_core.Database, tuple[int, int]]:
    """Every record of the database at ``base``, and its size for E-values."""
    database = _core.BlastDatabase(base)
    return database.read(0, len(database)), _statistics_size(database)


def _statistics_size(database: _core.BlastDatabase) -> tuple[int, int]:
    return database.statistics_residues, database.statistics_sequences
