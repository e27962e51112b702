"""Hits as BLAST XML (``-outfmt 5``), element for element as blastp 2.12
writes it for the same search of the same database (a FASTA file as
``makeblastdb`` makes it into one without ``-parse_seqids``): queries are
``Query_1``, ``Query_2``, ..., subjects ``gnl|BL_ORD_ID|`` and their
ordinal in the database, or their Seq-ids, title and accession in a
database made with ``-parse_seqids``, every number
printed as blastp prints it (``%g``), and each iteration ends with its
statistics block, the length adjustment and effective search space computed
as BLAST computes them. Only the version line says who wrote it."""

from __future__ import annotations

import math
from typing import IO, Sequence
from xml.sax.saxutils import escape

from ._hits import QueryHits, SearchSummary
from ._version import __version__

_ENTITIES = {'"': "&quot;", "'": "&apos;"}
# BLAST's reference line, a citation, as blastp prints it (its own text holds an HTML entity).
REFERENCE = ("Stephen F. Altschul, Thomas L. Madden, Alejandro A. Sch&amp;auml;ffer, Jinghui Zhang, Zheng Zhang, "
             "Webb Miller, and David J. Lipman (1997), &quot;Gapped BLAST and PSI-BLAST: a new generation of protein "
             "database search programs&quot;, Nucleic Acids Res. 25:3389-3402.")


def _text(value: str) -> str:
    return escape(value, _ENTITIES)


def _number(value: float) -> str:
    return "%g" % value


def length_adjustment(parameters: dict, query_length: int, db_residues: int, db_sequences: int) -> int:
    """The length adjustment BLAST subtracts from the query and from each
    subject: the largest whole number ell at or below the fixed point of
    ell = alpha/lambda * ln(K (m - ell)(n - N ell)) + beta, found as BLAST
    finds it (at most 20 steps of a bracketed fixed-point iteration, starting
    from 0, and then the ceiling of the lower bracket where it still holds)."""
    m, n, count = float(query_length), float(db_residues), float(db_sequences)
    k, log_k = parameters["K"], math.log(parameters["K"])
    slope, intercept = parameters["alpha"] / parameters["lambda"], parameters["beta"]
    # The largest ell with K (m - ell)(n - N ell) > max(m, n): a root of a quadratic.
    constant = n * m - max(m, n) / k
    if constant < 0:
        return 0
    linear = m * count + n
    upper = 2 * constant / (linear + math.sqrt(linear * linear - 4 * count * constant))

    def image(ell: float) -> float:
        return slope * (log_k + math.log((m - ell) * (n - count * ell))) + intercept

    lower, ell_next, converged = 0.0, 0.0, False
    for step in range(1, 21):
        ell = ell_next
        proposed = image(ell)
        if proposed >= ell:
            lower = ell
            if proposed - lower <= 1.0:
                converged = True
                break
            if lower == upper:
                break
        else:
            upper = ell
        if lower <= proposed <= upper:
            ell_next = proposed
        else:
            ell_next = upper if step == 1 else (lower + upper) / 2
    adjustment = int(lower)
    if converged:
        ceiling = math.ceil(lower)
        if ceiling <= upper and image(ceiling) >= ceiling:
            adjustment = int(ceiling)
    return adjustment


def write_xml(results: Sequence[QueryHits], out: IO[str], database: str) -> None:
    """The report of ``results`` (swladder.hits's) for a search of ``database``
    (its name as the report gives it)."""
    from ._statistics import karlin_altschul

    summary = next((query.search for query in results if query.search is not None), None)
    if summary is None:
        raise ValueError("-outfmt 5 needs the results of a search (swladder.hits), which say how it was scored")
    parameters = karlin_altschul(summary.matrix, summary.gap_open, summary.gap_extend)
    if parameters is None:
        raise ValueError(f"-outfmt 5 reports Karlin-Altschul statistics, and {summary.matrix} with gap costs "
                         f"{summary.gap_open}/{summary.gap_extend} has none published (blastp refuses it too): "
                         "choose another format")
    first = results[0] if results else None
    out.write('<?xml version="1.0"?>\n'
              '<!DOCTYPE BlastOutput PUBLIC "-//NCBI//NCBI BlastOutput/EN" '
              '"http://www.ncbi.nlm.nih.gov/dtd/NCBI_BlastOutput.dtd">\n'
              "<BlastOutput>\n"
              "  <BlastOutput_program>blastp</BlastOutput_program>\n"
              f"  <BlastOutput_version>SWLADDER {__version__} (exact Smith-Waterman; the report of BLASTP "
              "2.12.0+)</BlastOutput_version>\n"
              f"  <BlastOutput_reference>{REFERENCE}</BlastOutput_reference>\n"
              f"  <BlastOutput_db>{_text(database)}</BlastOutput_db>\n")
    if first is not None:
        out.write("  <BlastOutput_query-ID>Query_1</BlastOutput_query-ID>\n"
                  f"  <BlastOutput_query-def>{_text(_definition(first))}</BlastOutput_query-def>\n"
                  f"  <BlastOutput_query-len>{first.qlen}</BlastOutput_query-len>\n")
    expect = "" if summary.evalue is None else f"      <Parameters_expect>{_number(summary.evalue)}</Parameters_expect>\n"
    out.write("  <BlastOutput_param>\n    <Parameters>\n"
              f"      <Parameters_matrix>{_text(summary.matrix)}</Parameters_matrix>\n{expect}"
              f"      <Parameters_gap-open>{summary.gap_open}</Parameters_gap-open>\n"
              f"      <Parameters_gap-extend>{summary.gap_extend}</Parameters_gap-extend>\n"
              "      <Parameters_filter>F</Parameters_filter>\n    </Parameters>\n  </BlastOutput_param>\n"
              "<BlastOutput_iterations>\n")
    for number, query in enumerate(results, start=1):
        _iteration(out, number, query, summary, parameters)
    out.write("</BlastOutput_iterations>\n</BlastOutput>\n\n")  # blastp ends on an empty line


def _definition(query: QueryHits) -> str:
    return f"{query.qseqid} {query.description}" if query.description else query.qseqid


def _iteration(out: IO[str], number: int, query: QueryHits, summary: SearchSummary, parameters: dict) -> None:
    out.write("<Iteration>\n"
              f"  <Iteration_iter-num>{number}</Iteration_iter-num>\n"
              f"  <Iteration_query-ID>Query_{number}</Iteration_query-ID>\n"
              f"  <Iteration_query-def>{_text(_definition(query))}</Iteration_query-def>\n"
              f"  <Iteration_query-len>{query.qlen}</Iteration_query-len>\n"
              "<Iteration_hits>\n")
    for rank, hit in enumerate(query, start=1):
        if hit.ids is not None and hit.ids.parsed:  # a BLAST database made with -parse_seqids
            hit_id, definition, accession = hit.sseqid, hit.stitle or "No definition line", hit.ids.xml_accession
        else:
            hit_id, definition, accession = f"gnl|BL_ORD_ID|{hit.subject_index}", hit.stitle, str(hit.subject_index)
        out.write("<Hit>\n"
                  f"  <Hit_num>{rank}</Hit_num>\n"
                  f"  <Hit_id>{_text(hit_id)}</Hit_id>\n"
                  f"  <Hit_def>{_text(definition)}</Hit_def>\n"
                  f"  <Hit_accession>{_text(accession)}</Hit_accession>\n"
                  f"  <Hit_len>{hit.slen}</Hit_len>\n"
                  "  <Hit_hsps>\n    <Hsp>\n"
                  "      <Hsp_num>1</Hsp_num>\n"
                  f"      <Hsp_bit-score>{_number(hit.bitscore)}</Hsp_bit-score>\n"
                  f"      <Hsp_score>{hit.score}</Hsp_score>\n"
                  f"      <Hsp_evalue>{_number(hit.evalue)}</Hsp_evalue>\n"
                  f"      <Hsp_query-from>{hit.qstart + 1}</Hsp_query-from>\n"
                  f"      <Hsp_query-to>{hit.qend}</Hsp_query-to>\n"
                  f"      <Hsp_hit-from>{hit.sstart + 1}</Hsp_hit-from>\n"
                  f"      <Hsp_hit-to>{hit.send}</Hsp_hit-to>\n"
                  "      <Hsp_query-frame>0</Hsp_query-frame>\n"
                  "      <Hsp_hit-frame>0</Hsp_hit-frame>\n"
                  f"      <Hsp_identity>{hit.nident}</Hsp_identity>\n"
                  f"      <Hsp_positive>{hit.positive}</Hsp_positive>\n"
                  f"      <Hsp_gaps>{hit.gaps}</Hsp_gaps>\n"
                  f"      <Hsp_align-len>{hit.length}</Hsp_align-len>\n"
                  f"      <Hsp_qseq>{hit.qseq}</Hsp_qseq>\n"
                  f"      <Hsp_hseq>{hit.sseq}</Hsp_hseq>\n"
                  f"      <Hsp_midline>{_text(hit.midline)}</Hsp_midline>\n"
                  "    </Hsp>\n  </Hit_hsps>\n</Hit>\n")
    # -dbsize sets the length the adjustment and the search space are worked out for.
    db_length = summary.dbsize if summary.dbsize is not None else summary.db_residues
    adjustment = length_adjustment(parameters, query.qlen, db_length, summary.db_sequences)
    space = summary.searchsp if summary.searchsp is not None else (
        (query.qlen - adjustment) * (db_length - summary.db_sequences * adjustment))
    out.write("</Iteration_hits>\n"
              "  <Iteration_stat>\n    <Statistics>\n"
              f"      <Statistics_db-num>{summary.db_sequences}</Statistics_db-num>\n"
              f"      <Statistics_db-len>{summary.db_residues}</Statistics_db-len>\n"  # the real one, -dbsize or not
              f"      <Statistics_hsp-len>{adjustment}</Statistics_hsp-len>\n"
              f"      <Statistics_eff-space>{space}</Statistics_eff-space>\n"
              f"      <Statistics_kappa>{_number(parameters['K'])}</Statistics_kappa>\n"
              f"      <Statistics_lambda>{_number(parameters['lambda'])}</Statistics_lambda>\n"
              f"      <Statistics_entropy>{_number(parameters['H'])}</Statistics_entropy>\n"
              "    </Statistics>\n  </Iteration_stat>\n")
    if not len(query):
        out.write("  <Iteration_message>No hits found</Iteration_message>\n")
    out.write("</Iteration>\n")
