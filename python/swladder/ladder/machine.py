"""What the ladder ran on: CPU, cores, instruction sets, compiler, Python."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path
from typing import Any

from .. import _core


def machine_info() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "isa": _core.cpu_features(),
        "compiler": _core.compiler(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
