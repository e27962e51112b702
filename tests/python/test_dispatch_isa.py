"""Every instruction of every kernel object is covered by its level's run-time
check.

kernels/dispatch_table.def gives each instruction-set level a list of feature
words, used both as compiler flags (-m<word>) and as the CPU check
(__builtin_cpu_supports) that must pass before the level's kernels run. This
test holds the build to that promise: it decodes every executable section of
every SWL_KERNEL object with a real x86 decoder (iced-x86), asks it which CPUID
features each instruction needs, and fails on any feature that the level's
words do not guarantee. A mnemonic grep could not do this: an AVX-512VL
instruction looks like its AVX2 namesake (vpmaxuw xmm0, xmm17, xmm1), only
its EVEX encoding differs.

The objects come from the CMake build in build/ (scripts/test.sh builds
there; SWL_BUILD_DIR overrides it). Without them the test skips, or fails
with CI=true, where a missing prerequisite is an error.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, build_dir, require

TABLE = REPO / "kernels" / "dispatch_table.def"

LEVEL_LINE = re.compile(r'^SWL_ISA_LEVEL\(\s*([a-z0-9_]+)\s*,\s*"([^"]*)"\s*\)\s*$')
KERNEL_LINE = re.compile(r"^SWL_KERNEL\(\s*([a-z0-9_]+)\s*,\s*([a-z0-9_]+)\s*\)\s*$")
VARIANT_LINE = re.compile(r"^SWL_VARIANT\(\s*([a-z0-9_]+)\s*,\s*([a-z0-9_]+)\s*,\s*([0-9]+)\s*,\s*([a-z_]+)\s*\)\s*$")

# --- What a feature word guarantees --------------------------------------------
# iced-x86 CpuidFeature names that every x86-64 CPU has: the x86-64 baseline
# (x86-64-v1) the kernels' code outside their -m flags is compiled for.
BASELINE = frozenset(
    {
        "INTEL8086",
        "INTEL186",
        "INTEL286",
        "INTEL386",
        "INTEL486",
        "X64",
        "CPUID",
        "CMOV",
        "CX8",
        "FPU",
        "FPU287",
        "FPU387",
        "FXSR",
        "MMX",
        "SSE",
        "SSE2",
        "MULTIBYTENOP",  # nopw/nopl 0f 1f: alignment padding, every x86-64 CPU
        "PAUSE",  # an SSE2-era hint, a plain nop (rep nop) before that
    }
)

# Each feature word of the table, as the iced-x86 features its GCC flag lets
# the compiler use (checked against `g++ <flags> -dM -E`), which the run-time
# check of the word guarantees. A word missing here fails the test: add it
# only with what its flag implies.
IMPLIES: dict[str, frozenset[str]] = {
    # -msse4.1 = SSE4.1 + SSSE3 + SSE3 (+ the SSE/SSE2 baseline)
    "sse4.1": frozenset({"SSE3", "SSSE3", "SSE4_1"}),
    # -mavx2 = AVX2 + AVX + SSE4.2 (GCC turns on POPCNT with SSE4.2) + SSE4.1 ...
    # (and XSAVE, which no kernel code uses: left out so it would show up)
    "avx2": frozenset({"SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT", "AVX", "AVX2"}),
    # -mbmi2 = BMI2 only (not BMI1: tzcnt/andn would need a bmi word)
    "bmi2": frozenset({"BMI2"}),
    # -mavx512f implies -mavx2, and with it everything avx2 allows
    "avx512f": frozenset({"SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT", "AVX", "AVX2", "AVX512F"}),
    # -mavx512bw / -mavx512vl / -mavx512vbmi each imply -mavx512f
    "avx512bw": frozenset({"SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT", "AVX", "AVX2", "AVX512F", "AVX512BW"}),
    "avx512vl": frozenset({"SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT", "AVX", "AVX2", "AVX512F", "AVX512VL"}),
    "avx512vbmi": frozenset(
        {"SSE3", "SSSE3", "SSE4_1", "SSE4_2", "POPCNT", "AVX", "AVX2", "AVX512F", "AVX512BW", "AVX512_VBMI"}
    ),
}

# Hand-assembled instructions (GNU as, then objdump -d) with the level that
# must reject and the level that must accept each, proving the check can fail.
NEGATIVE_CASES = [
    # EVEX, 128-bit: AVX-512VL+BW hiding behind an AVX2 mnemonic
    ("vpmaxuw xmm0, xmm17, xmm1", bytes.fromhex("62f275003ec1"), "avx2", {"AVX512VL", "AVX512BW"}, "avx512bw"),
    # the same mnemonic, VEX: AVX2 is enough, SSE4.1 is not
    ("vpmaxuw xmm0, xmm1, xmm2", bytes.fromhex("c4e2713ec2"), "sse41", {"AVX"}, "avx2"),
    # VBMI's byte permute: beyond avx512bw
    ("vpermb zmm0, zmm1, zmm2", bytes.fromhex("62f275488dc2"), "avx512bw", {"AVX512_VBMI"}, "avx512vbmi"),
    # BMI2
    ("shlx rax, rbx, rcx", bytes.fromhex("c4e2f1f7c3"), "sse41", {"BMI2"}, "avx2"),
]

MIN_INSTRUCTIONS = 100


@dataclass(frozen=True)
class Table:
    levels: dict[str, list[str]]  # level -> feature words, in table order
    kernels: list[tuple[str, str]]  # (family, level), in table order
    variants: list[tuple[str, str, int, str]]  # (family, level, columns, form), in table order


def read_table(path: Path = TABLE) -> Table:
    """The three line forms of dispatch_table.def; any other SWL_ line is an
    error, as it is for CMake."""
    levels: dict[str, list[str]] = {}
    kernels: list[tuple[str, str]] = []
    variants: list[tuple[str, str, int, str]] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line.startswith("SWL_"):
            continue
        if match := LEVEL_LINE.match(line):
            level, features = match.groups()
            assert level not in levels, f"{path}:{number}: level {level} defined twice"
            levels[level] = features.replace(",", " ").split()
        elif match := KERNEL_LINE.match(line):
            kernels.append((match.group(1), match.group(2)))
        elif match := VARIANT_LINE.match(line):
            variants.append((match.group(1), match.group(2), int(match.group(3)), match.group(4)))
        else:
            pytest.fail(f"{path}:{number}: cannot read {line!r}")
    return Table(levels, kernels, variants)


def import_decoder():
    try:
        import iced_x86
        import elftools  # noqa: F401  (pyelftools)
    except ImportError as error:
        require(False, f"needs iced-x86 and pyelftools (pip install -e '.[test]'): {error}")
    return iced_x86


def object_path(build: Path, family: str, level: str) -> Path:
    return build / "CMakeFiles" / f"swl_kernel_{family}_{level}.dir" / "kernels" / f"{family}.cpp.o"


def allowed_features(words: list[str]) -> frozenset[str]:
    allowed = set(BASELINE)
    for word in words:
        assert word in IMPLIES, (
            f"feature word {word!r} of dispatch_table.def has no entry in IMPLIES "
            f"(test_dispatch_isa.py): say which CPUID features its -m{word} flag lets the compiler use"
        )
        allowed |= IMPLIES[word]
    return frozenset(allowed)


def feature_names(iced_x86) -> dict[int, str]:
    cpuid = iced_x86.CpuidFeature
    return {getattr(cpuid, name): name for name in dir(cpuid) if name.isupper() and not name.startswith("_")}


@dataclass
class Violation:
    where: str
    offset: int
    symbol: str
    text: str
    missing: list[str]

    def __str__(self) -> str:
        return f"{self.where}+{self.offset:#x} <{self.symbol}>: {self.text}  -- needs {', '.join(self.missing)}"


def check_code(iced_x86, code: bytes, allowed: frozenset[str], where: str, symbols=None, base: int = 0):
    """Decodes `code`; returns (instruction count, violations, invalid encodings)."""
    names = feature_names(iced_x86)
    decoder = iced_x86.Decoder(64, code, ip=base)
    formatter = iced_x86.Formatter(iced_x86.FormatterSyntax.INTEL)
    count = 0
    violations: list[Violation] = []
    invalid: list[int] = []
    for instr in decoder:
        if instr.code == iced_x86.Code.INVALID:
            invalid.append(instr.ip)
            continue
        count += 1
        needed = [names.get(feature, f"CpuidFeature#{feature}") for feature in instr.cpuid_features()]
        missing = sorted(name for name in needed if name not in allowed)
        if missing:
            symbol = symbols(instr.ip) if symbols else "?"
            violations.append(Violation(where, instr.ip, symbol, formatter.format(instr), missing))
    return count, violations, invalid


def executable_sections(elf):
    """(index, section) of every section holding code: .text, .text.* and the
    COMDAT .text.<function> groups of inline and template functions."""
    from elftools.elf.constants import SH_FLAGS

    for index in range(elf.num_sections()):
        section = elf.get_section(index)
        if section["sh_type"] == "SHT_PROGBITS" and section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
            yield index, section


def symbol_finder(elf, section_index: int):
    """offset in the section -> the function symbol around it."""
    symtab = elf.get_section_by_name(".symtab")
    spans = []
    if symtab is not None:
        for symbol in symtab.iter_symbols():
            if symbol["st_shndx"] == section_index and symbol["st_info"]["type"] == "STT_FUNC":
                spans.append((symbol["st_value"], symbol["st_value"] + max(symbol["st_size"], 1), symbol.name))

    def find(offset: int) -> str:
        for start, end, name in spans:
            if start <= offset < end:
                return name
        return "?"

    return find


# --- The table itself ------------------------------------------------------------


def test_table_reads_and_names_known_levels():
    table = read_table()
    assert table.levels, "no SWL_ISA_LEVEL lines"
    assert table.kernels, "no SWL_KERNEL lines"
    for family, level in table.kernels:
        assert level in table.levels, f"SWL_KERNEL({family}, {level}): no SWL_ISA_LEVEL({level}, ...)"
        assert (REPO / "kernels" / f"{family}.cpp").is_file(), f"SWL_KERNEL({family}, {level}): no kernels/{family}.cpp"
    for level, words in table.levels.items():
        assert words, f"level {level} lists no features"
        allowed_features(words)  # every word has an IMPLIES entry
    # A variant lives in the unit of its family's SWL_KERNEL line at its
    # level; interseq's levels offer variants only, so each needs at least one.
    assert len(set(table.variants)) == len(table.variants), "a SWL_VARIANT line twice"
    for family, level, columns, form in table.variants:
        assert (family, level) in table.kernels, f"SWL_VARIANT({family}, {level}, {columns}, {form}): no SWL_KERNEL"
    for family, level in table.kernels:
        if family == "interseq":
            assert any(v[:2] == (family, level) for v in table.variants), f"interseq at {level} offers no variant"


def test_feature_names_are_iced_features():
    iced_x86 = import_decoder()
    known = set(feature_names(iced_x86).values())
    used = set(BASELINE).union(*IMPLIES.values())
    for case in NEGATIVE_CASES:
        used |= case[3]
    assert used <= known, f"not iced-x86 CpuidFeature names: {sorted(used - known)}"


# --- The checker can fail ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "rejecting", "expected_missing", "accepting"),
    NEGATIVE_CASES,
    ids=[case[0].split()[0] + "-" + case[2] for case in NEGATIVE_CASES],
)
def test_checker_rejects_what_the_level_does_not_check(text, code, rejecting, expected_missing, accepting):
    iced_x86 = import_decoder()
    table = read_table()

    count, violations, invalid = check_code(iced_x86, code, allowed_features(table.levels[rejecting]), "handmade")
    assert (count, invalid) == (1, [])
    assert len(violations) == 1, f"{text}: accepted for level {rejecting}"
    assert violations[0].text.replace(" ", "") == text.replace(" ", "")
    assert set(violations[0].missing) == expected_missing, str(violations[0])

    count, violations, invalid = check_code(iced_x86, code, allowed_features(table.levels[accepting]), "handmade")
    assert (count, violations, invalid) == (1, [], [])


# --- The kernel objects --------------------------------------------------------------


def kernel_ids():
    return [f"{family}-{level}" for family, level in read_table().kernels]


@dataclass
class Scan:
    sections: list[str]
    instructions: int
    violations: list[Violation]
    invalid: list[str]


def scan_object(iced_x86, path: Path, allowed: frozenset[str]) -> Scan:
    """Decodes every executable section of an object file against `allowed`."""
    from elftools.elf.elffile import ELFFile

    scan = Scan([], 0, [], [])
    with path.open("rb") as stream:
        elf = ELFFile(stream)
        assert elf.elfclass == 64 and elf["e_machine"] == "EM_X86_64", f"{path}: not an x86-64 object"
        for index, section in executable_sections(elf):
            scan.sections.append(section.name)
            where = f"{path.parent.parent.name}/{path.name}:{section.name}"
            count, found, bad = check_code(iced_x86, section.data(), allowed, where, symbol_finder(elf, index))
            scan.instructions += count
            scan.violations += found
            scan.invalid += [f"{where}+{offset:#x}" for offset in bad]
        # every .text / .text.* section (COMDAT ones too) must have been decoded
        texts = {s.name for s in elf.iter_sections() if s.name == ".text" or s.name.startswith(".text.")}
        undecoded = sorted(texts - set(scan.sections))
        assert not undecoded, f"{path}: text sections not marked executable: {undecoded}"
    return scan


def kernel_object(family: str, level: str) -> Path:
    require(platform.machine().lower() in ("x86_64", "amd64"), "kernel objects are built on x86-64 only")
    build = build_dir()
    require(build.is_dir(), f"no build directory {build} (scripts/test.sh builds it; SWL_BUILD_DIR overrides)")
    path = object_path(build, family, level)
    require(path.is_file(), f"no kernel object {path} (build with cmake --build {build})")
    return path


@pytest.mark.parametrize(("family", "level"), read_table().kernels, ids=kernel_ids())
def test_kernel_object_uses_only_checked_features(family, level):
    iced_x86 = import_decoder()
    table = read_table()
    path = kernel_object(family, level)
    scan = scan_object(iced_x86, path, allowed_features(table.levels[level]))

    assert scan.sections, f"{path}: no executable section"
    assert not scan.invalid, f"{path}: bytes iced-x86 cannot decode in code sections: {scan.invalid[:10]}"
    assert scan.instructions > MIN_INSTRUCTIONS, f"{path}: only {scan.instructions} instructions in {scan.sections}"
    if scan.violations:
        shown = "\n  ".join(str(v) for v in scan.violations[:25])
        more = f"\n  ... and {len(scan.violations) - 25} more" if len(scan.violations) > 25 else ""
        pytest.fail(
            f"{path} (level {level}: {' '.join(table.levels[level])}) has {len(scan.violations)} instruction(s) "
            f"needing CPU features its run-time check does not cover:\n  {shown}{more}"
        )


def test_avx512_object_fails_at_the_avx2_level():
    """The check on real code: an AVX-512 kernel object, held to the avx2
    level's features, must show EVEX (AVX-512VL/BW) instructions."""
    iced_x86 = import_decoder()
    table = read_table()
    family, level = next((f, lv) for f, lv in table.kernels if lv.startswith("avx512"))
    path = kernel_object(family, level)
    scan = scan_object(iced_x86, path, allowed_features(table.levels["avx2"]))
    missing = {name for violation in scan.violations for name in violation.missing}
    assert {"AVX512F", "AVX512BW"} <= missing, f"{path} checked as avx2: only {sorted(missing)} missing"
    assert len(scan.violations) > 10
