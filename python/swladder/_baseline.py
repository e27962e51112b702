"""The pure-Python rungs, wherever they are: the copy installed in the package
(swladder/baseline.py, copied from baseline/smith_waterman.py at install
time), else, in a source checkout, baseline/smith_waterman.py loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_SOURCE_NAME = "smith_waterman"


def _load() -> ModuleType:
    try:
        from . import baseline  # type: ignore[attr-defined]  # the installed copy
    except ImportError:
        pass
    else:
        return baseline
    for parent in Path(__file__).resolve().parents:
        source = parent / "baseline" / "smith_waterman.py"
        if source.is_file():
            break
    else:
        raise ImportError("swladder: the pure-Python rungs are missing: neither swladder/baseline.py "
                          "(installed) nor baseline/smith_waterman.py (source checkout) was found")
    if _SOURCE_NAME in sys.modules and getattr(sys.modules[_SOURCE_NAME], "__file__", None) == str(source):
        return sys.modules[_SOURCE_NAME]
    spec = importlib.util.spec_from_file_location(_SOURCE_NAME, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # multiprocessing pickles python_multiprocessing's workers by module name.
    sys.modules[_SOURCE_NAME] = module
    spec.loader.exec_module(module)
    return module


baseline = _load()
