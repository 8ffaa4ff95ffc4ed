"""Checks every image generator plugin's tests share: its registered spec, its PNG outputs, seed
determinism, classifier recognition and a torch-free serving import."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

from aigc.core.runtime import ModelRuntime
from aigc.core.sdk import PluginContext
from aigc.core.specs import EvalItem, EvaluatorSpec, GeneratorInput, GeneratorSpec
from aigc.plugins import image_class_match
from aigc.plugins.image_class_match.options import ClassMatchOptions


def registered_generator(plugin: ModuleType) -> GeneratorSpec:
    """The one generator ``plugin`` registers, collected as the engine collects it."""
    specs: list[GeneratorSpec] = []
    plugin.aigc_register_generators(register=specs.append)
    (spec,) = specs
    return spec


# ``generate(generator, seeds, **options)``: the first PNG of each seed's sample, as bytes.
GeneratePngs = Callable[..., list[bytes]]


def check_one_labelled_png_per_input(generator: Any, options: Any) -> None:
    """Three inputs give three 64x64 grayscale PNGs whose metadata names ``options.label``."""
    outputs = generator.generate([GeneratorInput()] * 3, options, [1, 2, 3])
    assert len(outputs) == 3
    for (artifact,) in outputs:
        assert artifact.media_type == "image/png"
        assert dict(artifact.metadata) == {"label": options.label, "width": 64, "height": 64}
        with Image.open(io.BytesIO(artifact.data)) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "L", (64, 64))


def check_same_seed_gives_identical_pngs(spec: GeneratorSpec, generate: GeneratePngs, **options: Any) -> None:
    """Two generators from two runtimes give byte-identical PNGs for the same seeds and options."""
    first = generate(spec.factory(PluginContext(ModelRuntime(device="cpu"))), [11, 12], **options)
    # A second runtime builds a fresh session: nothing cached carries the result over.
    second = generate(spec.factory(PluginContext(ModelRuntime(device="cpu"))), [11, 12], **options)
    assert first == second
    assert first[0] != first[1]


def check_batch_equals_one_by_one(generator: Any, generate: GeneratePngs, seeds: list[int]) -> None:
    """A batch of ``seeds`` gives exactly the PNGs of the same seeds generated one at a time."""
    batched = generate(generator, seeds)
    assert batched == [generate(generator, [seed])[0] for seed in seeds]


def classifier_accuracy(
    generator: Any, runtime: ModelRuntime, options_for_label: Callable[[int], Any], name: str, per_label: int
) -> float:
    """Share of ``per_label`` digits per label (seeds ``1000 * label + 500 …``) that
    ``image-class-match`` passes as the requested label, at its default threshold."""
    evaluators: list[EvaluatorSpec] = []
    image_class_match.aigc_register_evaluators(register=evaluators.append)
    evaluator = evaluators[0].factory(PluginContext(runtime))
    items = []
    for label in range(10):
        options = options_for_label(label)
        seeds = list(range(1000 * label + 500, 1000 * label + 500 + per_label))
        for (artifact,) in generator.generate([GeneratorInput()] * per_label, options, seeds):
            items.append(EvalItem(artifact, None, name, options.model_dump()))
    results = evaluator.evaluate(items, ClassMatchOptions())
    return float(np.mean([result.passed for (result,) in results]))


def imports_torch(*modules: str) -> bool:
    """Whether importing ``modules`` in a fresh interpreter pulls in torch."""
    code = f"import sys, {', '.join(modules)}; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip() == "True"
