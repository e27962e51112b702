#!/usr/bin/env bash
# Sets up and runs the main job on the bundled data: verify every rung, then
# climb the ladder. Extra arguments go to `swladder ladder`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --peers
.venv/bin/swladder verify
.venv/bin/swladder search data/queries.fa data/tursiops_sample.fa -k 5
