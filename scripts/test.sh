#!/usr/bin/env bash
# Install aigc with the training, benchmark-peer, relevance-model, chat, speech, PostgreSQL, Ray and development
# extras; lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh train,bench,relevance,chat,speech,dev,postgres,ray
bin=.venv/bin
# Piper's own synthesiser, the reference of speech-piper's parity tests and benchmark. --no-deps: it
# requires the CPU onnxruntime, which would overwrite onnxruntime-gpu's files; it runs on either.
"$bin/python" -m pip install --quiet --no-deps "piper-tts==1.8.0"
"$bin/ruff" check .
"$bin/ruff" format --check .
# mypy cannot follow the package-dir mapping of an editable install: show it the namespace as links.
mkdir -p .mypy-src/aigc
for package in core storage plugins; do ln -sfn "../../$package" ".mypy-src/aigc/$package"; done
MYPYPATH=.mypy-src "$bin/mypy" -p aigc.core -p aigc.storage
# Import contracts: plugins use only the SDK; the store imports no interface code; the CLI, HTTP
# API and jobs leave SQL to the store.
"$bin/lint-imports"
# The tutorial's example plugin, installed as a separate package: its own tests run here, and the
# suite's conformance tests cover it together with the built-in plugins.
"$bin/python" -m pip install --quiet --no-deps --editable docs/examples/aigc-markov
"$bin/pytest" -q -p no:cacheprovider docs/examples/aigc-markov/tests
exec "$bin/pytest" "$@"
