#!/usr/bin/env bash
# The main job: install aigc (serving dependencies and the GGUF converter, no torch), install the
# SmolLM2 chat model into the data folder (idempotent), and run `aigc demo` on SQLite and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh chat
.venv/bin/aigc models install smollm2
exec .venv/bin/aigc demo "$@"
