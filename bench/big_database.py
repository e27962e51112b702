#!/usr/bin/env python3
"""Writes a synthetic protein FASTA file of at least SIZE gigabytes (the
synthetic generator's UniProt-like sequences, deterministic by seed), for
measuring the streamed search's memory on a database larger than its chunk:

    bench/big_database.py /tmp/big.fa --gigabytes 2
    /usr/bin/time -v swladder search data/queries.fa /tmp/big.fa -k 10 > /dev/null   # Maximum resident set size
    /usr/bin/time -v swladder search data/queries.fa /tmp/big.fa -k 10 --chunk 64 > /dev/null
    rm /tmp/big.fa

The peak does not depend on the queries (one short query measures it in a
minute): about 35 MB at start-up plus 1.5 times the chunk (its residues,
then about 130 bytes per record: title, offsets, each subject's score and
statistics), 0.42 GB at the default 256 M-residue chunk and 0.14 GB at 64 M
on the 2 GB file (5,000,000 records).

Not committed data: write it to a temporary place and delete it afterwards.
"""

from __future__ import annotations

import argparse
import sys

from swladder import _core


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    target = int(args.gigabytes * 1e9)
    written = 0
    number = 0
    batch = 0
    with open(args.path, "w") as out:
        while written < target:
            sequences = _core.synthetic_database(args.seed + batch, 20000, 20, 5000)
            batch += 1
            lines = []
            for sequence in sequences:
                number += 1
                lines.append(f">syn{number} synthetic protein {number}\n")
                lines.extend(sequence[i:i + 60] + "\n" for i in range(0, len(sequence), 60))
            text = "".join(lines)
            out.write(text)
            written += len(text)
    print(f"wrote {args.path}: {written / 1e9:.2f} GB, {number} sequences", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
