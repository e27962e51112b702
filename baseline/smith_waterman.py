#!/usr/bin/env python3
"""Smith-Waterman local alignment scores in pure Python: the program the
speedup ladder starts from.

One protein query is aligned against every sequence of a protein database;
the result is the best local alignment score of each pair (Smith-Waterman
with affine gaps, Gotoh's three-state recurrence). A gap of length k costs
gap_open + k * gap_extend, the BLAST, SWIPE and ssearch36 convention
(parasail's ``open`` is our gap_open + gap_extend).

The first three rungs of the ladder live here, all with one signature,
``rung(query, subjects, matrix, gap_open=11, gap_extend=1) -> list[int]``:

python_naive
    What a scientist writes first: three full matrices, scores looked up by
    letter in a dict of dicts, ``max()``. The C++ stage ``naive`` is its
    line-for-line port.
python_tuned
    The best pure Python: two rows, residues encoded as ints, a query profile,
    comparisons instead of ``max()``, everything in local variables. The C++
    stage ``scalar`` is its port.
python_multiprocessing
    python_tuned fanned out over the database on every core.

Standard library only, so that it runs anywhere as a plain script:

    python smith_waterman.py QUERY.fa DB.fa [--rung python_tuned] [--matrix BLOSUM62|PATH]
                                            [--gap-open 11] [--gap-extend 1]

It prints one line per database sequence and query: name TAB score. The
installed package ships this file as ``swladder.baseline``.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import math
import os
import re
import signal
import sys
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, Sequence

__all__ = [
    "ALPHABET",
    "MAX_GAP_PENALTY",
    "MAX_PROCESSES",
    "RUNGS",
    "FastaRecord",
    "builtin_matrix_names",
    "encode",
    "load_matrix",
    "canonical",
    "parse_fasta",
    "parse_matrix",
    "pool_size",
    "usable_cpus",
    "python_multiprocessing",
    "python_naive",
    "python_tuned",
    "read_fasta",
    "validate_penalties",
    "main",
]

# --- The alphabet -------------------------------------------------------------

# The 24 NCBI letters, in the order the substitution matrices use, then U
# (selenocysteine), O (pyrrolysine) and J (I or L): with codes of their own they
# come back as themselves, and score by the rule of STAND_INS.
NCBI_LETTERS = "ARNDCQEGHILKMFPSTWYVBZX*"
ALPHABET = NCBI_LETTERS + "UOJ"
CODE_X = ALPHABET.index("X")

# The NCBI letters whose scores U, O and J take where a matrix file does not
# give theirs: U as C (as blastp and ssearch36 do), O as K (a lysine derivative;
# as ssearch36 does), J as the better of I and L (as ssearch36 does).
STAND_INS = {"U": "C", "O": "K", "J": "IL"}


def _build_codes() -> dict[str, int]:
    codes: dict[str, int] = {}
    for code, letter in enumerate(ALPHABET):
        codes[letter] = codes[letter.lower()] = code
    return codes


_CODES = _build_codes()


def _describe_character(character: str) -> str:
    """Names an invalid character the way the C++ code names the byte it sees
    (the first byte of its UTF-8 encoding), so both give the same message."""
    value = ord(character)
    if 0x20 <= value < 0x7F:
        return f"'{character}'"
    if 0xDC80 <= value <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"byte 0x{value - 0xDC00:02X}"
    first_byte = character.encode("utf-8", "surrogatepass")[0]
    return f"byte 0x{first_byte:02X}"


def _invalid_residue(sequence: str, name: str) -> ValueError:
    for position, character in enumerate(sequence, start=1):
        if character not in _CODES:
            return ValueError(
                f"sequence '{name}': invalid residue {_describe_character(character)} at position {position}"
            )
    raise AssertionError("no invalid residue")  # callers only come here after a lookup failed


def encode(sequence: str, name: str = "query") -> list[int]:
    """Residue codes (indices into ALPHABET). Lowercase reads as uppercase,
    every letter A-Z has a code, anything else is a ValueError that names
    the sequence and the 1-based position."""
    codes = _CODES
    try:
        return [codes[character] for character in sequence]
    except KeyError:
        raise _invalid_residue(sequence, name) from None


def canonical(sequence: str, name: str = "query") -> str:
    """The sequence in ALPHABET letters: uppercase."""
    return "".join(ALPHABET[code] for code in encode(sequence, name))


# --- Scoring -------------------------------------------------------------------

MAX_GAP_PENALTY = 255


def validate_penalties(gap_open: int, gap_extend: int) -> None:
    """The same rules and messages as the C++ Scoring::validate."""
    for what, value in (("gap_open", gap_open), ("gap_extend", gap_extend)):
        if value < 0 or value > MAX_GAP_PENALTY:
            raise ValueError(f"{what} must be between 0 and {MAX_GAP_PENALTY}, got {value}")
    if gap_open + gap_extend == 0:
        raise ValueError(
            "gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded"
        )


Matrix = dict[str, dict[str, int]]

# Where the published tables live: next to this file once installed in the
# package, core/matrices/ when run from the source tree.
_MATRIX_DIRS = (
    Path(__file__).resolve().parent / "matrices",
    Path(__file__).resolve().parent.parent / "core" / "matrices",
)

_INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_matrix(text: str, name: str) -> Matrix:
    """Parses a substitution matrix in the NCBI text format into a dict of
    dicts over ALPHABET, with the rules and messages of the C++ parser:
    '#' comments, a header row of letters, one row per letter; a missing '*'
    row and column score the table's minimum (and 1 against itself), as NCBI's
    do; entries must lie in [-127, 127]; U, O and J entries the file gives are
    used, those it lacks follow STAND_INS (the best over the stand-ins)."""

    def fail(line_number: int, what: str) -> ValueError:
        return ValueError(f"matrix '{name}' line {line_number}: {what}")

    def code_of(word: str) -> int:
        if len(word) != 1 or word not in _CODES:
            return -1
        return _CODES[word]

    size = len(ALPHABET)
    scores = [[0] * size for _ in range(size)]
    seen = [[False] * size for _ in range(size)]
    column_codes: list[int] = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if not column_codes:
            for word in words:
                code = code_of(word)
                if code < 0:
                    raise fail(line_number, f"header entry '{word}' is not a residue letter")
                column_codes.append(code)
            continue
        row_code = code_of(words[0])
        if row_code < 0:
            raise fail(line_number, f"row label '{words[0]}' is not a residue letter")
        if len(words) != len(column_codes) + 1:
            raise fail(line_number, f"expected {len(column_codes)} scores, found {len(words) - 1}")
        for column_code, word in zip(column_codes, words[1:]):
            if not _INTEGER.fullmatch(word):
                raise fail(line_number, f"score '{word}' is not an integer")
            value = int(word)
            if value < -127 or value > 127:
                raise fail(line_number, f"score {word} is outside [-127, 127]")
            scores[row_code][column_code] = value
            seen[row_code][column_code] = True
    if not column_codes:
        raise ValueError(f"matrix '{name}': no header row of residue letters")

    stop = ALPHABET.index("*")
    stop_missing = not any(seen[stop])
    minimum = 127
    for a in range(len(NCBI_LETTERS)):
        for b in range(len(NCBI_LETTERS)):
            if a == stop or b == stop:
                continue
            if not seen[a][b]:
                raise ValueError(f"matrix '{name}': no score for {ALPHABET[a]}/{ALPHABET[b]}")
            minimum = min(minimum, scores[a][b])
    for a in range(len(NCBI_LETTERS)):
        for row, column in ((a, stop), (stop, a)):
            if seen[row][column]:
                continue
            if not stop_missing:
                raise ValueError(f"matrix '{name}': no score for {ALPHABET[a]}/*")
            scores[row][column] = 1 if a == stop else minimum

    def stand_ins(code: int) -> list[int]:
        return [ALPHABET.index(letter) for letter in STAND_INS.get(ALPHABET[code], ALPHABET[code])]

    for a in range(size):
        for b in range(len(NCBI_LETTERS), size):
            for row, column in ((a, b), (b, a)):
                if not seen[row][column]:
                    scores[row][column] = max(scores[r][c] for r in stand_ins(row) for c in stand_ins(column))
    return {ALPHABET[a]: {ALPHABET[b]: scores[a][b] for b in range(size)} for a in range(size)}


def builtin_matrix_names() -> list[str]:
    for directory in _MATRIX_DIRS:
        if directory.is_dir():
            return sorted(path.stem.upper() for path in directory.glob("*.txt"))
    return []


def load_matrix(name_or_path: str) -> Matrix:
    """A published table by name (case-insensitive), or an NCBI matrix file:
    the C++ ScoreMatrix::named_or_file rules and messages."""
    wanted = str(name_or_path).upper()
    names = builtin_matrix_names()
    if wanted in names:
        for directory in _MATRIX_DIRS:
            path = directory / f"{wanted}.txt"
            if path.is_file():
                return parse_matrix(path.read_text(encoding="ascii"), wanted)
    text_name = str(name_or_path)
    if "/" in text_name or "." in text_name:
        try:
            text = Path(text_name).read_bytes().decode("utf-8", "surrogateescape")
        except OSError as error:
            raise _open_error("cannot open matrix file", text_name, error) from None
        return parse_matrix(text, text_name)
    raise ValueError(
        f"unknown matrix '{text_name}' (built in: {', '.join(names)}; "
        "or give the path of an NCBI-format matrix file)"
    )


# --- FASTA -----------------------------------------------------------------------


class FastaRecord(NamedTuple):
    name: str  # the header up to the first whitespace
    description: str  # the rest of the header line
    sequence: str  # residues with line breaks and blanks removed, as written


_BLANKS = " \t\r\v\f"


# Control characters other than the blanks: never part of a name or description.
_HEADER_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def _open_error(action: str, path: str, error: OSError) -> OSError:
    """The error the C++ code gives for a file it cannot open: the same type
    (by errno: PermissionError, FileNotFoundError, IsADirectoryError...) and
    the same words, "cannot open FASTA file 'x': Permission denied"."""
    reason = error.strerror or str(error)
    out = type(error)(f"{action} '{path}': {reason}")
    out.errno = error.errno
    return out


def parse_fasta(text: str, source: str = "<string>") -> list[FastaRecord]:
    """The C++ parse_fasta rules and messages: every record is kept (an empty
    one too); blank lines and ';' lines are skipped; text before the first '>'
    and a header with no name are errors, as are a control character in a
    header (other than tab, CR, VT, FF) and any byte that can never be a
    residue, named with file, line, record and position."""
    records: list[list[str]] = []
    pieces: list[str] = []  # the current record's sequence lines
    length = 0  # residues in the current record so far
    record_line = 0
    for line_number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(_BLANKS)
        if not stripped or stripped[0] == ";":
            continue
        if stripped[0] == ">":
            control = _HEADER_CONTROL.search(line)
            if control:
                raise ValueError(f"{source}:{line_number}: invalid {_describe_character(control.group())} "
                                 f"in header at column {control.start() + 1}")
            if records:
                records[-1][2] = "".join(pieces)
            header = stripped[1:].strip(_BLANKS)
            parts = re.split(f"[{_BLANKS}]+", header, maxsplit=1)
            if not parts[0]:
                raise ValueError(f"{source}:{line_number}: header '>' has no sequence name")
            records.append([parts[0], parts[1] if len(parts) > 1 else "", ""])
            pieces, length, record_line = [], 0, line_number
            continue
        if not records:
            raise ValueError(
                f"{source}:{line_number}: sequence data before the first '>' header (is this a FASTA file?)"
            )
        residues = stripped
        if any(blank in residues for blank in _BLANKS):
            residues = re.sub(f"[{_BLANKS}]", "", residues)
        for position, character in enumerate(residues, start=length + 1):
            if character not in _CODES:
                raise ValueError(
                    f"{source}:{line_number}: sequence '{records[-1][0]}' (header on line {record_line}): "
                    f"invalid residue {_describe_character(character)} at position {position}"
                )
        pieces.append(residues)
        length += len(residues)
    if records:
        records[-1][2] = "".join(pieces)
    return [FastaRecord(*record) for record in records]


def read_fasta(path: str | os.PathLike[str]) -> list[FastaRecord]:
    """Reads a FASTA file; a gzip file (known by its magic bytes, whatever
    its name) is decompressed."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise _open_error("cannot open FASTA file", path, error) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as error:
            raise ValueError(f"FASTA file '{path}' is not a valid gzip file ({error})") from None
    # Bytes that are not UTF-8 survive as lone surrogates, so an error can
    # still name the byte.
    return parse_fasta(data.decode("utf-8", "surrogateescape"), path)


# --- Rung 1: python_naive ---------------------------------------------------------

# Scores never come near this, and it stays an int: -inf minus a penalty is still
# far below any real score (the C++ ports use INT_MIN / 2, the same value).
MINUS_INFINITY = -(1 << 30)

# The full matrices cost 3 pointers per cell: refuse before allocating more than
# this rather than exhaust memory (stage 'naive' has the same guard).
_MAX_MATRIX_BYTES = 4 * 1024**3


def _align_naive(query: str, subject: str, matrix: Matrix, gap_open: int, gap_extend: int) -> int:
    m = len(query)
    n = len(subject)
    size = 3 * 8 * (m + 1) * (n + 1)
    if size > _MAX_MATRIX_BYTES:
        raise ValueError(
            f"rung 'python_naive' keeps three full matrices and would need {size // 1024**3} GiB for a "
            f"{m} x {n} alignment; use rung 'python_tuned' or a compiled stage for sequences this long"
        )
    H = [[0] * (n + 1) for _ in range(m + 1)]
    E = [[MINUS_INFINITY] * (n + 1) for _ in range(m + 1)]
    F = [[MINUS_INFINITY] * (n + 1) for _ in range(m + 1)]
    best = 0
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            E[i][j] = max(E[i][j - 1] - gap_extend, H[i][j - 1] - gap_open - gap_extend)
            F[i][j] = max(F[i - 1][j] - gap_extend, H[i - 1][j] - gap_open - gap_extend)
            H[i][j] = max(0, H[i - 1][j - 1] + matrix[query[i - 1]][subject[j - 1]], E[i][j], F[i][j])
            best = max(best, H[i][j])
    return best


def python_naive(
    query: str, subjects: list[str], matrix: Matrix, gap_open: int = 11, gap_extend: int = 1
) -> list[int]:
    """Textbook Smith-Waterman-Gotoh: full H, E and F matrices, one pair at a time."""
    validate_penalties(gap_open, gap_extend)
    query = canonical(query, "query")
    scores = []
    for number, subject in enumerate(subjects, start=1):
        subject = canonical(subject, f"seq{number}")
        scores.append(_align_naive(query, subject, matrix, gap_open, gap_extend))
    return scores


# --- Rung 2: python_tuned -----------------------------------------------------------


def _query_profile(query_codes: list[int], matrix: Matrix) -> list[list[int]]:
    """For each of the ALPHABET subject letters, its score against every query
    position: the inner loop then walks one list instead of hashing two letters."""
    return [
        [matrix[ALPHABET[q]][subject_letter] for q in query_codes] for subject_letter in ALPHABET
    ]


def _align_tuned(profile: list[list[int]], query_length: int, subject_codes: list[int], open_extend: int,
                 extend: int) -> int:
    # One column of the alignment per subject residue; H and E hold the previous
    # column, indexed by query position. Building the next column by appending
    # is faster in CPython than assigning into the old one.
    H = [0] * query_length
    E = [MINUS_INFINITY] * query_length
    best = 0
    for residue in subject_codes:
        h_diagonal = 0  # H(i-1, j-1)
        h_above = 0  # H(i-1, j)
        f = MINUS_INFINITY
        next_H: list[int] = []
        next_E: list[int] = []
        append_H = next_H.append
        append_E = next_E.append
        for score, h_left, e in zip(profile[residue], H, E):
            e -= extend
            opened = h_left - open_extend
            if opened > e:
                e = opened
            f -= extend
            opened = h_above - open_extend
            if opened > f:
                f = opened
            h = h_diagonal + score
            if e > h:
                h = e
            if f > h:
                h = f
            if h < 0:
                h = 0
            elif h > best:
                best = h
            h_diagonal = h_left
            append_H(h)
            append_E(e)
            h_above = h
        H = next_H
        E = next_E
    return best


def _encode_subjects(subjects: Iterable[str]) -> list[list[int]]:
    return [encode(subject, f"seq{number}") for number, subject in enumerate(subjects, start=1)]


def python_tuned(
    query: str, subjects: list[str], matrix: Matrix, gap_open: int = 11, gap_extend: int = 1
) -> list[int]:
    """Gotoh in linear memory with a query profile and plain comparisons."""
    validate_penalties(gap_open, gap_extend)
    query_codes = encode(query, "query")
    subject_codes = _encode_subjects(subjects)
    if not query_codes:
        return [0] * len(subject_codes)
    profile = _query_profile(query_codes, matrix)
    open_extend = gap_open + gap_extend
    m = len(query_codes)
    return [_align_tuned(profile, m, codes, open_extend, gap_extend) for codes in subject_codes]


# --- Rung 3: python_multiprocessing ---------------------------------------------------

# What every worker needs for the whole search, sent once per worker by the
# pool initializer rather than with every chunk.
_worker_search: tuple[list[list[int]], int, int, int] | None = None


def _init_worker(profile: list[list[int]], query_length: int, open_extend: int, extend: int) -> None:
    global _worker_search
    _worker_search = (profile, query_length, open_extend, extend)
    # Ctrl-C reaches the whole process group: the parent stops the pool, and
    # the workers need not each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _score_chunk(chunk: list[tuple[int, list[int]]]) -> list[tuple[int, int]]:
    assert _worker_search is not None, "worker used without _init_worker"
    profile, query_length, open_extend, extend = _worker_search
    return [(index, _align_tuned(profile, query_length, codes, open_extend, extend)) for index, codes in chunk]


def _chunks(subject_codes: list[list[int]], workers: int) -> list[list[tuple[int, list[int]]]]:
    """Longest subjects first, cut into chunks of about equal residue count, a
    few per worker: long sequences start early and short ones fill the gaps at
    the end, so no worker is left with one long tail."""
    order = sorted(range(len(subject_codes)), key=lambda index: -len(subject_codes[index]))
    total = sum(len(codes) for codes in subject_codes)
    target = max(1, total // (8 * workers))
    chunks: list[list[tuple[int, list[int]]]] = []
    current: list[tuple[int, list[int]]] = []
    residues = 0
    for index in order:
        current.append((index, subject_codes[index]))
        residues += len(subject_codes[index])
        if residues >= target:
            chunks.append(current)
            current, residues = [], 0
    if current:
        chunks.append(current)
    return chunks


# Above this a process count is an error, not a request to cap (the C++
# stages' kMaxThreads): no machine has that many CPUs.
MAX_PROCESSES = 4096


def _cgroup_cpus() -> int:
    """CPUs the cgroup CPU quota allows (rounded up; 0: no quota found), as
    C++ usable_cpus() reads it: cgroup v2 cpu.max, or v1 cpu.cfs_quota_us
    over cpu.cfs_period_us, for this process's cgroup and its parents."""

    def quota(quota_text: str, period_text: str) -> int:
        try:
            quota_us, period_us = float(quota_text), float(period_text)
        except ValueError:
            return 0
        if not (quota_us > 0 and period_us > 0):  # -1: no quota (v1)
            return 0
        cpus = math.ceil(quota_us / period_us)
        return cpus if cpus < 10**6 else 0

    def read(path: str) -> str:
        try:
            with open(path) as stream:
                return stream.read().strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def upwards(path: str) -> list[str]:
        parts = [part for part in path.split("/") if part]
        return ["/" + "/".join(parts[:end]) if end else "" for end in range(len(parts), -1, -1)]

    limits = []
    for line in read("/proc/self/cgroup").splitlines():
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        for directory in upwards(path):
            if not controllers:
                words = read(f"/sys/fs/cgroup{directory}/cpu.max").split()
                if len(words) == 2 and words[0] != "max":
                    limits.append(quota(*words))
            elif "cpu" in controllers.split(","):
                for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
                    base = f"/sys/fs/cgroup/{mount}{directory}"
                    limits.append(quota(read(f"{base}/cpu.cfs_quota_us"), read(f"{base}/cpu.cfs_period_us")))
    words = read("/sys/fs/cgroup/cpu.max").split()
    if len(words) == 2 and words[0] != "max":
        limits.append(quota(*words))
    for mount in ("cpu", "cpu,cpuacct"):
        base = f"/sys/fs/cgroup/{mount}"
        limits.append(quota(read(f"{base}/cpu.cfs_quota_us"), read(f"{base}/cpu.cfs_period_us")))
    limits = [limit for limit in limits if limit > 0]
    return min(limits) if limits else 0


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask (taskset, Slurm), lowered
    to its cgroup CPU quota (Docker --cpus, Slurm, Kubernetes). At least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpus()
    return max(1, min(min(cpus, quota) if quota else cpus, MAX_PROCESSES))


def pool_size(processes: int | None, subjects: int) -> int:
    """The worker processes python_multiprocessing starts: ``processes``
    (None: every usable CPU), capped to usable_cpus() (more only contend) and
    to the number of subjects (more would idle). Above MAX_PROCESSES, or
    below 1, it is a ValueError."""
    if processes is not None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        if processes > MAX_PROCESSES:
            raise ValueError(f"processes must be at most {MAX_PROCESSES}, got {processes}")
    wanted = usable_cpus() if processes is None else min(processes, usable_cpus())
    return max(1, min(wanted, subjects))


def python_multiprocessing(
    query: str,
    subjects: list[str],
    matrix: Matrix,
    gap_open: int = 11,
    gap_extend: int = 1,
    processes: int | None = None,
) -> list[int]:
    """python_tuned on a pool of worker processes: pool_size(processes,
    len(subjects)) of them (processes=None: every usable CPU). The workers
    run top-level functions of this module, so it works with both the fork
    and the spawn start method, from the script or the package. Ctrl-C
    (KeyboardInterrupt) terminates the pool at once."""
    validate_penalties(gap_open, gap_extend)
    query_codes = encode(query, "query")
    subject_codes = _encode_subjects(subjects)
    workers = pool_size(processes, len(subject_codes))
    if not query_codes or not subject_codes:
        return [0] * len(subject_codes)
    profile = _query_profile(query_codes, matrix)
    init_args = (profile, len(query_codes), gap_open + gap_extend, gap_extend)
    scores = [0] * len(subject_codes)
    with multiprocessing.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
        for chunk_scores in pool.imap_unordered(_score_chunk, _chunks(subject_codes, workers)):
            for index, score in chunk_scores:
                scores[index] = score
    return scores


# --- The ladder's Python rungs, in order ----------------------------------------------

Rung = Callable[..., list[int]]

RUNGS: dict[str, tuple[Rung, str]] = {
    "python_naive": (python_naive, "full H/E/F matrices, dict-of-dicts lookups, max()"),
    "python_tuned": (python_tuned, "two rows, encoded ints, query profile, comparisons"),
    "python_multiprocessing": (python_multiprocessing, "python_tuned over a process pool, longest first"),
}


# --- The program ---------------------------------------------------------------------


def _penalty(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: '{text}'") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="smith_waterman.py",
        description="Smith-Waterman local alignment scores of each query against every database sequence, "
        "in pure Python. Prints NAME<TAB>SCORE per database sequence, for each query in turn.",
    )
    parser.add_argument("query", help="FASTA file of one or more queries")
    parser.add_argument("database", help="FASTA file of the database (.gz allowed)")
    parser.add_argument("--rung", default="python_tuned", choices=list(RUNGS), help="default: %(default)s")
    parser.add_argument("--matrix", default="BLOSUM62", help="built-in name or NCBI matrix file (default: %(default)s)")
    parser.add_argument("--gap-open", type=_penalty, default=11, help="default: %(default)s")
    parser.add_argument("--gap-extend", type=_penalty, default=1, help="default: %(default)s")
    args = parser.parse_args(argv)

    try:
        matrix = load_matrix(args.matrix)
        validate_penalties(args.gap_open, args.gap_extend)
        queries = read_fasta(args.query)
        database = read_fasta(args.database)
        rung = RUNGS[args.rung][0]
        subjects = [record.sequence for record in database]
        for query in queries:
            scores = rung(query.sequence, subjects, matrix, args.gap_open, args.gap_extend)
            sys.stdout.writelines(f"{record.name}\t{score}\n" for record, score in zip(database, scores))
    except (ValueError, OSError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    return 0


if __name__ == "__main__":
    sys.exit(main())
