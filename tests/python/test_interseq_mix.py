"""The instruction mix that bench/ceiling.cpp weighs (instruction_mix in
kernels/interseq_kernel.hpp) against the compiled inner loop of every
interseq variant the dispatch table offers.

Each variant's int8 search is found in its level's kernel object by its
template arguments (Shape<columns, MaxForm, short>), and its innermost loop
that does saturating arithmetic (the sweep over the query rows) is counted
with objdump: per pass of that loop, one query row of `columns` cell vectors.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "kernels" / "dispatch_table.def"
HEADER = REPO / "kernels" / "interseq_kernel.hpp"
VARIANT_LINE = re.compile(r"^SWL_VARIANT\(\s*interseq\s*,\s*([a-z0-9]+)\s*,\s*([0-9]+)\s*,\s*([a-z_]+)\s*\)\s*$")
MIX = re.compile(
    r"return \{([0-9.]+), spread \? ([0-9.]+) : ([0-9.]+), spread \? ([0-9.]+) : ([0-9.]+),"
)


def variants() -> list[tuple[str, int, str]]:
    out = []
    for line in TABLE.read_text().splitlines():
        if match := VARIANT_LINE.match(line.strip()):
            out.append((match.group(1), int(match.group(2)), match.group(3)))
    return out


def table_mix(spread: bool) -> dict[str, float]:
    """Per cell vector: adds, maxes and compare+masked-move pairs, as the header says."""
    match = MIX.search(HEADER.read_text())
    assert match, f"{HEADER}: instruction_mix's return line changed; update this test's pattern"
    adds, max_spread, max_plain, pairs_spread, pairs_plain = (float(x) for x in match.groups())
    return {
        "adds": adds,
        "maxes": max_spread if spread else max_plain,
        "pairs": pairs_spread if spread else pairs_plain,
    }


def require(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: a missing prerequisite fails)")
    pytest.skip(why)


def disassembly(level: str) -> list[tuple[str, list[tuple[int, str, str]]]]:
    """(demangled function, [(address, mnemonic, operands)]) for the level's interseq object."""
    require(platform.machine().lower() in ("x86_64", "amd64"), "kernel objects are built on x86-64 only")
    require(shutil.which("objdump") is not None, "needs objdump (binutils)")
    build = Path(os.environ.get("SWL_BUILD_DIR") or REPO / "build")
    path = build / "CMakeFiles" / f"swl_kernel_interseq_{level}.dir" / "kernels" / "interseq.cpp.o"
    require(path.is_file(), f"no kernel object {path} (build with cmake --build {build})")
    text = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", str(path)], check=True, capture_output=True, text=True
    ).stdout
    functions: list[tuple[str, list[tuple[int, str, str]]]] = []
    for line in text.splitlines():
        if header := re.match(r"^[0-9a-f]+ <(.*)>:$", line):
            functions.append((header.group(1), []))
        elif (ins := re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)) and functions:
            functions[-1][1].append((int(ins.group(1), 16), ins.group(2), ins.group(3)))
    return functions


def row_loop(body: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The smallest backward-branch loop with saturating subtractions: the sweep's row loop."""
    index = {address: i for i, (address, _, _) in enumerate(body)}
    loops = []
    for i, (address, mnemonic, operands) in enumerate(body):
        target = re.match(r"([0-9a-f]+)", operands)
        if mnemonic.startswith("j") and mnemonic != "jmp" and target:
            start = int(target.group(1), 16)
            if start < address and start in index:
                loop = body[index[start] : i + 1]
                if any(m == "vpsubsb" for _, m, _ in loop):
                    loops.append(loop)
    assert loops, "no loop with vpsubsb"
    return min(loops, key=len)


CASES = variants()


def test_table_offers_variants_to_check():
    assert CASES, f"{TABLE}: no SWL_VARIANT(interseq, ...) lines"


@pytest.mark.parametrize(("level", "columns", "form"), CASES, ids=[f"{l}-{c}col-{f}" for l, c, f in CASES])
def test_row_loop_has_the_tabled_mix(level, columns, form):
    spread = form.startswith("spread")
    short = form.endswith("_short")
    form_enum = f"(swl::kernels::{level}::(anonymous namespace)::MaxForm){1 if spread else 0}"
    shape = f"Shape<{columns}, {form_enum}, {str(short).lower()}>"
    searches = [
        body
        for name, body in disassembly(level)
        if "::search<" in name and "interseq_ops::Ops8," in name and re.search(re.escape(shape) + r" ?>\(", name)
    ]
    assert len(searches) == 1, f"{level}/{columns}col/{form}: {len(searches)} int8 searches of {shape}"
    loop = row_loop(searches[0])
    mnemonics = [m for _, m, _ in loop]
    expected = table_mix(spread)
    adds = sum(m in ("vpaddsb", "vpsubsb") for m in mnemonics)
    maxes = sum(m == "vpmaxsb" for m in mnemonics)
    # The compiler writes the compare as vpcmpgtb or vpcmpnleb (the same
    # instruction, an immediate predicate) and the masked move as vmovdqu8
    # {k} or vpblendmb.
    compares = sum(m in ("vpcmpgtb", "vpcmpnleb", "vpcmpltb") for m in mnemonics)
    masked_moves = sum((m == "vmovdqu8" and "{%k" in operands) or m == "vpblendmb" for _, m, operands in loop)
    where = f"{level}/{columns}col/{form}, loop of {len(loop)} instructions"
    assert adds == expected["adds"] * columns, where
    assert maxes == expected["maxes"] * columns, where
    assert compares == expected["pairs"] * columns, where
    assert masked_moves == expected["pairs"] * columns, where
