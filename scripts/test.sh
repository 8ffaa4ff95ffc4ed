#!/usr/bin/env bash
# Install aigc with the training, benchmark-peer, PostgreSQL, Ray and development extras; lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh train,bench,dev,postgres,ray
bin=.venv/bin
"$bin/ruff" check .
"$bin/ruff" format --check .
# mypy cannot follow the package-dir mapping of an editable install: show it the namespace as links.
mkdir -p .mypy-src/aigc
for package in core storage plugins; do ln -sfn "../../$package" ".mypy-src/aigc/$package"; done
MYPYPATH=.mypy-src "$bin/mypy" -p aigc.core -p aigc.storage
exec "$bin/pytest" "$@"
