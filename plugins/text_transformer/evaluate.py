"""Held-out perplexity of the shipped model next to a bigram baseline:
``python -m aigc.plugins.text_transformer.evaluate``.

Both are measured on the same tokens: every held-out document, encoded with the shipped
tokenizer and followed by ``<|endoftext|>``, concatenated into one stream (as in training).

- **model**: ONNX Runtime on ``model.onnx``; windows of the full context advancing by half a
  context, each token scored once with at least half a context before it;
- **bigram**: counts from the train split, interpolated with add-one unigrams,
  ``P(b|a) = λ·c(a,b)/c(a) + (1-λ)·P(b)``, λ chosen on the last 2% of the train stream (held
  back from the counts for that choice, then counted too).

Writes the figures into the manifest's ``training`` entry ``held_out_evaluation``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from aigc.core.sdk import CausalLM, ModelRuntime, update_training
from aigc.plugins.text_perplexity.evaluator import windows
from aigc.plugins.text_transformer.corpus import DEFAULT_OUT as CORPUS_DIR
from aigc.plugins.text_transformer.corpus import read_documents
from aigc.plugins.text_transformer.generator import load_model_config
from aigc.plugins.text_transformer.train import encode_stream

PLUGIN_DIR = Path(__file__).resolve().parent
LAMBDAS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


def bigram_counts(stream: np.ndarray, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Bigram count matrix ``(vocab, vocab)`` and unigram counts of a token stream."""
    pairs = np.zeros((vocab, vocab), dtype=np.float64)
    np.add.at(pairs, (stream[:-1], stream[1:]), 1.0)
    return pairs, np.bincount(stream, minlength=vocab).astype(np.float64)


def bigram_nll(pairs: np.ndarray, unigrams: np.ndarray, stream: np.ndarray, lam: float) -> float:
    """Mean negative log-likelihood (nats) of ``stream[1:]`` under the interpolated bigram."""
    p_unigram = (unigrams + 1.0) / (unigrams.sum() + len(unigrams))
    previous, current = stream[:-1], stream[1:]
    context = pairs[previous].sum(axis=1)
    p_ml = np.divide(pairs[previous, current], context, out=np.zeros(len(current)), where=context > 0)
    p = lam * p_ml + (1 - lam) * p_unigram[current]
    return float(-np.log(p).mean())


def model_nll(model: CausalLM, stream: np.ndarray, batch: int = 8) -> float:
    """Mean negative log-likelihood (nats) of ``stream[1:]`` under the ONNX model."""
    jobs = windows(stream.tolist(), 1, model.context_length)
    total, count = 0.0, 0
    for start in range(0, len(jobs), batch):
        chunk = jobs[start : start + batch]
        for (_, first), log_probs in zip(chunk, model.token_log_probs([w for w, _ in chunk]), strict=True):
            scored = log_probs[first - 1 :]
            total -= float(scored.sum())
            count += len(scored)
    return total / count


def evaluate(folder: Path, corpus: Path) -> dict[str, float]:
    """Held-out perplexities of the model and of the bigram baseline, with token counts."""
    config = load_model_config(folder)
    vocab = int(config["decoder"]["vocab_size"])
    tokenizer = folder / "tokenizer.json"
    train = encode_stream(tokenizer, read_documents(corpus / "train.txt")).astype(np.int64)
    held = encode_stream(tokenizer, read_documents(corpus / "held_out.txt")).astype(np.int64)
    held = np.concatenate([[int(config["eos_token_id"])], held])  # the first document starts after EOS too

    split = int(len(train) * 0.98)
    pairs, unigrams = bigram_counts(train[:split], vocab)
    lam = min(LAMBDAS, key=lambda value: bigram_nll(pairs, unigrams, train[split:], value))
    pairs, unigrams = bigram_counts(train, vocab)
    bigram = bigram_nll(pairs, unigrams, held, lam)

    session = ModelRuntime(device="cpu").session(folder, "model.onnx")
    model = CausalLM(session, int(config["decoder"]["context_length"]), None)
    ours = model_nll(model, held)
    return {
        "held_out_tokens": len(held) - 1,
        "model_perplexity": math.exp(ours),
        "model_nll": ours,
        "bigram_perplexity": math.exp(bigram),
        "bigram_nll": bigram,
        "bigram_lambda": lam,
        "unigram_perplexity": math.exp(-np.log((unigrams + 1) / (unigrams.sum() + vocab))[held[1:]].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folder", type=Path, default=PLUGIN_DIR, help="model folder (model.onnx, tokenizer.json)"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="prepared corpus folder")
    parser.add_argument("--no-record", action="store_true", help="do not write the figures into the manifest")
    args = parser.parse_args()
    figures = evaluate(args.folder, args.corpus)
    print(json.dumps(figures, indent=2))
    if not args.no_record:
        update_training(args.folder, {"held_out_evaluation": figures})


if __name__ == "__main__":
    main()
