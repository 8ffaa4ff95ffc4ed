#!/usr/bin/env bash
# Creates or refreshes ./.venv with aigc installed (editable) and the extras named in $1, e.g. "train,dev".
# torch is installed first at the pinned CPU version (for the train and relevance extras), so no dependency
# range can pull a newer (CUDA) build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
venv=.venv
stamp="$venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras//,/-}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
if [ ! -f "$stamp" ]; then
  if [[ ",$extras," == *",train,"* || ",$extras," == *",relevance,"* ]]; then
    "$venv/bin/python" -m pip install --quiet "torch==2.13.0"
  fi
  "$venv/bin/python" -m pip install --quiet --editable ".${extras:+[$extras]}"
  if [[ ",$extras," == *",audio,"* || ",$extras," == *",speech,"* ]]; then
    # SoundFont rendering; --no-deps because it requires PyAudio (built against PortAudio) for live
    # playback only, which aigc never uses.
    "$venv/bin/python" -m pip install --quiet --no-deps "tinysoundfont>=0.3,<0.4"
  fi
  touch "$stamp"
fi
