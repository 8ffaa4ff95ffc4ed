"""The conformance checks: each one is a function of a harness that raises ``AssertionError``.

``GENERATOR_CHECKS`` and ``EVALUATOR_CHECKS`` list them in order; the conformance test classes
and the parametrised tests of built-in plugins run exactly these.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aigc.core.manifest import MANIFEST_NAME, load_manifest, verify_manifest
from aigc.core.runtime import unverified_session
from aigc.core.schemas import EvalResult
from aigc.core.specs import MAX_PROMPT_CHARS, ArtifactData

from .harness import DEFAULT_SEED, EvaluatorHarness, GeneratorHarness
from .media import check_artifact
from .options import beyond_limits, option_problems


def _fingerprint(samples: list[list[ArtifactData]]) -> list[list[tuple[str, bytes, str]]]:
    return [[(a.media_type, a.payload, repr(sorted(a.metadata.items()))) for a in s] for s in samples]


def check_options_documented(h: GeneratorHarness | EvaluatorHarness) -> None:
    """Every option has a description and limits (numbers both bounds, strings and lists a maximum)."""
    problems = option_problems(h.spec.options)
    assert not problems, f"{h.name}: options lack limits or descriptions:\n  " + "\n  ".join(problems)


def check_artifacts_valid(h: GeneratorHarness) -> None:
    """One non-empty list per input, of declared media types, each a valid file of its type."""
    samples = h.run([DEFAULT_SEED, DEFAULT_SEED + 1])
    assert len(samples) == 2, f"{h.name}: 2 inputs gave {len(samples)} samples"
    for sample in samples:
        assert sample and all(isinstance(a, ArtifactData) for a in sample), f"{h.name}: malformed sample"
        for artifact in sample:
            assert artifact.media_type in h.spec.media_types, (
                f"{h.name}: produced {artifact.media_type}, but declares {h.spec.media_types}"
            )
            check_artifact(artifact)


def check_seeded_output_is_deterministic(h: GeneratorHarness) -> None:
    """The same seeds and options give identical artifacts (bytes, media type, metadata)."""
    seeds = [DEFAULT_SEED, DEFAULT_SEED + 7]
    assert _fingerprint(h.run(seeds)) == _fingerprint(h.run(seeds)), f"{h.name}: same seeds, different output"


def check_batch_equals_one_by_one(h: GeneratorHarness) -> None:
    """A batch gives each sample exactly what it gets alone: a sample depends on its seed only."""
    seeds = [DEFAULT_SEED + i for i in range(3)]
    alone = [sample for seed in seeds for sample in h.run([seed])]
    assert _fingerprint(h.run(seeds)) == _fingerprint(alone), f"{h.name}: batched output differs"


def check_request_is_stored(h: GeneratorHarness) -> None:
    """A request through the engine completes and its artifacts can be read back from the store."""
    result = h.generate(n=2)
    assert result.status == "completed", f"{h.name}: request failed: {result.error}"
    assert len(result.generations) == 2
    for generation in result.generations:
        assert generation.artifacts, f"{h.name}: generation {generation.index} has no artifacts"
        for artifact in generation.artifacts:
            if artifact.uri is not None:
                assert h.engine.store.read_artifact(artifact.id)


def check_empty_prompt_is_refused(h: GeneratorHarness) -> None:
    """A generator that needs a prompt refuses an empty one; one that takes none refuses any, naming
    the ``prompt`` field."""
    if h.spec.prompt == "optional":
        return
    error = h.refusal(prompt="" if h.spec.prompt == "required" else "unexpected")
    assert error is not None, f"{h.name}: prompt use is {h.spec.prompt!r}, yet the request ran"
    assert any(e["field"] == "prompt" for e in error.errors), error


def check_oversized_prompt_is_handled(h: GeneratorHarness) -> None:
    """The longest prompt a request allows either runs or is refused naming ``prompt``: never a crash."""
    if h.spec.prompt == "none":
        return
    longest = ("lorem ipsum " * (MAX_PROMPT_CHARS // 12 + 1))[:MAX_PROMPT_CHARS]
    error = h.refusal(prompt=longest)
    if error is not None:
        assert any(e["field"] == "prompt" for e in error.errors), error
        return
    assert h.refusal(prompt=longest + "x") is not None, "a prompt over the request limit was accepted"


def check_options_beyond_limits_are_refused(h: GeneratorHarness) -> None:
    """A value past an option's upper limit is refused, naming ``options.<name>``."""
    for name, value in beyond_limits(h.spec.options).items():
        options = {**h.example().get("options", {}), name: value}
        error = h.refusal(options=options)
        assert error is not None, f"{h.name}: options.{name}={value!r} is past its limit, yet the request ran"
        assert any(e["field"] == f"options.{name}" for e in error.errors), error


def check_manifest_matches_files(h: GeneratorHarness | EvaluatorHarness) -> None:
    """Every file in the manifest has its sha256, every ONNX file is listed, and each listed graph has
    the inputs and outputs the manifest records."""
    folder = h.spec.model_dir
    if folder is None:
        return
    folder = Path(folder)
    problems = {name: problem for name, problem in verify_manifest(folder).items() if problem}
    assert not problems, f"{h.name}: {problems}"
    manifest = load_manifest(folder)
    unlisted = sorted(p.name for p in folder.glob("*.onnx") if p.name not in manifest.files)
    assert not unlisted, f"{h.name}: {unlisted} not listed in {folder / MANIFEST_NAME}"
    for name, entry in manifest.files.items():
        if name.endswith(".onnx") and (entry.inputs or entry.outputs):
            session = unverified_session(folder / name)
            assert [i.name for i in session.get_inputs()] == [t.name for t in entry.inputs], name
            assert [o.name for o in session.get_outputs()] == [t.name for t in entry.outputs], name


def _check_results(name: str, results: object) -> list[EvalResult]:
    assert isinstance(results, list) and results, f"{name}: expected a non-empty list of EvalResult"
    for result in results:
        assert isinstance(result, EvalResult), f"{name}: {type(result).__name__} is not an EvalResult"
        EvalResult.model_validate(result.model_dump())  # catches model_construct'ed or mutated results
        assert result.error is None, f"{name}: {result.metric}: {result.error}"
        assert result.score is not None or result.value is not None or result.passed is not None, (
            f"{name}: {result.metric} has neither score, value nor verdict"
        )
    return results


def check_results_are_well_formed(h: EvaluatorHarness) -> None:
    """Item scope: one non-empty list of valid ``EvalResult`` per item (none for no items).
    Set scope: one non-empty list for the set."""
    evaluator, items = h.loaded(), h.sample_items()
    if h.spec.scope == "set":
        _check_results(h.name, evaluator.evaluate_set(items, h.validated_options))
        return
    results = evaluator.evaluate(items, h.validated_options)
    assert isinstance(results, list) and len(results) == len(items), f"{h.name}: one list per item expected"
    for per_item in results:
        _check_results(h.name, per_item)
    assert evaluator.evaluate([], h.validated_options) == [], f"{h.name}: no items must give no results"


def check_evaluation_is_deterministic(h: EvaluatorHarness) -> None:
    """The same items give the same results; item scope: a batch equals the items one by one."""
    evaluator, items, options = h.loaded(), h.sample_items(), h.validated_options
    if h.spec.scope == "set":
        assert evaluator.evaluate_set(items, options) == evaluator.evaluate_set(items, options)
        return
    batched = evaluator.evaluate(items, options)
    assert batched == evaluator.evaluate(items, options), f"{h.name}: same items, different results"
    alone = [evaluator.evaluate([item], options)[0] for item in items]
    assert batched == alone, f"{h.name}: batched results differ from one-by-one results"


def check_evaluation_in_a_request(h: EvaluatorHarness) -> None:
    """Run by the engine on a stored request, the evaluator reports no error."""
    source = h.source()
    if source is None or h.items is not None:
        return
    result = source.generate(n=2, evaluators=[{"name": h.name, "options": dict(h.options)}])
    assert result.status == "completed", result.error
    stored = [e for g in result.generations for e in g.evaluations] + list(result.set_evaluations)
    assert stored, f"{h.name}: the request stored no evaluation"
    errors = [f"{e.metric}: {e.error}" for e in stored if e.error]
    assert not errors, f"{h.name}: {errors}"


GeneratorCheck = Callable[[GeneratorHarness], None]
EvaluatorCheck = Callable[[EvaluatorHarness], None]

GENERATOR_CHECKS: tuple[GeneratorCheck, ...] = (
    check_options_documented,
    check_artifacts_valid,
    check_seeded_output_is_deterministic,
    check_batch_equals_one_by_one,
    check_request_is_stored,
    check_empty_prompt_is_refused,
    check_oversized_prompt_is_handled,
    check_options_beyond_limits_are_refused,
    check_manifest_matches_files,
)
EVALUATOR_CHECKS: tuple[EvaluatorCheck, ...] = (
    check_options_documented,
    check_results_are_well_formed,
    check_evaluation_is_deterministic,
    check_evaluation_in_a_request,
    check_manifest_matches_files,
)
