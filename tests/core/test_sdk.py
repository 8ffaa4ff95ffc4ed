"""The plugin SDK: one cheap module with every name a plugin needs, and the helpers it offers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import aigc.core
from aigc.core import sdk
from aigc.core.engine import model_sha256_of
from aigc.core.plugins import PluginRegistry
from aigc.core.sdk import (
    ArtifactData,
    GeneratorSpec,
    ModelIntegrityError,
    MultiModelGenerator,
    Options,
    PluginContext,
    Settings,
    check_seeds,
    checked_file,
    checked_json,
    generator_hook,
    write_manifest,
)


def test_importing_the_sdk_loads_neither_numpy_nor_onnxruntime() -> None:
    heavy = "{'numpy', 'onnxruntime', 'PIL', 'torch'}"
    script = f"import sys, aigc.core.sdk; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sdk.__all__)
def test_every_sdk_name_resolves_and_is_reexported_by_aigc_core(name: str) -> None:
    assert getattr(aigc.core, name) is getattr(sdk, name)


def test_the_context_takes_every_folder_from_the_settings(tmp_path: Path) -> None:
    context = PluginContext(settings=Settings(data_dir=tmp_path, models_file=tmp_path / "m.json"))
    assert context.data_dir == tmp_path
    assert context.models_file == tmp_path / "m.json"
    assert context.models_dir("smollm2") == tmp_path / "models" / "smollm2"
    assert context.cache_dir("music-transformer") == tmp_path / "cache" / "music-transformer"
    assert context.device == context.runtime.device


def test_checked_files_are_read_only_while_they_match_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"layers": 2}))
    write_manifest(tmp_path, "tiny", "1.0.0", ["config.json"])
    assert checked_file(tmp_path, "config.json") == tmp_path / "config.json"
    assert checked_json(tmp_path, "config.json") == {"layers": 2}
    (tmp_path / "config.json").write_text(json.dumps({"layers": 3}))
    with pytest.raises(ModelIntegrityError, match=r"config\.json has sha256"):
        checked_json(tmp_path, "config.json")


def test_seeds_must_pair_with_inputs() -> None:
    check_seeds([1, 2], [3, 4])
    with pytest.raises(ValueError, match="got 2 inputs but 1 seeds"):
        check_seeds([1, 2], [3])


class Echo:
    model_sha256 = "one"

    def generate(self, inputs: object, options: object, seeds: list[int]) -> list[list[ArtifactData]]:
        return [[ArtifactData("text/plain", text="echo")] for _ in seeds]


class TwoModels(Echo):
    def model_sha256_for(self, options: object) -> str | None:
        return "chosen"


def test_a_generator_hook_registers_its_specs() -> None:
    spec = GeneratorSpec(
        name="echo",
        modality="text",
        version="1",
        options=Options,
        factory=lambda c: Echo(),
        media_types=("text/plain",),
    )

    class Plugin:
        aigc_register_generators = staticmethod(generator_hook(spec))

    registry = PluginRegistry()
    assert registry.add(Plugin(), "echo-plugin"), registry.errors
    assert registry.generators == {"echo": spec}


def test_a_multi_model_generator_reports_the_chosen_models_sha256() -> None:
    assert not isinstance(Echo(), MultiModelGenerator) and model_sha256_of(Echo(), Options()) == "one"
    assert (
        isinstance(TwoModels(), MultiModelGenerator) and model_sha256_of(TwoModels(), Options()) == "chosen"
    )
