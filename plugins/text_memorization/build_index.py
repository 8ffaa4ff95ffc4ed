"""Build ``ngram_index.npz`` and ``manifest.json`` from the text-transformer training split.

    python -m aigc.plugins.text_memorization.build_index [--corpus build/text_transformer/corpus]

The corpus folder is the one ``aigc.plugins.text_transformer.corpus`` prepares (it is prepared
there first if ``train.txt`` is missing, which needs the Debian text packages). Deterministic:
the same ``train.txt`` gives a byte-identical index.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.progress import track

from aigc.core.sdk import write_manifest
from aigc.plugins.lib.text_metrics.ngram_index import NgramIndex
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.text_memorization import INDEX_DIR, INDEX_FILE, VERSION
from aigc.plugins.text_transformer.corpus import DEFAULT_OUT, prepare, read_documents, sha256_text

N = 8


def build(corpus: Path, out: Path = INDEX_DIR, n: int = N) -> dict[str, object]:
    """Index the n-grams of ``corpus/train.txt`` into ``out``; returns the manifest's training record."""
    train = corpus / "train.txt"
    if not train.is_file():
        prepare(corpus)
    documents = read_documents(train)
    index = NgramIndex.build((words(d) for d in track(documents, description="indexing n-grams")), n)
    index.save(out / INDEX_FILE)
    record: dict[str, object] = {
        "command": "python -m aigc.plugins.text_memorization.build_index",
        "n": n,
        "tokenisation": "aigc.plugins.lib.text_metrics.tokens.words",
        "corpus": {
            "file": "text-transformer train.txt",
            "sha256": sha256_text(train),
            "documents": len(documents),
        },
        "unique_ngrams": len(index),
    }
    write_manifest(out, "text-memorization", VERSION, [INDEX_FILE], training=record)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT, help="prepared text-transformer corpus")
    args = parser.parse_args()
    print(json.dumps(build(args.corpus), indent=2))


if __name__ == "__main__":
    main()
