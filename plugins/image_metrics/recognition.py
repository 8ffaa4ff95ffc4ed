"""How often the ``image-class-match`` classifier reads a generator's digits as the requested label.

Shared by the export steps of the image generators: generate ``samples_per_label`` digits per
label through the plugin's own generator, classify them in one batched evaluator call per label
and count the matches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigc.core.sdk import Generator

if TYPE_CHECKING:
    from rich.console import Console

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
    from aigc.core.sdk import EvalItem, GeneratorInput, PluginContext
    from aigc.plugins.image_class_match import build_evaluator
    from aigc.plugins.image_class_match.options import ClassMatchOptions

    evaluator = build_evaluator(PluginContext())
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


def record_recognition(
    folder: Path,
    build_generator: Callable[[], Generator],
    settings: Sequence[Mapping[str, Any]],
    options_for: Callable[[int, Mapping[str, Any]], Any],
    name: str,
    samples_per_label: int,
    console: Console,
) -> list[dict[str, object]] | None:
    """An export step's recognition figures: :func:`recognition_rate` for each option setting,
    added to ``folder/manifest.json`` as ``training.class_match`` and printed.

    Returns ``None`` (and says why) when the classifier plugin is not available: the figures are
    worth having, not worth failing an export for.
    """
    from aigc.core.sdk import update_training

    try:
        generator = build_generator()
        recognition: list[dict[str, object]] = [
            {
                **recognition_rate(
                    generator, lambda label, s=setting: options_for(label, s), name, samples_per_label
                ),
                **setting,
            }
            for setting in settings
        ]
    except Exception as error:  # the classifier plugin is optional for this step
        console.print(f"[yellow]recognition rate not measured: {error}[/]")
        return None
    update_training(folder, {"class_match": recognition})
    for entry, setting in zip(recognition, settings, strict=True):
        described = ", ".join(f"{key} {value}" for key, value in setting.items())
        console.print(f"{described}: classifier recognises {entry['accuracy']:.2%}")
    return recognition
