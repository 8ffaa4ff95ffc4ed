"""Train the tokenizer and the decoder: ``python -m aigc.plugins.text_transformer.train``.

Steps, all seeded and CPU-only:

1. prepare the corpus (``corpus.py``: Debian packages → cleaned documents, held-out split);
2. train a byte-level BPE tokenizer on the train split (``tokenizers``) → ``tokenizer.json``;
3. encode every document followed by ``<|endoftext|>`` into one token stream per split;
4. train on random windows of ``context_length + 1`` tokens (AdamW, warm-up then cosine decay,
   bfloat16 autocast on CPU, which is ~3x faster than float32 here) with a Rich progress bar and
   the held-out loss every ``--eval-every`` steps; an optional wall-clock budget stops early;
5. write ``checkpoint.pt`` (weights, config, training record) and the tokenizer into ``--out``.

``export.py`` turns the checkpoint into the plugin's ONNX file and manifest.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from aigc.plugins.lib.decoder.model import Decoder, DecoderConfig
from aigc.plugins.lib.decoder.training import (
    Batch,
    add_training_arguments,
    finish_run,
    fit,
    model_config,
    schedule_from_args,
    start_run,
)
from aigc.plugins.text_transformer.corpus import DEFAULT_OUT as CORPUS_DIR
from aigc.plugins.text_transformer.corpus import prepare, read_documents

DEFAULT_OUT = Path("build/text_transformer")
EOS = "<|endoftext|>"
TOKENIZER_FILE = "tokenizer.json"
SEED = 3


def train_tokenizer(documents: list[str], vocab_size: int, path: Path) -> None:
    """Byte-level BPE with ``<|endoftext|>`` as token 0, saved to ``path``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(documents, trainer=trainer)
    tokenizer.save(str(path))


def encode_stream(tokenizer_path: Path, documents: list[str]) -> np.ndarray:
    """All documents as one ``uint16`` token stream, each followed by ``<|endoftext|>``."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    eos = tokenizer.token_to_id(EOS)
    pieces = []
    for encoding in tokenizer.encode_batch(documents):
        pieces.append(np.asarray([*encoding.ids, eos], dtype=np.uint16))
    return np.concatenate(pieces)


def held_out_windows(stream: np.ndarray, length: int, count: int) -> Batch:
    """Up to ``count`` non-overlapping windows of ``length`` inputs and their next tokens from ``stream``."""
    count = min(count, (len(stream) - 1) // length)
    rows = [stream[i * length : i * length + length + 1] for i in range(count)]
    windows = torch.from_numpy(np.stack(rows).astype(np.int64))
    return windows[:, :-1], windows[:, 1:]


def train(args: argparse.Namespace, command: str, console: Console) -> dict[str, object]:
    """Run the whole pipeline; returns the training record stored in the checkpoint."""
    out = start_run(args)
    started = time.perf_counter()

    corpus = prepare(args.corpus)
    train_docs = read_documents(args.corpus / "train.txt")
    held_docs = read_documents(args.corpus / "held_out.txt")
    tokenizer_path = out / TOKENIZER_FILE
    train_tokenizer(train_docs, args.vocab_size, tokenizer_path)
    train_stream = encode_stream(tokenizer_path, train_docs)
    held_stream = encode_stream(tokenizer_path, held_docs)
    console.print(
        f"corpus: {len(train_stream):,} train tokens, {len(held_stream):,} held-out tokens "
        f"({time.perf_counter() - started:.0f} s to prepare and tokenize)"
    )

    config = model_config(args, args.vocab_size, args.context_length)
    model = Decoder(config)
    console.print(f"model: {model.num_parameters():,} parameters, {config}")
    held = held_out_windows(held_stream, config.context_length, args.eval_windows)
    generator = torch.Generator().manual_seed(args.seed)
    train_tokens = torch.from_numpy(train_stream.astype(np.int64))
    offsets = torch.arange(config.context_length + 1)

    def draw_batch() -> Batch:
        starts = torch.randint(
            0, len(train_tokens) - offsets.numel(), (args.batch_size,), generator=generator
        )
        batch = train_tokens[starts[:, None] + offsets]
        return batch[:, :-1], batch[:, 1:]

    fitted = fit(model, draw_batch, held, schedule_from_args(args), out, console)
    extra: dict[str, object] = {
        "tokens_seen": fitted.steps * args.batch_size * config.context_length,
        "held_out_tokens": int(held[1].numel()),
        "train_tokens": len(train_stream),
        "corpus": corpus,
    }
    return finish_run(model, held, fitted, args, command, extra, console)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = DecoderConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="gets checkpoint.pt and tokenizer.json")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="prepared corpus folder")
    add_training_arguments(parser, SEED, threads=2, max_minutes=44, sizes=defaults)
    parser.add_argument("--eval-windows", type=int, default=64, help="held-out windows per evaluation")
    parser.add_argument("--vocab-size", type=int, default=defaults.vocab_size)
    parser.add_argument("--context-length", type=int, default=defaults.context_length)
    return parser.parse_args(argv)


def main() -> None:
    command = " ".join(["python -m aigc.plugins.text_transformer.train", *sys.argv[1:]])
    train(parse_args(), command, Console())


if __name__ == "__main__":
    main()
