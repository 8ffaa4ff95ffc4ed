"""Check that generated images follow held-out prompts and are not copies of training images.

    python -m aigc.plugins.image_text_diffusion.prompt_check


1. Trains a small CNN (torch, seeded, CPU) to tell the emoji category (``Smileys & Emotion``,
   ``Food & Drink``, ...) from a 32x32 image, on the same train part as the UNet, and measures it
   on the held-out real emoji.
2. Draws ``--prompts`` held-out captions (seeded), generates one image per caption through the
   plugin (ONNX Runtime, default options, seed = its position) and classifies it: the share whose
   category is the caption's, against chance (1 / number of categories) and the majority
   category's share of those captions; and the balanced accuracy (mean per-category share) against
   1 / the number of categories among them.
3. Scores the same images with ``image-memorization`` (share of near-copies at its default limit)
   and, for reference, the held-out real emoji too.

Writes ``evaluation.json`` into the plugin folder. Needs the prepared emoji set, the ``train``
extra and text-relevance's exported model in the data folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aigc.core.sdk import ArtifactData, EvalItem, GeneratorInput, PluginContext, decode_png, encode_png
from aigc.plugins.image_memorization import build_evaluator as build_memorization
from aigc.plugins.image_memorization.options import ImageMemorizationOptions
from aigc.plugins.image_text_diffusion import build_generator
from aigc.plugins.image_text_diffusion.options import TextDiffusionOptions
from aigc.plugins.lib.datasets.emoji import DEFAULT_CACHE, EmojiSet, load_emoji

PLUGIN_DIR = Path(__file__).resolve().parent
RESULTS_FILE = "evaluation.json"
SEED = 11


class CategoryClassifier(nn.Module):
    """``image [B, 3, 32, 32] in [0, 1] -> logits [B, categories]``: three conv stages and a linear layer."""

    def __init__(self, categories: int, width: int = 16) -> None:
        super().__init__()
        w = width
        self.layers = nn.Sequential(
            nn.Conv2d(3, w, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 16x16
            nn.Conv2d(w, 2 * w, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8
            nn.Conv2d(2 * w, 4 * w, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(4 * w, categories),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.layers(image)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """``[N, 32, 32, 3]`` uint8 or float in [0, 1] -> ``[N, 3, 32, 32]`` float32 in [0, 1]."""
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return torch.from_numpy(images.astype(np.float32) / scale).permute(0, 3, 1, 2)


def train_classifier(train: EmojiSet, names: list[str], steps: int, seed: int) -> CategoryClassifier:
    """The category classifier after ``steps`` Adam steps of batch 64 (horizontal flips as augmentation)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images = as_tensor(train.images)
    labels = torch.tensor([names.index(c) for c in train.categories.tolist()])
    model = CategoryClassifier(len(names))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(steps):
        rows = torch.randint(0, len(images), (64,), generator=generator)
        batch = images[rows]
        flip = torch.rand(64, generator=generator) < 0.5
        batch[flip] = batch[flip].flip(-1)
        loss = F.cross_entropy(model(batch), labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def predict(model: CategoryClassifier, images: np.ndarray) -> np.ndarray:
    """Predicted category index per image."""
    with torch.no_grad():
        return model(as_tensor(images)).argmax(1).numpy()


def balanced_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean over the categories present in ``truth`` of the share of their images predicted right
    (chance is 1 / the number of those categories, whatever their sizes)."""
    return float(np.mean([(predicted[truth == c] == c).mean() for c in np.unique(truth)]))


def generate(captions: list[str], options: TextDiffusionOptions) -> list[bytes]:
    """One PNG per caption (seed = its position), in batches of 32."""
    generator = build_generator(PluginContext())
    pngs: list[bytes] = []
    for start in range(0, len(captions), 32):
        chunk = captions[start : start + 32]
        seeds = list(range(start, start + len(chunk)))
        outputs = generator.generate([GeneratorInput(prompt=c) for c in chunk], options, seeds)
        pngs.extend(artifacts[0].data or b"" for artifacts in outputs)
    return pngs


def near_copy_share(pngs: list[bytes]) -> dict[str, float]:
    """Share of near-copies and the distance quartiles by ``image-memorization`` at its default limit."""
    evaluator = build_memorization(PluginContext())
    items = [EvalItem(ArtifactData("image/png", data=png), None, "image-text-diffusion", {}) for png in pngs]
    results = evaluator.evaluate(items, ImageMemorizationOptions())
    distances = np.array([result[0].value for result in results], dtype=np.float64)
    return {
        "images": len(pngs),
        "near_copy_share": round(float(np.mean([not result[0].passed for result in results])), 4),
        "distance_quartiles": [round(float(q), 4) for q in np.quantile(distances, [0.25, 0.5, 0.75])],
        "max_copy_distance": ImageMemorizationOptions().max_copy_distance,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder of the prepared emoji set")
    parser.add_argument("--classifier-steps", type=int, default=800)
    parser.add_argument("--prompts", type=int, default=200, help="held-out captions to generate from")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--out", type=Path, default=PLUGIN_DIR)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    data = load_emoji(args.cache)
    names = data.category_names
    train, held_out = data.part(held_out=False), data.part(held_out=True)
    truth = np.array([names.index(c) for c in held_out.categories.tolist()])
    classifier = train_classifier(train, names, args.classifier_steps, SEED)
    real_accuracy = float((predict(classifier, held_out.images) == truth).mean())
    rows = np.sort(
        np.random.default_rng(SEED).choice(len(truth), size=min(args.prompts, len(truth)), replace=False)
    )
    options = TextDiffusionOptions()
    pngs = generate(held_out.captions[rows].tolist(), options)
    generated = np.stack([decode_png(png, (32, 32), rgb=True) for png in pngs])
    majority = Counter(truth[rows].tolist()).most_common(1)[0][1] / len(rows)
    predicted = predict(classifier, generated)
    results = {
        "command": " ".join(["python -m aigc.plugins.image_text_diffusion.prompt_check", *sys.argv[1:]]),
        "classifier": {
            "steps": args.classifier_steps,
            "seed": SEED,
            "categories": names,
            "held_out_real_accuracy": round(real_accuracy, 4),
            "held_out_real_balanced_accuracy": round(
                balanced_accuracy(predict(classifier, held_out.images), truth), 4
            ),
        },
        "prompt_following": {
            "held_out_captions": f"{len(rows)} of {len(truth)}, drawn with seed {SEED}",
            "options": options.model_dump(),
            "seeds": "position of the caption among those drawn",
            "category_accuracy": round(float((predicted == truth[rows]).mean()), 4),
            "chance_uniform": round(1 / len(names), 4),
            "chance_majority": round(majority, 4),
            "balanced_accuracy": round(balanced_accuracy(predicted, truth[rows]), 4),
            "balanced_chance": round(1 / len(np.unique(truth[rows])), 4),
        },
        "memorization": {
            "generated_held_out_prompts": near_copy_share(pngs),
            "real_held_out_emoji": near_copy_share([encode_png(image) for image in held_out.images]),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / RESULTS_FILE).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
