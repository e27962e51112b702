"""Eight Python threads searching one Database at once, with every stage,
kernel and thread count mixed (the Python rungs on tiny inputs), must give
exactly what the same searches give one at a time: the GIL is released
while compiled stages run, so this is where shared state would show."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

import swladder

THREADS = 8


@pytest.fixture(scope="module")
def database():
    subjects = swladder._core.synthetic_database(31, 80, 20, 700)
    # A few that saturate 8-bit lanes (and one 16-bit), so rescoring runs too.
    subjects += [subjects[0] * 3, "W" * 400, "W" * 9000]
    return swladder.Database(subjects)


def jobs(database):
    queries = swladder._core.synthetic_database(32, 4, 30, 400) + [database.sequence(0), "W" * 300]
    tiny = swladder.Database([database.sequence(k)[:40] for k in range(3)])
    out = []
    for rung in swladder.stage_info():
        for kernel in rung["kernels"]:
            if rung["kind"] == "python":
                for threads in ((1, 2) if rung["name"] == "python_multiprocessing" else (None,)):
                    out.append(dict(query=queries[0][:30], database=tiny, stage=rung["name"], threads=threads))
                continue
            if rung["name"] == "naive":
                out.append(dict(query=queries[0][:60], database=tiny, stage="naive", kernel=kernel))
                continue
            for query in queries:
                for threads in ((1, 2, None) if rung["threaded"] else (1,)):
                    out.append(dict(query=query, database=database, stage=rung["name"], kernel=kernel,
                                    threads=threads, matrix=random.Random(len(out)).choice(["BLOSUM62", "PAM250"])))
    return out


def run(job):
    options = dict(job)
    return swladder.search_detailed(options.pop("query"), options.pop("database"), **options)


def test_eight_threads_mixed_searches_match_a_serial_run(database):
    work = jobs(database)
    expected = [run(job) for job in work]
    order = [index for index in range(len(work)) for _ in range(3)]
    random.Random(7).shuffle(order)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda index: (index, run(work[index])), order))
    assert len(results) == len(order)
    for index, result in results:
        job = work[index]
        label = f"{job['stage']} {job.get('kernel')} threads={job.get('threads')}"
        assert list(result.scores) == list(expected[index].scores), label
        assert (result.kernel, result.threads) == (expected[index].kernel, expected[index].threads), label
    # And every compiled result against the reference rung.
    for job, result in zip(work, expected):
        reference = swladder.search(job["query"], job["database"], stage="scalar", matrix=job.get("matrix", "BLOSUM62"))
        assert list(result.scores) == list(reference), job["stage"]
