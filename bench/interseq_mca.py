#!/usr/bin/env python3
"""llvm-mca's view of every interseq variant's row loop: the cross-check of
the ceiling swl_bench prints (stages/README.md, chapter 9).

    python3 bench/interseq_mca.py [--mcpu znver3] [--build build]

For each SWL_VARIANT line of kernels/dispatch_table.def, finds the variant's
int8 search in its level's kernel object (objdump), takes its smallest loop
with saturating subtractions (one query row of the pass's columns), and runs
llvm-mca on it: instructions per row, and cycles per row and per cell vector.
Needs objdump and llvm-mca (Debian: binutils, llvm).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from interseq_loops import row_loop, search_of, variants  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcpu", default="znver3", help="llvm-mca -mcpu (default: %(default)s)")
    parser.add_argument("--build", type=Path, default=REPO / "build", help="CMake build folder")
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    header = f"{'variant':32} {'instr/row':>9} {'cycles/row':>10} {'cycles/cell vector':>18}"
    print(f"{header}  (llvm-mca -mcpu={args.mcpu})")
    for level, columns, form in variants():
        loop = row_loop(search_of(args.build, level, columns, form))
        lines = [".Lloop:"]
        for _, mnemonic, operands in loop:
            operands = re.sub(r" <.*", "", operands)
            lines.append(f"{mnemonic} {'.Lloop' if mnemonic.startswith('j') else operands}")
        done = subprocess.run(
            ["llvm-mca", f"-mcpu={args.mcpu}", f"-iterations={args.iterations}"],
            input="\n".join(lines) + "\n", capture_output=True, text=True, check=False,
        )
        name = f"{level}/{columns}col/{form.replace('_', '/')}"
        if done.returncode != 0:  # an instruction this -mcpu lacks (AVX-512 on znver3)
            print(f"{name:32} {len(loop):9d}  llvm-mca -mcpu={args.mcpu} cannot model it")
            continue
        cycles = int(re.search(r"Total Cycles:\s+(\d+)", done.stdout).group(1)) / args.iterations
        print(f"{name:32} {len(loop):9d} {cycles:10.2f} {cycles / columns:18.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
