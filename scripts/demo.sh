#!/usr/bin/env bash
# The main job: install aigc (serving dependencies, the GGUF converter and the speech extra, no torch),
# install the SmolLM2 chat model and the joe-us voice into the data folder (idempotent), and run
# `aigc demo` on SQLite and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh chat,speech
.venv/bin/aigc models install smollm2
.venv/bin/aigc models install joe-us
exec .venv/bin/aigc demo "$@"
