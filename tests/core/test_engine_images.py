"""The engine end to end with the real image-gan generator and image-class-match evaluator."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.errors import InvalidRequestError
from aigc.core.plugins import PluginRegistry
from aigc.core.provenance import read_png_text
from aigc.core.runtime import ModelRuntime
from aigc.plugins.image_gan.generator import ImageGanGenerator
from aigc.storage import models
from tests.storage.factories import read_session

GAN_REQUEST = {
    "generator": "image-gan",
    "options": {"label": 7},
    "n": 4,
    "seed": 11,
    "evaluators": ["image-class-match"],
}


def test_rows_artifacts_evaluations_and_blobs_are_consistent(engine: Engine) -> None:
    result = engine.generate(GAN_REQUEST)
    assert result.status == "completed" and len(result.generations) == 4
    for generation in result.generations:
        [artifact] = generation.artifacts
        data = engine.store.read_artifact(artifact.id)
        assert hashlib.sha256(data).hexdigest() == artifact.sha256 and len(data) == artifact.size
        assert artifact.uri and Path(artifact.uri).read_bytes() == data
        assert artifact.media_type == "image/png" and artifact.metadata["label"] == 7
        [evaluation] = generation.evaluations
        assert evaluation.artifact_id == artifact.id and evaluation.metric == "class_match"
        assert generation.status == ("accepted" if evaluation.passed else "rejected")
        assert (
            generation.model_sha256
            == json.loads(
                (Path(engine.registry.generators["image-gan"].model_dir or ".") / "manifest.json").read_text()
            )["files"]["generator.onnx"]["sha256"]
        )
    with read_session(engine.store) as session:
        counts = {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (models.RequestRow, models.GenerationRow, models.ArtifactRow, models.EvaluationRow)
        }
    assert counts == {"requests": 1, "generations": 4, "artifacts": 4, "evaluations": 4}


def test_png_carries_its_provenance(engine: Engine) -> None:
    generation = engine.generate(GAN_REQUEST | {"n": 1}).generations[0]
    data = engine.store.read_artifact(generation.artifacts[0].id)
    fields = read_png_text(data)
    assert fields["generator"] == "image-gan" and fields["seed"] == "11"
    assert fields["key"] == generation.key and fields["model-sha256"] == generation.model_sha256
    assert json.loads(fields["options"])["label"] == 7
    assert Image.open(io.BytesIO(data)).size == (64, 64)


def test_same_seed_and_options_give_byte_identical_artifacts(engine: Engine) -> None:
    first = engine.generate(GAN_REQUEST)
    second = engine.generate(GAN_REQUEST)
    assert [g.artifacts[0].sha256 for g in first.generations] == [
        g.artifacts[0].sha256 for g in second.generations
    ]
    assert [g.key for g in first.generations] == [g.key for g in second.generations]
    other = engine.generate(GAN_REQUEST | {"seed": 12})
    assert other.generations[0].artifacts[0].sha256 == first.generations[1].artifacts[0].sha256  # seed + i
    assert other.generations[0].artifacts[0].sha256 != first.generations[0].artifacts[0].sha256


def test_generated_digits_are_mostly_accepted_by_the_class_match_policy(engine: Engine) -> None:
    accepted = 0
    for label in range(10):
        result = engine.generate(GAN_REQUEST | {"options": {"label": label}, "n": 5, "seed": 100})
        accepted += sum(g.status == "accepted" for g in result.generations)
    assert accepted >= 40  # of 50; chance would accept about 5


def test_invalid_gan_options_store_nothing(engine: Engine) -> None:
    with pytest.raises(InvalidRequestError, match=r"options\.label.*less than or equal to 9"):
        engine.generate(GAN_REQUEST | {"options": {"label": 10}})
    with pytest.raises(InvalidRequestError, match="takes no prompt"):
        engine.generate(GAN_REQUEST | {"prompt": "a cat"})
    assert engine.store.count_generations() == 0


def test_tampered_model_fails_the_request_and_is_recorded(
    tmp_path: Path, settings: Settings, registry: PluginRegistry
) -> None:
    spec = registry.generators["image-gan"]
    assert spec.model_dir is not None
    tampered = tmp_path / "tampered"
    shutil.copytree(spec.model_dir, tampered)
    onnx_file = tampered / "generator.onnx"
    onnx_file.write_bytes(onnx_file.read_bytes()[:-1] + b"\x00")
    registry.generators["image-gan"] = replace(
        spec,
        model_dir=tampered,
        factory=lambda context: ImageGanGenerator(context.runtime.session(tampered, "generator.onnx")),
    )
    with Engine(settings, registry=registry, runtime=ModelRuntime()) as engine:
        result = engine.generate(GAN_REQUEST)
        assert result.status == "failed" and "ModelIntegrityError" in (result.error or "")
        assert result.generations == []
        assert any(
            "ModelIntegrityError" in e.error_type or "ModelIntegrityError" in e.message
            for e in engine.store.list_plugin_errors()
        )
