#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<fuzzer>/ from the bundled data
(data/queries.fa, slices of data/tursiops_sample.fa, core/matrices/*.txt) and
a few hand-made edge cases. Deterministic: run it again and nothing changes.
Usage: python3 fuzz/make_corpus.py"""
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
ALPHABET = "ARNDCQEGHILKMFPSTWYVBZX*"


def records(path):
    """(header line, sequence) pairs of a FASTA file."""
    out = []
    for block in path.read_text().split(">")[1:]:
        header, _, body = block.partition("\n")
        out.append((header, body.replace("\n", "")))
    return out


def fasta(pairs, width=60, newline="\n"):
    text = ""
    for header, sequence in pairs:
        text += ">" + header + newline
        for i in range(0, len(sequence), width):
            text += sequence[i:i + width] + newline
    return text


def write(fuzzer, name, data):
    folder = CORPUS / fuzzer
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def fasta_corpus(queries, sample):
    write("fasta", "queries.fa", (ROOT / "data" / "queries.fa").read_bytes())
    for i, pair in enumerate(queries):
        write("fasta", f"query{i + 1}.fa", fasta([pair]))
    for start in (0, 500, 1000, 2000):
        write("fasta", f"tursiops_{start}.fa", fasta(sample[start:start + 3]))
    write("fasta", "crlf.fa", fasta(queries[:2], newline="\r\n"))
    # Old Mac line endings: two records (see fuzz/README.md).
    write("fasta", "cr_only.fa", ">s1\rACDE\r>s2\rWWWW\r")
    write("fasta", "no_final_newline.fa", ">a desc\nACDEFGHIKL")
    write("fasta", "empty_records.fa", ">empty\n>s2 two\nAC\n>also_empty\n")
    write("fasta", "comments_blanks.fa", ";comment\n\n  >a  first one \n AC DE\t\n\n;again\n>b\nwwww\n")
    write("fasta", "letters.fa", ">odd\nacdeUOJBZX*uoj\n")
    write("fasta", "no_name.fa", ">\nACDE\n")
    write("fasta", "before_header.fa", "ACDE\n>a\nAC\n")
    write("fasta", "bad_residue.fa", ">a\nAC1DE\n")
    write("fasta", "control_byte.fa", b">a\nAC\x00DE\n>b\nA\xc3\xa9\n")


def without_stop(text):
    lines = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            lines.append(line)
        elif words[0] == "*":
            continue
        else:
            lines.append(" ".join(words[:-1]))
    return "\n".join(lines) + "\n"


def matrix_corpus():
    matrices = sorted((ROOT / "core" / "matrices").glob("*.txt"))
    for path in matrices:
        write("matrix", path.name, path.read_bytes())
    blosum62 = (ROOT / "core" / "matrices" / "BLOSUM62.txt").read_text()
    write("matrix", "BLOSUM62_no_stop.txt", without_stop(blosum62))
    rows = [f"{a} " + " ".join(str(((i * 7 + j * 3) % 9) - 4) for j in range(24)) for i, a in enumerate(ALPHABET)]
    write("matrix", "asymmetric.txt", "  " + " ".join(ALPHABET) + "\n" + "\n".join(rows) + "\n")
    extremes = [f"{a} " + " ".join("127" if i == j else "-127" for j in range(24)) for i, a in enumerate(ALPHABET)]
    write("matrix", "extremes.txt", " ".join(ALPHABET) + "\n" + "\n".join(extremes) + "\n")
    write("matrix", "out_of_range.txt", blosum62.replace(" 4 ", " 128 ", 1))
    write("matrix", "extra_letters.txt", "   " + " ".join(ALPHABET + "UOJ") + "\n" +
          "\n".join(f"{a} " + " ".join("1" if i == j else "-1" for j in range(27)) for i, a in enumerate(ALPHABET + "UOJ")) + "\n")
    write("matrix", "missing_row.txt", "\n".join(blosum62.splitlines()[:-3]) + "\n")
    write("matrix", "header_only.txt", "# nothing but a header\n" + " ".join(ALPHABET) + "\n")


def ops(sequence, runs=()):
    """Operation bytes for fuzz_differential: residues, then (after position p) a repeat op."""
    out = bytearray()
    for i, letter in enumerate(sequence):
        out.append(ALPHABET.index(letter) if letter in ALPHABET else ALPHABET.index("X"))
        for position, op in runs:
            if position == i:
                out.append(op)
    return bytes([min(len(out), 255)]) + bytes(out[:255])


def differential_case(selector, gap_open, gap_extend, query, subjects, matrix_bytes=b""):
    data = bytes([selector]) + matrix_bytes + bytes([gap_open, gap_extend]) + ops(*query)
    data += bytes([len(subjects)]) + b"".join(ops(*subject) for subject in subjects)
    return data


def differential_corpus(queries, sample):
    q = [sequence for _, sequence in queries]
    s = [sequence for _, sequence in sample]
    write("differential", "blosum62_real", differential_case(2, 11, 1, (q[0][:60], ()), [(x[:60], ()) for x in s[:6]]))
    write("differential", "blosum45_real", differential_case(0, 14, 2, (q[3][:60], ()), [(x[:60], ()) for x in s[100:104]]))
    write("differential", "blosum50_real", differential_case(1, 10, 1, (q[1][:60], ()), [(x[:60], ()) for x in s[1500:1508]]))
    write("differential", "blosum80_real", differential_case(3, 10, 1, (q[2][:60], ()), [(x[:60], ()) for x in s[700:703]]))
    write("differential", "pam250_real", differential_case(4, 0, 3, (q[4][:60], ()), [(x[:60], ()) for x in s[1800:1802]]))
    write("differential", "self", differential_case(2, 11, 1, (q[5][:60], ()), [(q[5][:60], ()), (q[5][10:50], ())]))
    # Long runs of one residue: W/W scores 11 in BLOSUM62, so these saturate 8-bit lanes.
    write("differential", "w_runs", differential_case(2, 11, 1, ("W", [(0, 255), (0, 255)]), [("W", [(0, 255), (0, 255)]), ("AW", [(1, 230)])]))
    write("differential", "free_open", differential_case(2, 0, 1, (q[6][:60], ()), [(x[:60], ()) for x in s[42:45]]))
    write("differential", "costly_gaps", differential_case(2, 255, 255, (q[0][:60], ()), [(x[:60], ()) for x in s[9:12]]))
    write("differential", "empty_query", differential_case(2, 11, 1, ("", ()), [("ACDE", ())]))
    write("differential", "no_subjects", differential_case(2, 11, 1, ("ACDE", ()), []))
    # Random matrix texts: small, medium and full-range entries (flags: 1 drops '*', 2 asymmetric).
    def table(flags):
        letters = 23 if flags & 1 else 24
        entries = letters * letters if flags & 2 else letters * (letters + 1) // 2
        return bytes([flags]) + bytes((i * 37 + 11) % 256 for i in range(entries))
    write("differential", "random_small", differential_case(5, 5, 2, (q[0][:60], ()), [(x[:60], ()) for x in s[:4]], table(0)))
    write("differential", "random_medium_nostop", differential_case(6, 3, 1, (q[1][:60], ()), [(x[:60], ()) for x in s[4:8]], table(1)))
    write("differential", "random_full_asym", differential_case(7, 20, 4, ("Y", [(0, 255)]), [("Y", [(0, 255)]), ("C", [(0, 200)])], table(2)))


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    queries = records(ROOT / "data" / "queries.fa")
    sample = records(ROOT / "data" / "tursiops_sample.fa")
    fasta_corpus(queries, sample)
    matrix_corpus()
    differential_corpus(queries, sample)
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} files, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
