"""The engine end to end with the image-vae and image-diffusion generators and image-class-match."""

from __future__ import annotations

import json

import pytest

from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.provenance import read_png_text


def test_both_register_through_entry_points(registry: PluginRegistry) -> None:
    assert registry.owner_of("generator", "image-vae") == "image-vae"
    assert registry.owner_of("generator", "image-diffusion") == "image-diffusion"


def test_a_vae_interpolation_stores_every_path_image_with_provenance(engine: Engine) -> None:
    request = {
        "generator": "image-vae",
        "options": {"label": 4, "mode": "interpolate", "steps": 5},
        "n": 2,
        "seed": 3,
        "evaluators": ["image-class-match"],
    }
    result = engine.generate(request)
    assert result.status == "completed" and len(result.generations) == 2
    for generation, seed in zip(result.generations, (3, 4), strict=True):
        assert [a.metadata["position"] for a in generation.artifacts] == [0, 1, 2, 3, 4]
        assert len(generation.evaluations) == 5
        for artifact in generation.artifacts:
            fields = read_png_text(engine.store.read_artifact(artifact.id))
            assert fields["generator"] == "image-vae" and fields["seed"] == str(seed)
            assert fields["model-sha256"] == generation.model_sha256
            assert json.loads(fields["options"])["mode"] == "interpolate"


def test_a_guided_diffusion_request_is_reproducible_and_recognised(engine: Engine) -> None:
    request = {
        "generator": "image-diffusion",
        "options": {"label": 6, "steps": 10, "guidance_scale": 1.0},
        "n": 3,
        "seed": 21,
        "evaluators": ["image-class-match"],
    }
    first, second = engine.generate(request), engine.generate(request)
    assert first.status == second.status == "completed"
    assert [g.artifacts[0].sha256 for g in first.generations] == [
        g.artifacts[0].sha256 for g in second.generations
    ]
    assert all(g.evaluations[0].passed for g in first.generations)
    fields = read_png_text(engine.store.read_artifact(first.generations[0].artifacts[0].id))
    assert fields["generator"] == "image-diffusion" and fields["key"] == first.generations[0].key


def test_invalid_diffusion_steps_are_refused_before_generating(engine: Engine) -> None:
    from aigc.core.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match=r"options\.steps"):
        engine.generate({"generator": "image-diffusion", "options": {"steps": 1000}})
