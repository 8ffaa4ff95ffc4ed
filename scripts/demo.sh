#!/usr/bin/env bash
# The main job: install aigc (serving dependencies only, no torch) and run `aigc demo` on SQLite and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh
exec .venv/bin/aigc demo "$@"
