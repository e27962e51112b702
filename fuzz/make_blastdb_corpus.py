#!/usr/bin/env python3
"""Writes the seed corpora of the BLAST database fuzzers under
fuzz/corpus/blastdb_pin/, blastdb_phr/ and blastdb_pal/ from databases that
makeblastdb and blastdb_aliastool make in a temporary folder: indexes of
versions 4 and 5, with and without -parse_seqids and -taxid_map, a volume
of a multi-volume database; each record's def-line set; alias files as the
tools write them, and by hand. The files hold makeblastdb's date, so a rerun
changes those bytes only.
Usage: python3 fuzz/make_blastdb_corpus.py (needs makeblastdb and blastdb_aliastool)"""
import pathlib
import shutil
import struct
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"

# Every Seq-id form -parse_seqids reads, and the letters outside the 20.
CRAFTED = """\
>sp|P69905.2|HBA_HUMAN Hemoglobin subunit alpha
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSF
>pdb|1ABC|A chain A
MVLSPADKTNUKAAWGKVGAHAGEYGAEALEOMFLSFJ
>gi|12345|ref|NP_000509.1| hemoglobin beta
MVHLTPEEKSAVTALWGKVBZX*
>lcl|local7 a local id
KVLSPADKTNV
>gb|AAA12345.1| genbank
MKV
>emb|CAA12345.1|
MKVL
>plain42
MVLSP
"""
TAXA = "sp|P69905.2|HBA_HUMAN\t9606\n1ABC_A\t7\nNP_000509.1\t9606\nlocal7\t10090\nplain42\t1\n"


def run(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def pin_offsets(pin: bytes):
    """The header offsets of an index (version 4 or 5)."""
    version = struct.unpack(">I", pin[:4])[0]
    at = 12 if version == 5 else 8
    for _ in range(3 if version == 5 else 2):
        (length,) = struct.unpack(">I", pin[at:at + 4])
        at += 4 + length
    (count,) = struct.unpack(">I", pin[at:at + 4])
    at += 16
    return [struct.unpack(">I", pin[at + 4 * i:at + 4 * i + 4])[0] for i in range(count + 1)]


def main():
    folders = {name: CORPUS / name for name in ("blastdb_pin", "blastdb_phr", "blastdb_pal")}
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as temp:
        work = pathlib.Path(temp)
        (work / "crafted.fa").write_text(CRAFTED)
        (work / "crafted.taxa").write_text(TAXA)
        sample = (ROOT / "data" / "tursiops_sample.fa").read_text().split("\n>")[:300]
        (work / "sample.fa").write_text("\n>".join(sample) + "\n")
        made = {
            "v4": ["-blastdb_version", "4"],
            "v5": ["-blastdb_version", "5"],
            "ids_v4": ["-blastdb_version", "4", "-parse_seqids"],
            "ids_v5": ["-blastdb_version", "5", "-parse_seqids"],
            "taxa": ["-parse_seqids", "-taxid_map", "crafted.taxa"],
        }
        for name, options in made.items():
            run("makeblastdb", "-in", "crafted.fa", "-dbtype", "prot", "-out", name, *options, cwd=work)
            pin = (work / f"{name}.pin").read_bytes()
            (folders["blastdb_pin"] / f"{name}.pin").write_bytes(pin)
            phr = (work / f"{name}.phr").read_bytes()
            offsets = pin_offsets(pin)
            for number, (start, end) in enumerate(zip(offsets, offsets[1:])):
                (folders["blastdb_phr"] / f"{name}_{number}.phr").write_bytes(phr[start:end])
        run("makeblastdb", "-in", "sample.fa", "-dbtype", "prot", "-out", "volumes", "-max_file_sz", "40000",
            cwd=work)
        volume_pins = sorted(work.glob("volumes.*.pin"))
        shutil.copy(volume_pins[-1], folders["blastdb_pin"] / "volume.pin")
        shutil.copy(work / "volumes.pal", folders["blastdb_pal"] / "volumes.pal")
        run("blastdb_aliastool", "-dblist", "v5 volumes", "-dbtype", "prot", "-out", "both", "-title", "both",
            cwd=work)
        shutil.copy(work / "both.pal", folders["blastdb_pal"] / "aliastool.pal")
    hand_made = {
        "sized.pal": 'TITLE sized\r\nDBLIST "a b" c\r\nNSEQ 12\r\nLENGTH 3400\r\n',
        "nested.pal": "# a comment\n\nTITLE\nDBLIST ../other/name sub/x.00\n",
        "gilist.pal": 'TITLE restricted\nDBLIST "nr"\nGILIST nr.gil\n',
    }
    for name, text in hand_made.items():
        (folders["blastdb_pal"] / name).write_text(text)


if __name__ == "__main__":
    main()
