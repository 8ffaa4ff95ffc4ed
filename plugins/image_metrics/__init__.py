"""``image-fid``, ``image-kid`` and ``image-diversity``: set-level measures of generated digits.

Set-scope evaluators (``EvaluatorSpec(scope="set")``): the engine hands each one all PNGs of a
request at once and stores one result per metric for the request. They measure on the
``image-class-match`` classifier's features against the real digits shipped in this folder
(``reference.py``). ``metrics.py`` holds the maths (numpy and scipy only); ``recognition.py``
measures how often the classifier reads generated digits as the requested label, which every
image generator's export step records in its manifest. Importing this package needs only
pydantic and pluggy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, SetEvaluator, hookimpl
from aigc.plugins.image_metrics.options import DiversityOptions, FidOptions, KidOptions

if TYPE_CHECKING:
    from aigc.core.sdk import PluginContext
    from aigc.plugins.image_metrics.evaluators import DigitFeatureSpace

MODEL_DIR = Path(__file__).resolve().parent  # the reference digits and their manifest
VERSION = "1.0.0"


def feature_space(context: PluginContext) -> DigitFeatureSpace:
    """The classifier (sha256-checked) and the reference digits (sha256-checked), ready to compare."""
    from aigc.plugins.image_class_match import build_evaluator
    from aigc.plugins.image_class_match.evaluator import ClassMatchEvaluator
    from aigc.plugins.image_metrics.evaluators import DigitFeatureSpace
    from aigc.plugins.image_metrics.reference import load_reference

    classifier = build_evaluator(context)
    assert isinstance(classifier, ClassMatchEvaluator)
    return DigitFeatureSpace(classifier, load_reference())


def build_fid(context: PluginContext) -> SetEvaluator:
    """The ``image-fid`` evaluator."""
    from aigc.plugins.image_metrics.evaluators import FidEvaluator

    return FidEvaluator(feature_space(context))


def build_kid(context: PluginContext) -> SetEvaluator:
    """The ``image-kid`` evaluator."""
    from aigc.plugins.image_metrics.evaluators import KidEvaluator

    return KidEvaluator(feature_space(context))


def build_diversity(context: PluginContext) -> SetEvaluator:
    """The ``image-diversity`` evaluator."""
    from aigc.plugins.image_metrics.evaluators import DiversityEvaluator

    return DiversityEvaluator(feature_space(context))


EVALUATORS = (
    (
        "image-fid",
        FidOptions,
        build_fid,
        "Fréchet distance between a request's digits and real held-out digits, on classifier features",
    ),
    (
        "image-kid",
        KidOptions,
        build_kid,
        "kernel inception distance (unbiased MMD², cubic kernel) between a request's digits and real ones",
    ),
    (
        "image-diversity",
        DiversityOptions,
        build_diversity,
        "mean pairwise feature distance of a request's digits relative to real ones, and class coverage",
    ),
)


@hookimpl
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
    """Register the three set-level image evaluators."""
    for name, options, factory, description in EVALUATORS:
        register(
            EvaluatorSpec(
                name=name,
                version=VERSION,
                options=options,
                factory=factory,
                media_types=("image/png",),
                model_dir=MODEL_DIR,
                description=description,
                scope="set",
            )
        )
