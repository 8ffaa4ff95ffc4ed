"""Checks every image generator plugin's tests share: its registered spec, classifier recognition
and a torch-free serving import."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from aigc.core.runtime import ModelRuntime
from aigc.core.specs import EvalItem, EvaluatorSpec, GeneratorInput, GeneratorSpec
from aigc.plugins import image_class_match
from aigc.plugins.image_class_match.options import ClassMatchOptions


def registered_generator(plugin: ModuleType) -> GeneratorSpec:
    """The one generator ``plugin`` registers, collected as the engine collects it."""
    specs: list[GeneratorSpec] = []
    plugin.aigc_register_generators(register=specs.append)
    (spec,) = specs
    return spec


def classifier_accuracy(
    generator: Any, runtime: ModelRuntime, options_for_label: Callable[[int], Any], name: str, per_label: int
) -> float:
    """Share of ``per_label`` digits per label (seeds ``1000 * label + 500 …``) that
    ``image-class-match`` passes as the requested label, at its default threshold."""
    evaluators: list[EvaluatorSpec] = []
    image_class_match.aigc_register_evaluators(register=evaluators.append)
    evaluator = evaluators[0].factory(runtime)
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
