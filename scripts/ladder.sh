#!/usr/bin/env bash
# Sets up and runs the main job on the bundled data: the speedup ladder.
# Every rung and installed peer is verified, then timed; the table is printed
# and ladder.json, ladder.md and ladder.png go to ladder-out/. Extra
# arguments go to `swladder ladder` (for example --quick, --threads 1,
# --instructions, --query F --db F).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --peers
.venv/bin/swladder ladder --out ladder-out "$@"
