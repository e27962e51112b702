"""The compiled row loops of the interseq variants, read with objdump: shared
by tests/python/test_interseq_mix.py (the instruction mix against
kernels/interseq_kernel.hpp) and bench/interseq_mca.py (llvm-mca)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "kernels" / "dispatch_table.def"
HEADER = REPO / "kernels" / "interseq_kernel.hpp"
VARIANT_LINE = re.compile(r"^SWL_VARIANT\(\s*interseq\s*,\s*([a-z0-9]+)\s*,\s*([0-9]+)\s*,\s*([a-z_]+)\s*\)\s*$")
MIX = re.compile(r"case MixForm::([a-z]+): return \{([0-9.]+), ([0-9.]+), ([0-9.]+), ([0-9.]+),")
FORMS = {"max": 0, "spread": 1, "masked": 2}  # MaxForm's values in kernels/interseq.cpp

Instruction = tuple[int, str, str]  # address, mnemonic, operands


def variants() -> list[tuple[str, int, str]]:
    """(level, columns, form) of every SWL_VARIANT(interseq, ...) line, in table order."""
    out = []
    for line in TABLE.read_text().splitlines():
        if match := VARIANT_LINE.match(line.strip()):
            out.append((match.group(1), int(match.group(2)), match.group(3)))
    return out


def form_of(form: str) -> str:
    """The max form of a variant's form name: max_short -> max."""
    return form.removesuffix("_short")


def table_mix(form: str) -> dict[str, float]:
    """Per cell vector of the form (max, spread or masked): adds, maxes,
    compare+masked-move pairs and compare+masked-subtraction pairs, as the
    header says."""
    mixes = {m.group(1): [float(x) for x in m.groups()[1:]] for m in MIX.finditer(HEADER.read_text())}
    if form not in mixes:
        raise ValueError(f"{HEADER}: no instruction_mix case for {form}; update the MIX pattern")
    adds, maxes, spread_pairs, masked_pairs = mixes[form]
    return {"adds": adds, "maxes": maxes, "spread_pairs": spread_pairs, "masked_pairs": masked_pairs}


def kernel_object(build: Path, level: str) -> Path:
    return build / "CMakeFiles" / f"swl_kernel_interseq_{level}.dir" / "kernels" / "interseq.cpp.o"


def disassembly(path: Path) -> list[tuple[str, list[Instruction]]]:
    """(demangled function, its instructions) for every function of an object."""
    text = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", str(path)], check=True, capture_output=True, text=True
    ).stdout
    functions: list[tuple[str, list[Instruction]]] = []
    for line in text.splitlines():
        if header := re.match(r"^[0-9a-f]+ <(.*)>:$", line):
            functions.append((header.group(1), []))
        elif (ins := re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)) and functions:
            functions[-1][1].append((int(ins.group(1), 16), ins.group(2), ins.group(3)))
    return functions


def search_of(build: Path, level: str, columns: int, form: str) -> list[Instruction]:
    """The int8 search of one variant (Shape<columns, MaxForm, short, true> at `level`)."""
    short = form.endswith("_short")
    form_enum = f"(swl::kernels::{level}::(anonymous namespace)::MaxForm){FORMS[form_of(form)]}"
    # The unit-extension instantiation (the last argument, true): BLOSUM62 11/1.
    shape = f"Shape<{columns}, {form_enum}, {str(short).lower()}, true>"
    searches = [
        body
        for name, body in disassembly(kernel_object(build, level))
        if "::search<" in name and "interseq_ops::Ops8," in name and re.search(re.escape(shape) + r" ?>\(", name)
    ]
    if len(searches) != 1:
        raise LookupError(f"{level}/{columns}col/{form}: {len(searches)} int8 searches of {shape}")
    return searches[0]


def row_loop(body: list[Instruction]) -> list[Instruction]:
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
    if not loops:
        raise LookupError("no loop with vpsubsb")
    return min(loops, key=len)
