"""An engine per test and backend, and job specs written to tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime

WriteSpec = Callable[[str], Path]

DIGITS_SPEC = """\
name: digits
generator: image-gan
inputs:
  items:
    - {label: 3}
    - {label: 7}
n: 3
evaluators: [image-class-match]
policy:
  thresholds:
    class_match: {min: 0.5}
concurrency:
  batch_size: 2
  lease_s: 5
"""


@pytest.fixture
def job_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "aigc-data",
        database_url=database_url,
        generator_timeout_s=60,
        evaluator_timeout_s=60,
    )


@pytest.fixture
def job_engine(job_settings: Settings, registry: PluginRegistry, runtime: ModelRuntime) -> Iterator[Engine]:
    with Engine(job_settings, registry=registry, runtime=runtime) as engine:
        yield engine


@pytest.fixture
def write_spec(tmp_path: Path) -> WriteSpec:
    def write(text: str, name: str = "job.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
