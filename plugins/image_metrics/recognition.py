"""How often the ``image-class-match`` classifier reads a generator's digits as the requested label.

Shared by the export steps of the image generators (``image-gan`` measured the same thing with
its own copy): generate ``samples_per_label`` digits per label through the plugin's own
generator, classify them in one batched evaluator call per label and count the matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aigc.core.specs import Generator

NUM_LABELS = 10


def recognition_rate(
    generator: Generator,
    options_for_label: Callable[[int], Any],
    name: str,
    samples_per_label: int = 300,
) -> dict[str, object]:
    """Share of the first artifact of each sample that the classifier recognises as its label.

    Sample seeds are ``label * 1000 + 0..samples_per_label-1``, so figures are reproducible.
    Imports the classifier plugin lazily; raises if its model is missing.
    """
    from aigc.core.runtime import ModelRuntime
    from aigc.core.specs import EvalItem, GeneratorInput
    from aigc.plugins.image_class_match import build_evaluator
    from aigc.plugins.image_class_match.options import ClassMatchOptions

    evaluator = build_evaluator(ModelRuntime())
    passed = total = 0
    for label in range(NUM_LABELS):
        options = options_for_label(label)
        seeds = list(range(label * 1000, label * 1000 + samples_per_label))
        outputs = generator.generate([GeneratorInput()] * len(seeds), options, seeds)
        items = [EvalItem(out[0], None, name, options.model_dump()) for out in outputs]
        results = evaluator.evaluate(items, ClassMatchOptions(threshold=0.0))
        passed += sum(bool(r[0].passed) for r in results)
        total += len(results)
    classifier = evaluator.session.model  # type: ignore[attr-defined]
    return {
        "accuracy": round(passed / total, 4),
        "samples": total,
        "seeds": f"label*1000 + 0..{samples_per_label - 1}",
        "classifier": f"{classifier.name} {classifier.version}, {classifier.file} sha256 {classifier.sha256}",
    }
