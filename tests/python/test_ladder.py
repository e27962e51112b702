"""`swladder ladder --quick` end to end on a tiny input: the JSON has its
documented shape, every verified row has a positive speed, the factors are
consistent, and the table, markdown and chart are written. Speeds themselves
are never asserted."""

from __future__ import annotations

import json
import math

import pytest

import swladder
from swladder import cli, ladder

from conftest import DATA

ROW_KEYS = {"name", "kind", "summary", "verified", "cells", "seconds", "gcups", "speedup_vs_baseline",
            "speedup_vs_previous", "kernel", "threads", "sliced"}


@pytest.fixture(scope="module")
def ladder_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ladder")
    records = swladder.read_fasta(DATA / "tursiops_sample.fa")[:40]
    (tmp / "db.fa").write_text("".join(f">{name}\n{sequence}\n" for name, _, sequence in records))
    query = swladder.read_fasta(DATA / "queries.fa")[0]
    (tmp / "query.fa").write_text(f">{query[0]}\n{query[2][:120]}\n")
    status = cli.main(["ladder", "--quick", "--query", str(tmp / "query.fa"), "--db", str(tmp / "db.fa"),
                       "--out", str(tmp / "out"), "--threads", "2"])
    return status, tmp / "out"


def test_ladder_exits_cleanly_and_writes_everything(ladder_run):
    status, out = ladder_run
    assert status == 0
    for name in ("ladder.json", "ladder.md", "ladder.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "ladder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(path.name for path in out.iterdir()) == ["ladder.json", "ladder.md", "ladder.png"]


def test_json_shape(ladder_run):
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    assert set(report) == {"machine", "config", "rungs"}
    assert {"cpu", "cores", "isa", "compiler", "python", "date"} <= set(report["machine"])
    assert report["config"]["quick"] is True
    for row in report["rungs"]:
        assert ROW_KEYS <= set(row), row["name"]
        assert row["kind"] in ("rung", "peer")
        assert row["verified"] in (True, False, None)


def test_every_rung_in_ladder_order_and_verified(ladder_run):
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    rungs = [row for row in report["rungs"] if row["kind"] == "rung"]
    assert [row["name"] for row in rungs] == swladder.stages()
    assert all(row["verified"] is True for row in rungs), [r["note"] for r in rungs if not r["verified"]]


def test_verified_rows_have_positive_consistent_speeds(ladder_run):
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    baseline = next(row for row in report["rungs"] if row["name"] == "python_naive")
    previous = None
    for row in report["rungs"]:
        if row["verified"] is not True:
            assert row["gcups"] is None and row["seconds"] is None
            continue
        assert row["cells"] > 0 and row["seconds"] > 0 and row["gcups"] > 0
        assert math.isclose(row["gcups"], row["cells"] / row["seconds"] / 1e9, rel_tol=1e-9)
        assert math.isclose(row["speedup_vs_baseline"], row["gcups"] / baseline["gcups"], rel_tol=1e-9)
        if row["kind"] == "rung":
            if previous is None:
                assert row["speedup_vs_previous"] is None
            else:
                assert math.isclose(row["speedup_vs_previous"], row["gcups"] / previous["gcups"], rel_tol=1e-9)
            previous = row
        # The cells are exact: total query length times the residues of the sequences timed.
        assert row["cells"] == 120 * sum(
            len(s) for _, _, s in swladder.read_fasta(DATA / "tursiops_sample.fa")[: row["subjects"]])


def test_missing_peers_are_listed_not_faked(ladder_run):
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    peers = {row["name"]: row for row in report["rungs"] if row["kind"] == "peer"}
    assert set(peers) == {"parasail", "ssearch36", "numba", "pyopal"}
    for row in peers.values():
        if row["verified"] is None:
            assert row["note"].startswith("not installed") and row["gcups"] is None


def test_installed_peers_pass_verification(ladder_run):
    # A peer that is installed but disagrees is a broken adapter (gap
    # convention, alphabet, result order), not a result to publish.
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    for row in report["rungs"]:
        if row["kind"] == "peer" and row["verified"] is not None:
            assert row["verified"] is True, (row["name"], row["note"])


@pytest.mark.parametrize(("peer", "threads"), [("pyopal", 1), ("pyopal", 2), ("numba", 1)])
def test_python_peer_adapters_score_as_scalar(peer, threads):
    pytest.importorskip(peer)
    candidate = next(c for c in ladder.peer_candidates() if c.name == peer)
    subjects = [(name, sequence) for name, _, sequence in swladder.read_fasta(DATA / "tursiops_sample.fa")[:30]]
    subjects += [("selenoprotein", "MKUCAGUWLLOJKAAGW"), ("lowercase", "mkwvtfisll")]
    query = swladder.read_fasta(DATA / "queries.fa")[1][2][:120] + "U"
    db = swladder.Database(subjects)
    expected = swladder.search(query, db, stage="scalar").tolist()
    assert candidate.search(query, db, subjects, threads).scores == expected


def test_markdown_table_names_every_row(ladder_run):
    text = (ladder_run[1] / "ladder.md").read_text()
    report = json.loads((ladder_run[1] / "ladder.json").read_text())
    for row in report["rungs"]:
        assert f"| {row['name']}" in text


def test_a_failing_rung_is_shown_failed_and_gets_no_speed(monkeypatch, tmp_path):
    real = ladder.candidates.rung_candidates

    def with_a_broken_rung():
        candidates = real()
        broken = candidates[-1]
        search = broken.search

        def off_by_one(query, db, subjects, threads):
            outcome = search(query, db, subjects, threads)
            outcome.scores = [score + 1 for score in outcome.scores]
            return outcome

        broken.search = off_by_one
        return candidates

    monkeypatch.setattr(ladder.candidates, "rung_candidates", with_a_broken_rung)
    last = swladder.stages()[-1]
    report = ladder.run_ladder(str(DATA / "queries.fa"), str(DATA / "tursiops_sample.fa"), rungs=["scalar", last],
                               quick=True, out_dir=str(tmp_path))
    row = next(r for r in report["rungs"] if r["name"] == last)
    assert row["verified"] is False and row["gcups"] is None
    assert "expected" in row["note"]
    assert f"FAILED {last}" in ladder.format_text_table(report)


def test_rungs_selects_rungs_and_peers_by_name():
    names = [c.name for c in ladder.select_candidates(["parasail", "scalar"], peers=False)]
    assert names == ["scalar", "parasail"]
    assert "parasail" not in [c.name for c in ladder.select_candidates(None, peers=False)]


def test_unknown_rung_is_an_error(capsys):
    assert cli.main(["ladder", "--quick", "--rungs", "scalar,nonesuch", "--out", "/tmp/unused"]) == 2
    assert "nonesuch" in capsys.readouterr().err


def _report_with_speeds(speeds):
    rows = []
    for index, gcups in enumerate(speeds):
        rows.append({"name": f"rung{index}", "kind": "rung" if index % 2 == 0 else "peer", "summary": "s",
                     "verified": True, "cells": 1000, "seconds": 1.0, "gcups": gcups,
                     "speedup_vs_baseline": gcups / speeds[0], "speedup_vs_previous": None, "kernel": "k",
                     "threads": 1, "sliced": False, "subjects": 1, "note": ""})
    return {"machine": {"cpu": "test cpu", "cores": 2, "isa": "", "compiler": "", "python": "", "date": ""},
            "config": {"threads": 2, "queries": 1, "query_residues": 1, "subjects": 1, "subject_residues": 1},
            "rungs": rows}


def test_chart_labels_stay_inside_the_frame_in_one_unit(monkeypatch, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)
    report = _report_with_speeds([0.001, 0.5, 13.0, 52.5, 8.9])
    assert ladder.plot(report, tmp_path / "chart.png")
    (figure,) = figures
    (axes,) = figure.axes
    renderer = figure.canvas.get_renderer()
    frame = axes.get_window_extent(renderer)
    labels = [text for text in axes.texts if "GCUPS" in text.get_text()]
    assert len(labels) == 5
    for label in labels:
        box = label.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, label.get_text()
    assert "GCUPS" in axes.get_xlabel() and "million" not in axes.get_xlabel()
    # And not much empty room: the axis ends within two decades of the longest label.
    assert axes.get_xlim()[1] < 52.5 * 100


def test_wrote_lists_only_what_was_written(monkeypatch, tmp_path, capsys):
    def no_matplotlib(report, path):
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(ladder.report, "plot", no_matplotlib)
    out = tmp_path / "out"
    status = cli.main(["ladder", "--quick", "--rungs", "scalar", "--out", str(out)])
    assert status == 0
    wrote = capsys.readouterr().out.splitlines()[-1]
    assert wrote.startswith("wrote ") and "ladder.json" in wrote and "ladder.md" in wrote
    assert "ladder.png" not in wrote and not (out / "ladder.png").exists()
    assert (out / "ladder.json").is_file() and (out / "ladder.md").is_file()
