"""swladder: exact Smith-Waterman local alignment scores of a protein query
against a protein database, from a pure-Python program to SIMD and threads,
every rung behind one interface and checked against the same reference.

    >>> import swladder
    >>> db = swladder.Database("data/tursiops_sample.fa")
    >>> scores = swladder.search("MTMDKSELVQKAKLAEQAERYDDMAAAMK", db)   # int32, database order
    >>> swladder.stages()                                                # the ladder, slowest first

Affine gaps: a gap of length k costs gap_open + k * gap_extend (defaults 11
and 1, BLOSUM62), the BLAST/SWIPE/ssearch36 convention.
"""

from ._align import Alignment, align
from ._baseline import baseline
from ._core import ALPHABET, MAX_GAP_PENALTY, MAX_THREADS, builtin_matrices, cpu_features
from ._fasta import Database, read_fasta
from ._hits import Hit, QueryHits, hits, to_dataframe
from ._output import write_hits
from ._search import SearchResult, matrix, score, search, search_detailed, usable_cpus
from ._stages import stage_info, stages
from ._tune import tune
from ._statistics import bit_scores_and_evalues, format_bitscore, format_evalue, karlin_altschul
from ._verify import DEFAULT_SEED, verify
from ._version import __version__

__all__ = [
    "__version__",
    "ALPHABET",
    "DEFAULT_SEED",
    "MAX_GAP_PENALTY",
    "Alignment",
    "MAX_THREADS",
    "Database",
    "Hit",
    "QueryHits",
    "SearchResult",
    "align",
    "bit_scores_and_evalues",
    "builtin_matrices",
    "cpu_features",
    "format_bitscore",
    "format_evalue",
    "hits",
    "karlin_altschul",
    "matrix",
    "read_fasta",
    "score",
    "search",
    "search_detailed",
    "stage_info",
    "stages",
    "usable_cpus",
    "verify",
    "write_hits",
    "to_dataframe",
    "tune",
]
