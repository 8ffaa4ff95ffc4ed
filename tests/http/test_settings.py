"""Batching choices of ``aigc serve``: defaults for stateless generators, explicit NAME=DELAY:MAX."""

from __future__ import annotations

import pytest

from aigc.core.batching import BatchPolicy
from aigc.core.http.settings import batching_policies
from aigc.core.plugins import PluginRegistry


def test_by_default_every_stateless_generator_is_batched(registry: PluginRegistry) -> None:
    policies = batching_policies(registry.generators.values(), [])
    assert set(policies) == {
        "image-gan",
        "image-vae",
        "image-diffusion",
        "image-text-diffusion",
        "onnx-diffusion-pipeline",
    }
    for name, policy in policies.items():
        own = registry.generators[name].max_batch_size
        assert policy == BatchPolicy(max_batch_size=min(32, own), max_queue_delay_ms=5)


def test_explicit_choices_replace_the_defaults(registry: PluginRegistry) -> None:
    policies = batching_policies(registry.generators.values(), ["image-gan=12.5:8", "image-vae"])
    assert policies == {
        "image-gan": BatchPolicy(max_batch_size=8, max_queue_delay_ms=12.5),
        "image-vae": BatchPolicy(max_batch_size=32, max_queue_delay_ms=5),
    }


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("image-gan=soon", "could not convert"),
        ("image-gan=5:0", "greater than or equal to 1"),
        ("nope", "no generator"),
    ],
)
def test_bad_choices_name_the_problem(registry: PluginRegistry, choice: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        batching_policies(registry.generators.values(), [choice])
