"""``aigc tune``: a registered model fine-tuned on a dataset, converted to ONNX and registered as a
version of it (``name@version``) with its lineage recorded in the database.

The weights come from the GGUF file the model was converted from (``conversion.json`` names its
sha256): a version made by ``aigc tune`` keeps its own (``model.gguf``), so versions can be tuned
again; SmolLM2's file is found in its package; any other file is given with ``--base`` and checked
against that sha256. The tuned weights are written as a GGUF file (8-bit blocks where the parent has
blocks, or float32: ``Hyperparameters.variant``) and converted by the same converter as
``aigc models add FILE.gguf`` (``aigc.core.gguf.convert_gguf``), in that variant.

The version name defaults to ``t`` + 10 hex digits of the sha256 of (parent sha256, dataset sha256,
hyperparameters, seed): tuning the same model on the same data the same way finds the version made
before and does nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aigc.core.errors import AigcError, InvalidRequestError, NotFoundError
from aigc.core.keys import canonical_json
from aigc.core.manifest import sha256_file
from aigc.core.registered_models import (
    RegisteredModel,
    check_version_name,
    load_registered,
    register_version,
    registered_model,
    split_reference,
)
from aigc.core.tuning.examples import TuningExample, read_dataset
from aigc.core.tuning.training import Hyperparameters, Progress
from aigc.core.validation import invalid
from aigc.storage.model_versions import ModelVersion, ModelVersionStore, NewModelVersion

TUNED_GGUF = "model.gguf"
CONVERSION_FILE = "conversion.json"
TRAINING_PACKAGES = ("torch", "transformers", "peft", "gguf", "onnx")


class TrainingUnavailableError(AigcError):
    """Fine-tuning needs packages of the ``train`` extra that are not installed."""


@dataclass(frozen=True)
class TuneResult:
    """The version, whether this call made it (``False``: it was there, intact), and the seconds each
    stage took (``STAGES``; none when nothing was made)."""

    version: ModelVersion
    created: bool
    seconds: dict[str, float] = field(default_factory=dict)


STAGES = ("reading weights", "training", "writing weights", "converting")


@dataclass
class StageClock:
    """Announces each stage of a run to ``on_stage`` and keeps the seconds it took."""

    on_stage: Callable[[str], None] = lambda stage: None
    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name``."""
        self.on_stage(name)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


def require_training() -> None:
    """Raise ``TrainingUnavailableError`` naming the ``train`` extra if its packages are missing."""
    missing = [name for name in TRAINING_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise TrainingUnavailableError(
            f"fine-tuning needs the 'train' extra ({', '.join(missing)} missing): pip install 'aigc[train]'"
        )


def version_name(parent_sha256: str, dataset_sha256: str, hyperparameters: Hyperparameters, seed: int) -> str:
    """The default version name: the same inputs give the same name."""
    inputs = {
        "parent": parent_sha256,
        "dataset": dataset_sha256,
        "hyperparameters": hyperparameters.model_dump(mode="json"),
        "seed": seed,
    }
    return "t" + hashlib.sha256(canonical_json(inputs).encode()).hexdigest()[:10]


def tune(
    models_file: Path,
    models_dir: Path,
    versions: ModelVersionStore,
    *,
    dataset: Path,
    model: str,
    hyperparameters: Hyperparameters,
    seed: int,
    version: str | None = None,
    base: Path | None = None,
    progress: Progress = lambda step, total, loss: None,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> TuneResult:
    """Fine-tune the registered ``model`` (``name`` or ``name@version``) on ``dataset`` and register
    the result as a version of ``name``, its folder ``models_dir/name@version``. ``on_stage`` hears
    each of ``STAGES`` as it starts, ``progress`` each training step."""
    require_training()
    examples = read_dataset(dataset)
    parent = _parent(models_file, models_dir, model)
    parent.check()
    name, _ = split_reference(model)
    chosen = version or version_name(parent.sha256, examples.sha256, hyperparameters, seed)
    check_version_name(chosen)
    recorded = _recorded(versions, models_file, name, chosen)
    if recorded is not None:
        return TuneResult(recorded, created=False)
    folder = models_dir / f"{name}@{chosen}"  # beside the model: a GGUF-converted one is models_dir/name
    clock = StageClock(on_stage)
    with base_weights(parent, base) as source:
        _tune_into(
            parent,
            source,
            examples.examples,
            hyperparameters,
            seed,
            folder,
            f"{name}@{chosen}",
            progress,
            clock,
        )
    registered = register_version(models_file, folder, name, chosen)
    record = NewModelVersion(
        model=name,
        version=chosen,
        parent=model,
        parent_sha256=parent.sha256,
        dataset_sha256=examples.sha256,
        method=hyperparameters.method,
        hyperparameters=hyperparameters.model_dump(mode="json"),
        seed=seed,
        path=str(registered.path),
        files={file: entry.sha256 for file, entry in registered.manifest.files.items()},
        sha256=registered.sha256,
    )
    return TuneResult(versions.add(record), created=True, seconds=clock.seconds)


def _parent(models_file: Path, models_dir: Path, model: str) -> RegisteredModel:
    """The registered model to tune; for a model installed by ``aigc models install`` but not
    registered (such as ``smollm2``), the error names the command that registers its folder."""
    from aigc.core.model_install import installables

    try:
        return registered_model(models_file, model, field="model")
    except InvalidRequestError:
        installable = installables().get(split_reference(model)[0])
        if installable is None:
            raise
        folders = [models_dir / installable.name / variant for variant in installable.variants]
        tunable = [folder for folder in folders if (folder / CONVERSION_FILE).is_file()]
        if not tunable:
            raise
        raise invalid(
            "model",
            model,
            f"is installed for its own generator, not registered: register it once with "
            f"`aigc models add {tunable[0]} --name {installable.name}-chat` "
            f"and tune --model {installable.name}-chat",
        ) from None


def _recorded(versions: ModelVersionStore, models_file: Path, name: str, version: str) -> ModelVersion | None:
    """The recorded version ``name@version`` if its registered files are intact, ``None`` if it is
    not recorded; ``InvalidRequestError`` (field ``version``) if it is recorded but its files are
    missing or changed, so that another run never overwrites a version that served requests."""
    try:
        recorded = versions.get(name, version)
    except NotFoundError:
        return None
    registered = load_registered(models_file).get(recorded.reference)
    problems = ["not registered"] if registered is None else [p for p in registered.verify().values() if p]
    if registered is not None and not problems and registered.sha256 == recorded.sha256:
        return recorded
    raise invalid(
        "version",
        version,
        f"{recorded.reference} is recorded, but its files are not what was recorded "
        f"({'; '.join(problems) or 'other files'}): choose another --version",
    )


@contextlib.contextmanager
def base_weights(parent: RegisteredModel, base: Path | None) -> Iterator[Path]:
    """The GGUF file ``parent`` was made from (see the module docstring); ``InvalidRequestError``
    (field ``base``) when it cannot be found or ``base`` is another file."""
    tuned = parent.path / TUNED_GGUF
    if base is None and TUNED_GGUF in parent.manifest.files:
        yield tuned
        return
    conversion_file = parent.path / CONVERSION_FILE
    if not conversion_file.is_file():
        raise invalid(
            "model",
            parent.name,
            "was not converted from a GGUF file: only Llama GGUF models (`aigc models add FILE.gguf`) "
            "and their versions can be fine-tuned",
        )
    conversion = json.loads(conversion_file.read_text())
    expected = conversion["source_sha256"]
    if base is not None:
        actual = sha256_file(base) if base.is_file() else "none (not a file)"
        if actual != expected:
            raise invalid(
                "base",
                str(base),
                f"has sha256 {actual}, but {parent.name} was converted from {conversion['source']} "
                f"with sha256 {expected}",
            )
        yield base
        return
    from aigc.core.gguf.packaged import GGUF
    from aigc.core.model_install import packaged_file

    if expected != GGUF.sha256:
        raise invalid(
            "base",
            None,
            f"{parent.name} was converted from {conversion['source']}: give that file with --base",
        )
    with packaged_file(GGUF) as path:
        yield path


def _tune_into(
    parent: RegisteredModel,
    source: Path,
    examples: tuple[TuningExample, ...],
    hyperparameters: Hyperparameters,
    seed: int,
    folder: Path,
    name: str,
    progress: Progress,
    clock: StageClock,
) -> None:
    """Train, write the tuned GGUF, convert it into ``folder`` and keep the GGUF beside the graph."""
    from tokenizers import Tokenizer

    from aigc.core.decoding.chat import ChatTemplate
    from aigc.core.gguf import convert_gguf, read_gguf
    from aigc.core.tuning.gguf_weights import hf_state_dict, write_tuned_gguf
    from aigc.core.tuning.training import encode_examples, fine_tune

    config = json.loads((parent.path / "config.json").read_text())
    tokenizer = Tokenizer.from_file(str(parent.path / "tokenizer.json"))
    tokenizer_config = parent.path / "tokenizer_config.json"
    template = (
        ChatTemplate.from_tokenizer_config(json.loads(tokenizer_config.read_text()))
        if tokenizer_config.is_file()
        else None
    )
    eos = config.get("eos_token_id")
    encoded = encode_examples(
        examples,
        tokenizer,
        template,
        eos[0] if isinstance(eos, list) else eos,
        min(hyperparameters.max_length, int(config["max_position_embeddings"])),
    )
    with clock.stage("reading weights"):
        weights = read_gguf(source)
        state = hf_state_dict(weights)
    with clock.stage("training"):
        tuned = fine_tune(state, config, encoded, hyperparameters, seed, progress)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}-") as scratch:
        with clock.stage("writing weights"):
            quantize = hyperparameters.variant == "quantized"
            gguf_file = write_tuned_gguf(weights, tuned, Path(scratch) / TUNED_GGUF, name, quantize)
        with clock.stage("converting"):
            convert_gguf(gguf_file, folder, hyperparameters.variant)
        shutil.move(gguf_file, folder / TUNED_GGUF)
