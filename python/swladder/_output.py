"""Hits as text, the way BLAST users read them: tabular (``-outfmt 6``,
custom columns), commented tabular (``7``), JSON, and the pairwise view
(``0``). Text coordinates are 1-based and inclusive, as BLAST prints them;
numbers are printed as blastp prints them."""

from __future__ import annotations

import json
import math
from typing import IO, Any, Callable, Sequence

from ._hits import ALIGNMENT_FIELDS, Hit, QueryHits, hit_record
from ._statistics import format_bitscore, format_evalue
from ._version import __version__

UNKNOWN = "n/a"  # an E-value or bit score without published statistics

DEFAULT_COLUMNS = ("qaccver", "saccver", "pident", "length", "mismatch", "gapopen", "qstart", "qend", "sstart",
                   "send", "evalue", "bitscore")


def _evalue(value: float) -> str:
    return UNKNOWN if math.isnan(value) else format_evalue(value)


def _bitscore(value: float) -> str:
    return UNKNOWN if math.isnan(value) else format_bitscore(value)


# Column -> (BLAST's name for it in "# Fields:", how to print it).
COLUMNS: dict[str, tuple[str, Callable[[Hit], str]]] = {
    # A FASTA query's ID is its whole first word in every one of these, as blastp prints them.
    "qseqid": ("query id", lambda h: h.qseqid),
    "qacc": ("query acc.", lambda h: h.qseqid),
    "qaccver": ("query acc.ver", lambda h: h.qseqid),
    # A subject's IDs differ only in a BLAST database made with -parse_seqids
    # (blastp prints every one as the first word of the header otherwise).
    "sseqid": ("subject id", lambda h: h.sseqid),
    "sacc": ("subject acc.", lambda h: h.sacc),
    "saccver": ("subject acc.ver", lambda h: h.saccver),
    "sallseqid": ("subject ids", lambda h: h.sallseqid),
    "sallacc": ("subject accs.", lambda h: h.sallacc),
    "sgi": ("subject gi", lambda h: str(h.sgi)),
    "staxid": ("subject tax id", lambda h: str(h.staxid) if h.staxid else "N/A"),
    "staxids": ("subject tax ids", lambda h: ";".join(map(str, h.staxids)) or "0"),
    "pident": ("% identity", lambda h: f"{h.pident:.3f}"),
    "length": ("alignment length", lambda h: str(h.length)),
    "mismatch": ("mismatches", lambda h: str(h.mismatch)),
    "gapopen": ("gap opens", lambda h: str(h.gapopen)),
    "qstart": ("q. start", lambda h: str(h.qstart + 1)),
    "qend": ("q. end", lambda h: str(h.qend)),
    "sstart": ("s. start", lambda h: str(h.sstart + 1)),
    "send": ("s. end", lambda h: str(h.send)),
    "evalue": ("evalue", lambda h: _evalue(h.evalue)),
    "bitscore": ("bit score", lambda h: _bitscore(h.bitscore)),
    "score": ("score", lambda h: str(h.score)),
    "qlen": ("query length", lambda h: str(h.qlen)),
    "slen": ("subject length", lambda h: str(h.slen)),
    "nident": ("identical", lambda h: str(h.nident)),
    "positive": ("positives", lambda h: str(h.positive)),
    "gaps": ("gaps", lambda h: str(h.gaps)),
    "ppos": ("% positives", lambda h: f"{h.ppos:.2f}"),
    "qcovhsp": ("% query coverage per hsp", lambda h: str(h.qcovhsp)),
    # blastp writes a tab in a title as three spaces (which keeps the columns).
    "stitle": ("subject title", lambda h: h.stitle.replace("\t", "   ") or "N/A"),
    "salltitles": ("subject titles", lambda h: h.salltitles.replace("\t", "   ") or "N/A"),
    "btop": ("BTOP", lambda h: h.btop),
    "qseq": ("query seq", lambda h: h.qseq),
    "sseq": ("subject seq", lambda h: h.sseq),
    "cigar": ("cigar", lambda h: h.cigar),
}

TEXT_FORMATS = ("0", "pairwise", "5", "6", "7", "10", "json")
COLUMN_FORMATS = ("6", "7", "10")  # the formats that take column names
SEPARATORS = {"6": "\t", "7": "\t", "10": ","}  # blastp quotes nothing in its CSV either


def parse_outfmt(text: str) -> tuple[str, tuple[str, ...]]:
    """(kind, columns) of an -outfmt value: "6", "7" or "10" with BLAST's
    column names after it ("6 qseqid sseqid score"; "std" stands for the
    twelve default columns, as in blastp: "6 std qlen"), "5", "json",
    "pairwise" or "0". ValueError names what is wrong."""
    words = text.split()
    if not words:
        raise ValueError("empty -outfmt: give 0, 5, 6, 7, 10, json or pairwise (6, 7 and 10 take column names)")
    kind = words[0].lower()
    if kind == "score" and len(words) > 1:
        wanted = [*words[1:], *(["score"] if "score" not in words[1:] else [])]
        raise ValueError("-outfmt score takes no column names (it prints query, subject and score); "
                         f"for chosen columns use 6: '6 {' '.join(wanted)}'")
    if kind not in TEXT_FORMATS:
        raise ValueError(f"unknown output format '{words[0]}': give 0 (or pairwise), 5, 6, 7, 10 or json")
    if kind == "pairwise":
        kind = "0"
    names = words[1:]
    if names and kind not in COLUMN_FORMATS:
        raise ValueError(f"only -outfmt 6, 7 and 10 take column names, not '{words[0]}'")
    columns: list[str] = []
    for column in names:
        if column == "std":
            columns.extend(DEFAULT_COLUMNS)
        elif column in COLUMNS:
            columns.append(column)
        else:
            raise ValueError(f"unknown -outfmt column '{column}' (known: std, {', '.join(COLUMNS)})")
    return kind, tuple(columns) or DEFAULT_COLUMNS


def _tabular(out: IO[str], query: QueryHits, columns: Sequence[str], separator: str = "\t") -> None:
    printers = [COLUMNS[column][1] for column in columns]
    out.write("".join(separator.join(printer(hit) for printer in printers) + "\n" for hit in query))


def _commented(out: IO[str], query: QueryHits, columns: Sequence[str], database: str) -> None:
    out.write(f"# SWLADDER {__version__}\n")
    out.write(f"# Query: {query.qseqid}{' ' + query.description if query.description else ''}\n")
    out.write(f"# Database: {database}\n")
    if len(query):
        out.write("# Fields: " + ", ".join(COLUMNS[column][0] for column in columns) + "\n")
    out.write(f"# {len(query)} hits found\n")
    _tabular(out, query, columns)


def _percent(part: int, whole: int) -> int:
    return int(math.floor(100.0 * part / whole + 0.5)) if whole else 0


def _pairwise(out: IO[str], query: QueryHits) -> None:
    out.write(f"Query= {query.qseqid}{' ' + query.description if query.description else ''}\n\n")
    out.write(f"Length={query.qlen}\n\n")
    if not len(query):
        out.write("***** No hits found *****\n\n")
        return
    for hit in query:
        title = hit.stitle.replace("\t", "   ")
        if hit.ids is not None and hit.ids.parsed:
            # blastp names a record by its accession, then its title.
            title = f"{hit.saccver} {title or 'unnamed protein product'}"
        out.write(f">{title}\nLength={hit.slen}\n\n")
        bits = UNKNOWN if math.isnan(hit.bitscore) else _bitscore(hit.bitscore).strip()
        out.write(f" Score = {bits} bits ({hit.score}),  Expect = {_evalue(hit.evalue)}\n")
        out.write(f" Identities = {hit.nident}/{hit.length} ({_percent(hit.nident, hit.length)}%), "
                  f"Positives = {hit.positive}/{hit.length} ({_percent(hit.positive, hit.length)}%), "
                  f"Gaps = {hit.gaps}/{hit.length} ({_percent(hit.gaps, hit.length)}%)\n\n")
        out.write(hit.pairwise("Query", "Sbjct"))
        out.write("\n\n")


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def write_hits(results: Sequence[QueryHits], file: IO[str], outfmt: str = "6", *, database: str = "") -> None:
    """Writes hits as ``outfmt``: "6" (BLAST tabular: qaccver saccver pident
    length mismatch gapopen qstart qend sstart send evalue bitscore, or the
    columns named after the 6, as blastp's ``-outfmt "6 qseqid score"``),
    "7" (the same with BLAST's comment lines), "10" (the same as CSV), "5"
    (BLAST XML, as blastp writes it for the database made by makeblastdb), "json" (one document, every
    field, 0-based half-open coordinates as in Python, null for unknown
    statistics) or "0"/"pairwise" (BLAST's pairwise report). ``database``
    names the database in the header lines."""
    kind, columns = parse_outfmt(outfmt)
    if kind == "5":
        from ._blast_xml import write_xml

        write_xml(results, file, database)
        return
    if kind == "json":
        document = {
            "program": "swladder", "version": __version__, "database": database,
            "coordinates": "0-based, half-open",
            "queries": [
                {"qseqid": query.qseqid, "description": query.description, "qlen": query.qlen,
                 "hits": [{key: _json_value(value) for key, value in hit_record(hit).items()} for hit in query]}
                for query in results
            ],
        }
        json.dump(document, file, indent=1, allow_nan=False)
        file.write("\n")
        return
    for query in results:
        if kind in ("6", "10"):
            _tabular(file, query, columns, SEPARATORS[kind])
        elif kind == "7":
            _commented(file, query, columns, database)
        else:
            _pairwise(file, query)
    if kind == "7":
        file.write(f"# SWLADDER processed {len(results)} queries\n")


__all__ = ["ALIGNMENT_FIELDS", "COLUMNS", "DEFAULT_COLUMNS", "parse_outfmt", "write_hits"]
