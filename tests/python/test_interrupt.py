"""Ctrl-C stops a long search or alignment promptly: within 0.5 s of SIGINT a
compiled search raises KeyboardInterrupt (the rungs poll a cancel flag, the
binding watches for signals while the search runs on its own thread), the
interpreter goes on to search correctly, and the CLI exits with status 130.
The pure-Python rungs stop as promptly, python_multiprocessing by
terminating its pool.

These tests time one thing, the delay from the signal to the stop, against
a bound that only a rung that does not poll could miss (it would run on for
seconds)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import swladder

STOP_WITHIN = 0.5  # seconds from SIGINT to KeyboardInterrupt (or exit)

# Searches that take several seconds even on a fast machine: a 20,000-residue
# query against a few hundred sequences for the slow rungs, against 12 to 24
# million residues for the SIMD ones (a Zen 4 ran 6,000 subjects through
# openmp's 2 threads in under the second before the signal).
WORKLOADS = {
    "scalar": (20000, 300, "scalar", None),
    "vectorised": (20000, 300, "vectorised", None),
    "naive": (3000, 300, "naive", None),
    "openmp": (20000, 24000, "openmp", 2),
    "interseq": (20000, 48000, "interseq", 2),
    "python_tuned": (2000, 50, "python_tuned", None),
    "python_multiprocessing": (2000, 200, "python_multiprocessing", 2),
}

CHILD = textwrap.dedent("""
    import multiprocessing, signal, sys, time
    import swladder
    # Whatever the parent ignores, Ctrl-C raises KeyboardInterrupt here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    query_length, count, stage, threads = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    threads = None if threads == "None" else int(threads)
    query = swladder._core.synthetic_database(1, 1, query_length, query_length)[0]
    db = swladder.Database(swladder._core.synthetic_database(2, count, 300, 700))
    print("ready", flush=True)
    try:
        swladder.search(query, db, stage=stage, threads=threads)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    print("children", len(multiprocessing.active_children()), flush=True)
    after = swladder.search("HEAGAWGHEE", ["PAWHEAE", "HEAGAWGHEE", "WGHE"], stage=stage)
    print("after", *after, flush=True)
""")


def _restore_sigint() -> None:
    # A test run started in the background may ignore SIGINT, and children
    # inherit that; the searches under test must see it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stage_available(stage: str) -> bool:
    return stage in swladder.stages()


def _read_line(process: subprocess.Popen, deadline: float) -> str:
    line = process.stdout.readline()
    assert time.monotonic() < deadline, "the child took too long"
    return line.strip()


def _interrupt_once_ready(process: subprocess.Popen, label: str) -> float:
    """Sends SIGINT a second after the child says "ready", checks that it
    answers "interrupted" within STOP_WITHIN, and returns the deadline for
    reading the rest of its output."""
    deadline = time.monotonic() + 120
    assert _read_line(process, deadline) == "ready", process.stderr.read()
    time.sleep(1.0)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    outcome = _read_line(process, deadline)
    delay = time.monotonic() - sent
    assert outcome == "interrupted", process.stderr.read()
    assert delay < STOP_WITHIN, f"{label}: KeyboardInterrupt {delay:.2f} s after SIGINT"
    return deadline


@pytest.mark.parametrize("label", list(WORKLOADS))
def test_ctrl_c_stops_a_search_and_the_interpreter_goes_on(label):
    query_length, count, stage, threads = WORKLOADS[label]
    if not _stage_available(stage):
        pytest.skip(f"stage {stage} does not run on this CPU")
    process = subprocess.Popen([sys.executable, "-c", CHILD, str(query_length), str(count), stage, str(threads)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_restore_sigint)
    try:
        deadline = _interrupt_once_ready(process, label)
        assert _read_line(process, deadline) == "children 0"
        expected = swladder.search("HEAGAWGHEE", ["PAWHEAE", "HEAGAWGHEE", "WGHE"], stage="scalar")
        assert _read_line(process, deadline) == "after " + " ".join(map(str, expected))
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stage,threads", [("scalar", None), ("interseq", 2), ("python_multiprocessing", 2)])
def test_ctrl_c_ends_the_cli_with_status_130(tmp_path, stage, threads):
    if not _stage_available(stage):
        pytest.skip(f"stage {stage} does not run on this CPU")
    # Each search runs far longer than the 2 s before the signal (interseq's
    # 4.8e11 cells take about 10 s at 50 GCUPS): a search that finished first
    # would end the process as the signal lands, outside the command's handler.
    query_length, count = {"scalar": (20000, 300), "interseq": (20000, 48000),
                           "python_multiprocessing": (2000, 200)}[stage]
    query = swladder._core.synthetic_database(1, 1, query_length, query_length)[0]
    (tmp_path / "q.fa").write_text(f">q\n{query}\n")
    subjects = swladder._core.synthetic_database(2, count, 300, 700)
    (tmp_path / "db.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(subjects)))
    args = [sys.executable, "-m", "swladder", "search", "--stage", stage, str(tmp_path / "q.fa"),
            str(tmp_path / "db.fa")]
    if threads:
        args += ["--threads", str(threads)]
    # Start-up and reading the files take well under the 2 s; the search takes seconds more.
    _ctrl_c_after_two_seconds_ends_with_130(args, stage)


def _ctrl_c_after_two_seconds_ends_with_130(args: list[str], label: str) -> None:
    """The command, sent SIGINT 2 s after it starts, exits 130 within
    STOP_WITHIN and prints nothing."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_restore_sigint)
    try:
        time.sleep(2.0)
        assert process.poll() is None, process.communicate()
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
        delay = time.monotonic() - sent
        stdout, stderr = process.communicate()
        assert status == 130, stderr
        assert delay < STOP_WITHIN, f"{label}: exit {delay:.2f} s after SIGINT"
        assert (stdout, stderr) == ("", "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


ALIGN_CHILD = textwrap.dedent("""
    import signal, sys
    import swladder
    from swladder._align import align_many
    signal.signal(signal.SIGINT, signal.default_int_handler)
    kind = sys.argv[1]
    if kind == "align":
        # One huge pair scoring past int16 (a sequence with itself), so the
        # scalar passes run, polling as they go: 2.5e9 cells a pass (seconds).
        query = swladder._core.synthetic_database(1, 1, 50000, 50000)[0]
        run = lambda: swladder.align(query, query)
    else:
        # Many pairs in the SIMD passes, which poll between passes and pairs:
        # 256 of 20,000 x 20,000, several seconds in all.
        query = swladder._core.synthetic_database(1, 1, 20000, 20000)[0]
        db = swladder.Database(swladder._core.synthetic_database(2, 256, 20000, 20000))
        run = lambda: align_many(query, db, range(len(db)), threads=2)
    print("ready", flush=True)
    try:
        run()
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    print("after", swladder.align("HEAGAWGHEE", "PAWHEAE").score, flush=True)
""")


@pytest.mark.parametrize("kind", ["align", "align_many"])
def test_ctrl_c_stops_an_alignment_and_the_interpreter_goes_on(kind):
    process = subprocess.Popen([sys.executable, "-c", ALIGN_CHILD, kind], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_restore_sigint)
    try:
        deadline = _interrupt_once_ready(process, kind)
        assert _read_line(process, deadline) == f"after {swladder.align('HEAGAWGHEE', 'PAWHEAE').score}"
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


VERIFY_CHILD = textwrap.dedent("""
    import signal, sys
    import swladder
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print("ready", flush=True)
    try:
        swladder.verify(sys.argv[1], large=True, threads=1)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    print("after", swladder.score("HEAGAWGHEE", "PAWHEAE"), flush=True)
""")


# A compiled rung through its harness (the titin-size cases take minutes on
# one thread), and Python rungs, whose scorer the harness calls back
# (python_multiprocessing starting a pool for every case).
@pytest.mark.parametrize("stage", ["scalar", "python_tuned", "python_multiprocessing"])
def test_ctrl_c_stops_a_verification_and_the_interpreter_goes_on(stage):
    process = subprocess.Popen([sys.executable, "-c", VERIFY_CHILD, stage], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_restore_sigint)
    try:
        deadline = _interrupt_once_ready(process, f"verify {stage}")
        assert _read_line(process, deadline) == f"after {swladder.score('HEAGAWGHEE', 'PAWHEAE')}"
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stage", ["scalar", "python_multiprocessing"])
def test_ctrl_c_ends_swladder_verify_with_status_130(stage):
    # 2 s is well inside the first rung's harness.
    _ctrl_c_after_two_seconds_ends_with_130([sys.executable, "-m", "swladder", "verify", "--stage", stage, "--large",
                                             "--threads", "1"], f"verify {stage}")


def _live_children(pid: int) -> list[int]:
    """The processes whose parent is pid, from /proc (zombies left out)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(parent) == pid and state != "Z":
            children.append(int(entry))
    return children


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the worker processes in /proc")
def test_sigterm_ends_the_cli_and_its_worker_processes(tmp_path):
    """SIGTERM to a python_multiprocessing search: the command exits with
    143 and its pool goes with it, quietly (not workers running on and
    printing BrokenPipeError as they find their parent gone)."""
    query = swladder._core.synthetic_database(1, 1, 2000, 2000)[0]
    (tmp_path / "q.fa").write_text(f">q\n{query}\n")
    subjects = swladder._core.synthetic_database(2, 200, 300, 700)
    (tmp_path / "db.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(subjects)))
    process = subprocess.Popen([sys.executable, "-m", "swladder", "search", "--stage", "python_multiprocessing",
                                "--threads", "2", str(tmp_path / "q.fa"), str(tmp_path / "db.fa")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(_live_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _live_children(process.pid)
        assert len(workers) == 2, process.communicate()
        time.sleep(0.5)  # the workers inside their chunks
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=60)
        while any(map(_alive, workers)) and time.monotonic() < sent + 10:
            time.sleep(0.05)
        delay = time.monotonic() - sent
        stdout, stderr = process.communicate()
        assert status == 128 + signal.SIGTERM, stderr
        assert not any(map(_alive, workers)), f"workers still running {delay:.1f} s after SIGTERM"
        assert delay < STOP_WITHIN, f"workers ended {delay:.2f} s after SIGTERM"
        assert (stdout, stderr) == ("", "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
