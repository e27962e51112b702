"""The per-machine tuner: which kernel each compiled stage runs when the
caller names none.

The dispatch table (kernels/dispatch_table.def) lists, per stage, every kernel
this CPU can run, best first by the order the table was written in. That
order was set on one machine; on another a different kernel (a different
vector width, or a variant tuned for other ports) can be faster. The tuner
times every kernel of every stage that has a choice on a short real search
(tune_set), after checking each one's scores against the reference rung on
part of that same search, and keeps the fastest per stage in a JSON file in
the user's cache directory ($XDG_CACHE_HOME/swladder/tune.json, default
~/.cache/swladder/), keyed by the CPU model, the instruction sets dispatch
sees, the library version and the kernels on offer. Other processes on the
machine must not sway it: each kernel is timed in CPU time on one thread, by
its fastest of several alternating rounds, and replaces the built-in default
only when it beats it by a margin twice in a row (see the constants below).
The first search without an entry for this machine tunes once; every later
search with no kernel named reads the entry.

Parallel processes (Dask workers, a job array) that start at once take a lock
(flock on tune.lock) before tuning: one tunes, the others wait for it
(SWLADDER_TUNE_WAIT seconds, default 60, then run the built-in default) and
read its entry, so none times its kernels under the others' load. The file is
replaced atomically (a temporary file in the same folder, then os.replace),
so a reader never sees half of it. A cache folder that cannot be written
costs a warning, once, and the tuning is kept in memory for the process.

SWLADDER_TUNE=off: no tuning and no cache: each stage runs the built-in
default for the CPU's vendor and family (BUILTIN_DEFAULTS), else the dispatch
table's first choice. SWLADDER_KERNEL, or kernel= in a call, forces a kernel
and bypasses all of this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fnmatch
import functools
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import _core
from ._version import __version__

ENV_TUNE = "SWLADDER_TUNE"
ENV_KERNEL = "SWLADDER_KERNEL"
ENV_WAIT = "SWLADDER_TUNE_WAIT"
# Test hooks: record the pid of each process that tunes, sleep that many
# seconds holding the lock before tuning (so a second process surely meets
# it), and shrink the tune set (cells per search).
ENV_TEST_LOG = "_SWLADDER_TUNE_TEST_LOG"
ENV_TEST_DELAY = "_SWLADDER_TUNE_TEST_DELAY"
ENV_TEST_CELLS = "_SWLADDER_TUNE_TEST_CELLS"

CACHE_FILE = "tune.json"
LOCK_FILE = "tune.lock"
# 2: tunings timed in CPU time and confirmed; those of format 1 (wall-time
# medians, which a busy machine could sway) are not trusted and are redone.
CACHE_FORMAT = 2
DEFAULT_WAIT_SECONDS = 60.0

# The portable fallback every SIMD stage also lists: never faster than its
# SIMD kernels, and tens of times slower, so it is not timed.
PORTABLE_KERNEL = "scalar"
REFERENCE_STAGE = "scalar"

# The tune set: a real query of typical length (q4 of the bundled
# queries.fa) against the proteins of the bundled Tursiops sample, about
# TUNE_CELLS cells per search (every protein twice: 4,150 subjects): real
# lengths and composition, so that lane refill, lazy-F repair and rescoring
# cost what they cost in real searches. Wide-lane kernels need thousands of
# subjects per thread to reach their speed: on a Zen 4 EPYC, against 1,038
# proteins an AVX2 interseq variant ranked first that ran 6% behind an
# AVX-512 one on the whole proteome; against 4,150 the AVX-512 one ranked
# first, as there.
# Without the bundled data, a synthetic query and proteins of UniProt-like
# lengths. Stages that score one subject at a time do not need that many
# and are timed on every SHORT_STRIDE-th subject; each kernel's scores are
# checked on every CHECK_STRIDE-th (the reference rung is slow).
TUNE_SEED = 20260
TUNE_QUERY = "ENSTTRP00000007207"
TUNE_QUERY_LENGTH = 435
TUNE_CELLS = 1_000_000_000
LANE_STAGES = ("interseq",)  # a subject per vector lane
SHORT_STRIDE = 4
CHECK_STRIDE = 16
# Each search runs on one thread and is timed by the process's CPU time: a
# thread that another process keeps off its CPU accrues none, where a search
# on every CPU waits, in wall time, for its slowest thread (whole scheduler
# slices, 4 to 24 ms, on a tune search of some ms), and its idle threads spin
# at the barrier meanwhile. Each thread of a search on every core runs the
# same kernel loop, so one thread ranks the kernels alike (where two vCPUs
# share a physical core, their competition for its ports is not seen).
TUNE_THREADS = 1
# Rounds of alternating runs (every kernel once per round, in rotated
# order); at least MIN_ROUNDS, and more while the stage's time budget lasts.
# A kernel's figure is its fastest round: another process (a busy sibling
# hyperthread, a shared cache) only ever adds time.
MIN_ROUNDS = 5
MAX_ROUNDS = 9
STAGE_BUDGET_SECONDS = 0.5
# A kernel replaces the default only when its figure beats the default's by
# more than this fraction, and again in CONFIRM_ROUNDS fresh alternating
# rounds of the two alone: a lucky round then never picks something slower.
SWITCH_MARGIN = 0.03
CONFIRM_ROUNDS = 3

# Built-in defaults (SWLADDER_TUNE=off, or a lock wait that timed out), by
# (vendor, family): stage -> kernel names or fnmatch patterns, most preferred
# first; the first that the stage offers and this CPU runs wins, and a stage
# not listed (or with no match) runs the dispatch table's first choice.
# - AMD family 0x19 (Zen 3 and Zen 4 alike): measured on a 2-core Zen 3 EPYC
#   (AVX2, no AVX-512): avx2 beats sse41 by 2.3x for striped and openmp, the
#   table's order, so no entry (one here would also bind Zen 4, unmeasured).
# - AMD family 0x1a (Zen 5): a plain-max AVX-512 VBMI interseq variant where
#   the build has one (measured there: 148 against 105 GCUPS for the
#   compare-and-masked-move max), else the table's order.
# - Intel family 6, AVX-512: a masked interseq variant, as measured on a
#   2-core Sapphire Rapids-class Xeon (AVX-512 with VBMI and FP16; 512-bit
#   saturating arithmetic and max one per cycle, on one port): 8col/masked/short
#   77.1 against 64.5 GCUPS for 8col/spread, the table's first, q4 against
#   Tursiops on 2 threads (stages/README.md, chapter 9). The Ice Lake server
#   the table was tuned on shares that port the same way; older Intel
#   AVX-512 cores are unmeasured. Elsewhere the table's order.
BUILTIN_DEFAULTS: dict[tuple[str, int], dict[str, list[str]]] = {
    ("AuthenticAMD", 0x1A): {"interseq": ["avx512vbmi/*/max"]},
    ("GenuineIntel", 0x6): {"interseq": ["avx512vbmi/8col/masked/short", "avx512bw/8col/masked/short"]},
}


# --- The machine --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cpu:
    vendor: str
    family: int
    model: int
    model_name: str


@functools.lru_cache(maxsize=1)
def cpu_identity() -> Cpu:
    """Vendor, family, model and model name of the first CPU in /proc/cpuinfo
    (elsewhere: what platform knows)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if not line.strip():
                    if fields:
                        break
                    continue
                name, _, value = line.partition(":")
                fields.setdefault(name.strip(), value.strip())
    except OSError:
        pass

    def number(text: str) -> int:
        try:
            return int(text, 0)
        except ValueError:
            return -1

    return Cpu(
        vendor=fields.get("vendor_id", ""),
        family=number(fields.get("cpu family", "-1")),
        model=number(fields.get("model", "-1")),
        model_name=fields.get("model name", "") or platform.processor() or platform.machine(),
    )


def stage_kernels() -> dict[str, list[str]]:
    """The compiled stages that have a choice here: name -> the kernels this
    CPU runs, best first, the portable fallback left out. A stage with one
    such kernel has nothing to tune."""
    choices = {}
    for stage in _core.stages():
        kernels = [k for k in stage["kernels"] if k != PORTABLE_KERNEL] if stage["supported"] else []
        if len(kernels) > 1:
            choices[stage["name"]] = kernels
    return choices


@functools.lru_cache(maxsize=1)
def _cache_key() -> str:
    cpu = cpu_identity()
    return json.dumps({
        "cpu_model": cpu.model_name,
        "vendor": cpu.vendor,
        "family": cpu.family,
        "model": cpu.model,
        "features": _core.cpu_features(),
        "version": __version__,
        "kernels": stage_kernels(),
    })


def cache_key() -> dict[str, Any]:
    """What a cached tuning is valid for: this CPU model, the instruction sets
    dispatch sees (SWLADDER_CPU_FEATURES masks them), the library version and
    the kernels each stage offers (a build with other variants tunes again)."""
    return json.loads(_cache_key())  # fixed for the process; a fresh copy each call


def key_id(key: dict[str, Any]) -> str:
    import hashlib  # here: searches never need it, and importing swladder stays quick

    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def cache_dir() -> Path | None:
    """$XDG_CACHE_HOME/swladder, or ~/.cache/swladder (the XDG rule: a
    relative XDG_CACHE_HOME is ignored); None without a home."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):
            return None
    return Path(base) / "swladder"


def tune_mode() -> str:
    """SWLADDER_TUNE: "auto" (unset, empty, auto or on) or "off"."""
    value = os.environ.get(ENV_TUNE, "").strip().lower()
    if value in ("", "auto", "on"):
        return "auto"
    if value == "off":
        return "off"
    raise ValueError(f"{ENV_TUNE} must be 'auto' or 'off', got '{os.environ[ENV_TUNE]}'")


# --- Defaults -----------------------------------------------------------------------


def builtin_default(stage: str, kernels: list[str], cpu: Cpu | None = None) -> str:
    """The kernel a stage runs without tuning: the first of BUILTIN_DEFAULTS
    for this CPU's vendor and family that the stage offers here, else the
    dispatch table's first choice (kernels[0])."""
    cpu = cpu or cpu_identity()
    for preferred in BUILTIN_DEFAULTS.get((cpu.vendor, cpu.family), {}).get(stage, []):
        for kernel in kernels:
            if fnmatch.fnmatchcase(kernel, preferred):
                return kernel
    return kernels[0]


def builtin_defaults() -> dict[str, str]:
    cpu = cpu_identity()
    return {stage: builtin_default(stage, kernels, cpu) for stage, kernels in stage_kernels().items()}


# --- Timing -------------------------------------------------------------------------


@dataclasses.dataclass
class Tuning:
    """One tuning of this machine: the kernel chosen per stage and what was
    measured (CPU seconds of one search of the tune set per kernel, its
    fastest round, None for a kernel whose scores disagreed with the
    reference; for a stage timed on part of the set, scaled to the whole)."""

    key: dict[str, Any]
    choices: dict[str, str]
    defaults: dict[str, str]
    seconds: dict[str, dict[str, float | None]]
    cells: int
    threads: int
    rounds: dict[str, int]
    tuned_at: str
    path: str | None = None  # the cache file it is kept in, None when only in memory
    source: str = "tuned"  # "tuned" (this call), "cache" (read back), "default" (no tuning)

    def gcups(self, stage: str, kernel: str) -> float | None:
        seconds = self.seconds.get(stage, {}).get(kernel)
        return self.cells / seconds / 1e9 if seconds else None

    def as_json(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        del record["path"], record["source"]
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any], path: str | None) -> "Tuning":
        fields = {f.name for f in dataclasses.fields(cls)} - {"path", "source"}
        if not isinstance(record, dict) or set(record) != fields:
            raise ValueError("not a tuning record")
        tuning = cls(**record, path=path, source="cache")
        if not all(tuning.choices.get(stage) in kernels for stage, kernels in tuning.key["kernels"].items()):
            raise ValueError("a stage's choice is not one of its kernels")
        return tuning


def tune_set(cells: int) -> tuple[str, Any]:
    """The query and database (a swladder._core.Database) of about `cells`
    cells: q4 against the bundled Tursiops sample (some copies of it, or
    every k-th record), or, without the bundled data, a synthetic query and
    proteins. The same on every machine with the same installation."""
    from ._verify import data_dir  # here: _verify imports the search module, which imports this one

    directory = data_dir()
    if directory is not None:
        queries = {name: sequence for name, _, sequence in _core.read_fasta(str(directory / "queries.fa"))}
        proteins = [sequence for _, _, sequence in _core.read_fasta(str(directory / "tursiops_sample.fa"))]
        query = queries.get(TUNE_QUERY)
        if query and proteins:
            share = cells / (len(query) * sum(map(len, proteins)))
            subjects = proteins * round(share) if share >= 1.5 else proteins[::max(1, round(1 / share))]
            return query, _core.Database.from_sequences(subjects)
    query = _core.synthetic_database(TUNE_SEED, 1, TUNE_QUERY_LENGTH, TUNE_QUERY_LENGTH)[0]
    mean_length = 360
    count = max(8, cells // (TUNE_QUERY_LENGTH * mean_length))
    subjects = _core.synthetic_database(TUNE_SEED + 1, count)
    return query, _core.Database.from_sequences(subjects)


def _search(stage: str, query: str, database: Any, threads: int, kernel: str) -> tuple[np.ndarray, str, float]:
    """(scores, the kernel that ran, CPU seconds of the process). A tune search
    runs on the binding's own thread (long searches do, to stay
    interruptible), not the caller's, so the clock is the process's: with the
    search on one thread, that is the search's alone."""
    started = time.process_time()
    scores, ran, _, _ = _core.search(stage, query, database, "BLOSUM62", 11, 1, threads, kernel)
    return scores, ran, time.process_time() - started


def _time_stage(stage: str, kernels: list[str], query: str, database: Any, check: Any, reference: np.ndarray,
                threads: int) -> tuple[dict[str, float | None], int]:
    """The fastest round's seconds per kernel: each kernel's scores on the
    `check` subjects are compared with the reference first (that search also
    warms it up), then the verified ones run in alternating rounds (A B C, B
    C A, ...) so that a change in the machine's load or clock falls on all of
    them alike."""
    verified = []
    seconds: dict[str, float | None] = {}
    for kernel in kernels:
        scores, _, _ = _search(stage, query, check, threads, kernel)
        if not np.array_equal(scores, reference):
            warnings.warn(f"swladder tune: stage '{stage}' kernel '{kernel}' disagrees with the reference on the "
                          "tune set; it is not used (run 'swladder verify')", RuntimeWarning, stacklevel=3)
            seconds[kernel] = None
        else:
            verified.append(kernel)
    samples = _alternate(stage, verified, query, database, threads, MIN_ROUNDS, MAX_ROUNDS)
    for kernel in verified:
        seconds[kernel] = min(samples[kernel])
    return seconds, min((len(times) for times in samples.values()), default=0)


def _alternate(stage: str, kernels: list[str], query: str, database: Any, threads: int, least: int,
               most: int) -> dict[str, list[float]]:
    """Seconds of each search, per kernel, over at least `least` alternating
    rounds, and more up to `most` while the stage's budget lasts."""
    samples: dict[str, list[float]] = {kernel: [] for kernel in kernels}
    started = time.perf_counter()
    rounds = 0
    while kernels and rounds < most and (rounds < least or time.perf_counter() - started < STAGE_BUDGET_SECONDS):
        for i in range(len(kernels)):
            kernel = kernels[(rounds + i) % len(kernels)]
            samples[kernel].append(_search(stage, query, database, threads, kernel)[2])
        rounds += 1
    return samples


def _choose(default: str, seconds: dict[str, float | None], confirm: Callable[[str], bool]) -> str:
    """The fastest kernel if it beats the default by more than SWITCH_MARGIN
    and `confirm(it)` says it does so again; else the default."""
    timed = {kernel: s for kernel, s in seconds.items() if s is not None}
    if not timed:
        return default
    fastest = min(timed, key=lambda kernel: timed[kernel])
    if default not in timed:
        return fastest  # the default disagreed with the reference: nothing to keep
    if fastest == default or timed[fastest] >= timed[default] * (1 - SWITCH_MARGIN) or not confirm(fastest):
        return default
    return fastest


def _confirmed(stage: str, candidate: str, default: str, query: str, database: Any, threads: int) -> bool:
    """Whether `candidate` beats `default` by more than SWITCH_MARGIN again, in
    fresh alternating rounds of the two alone."""
    samples = _alternate(stage, [candidate, default], query, database, threads, CONFIRM_ROUNDS, CONFIRM_ROUNDS)
    return min(samples[candidate]) < min(samples[default]) * (1 - SWITCH_MARGIN)


def measure(*, cells: int | None = None, threads: int | None = None) -> Tuning:
    """Times every kernel of every stage with a choice (see the module
    docstring) and returns the tuning, without reading or writing the cache."""
    if cells is None:
        cells = int(os.environ.get(ENV_TEST_CELLS) or TUNE_CELLS)
    log = os.environ.get(ENV_TEST_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as record:
            record.write(f"{os.getpid()}\n")
    delay = float(os.environ.get(ENV_TEST_DELAY) or 0)
    if delay > 0:
        time.sleep(delay)
    key = cache_key()
    thread_count = threads or TUNE_THREADS
    query, database = tune_set(cells)
    actual_cells = len(query) * database.total_residues
    defaults = builtin_defaults()
    subjects = database.sequences()
    check = _core.Database.from_sequences(subjects[::CHECK_STRIDE])
    short = _core.Database.from_sequences(subjects[::SHORT_STRIDE])
    reference = _core.search(REFERENCE_STAGE, query, check, "BLOSUM62", 11, 1, 1, "")[0] if key["kernels"] else None
    seconds: dict[str, dict[str, float | None]] = {}
    rounds: dict[str, int] = {}
    choices: dict[str, str] = {}
    for stage, kernels in key["kernels"].items():
        timed = database if stage in LANE_STAGES else short
        seconds[stage], rounds[stage] = _time_stage(stage, kernels, query, timed, check, reference, thread_count)
        choices[stage] = _choose(defaults[stage], seconds[stage], functools.partial(
            _confirmed, stage, default=defaults[stage], query=query, database=timed, threads=thread_count))
        # Per search of the whole tune set, as the GCUPS shown assume.
        scale = database.total_residues / timed.total_residues
        seconds[stage] = {kernel: None if s is None else s * scale for kernel, s in seconds[stage].items()}
    return Tuning(key=key, choices=choices, defaults=defaults, seconds=seconds, cells=actual_cells,
                  threads=thread_count, rounds=rounds,
                  tuned_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))


# --- The cache ----------------------------------------------------------------------


def _read_entries(path: Path) -> dict[str, Any]:
    """The entries of a cache file; {} when it is missing or unreadable or not
    one of ours (it is then rewritten whole)."""
    try:
        with open(path, encoding="utf-8") as cache:
            content = json.load(cache)
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict) or content.get("format") != CACHE_FORMAT or \
            not isinstance(content.get("entries"), dict):
        return {}
    return content["entries"]


def read_cached(directory: Path, key: dict[str, Any]) -> Tuning | None:
    """This machine's entry, if the file has one whose key matches exactly."""
    path = directory / CACHE_FILE
    record = _read_entries(path).get(key_id(key))
    try:
        if record is None or record.get("key") != key:
            return None
        return Tuning.from_json(record, str(path))
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _write_entry(directory: Path, tuning: Tuning) -> None:
    """Adds this machine's entry (the caller holds the lock), dropping those
    of other library versions, and replaces the file atomically."""
    import tempfile  # here: only a write needs it

    path = directory / CACHE_FILE
    entries = {
        name: record for name, record in _read_entries(path).items()
        if isinstance(record, dict) and isinstance(record.get("key"), dict)
        and record["key"].get("version") == __version__
    }
    entries[key_id(tuning.key)] = tuning.as_json()
    descriptor, temporary = tempfile.mkstemp(prefix=".tune-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"format": CACHE_FORMAT, "entries": entries}, out, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    tuning.path = str(path)


try:
    import fcntl
except ImportError:  # not POSIX: no lock, the atomic replace still holds
    fcntl = None  # type: ignore[assignment]


def _acquire(lock: Any, wait: float) -> bool:
    """Takes the cache lock (flock on the open lock file), waiting at most
    `wait` seconds; False if another process still holds it then."""
    if fcntl is None:
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _wait_seconds() -> float:
    text = os.environ.get(ENV_WAIT, "")
    try:
        return float(text) if text.strip() else DEFAULT_WAIT_SECONDS
    except ValueError:
        raise ValueError(f"{ENV_WAIT} must be a number of seconds, got '{text}'") from None


# --- What searches call -------------------------------------------------------------

# Per process: (cache folder, cache key) -> the tuning in force. A tuning in
# memory only (unwritable folder) or a default taken after a lock wait timed
# out is kept here too; the latter is looked for in the file again later.
_memo: dict[tuple[str, str], Tuning] = {}
_warned: set[str] = set()
_announce: Callable[[str], None] | None = None
_RECHECK_SECONDS = 1.0
_rechecked: dict[tuple[str, str], float] = {}


def set_announcer(announce: Callable[[str], None] | None) -> None:
    """Where to say that a search is tuning first (the CLI: one line on
    stderr). Libraries stay quiet by default."""
    global _announce
    _announce = announce


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _default_tuning(key: dict[str, Any]) -> Tuning:
    return Tuning(key=key, choices=builtin_defaults(), defaults=builtin_defaults(), seconds={}, cells=0,
                  threads=0, rounds={}, tuned_at="", path=None, source="default")


def _unwritable(directory: Path | None, error: OSError | None) -> str:
    where = f"in {directory}" if directory is not None else "(no home folder)"
    why = f" ({error.strerror or error})" if error is not None else ""
    return (f"swladder: cannot write the tuning cache {where}{why}: tuning the kernels for this process only "
            "(a few seconds), kept in memory")


def _tune_and_cache(directory: Path | None, key: dict[str, Any], *, reuse: bool) -> Tuning:
    """Reads this machine's entry or, failing that, tunes under the lock and
    writes it. `reuse=False` (swladder tune) always tunes again."""
    if directory is None:
        _warn_once(_unwritable(None, None))
        return measure()
    if reuse:
        cached = read_cached(directory, key)
        if cached is not None:
            return cached
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = open(directory / LOCK_FILE, "a", encoding="utf-8")
    except OSError as error:
        _warn_once(_unwritable(directory, error))
        return measure()
    with lock:
        wait = _wait_seconds()
        if not _acquire(lock, wait):
            _warn_once(f"swladder: another process has held the tuning lock {directory / LOCK_FILE} for over "
                       f"{wait:g} s; running the built-in default kernels meanwhile")
            return _default_tuning(key)
        # The lock is released when the file closes.
        if reuse:
            cached = read_cached(directory, key)  # the process we waited for wrote it
            if cached is not None:
                return cached
            if _announce is not None:
                _announce("tuning the kernels for this machine, once (a few seconds; see 'swladder tune')")
        tuning = measure()
        try:
            _write_entry(directory, tuning)
        except OSError as error:
            _warn_once(_unwritable(directory, error))
        return tuning


def current_tuning() -> Tuning:
    """The tuning searches use now (tuning first if this machine has no
    entry), or the built-in defaults under SWLADDER_TUNE=off."""
    if tune_mode() == "off":
        return _default_tuning(cache_key())
    directory = cache_dir()
    memo_key = (str(directory), _cache_key())
    tuning = _memo.get(memo_key)
    if tuning is not None and tuning.source == "default" and directory is not None:
        # A wait for another process's tuning timed out: its entry may be there now.
        now = time.monotonic()
        if now - _rechecked.get(memo_key, 0.0) >= _RECHECK_SECONDS:
            _rechecked[memo_key] = now
            tuning = read_cached(directory, cache_key()) or tuning
            _memo[memo_key] = tuning
    if tuning is None:
        tuning = _tune_and_cache(directory, cache_key(), reuse=True)
        _memo[memo_key] = tuning
    return tuning


def tune() -> Tuning:
    """Times every kernel of every compiled stage that has a choice on this
    CPU and caches the fastest per stage for later searches (see the module
    docstring); returns the tuning with what it measured. Runs whatever
    SWLADDER_TUNE says (an explicit request), but searches under
    SWLADDER_TUNE=off still ignore the cache."""
    tune_mode()  # an invalid value is an error here too
    key = cache_key()
    directory = cache_dir()
    tuning = _tune_and_cache(directory, key, reuse=False)
    if tuning.source == "tuned":
        _memo[(str(directory), _cache_key())] = tuning
    return tuning


def kernel_for(stage: str) -> str:
    """The kernel a search of `stage` runs when its caller names none: ""
    (the stage's own default) where SWLADDER_KERNEL forces one or the stage
    has no choice, else the tuned (or, with SWLADDER_TUNE=off, built-in)
    choice."""
    mode = tune_mode()
    if os.environ.get(ENV_KERNEL):
        return ""
    kernels = _stage_choices().get(stage)
    if kernels is None:
        return ""
    if mode == "off":
        return builtin_default(stage, kernels)
    return current_tuning().choices.get(stage, "")


_stage_choices_memo: dict[str, list[str]] | None = None


def _stage_choices() -> dict[str, list[str]]:
    # The registry and the CPU view are fixed for the process.
    global _stage_choices_memo
    if _stage_choices_memo is None:
        _stage_choices_memo = stage_kernels()
    return _stage_choices_memo


def describe_selection() -> str:
    """How searches that name no kernel pick one here, in one line (the
    ladder prints it); tunes first if this machine has no entry yet."""
    forced = os.environ.get(ENV_KERNEL)
    if forced:
        return f"{ENV_KERNEL}={forced} (forced)"
    tuning = current_tuning()
    chosen = ", ".join(f"{stage} {kernel}" for stage, kernel in tuning.choices.items()) or "no stage has a choice"
    if tuning.source == "default":
        return f"built-in defaults ({chosen})"
    where = tuning.path or "in memory"
    return f"tuned for this machine ({chosen}; {where})"
