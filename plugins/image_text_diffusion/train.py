"""Train the text-conditioned UNet: ``python -m aigc.plugins.image_text_diffusion.train``.

Seeded, deterministic and CPU-only, on the train part of the emoji set
(``aigc.plugins.lib.datasets.emoji``, prepared first). The captions are embedded once with the
exported all-MiniLM-L6-v2 graph that serving uses (``text-relevance``'s model folder in the data
folder) and cached beside the prepared set, so training and serving see the same vectors. Each
step draws images (scaled to [-1, 1]), uniform timesteps and Gaussian noise, noises the images with
the cosine schedule and regresses the clean image (mean squared error on x0). For classifier-free guidance
each caption embedding is replaced by the null (all-zero) vector with probability
``caption_dropout``. Adam with linear warm-up and cosine decay; the shipped weights are an EMA.
Writes ``checkpoint.pt``: the EMA state dict in float16, config and the training record.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console

from aigc.core.sdk import ModelRuntime, PluginContext, training_progress, update_ema
from aigc.plugins.image_text_diffusion.model import TextConditionalUnet, TextUnetConfig
from aigc.plugins.lib.datasets.emoji import DATA_SOURCE, DEFAULT_CACHE, EmojiSet, load_emoji
from aigc.plugins.lib.diffusion.schedule import NUM_TRAIN_TIMESTEPS, cosine_alpha_bar
from aigc.plugins.lib.diffusion.training import ddpm_hyperparameters, learning_rate_factor
from aigc.plugins.lib.sentence_embedding import sentence_model_folder
from aigc.plugins.lib.sentence_embedding.encoder import load_sentence_encoder

PLUGIN_DIR = Path(__file__).resolve().parent
EMBEDDINGS = "caption-embeddings.npy"
SEED = 7
LEARNING_RATE = 2e-3
WARMUP_STEPS = 100
EMA_DECAY = 0.998
OBJECTIVE = "x0 prediction (clean image), mean squared error"


def caption_embeddings(data: EmojiSet, cache: Path) -> np.ndarray:
    """all-MiniLM-L6-v2 embeddings ``[N, 384]`` of every caption, computed once into ``cache``."""
    path = cache / EMBEDDINGS
    if path.is_file():
        embeddings: np.ndarray = np.load(path)
        if len(embeddings) == len(data.captions):
            return embeddings
    folder = sentence_model_folder(PluginContext().data_dir)
    encoder = load_sentence_encoder(ModelRuntime(), folder)
    embeddings = encoder.encode(data.captions.tolist()).astype(np.float32)
    np.save(path, embeddings)
    return embeddings


def train(args: argparse.Namespace, command: str, console: Console) -> dict[str, object]:
    """Train, write ``args.out/checkpoint.pt`` and return the training record."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(args.seed)
    data = load_emoji(args.cache)
    texts = torch.from_numpy(caption_embeddings(data, args.cache)[~data.held_out])
    train_part = data.part(held_out=False)
    images = torch.from_numpy(train_part.images).permute(0, 3, 1, 2).to(torch.float32) / 127.5 - 1
    alpha_bar = torch.from_numpy(cosine_alpha_bar()).to(torch.float32)

    config = TextUnetConfig(width=args.width)
    model = TextConditionalUnet(config)
    ema = copy.deepcopy(model).eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, args.steps, WARMUP_STEPS)
    )

    started = time.perf_counter()
    running = 0.0
    with training_progress(console) as progress:
        task = progress.add_task("image-text-diffusion", total=args.steps, status="")
        model.train()
        for step in range(1, args.steps + 1):
            rows = torch.randint(0, len(images), (args.batch_size,), generator=generator)
            clean, text = images[rows], texts[rows].clone()
            text[torch.rand(args.batch_size, generator=generator) < args.caption_dropout] = 0.0
            t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (args.batch_size,), generator=generator)
            noise = torch.randn(clean.shape, generator=generator)
            a = alpha_bar[t][:, None, None, None]
            loss = F.mse_loss(model(a.sqrt() * clean + (1 - a).sqrt() * noise, t, text), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            update_ema(ema, model, decay=EMA_DECAY if step > WARMUP_STEPS else 0.0)
            running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
            if step % 20 == 0 or step == args.steps:
                progress.update(task, completed=step, status=f"loss {running:.4f}")
    seconds = time.perf_counter() - started

    record: dict[str, object] = {
        "command": command,
        "seed": args.seed,
        "data": DATA_SOURCE + f"; train part only ({len(images)} images)",
        "text_encoder": "all-MiniLM-L6-v2 ONNX graph exported by text-relevance (unit-length, 384 dims)",
        "hyperparameters": {
            **ddpm_hyperparameters(
                args.steps, args.batch_size, LEARNING_RATE, WARMUP_STEPS, EMA_DECAY, OBJECTIVE
            ),
            "caption_dropout": args.caption_dropout,
            "null_text": "all-zero embedding",
        },
        "torch": str(torch.__version__),
        "threads": torch.get_num_threads(),
        "train_seconds": round(seconds, 1),
        "metrics": {"final_loss_smoothed": round(running, 4)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    # float16 halves the committed file; export casts back and the parity check uses the same weights.
    weights = {
        name: value.half() if value.is_floating_point() else value for name, value in ema.state_dict().items()
    }
    checkpoint = {"state_dict": weights, "config": asdict(config), "training": record}
    torch.save(checkpoint, args.out / "checkpoint.pt")
    console.print(
        f"trained {args.steps} steps in {seconds:.0f} s -> {args.out / 'checkpoint.pt'}; loss {running:.4f}"
    )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=TextUnetConfig.width, help="UNet channels at 32x32")
    parser.add_argument("--caption-dropout", type=float, default=0.1, help="share of captions set to null")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder of the prepared emoji set")
    parser.add_argument("--out", type=Path, default=PLUGIN_DIR, help="folder for checkpoint.pt")
    args = parser.parse_args()
    command = " ".join(["python -m aigc.plugins.image_text_diffusion.train", *sys.argv[1:]])
    train(args, command, Console())


if __name__ == "__main__":
    main()
