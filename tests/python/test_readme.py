"""Every code block of README.md runs as written, from the repository root:
each ```python and ```sh block unless it says, in a comment, that it needs
something these tests do not have ("# needs ...": a download, a Slurm
cluster) or takes minutes ("# takes minutes")."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

README = REPO / "README.md"
SKIP_MARKERS = ("# needs ", "# takes minutes")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def environment() -> dict[str, str]:
    # The swladder command of the interpreter running the tests comes first.
    return dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


def test_the_readme_has_blocks_of_both_kinds():
    assert blocks("python") and blocks("sh")
    assert any(not any(marker in block for marker in SKIP_MARKERS) for block in blocks("sh"))


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index):
    code = blocks("python")[index]
    marker = next((marker for marker in SKIP_MARKERS if marker in code), None)
    if marker is not None:
        pytest.skip(f"README python block {index} is marked '{marker.strip()}'")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=environment())
    assert done.returncode == 0, f"README python block {index}:\n{code}\n{done.stderr}"


@pytest.mark.parametrize("index", range(len(blocks("sh"))))
def test_sh_block_runs(index):
    code = blocks("sh")[index]
    marker = next((marker for marker in SKIP_MARKERS if marker in code), None)
    if marker is not None:
        pytest.skip(f"README sh block {index} is marked '{marker.strip()}'")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=environment())
    assert done.returncode == 0, f"README sh block {index}:\n{code}\n{done.stderr}"
    assert done.stdout.strip()
