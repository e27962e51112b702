"""The ladder's outputs: the rows, the text table, the markdown, the JSON and
the chart, and write_outputs, which says what it wrote."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .._files import replaced_file

BASELINE = "python_naive"


@dataclasses.dataclass
class Row:
    name: str
    kind: str  # "rung" or "peer"
    summary: str
    verified: bool | None = None  # None: not installed
    cells: int = 0
    seconds: float = 0.0
    gcups: float = 0.0
    speedup_vs_baseline: float | None = None
    speedup_vs_previous: float | None = None
    kernel: str = ""
    threads: int = 1
    sliced: bool = False
    subjects: int = 0  # database sequences timed
    instructions_per_cell: float | None = None
    note: str = ""  # why it failed or was not run


def fill_speedups(rows: list[Row]) -> None:
    baseline = next((r for r in rows if r.name == BASELINE and r.verified), None)
    previous: Row | None = None
    for row in rows:
        if not row.verified:
            continue
        if baseline is not None:
            row.speedup_vs_baseline = row.gcups / baseline.gcups
        if row.kind == "rung":
            if previous is not None:
                row.speedup_vs_previous = row.gcups / previous.gcups
            previous = row


def row_json(row: Row) -> dict[str, Any]:
    data = dataclasses.asdict(row)
    if row.verified is not True:
        for key in ("gcups", "seconds", "speedup_vs_baseline", "speedup_vs_previous"):
            data[key] = None
    return data


def _times(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}x" if value >= 100 else f"{value:.3g}x"


def table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["rung", "what changed", "cells timed", "seconds", "GCUPS", "x vs python_naive", "x vs previous",
              "kernel", "threads"]
    if any(r.get("instructions_per_cell") for r in report["rungs"]):
        header.append("instr/cell")
    body = []
    for r in report["rungs"]:
        name = r["name"] + (" (peer)" if r["kind"] == "peer" else "")
        if r["verified"] is None:
            line = [name, r["summary"], "", "", r["note"], "", "", "", ""]
        elif not r["verified"]:
            line = [name, r["summary"], "", "", "FAILED", "", "", r["kernel"], ""]
        else:
            cells = f"{r['cells']:.3g}" + (f" (first {r['subjects']} seqs)" if r["sliced"] else "")
            line = [name, r["summary"], cells, f"{r['seconds']:.3g}", f"{r['gcups']:.3g}",
                    _times(r["speedup_vs_baseline"]), _times(r["speedup_vs_previous"]), r["kernel"],
                    str(r["threads"])]
        if len(header) == 10:
            ipc = r.get("instructions_per_cell")
            line.append(f"{ipc:.3g}" if ipc else "")
        body.append(line)
    return header, body


def format_text_table(report: dict[str, Any]) -> str:
    header, body = table_rows(report)
    widths = [max(len(header[i]), *(len(row[i]) for row in body)) for i in range(len(header))]
    widths[1] = min(widths[1], 48)

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "~"

    lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths)))
    failed = [r for r in report["rungs"] if r["verified"] is False]
    for r in failed:
        lines.append(f"FAILED {r['name']}: {r['note']}")
    return "\n".join(lines)


def format_markdown(report: dict[str, Any]) -> str:
    header, body = table_rows(report)
    machine = report["machine"]
    config = report["config"]
    out = [
        f"Ladder on {machine['cpu']} ({machine['cores']} cores; {machine['isa']}), {machine['compiler']}, "
        f"Python {machine['python']}, {machine['date']}.",
        f"{config['queries']} queries ({config['query_residues']} residues) against {config['subjects']} sequences "
        f"({config['subject_residues']} residues), BLOSUM62 11/1, {config['threads']} threads for threaded rungs.",
        *([f"Kernels: {machine['kernel_choice']}."] if machine.get("kernel_choice") else []),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in body:
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    for r in report["rungs"]:
        if r["verified"] is False:
            out.append(f"\nFAILED {r['name']}: {r['note']}")
    notes = [f"- {r['name']}: {r['note']}" for r in report["rungs"] if r["verified"] and r["note"]]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def plot(report: dict[str, Any], path: Path) -> bool:
    """The chart: GCUPS per row on a log scale, rungs in blue, peers in
    orange, each bar labelled with its GCUPS and its factor over python_naive.
    False (and nothing written) without matplotlib or verified rows."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError:
        return False
    rows = [r for r in report["rungs"] if r["verified"]]
    if not rows:
        return False
    names = [r["name"] + (" (peer)" if r["kind"] == "peer" else "") for r in rows]
    speeds = [r["gcups"] for r in rows]
    colours = ["#1f77b4" if r["kind"] == "rung" else "#ff7f0e" for r in rows]
    figure, axes = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.8))
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, speeds, color=colours)
    axes.set_xscale("log")
    axes.set_yticks(positions)
    axes.set_yticklabels(names)
    axes.set_xlabel("GCUPS: billion cell updates per second (log scale)")
    machine = report["machine"]
    axes.set_title(f"Smith-Waterman speedup ladder: {machine['cpu']}, {report['config']['threads']} threads max",
                   fontsize=10)
    left = min(speeds) / 3
    right = max(speeds) * 1.5
    axes.set_xlim(left, right)
    labels = []
    for position, speed, r in zip(positions, speeds, rows):
        label = f"{speed:.3g} GCUPS"
        if r["speedup_vs_baseline"]:
            label += f", {_times(r['speedup_vs_baseline'])} vs python_naive"
        labels.append(axes.text(speed * 1.1, position, label, va="center", fontsize=8))
    axes.legend(handles=[Patch(color="#1f77b4", label="swladder rung"), Patch(color="#ff7f0e", label="peer")],
                loc="lower right", fontsize=8)
    axes.grid(axis="x", which="major", alpha=0.3)
    # tight_layout makes room for labels beyond the frame by narrowing it, and
    # a narrower frame needs a longer axis: settle in turns, always from the
    # same starting range.
    for _ in range(3):
        _fit_labels(figure, axes, labels, right)
        figure.tight_layout()
    _fit_labels(figure, axes, labels, right)
    figure.savefig(path, dpi=120, format="png")  # the path may be a temporary name
    plt.close(figure)
    return True


def _fit_labels(figure: Any, axes: Any, labels: list[Any], high: float) -> None:
    """Sets the right end of the (log) x range so that every label, which
    starts just right of its bar, ends inside the frame."""
    import math

    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    width = axes.get_window_extent(renderer).width
    low = axes.get_xlim()[0]
    log_low = math.log10(low)
    span = math.log10(high) - log_low
    margin = 8.0
    for label in labels:
        start = math.log10(label.get_position()[0]) - log_low  # in decades from the left edge
        text_width = label.get_window_extent(renderer).width
        room = width - margin - text_width
        if room > 0:
            span = max(span, start * width / room)
        else:  # a label wider than the frame: the figure is too narrow for it
            span = max(span, start + 1)
    axes.set_xlim(low, 10 ** (log_low + span))


def write_outputs(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Writes ladder.json, ladder.md and (with matplotlib) ladder.png, each
    replacing an earlier one only once it is written whole; returns the
    files actually written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "ladder.json", out_dir / "ladder.md"]
    for path, text in zip(written, (json.dumps(report, indent=2) + "\n", format_markdown(report))):
        with replaced_file(str(path)) as temporary:
            Path(temporary).write_text(text)
    png = out_dir / "ladder.png"
    try:
        with replaced_file(str(png)) as temporary:
            if not plot(report, Path(temporary)):
                raise ImportError("no chart")
        drawn = True
    except ImportError:
        drawn = False
    if drawn:
        written.append(png)
    elif png.exists():
        png.unlink()  # a chart from an earlier run would pass for this one's
    return written
