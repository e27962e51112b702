"""The ladder's inputs: the queries and the database, encoded once per
prefix, with the cell counts that make speeds on a prefix exact."""

from __future__ import annotations

import dataclasses

from .._fasta import Database, read_fasta

# --quick: the first two queries against the first 400 database sequences.
QUICK_QUERIES = 2
QUICK_SUBJECTS = 400


@dataclasses.dataclass
class Inputs:
    queries: list[tuple[str, str]]
    subjects: list[tuple[str, str]]  # (name, sequence in ALPHABET letters)
    query_residues: int
    prefix_residues: list[int]  # prefix_residues[n]: residues in the first n subjects
    # Encoded prefixes, built once each: sizing and timing reuse them.
    _databases: dict[int, Database] = dataclasses.field(default_factory=dict)

    def cells(self, n_subjects: int) -> int:
        return self.query_residues * self.prefix_residues[n_subjects]

    def database(self, n_subjects: int) -> Database:
        if n_subjects not in self._databases:
            self._databases[n_subjects] = Database(self.subjects[:n_subjects])
        return self._databases[n_subjects]


def load_inputs(query_path: str, db_path: str, quick: bool) -> Inputs:
    db = Database(db_path)
    subjects = list(zip(db.names, db.sequences()))
    queries = [(name, sequence) for name, _, sequence in read_fasta(query_path)]
    if not queries:
        raise ValueError(f"no query sequences in '{query_path}'")
    if not subjects:
        raise ValueError(f"no database sequences in '{db_path}'")
    if quick:
        queries = queries[:QUICK_QUERIES]
        subjects = subjects[:QUICK_SUBJECTS]
    prefix = [0]
    for _, sequence in subjects:
        prefix.append(prefix[-1] + len(sequence))
    return Inputs(queries, subjects, sum(len(q) for _, q in queries), prefix)
