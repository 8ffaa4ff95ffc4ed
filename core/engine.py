"""The engine: validate → generate → stamp provenance → evaluate → decide → store."""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Generator as PyGenerator
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from aigc.core.batching import DynamicBatcher, checked_batch
from aigc.core.config import Settings
from aigc.core.errors import AigcError, InvalidRequestError, OverloadedError, PluginCallError, PluginLoadError
from aigc.core.evaluation import apply_replacements, evaluate_samples
from aigc.core.isolation import call_with_timeout, iterate_with_timeout
from aigc.core.keys import canonical_json
from aigc.core.plugins import PluginRegistry
from aigc.core.policy import decide, keep_best
from aigc.core.preparation import PreparedRequest, prepare
from aigc.core.provenance import stamp
from aigc.core.redaction import without_paths
from aigc.core.routing import routed_version
from aigc.core.runtime import ModelRuntime
from aigc.core.schemas import GenerationRequest, GenerationResult
from aigc.core.sdk.context import PluginContext
from aigc.core.specs import (
    ArtifactData,
    Embedder,
    Embeddings,
    Evaluator,
    EvaluatorSpec,
    Generator,
    GeneratorSpec,
    MultiModelGenerator,
    SetEvaluator,
    StreamChunk,
    StreamingGenerator,
)
from aigc.core.streaming import streamed_so_far
from aigc.core.validation import invalid
from aigc.storage.records import JobItemLink, NewEvaluation, NewGeneration, NewRequest, NewSetEvaluation
from aigc.storage.store import Store


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _timed(result: GenerationResult, store_started: float, started: float) -> GenerationResult:
    """``result`` with its ``store_ms`` and ``total_ms`` timings set."""
    result.timings["store_ms"] = _ms(store_started)
    result.timings["total_ms"] = _ms(started)
    return result


def model_sha256_of(generator: Generator, options: Any) -> str | None:
    """The sha256 of the model that served ``options``: ``model_sha256_for(options)`` for generators
    that serve several models (chosen by an option), else their ``model_sha256``."""
    if isinstance(generator, MultiModelGenerator):
        return generator.model_sha256_for(options)
    return generator.model_sha256


def _recording(
    source: PyGenerator[StreamChunk, None, Any], sent: list[StreamChunk]
) -> PyGenerator[StreamChunk, None, Any]:
    """``source``'s items and return value, each item appended to ``sent`` as it is handed on."""
    try:
        while True:
            try:
                item = next(source)
            except StopIteration as stop:
                return stop.value
            sent.append(item)
            yield item
    finally:
        source.close()


class GenerationStream:
    """The chunks of a streamed request (text deltas, or ``AudioChunk``s of an audio generator);
    ``result`` is set once they are exhausted."""

    def __init__(
        self,
        source: PyGenerator[StreamChunk, None, GenerationResult] | None,
        result: GenerationResult | None = None,
    ) -> None:
        self._source = source
        self.result = result

    def __iter__(self) -> Iterator[StreamChunk]:
        if self._source is not None:
            self.result = yield from self._source

    def close(self) -> None:
        """End the stream early (its reader went away): the sample is stored as cancelled with what
        was sent, now, on the calling thread. Nothing happens to a stream that has ended. Call it
        when no other thread is taking a chunk; left to the garbage collector, the same work would
        run inside whatever thread it interrupts."""
        if self._source is not None:
            self._source.close()


class Engine:
    """Runs generation requests and stores every one of them.

    Usable directly from Python::

        engine = Engine()                      # ./aigc-data, SQLite, installed plugins
        result = engine.generate({"generator": "image-gan", "options": {"label": 3}, "n": 4, "seed": 1})
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        registry: PluginRegistry | None = None,
        runtime: ModelRuntime | None = None,
        store: Store | None = None,
        batcher: DynamicBatcher | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.registry = registry or PluginRegistry.from_entry_points(self.settings)
        self.runtime = runtime or ModelRuntime()
        self.context = PluginContext(self.runtime, self.settings)
        self.store = store or Store(
            self.settings.resolved_database_url,
            self.settings.resolved_blob_url,
            group_commit_ms=self.settings.group_commit_ms,
        )
        self.batcher = batcher
        self._instances: dict[str, Any] = {}
        self._load_lock = threading.Lock()
        self._recorded_models: set[tuple[str, str]] = set()
        self.registry.engine_started(self)

    # -- plugins ---------------------------------------------------------------------------------

    def _instance(self, kind: str, spec: GeneratorSpec | EvaluatorSpec, check: type) -> Any:
        key = f"{kind}:{spec.name}"
        with self._load_lock:
            if key in self._instances:
                return self._instances[key]
            try:
                instance = call_with_timeout(
                    f"{kind} {spec.name} factory",
                    self.settings.generator_timeout_s,
                    lambda: spec.factory(self.context),
                )
                if not isinstance(instance, check):
                    raise PluginLoadError(
                        f"{kind} {spec.name!r}: factory returned {type(instance).__name__}, "
                        f"which lacks the {check.__name__} methods"
                    )
            except AigcError as error:
                self._record_failure(kind, spec.name, "factory", error)
                raise PluginLoadError(f"{kind} {spec.name!r} could not be loaded: {error}") from error
            self._instances[key] = instance
            return instance

    def generator(self, name: str) -> Generator:
        """The loaded generator ``name`` (built on first use)."""
        instance: Generator = self._instance("generator", self.registry.generators[name], Generator)
        return instance

    def evaluator(self, spec: EvaluatorSpec) -> Evaluator | SetEvaluator:
        """The loaded evaluator for ``spec`` (built on first use); a ``SetEvaluator`` for set scope."""
        instance: Evaluator | SetEvaluator = self._instance(
            "evaluator", spec, SetEvaluator if spec.scope == "set" else Evaluator
        )
        return instance

    def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        """Embeddings of ``texts`` by evaluator ``model`` (one that is also an ``Embedder``), within
        the evaluator time limit. Nothing is stored: embeddings are not generated content."""
        spec = self.registry.evaluators.get(model)
        if spec is None or not spec.embeds:
            embedders = ", ".join(s.name for s in self.registry.evaluators.values() if s.embeds) or "none"
            raise invalid("model", model, f"is not an embedding model; installed: {embedders}")
        evaluator = self.evaluator(spec)
        if not isinstance(evaluator, Embedder):
            raise invalid("model", model, "this evaluator does not embed texts")
        try:
            embeddings: Embeddings = call_with_timeout(
                f"evaluator {model} embed",
                self.settings.evaluator_timeout_s,
                partial(evaluator.embed, texts),
            )
        except PluginCallError as error:
            self._record_failure("evaluator", model, "embed", error)
            raise
        return embeddings

    def _record_evaluator_failure(self, spec: EvaluatorSpec, error: AigcError) -> None:
        if not isinstance(error, PluginLoadError):  # a failed factory is recorded once, as such
            self._record_failure("evaluator", spec.name, "evaluate", error)

    def _record_failure(self, kind: str, name: str, stage: str, error: BaseException) -> None:
        plugin = self.registry.owner_of(kind, name) or name
        failure = self.registry.record_failure(plugin, f"{kind} {name}: {stage}", error)
        self.store.record_plugin_error(
            failure.plugin, failure.stage, failure.error_type, failure.message, failure.traceback
        )

    # -- generation ------------------------------------------------------------------------------

    def prepare(self, request: GenerationRequest | dict[str, Any]) -> PreparedRequest:
        """Validate a request without running it; raises ``InvalidRequestError``. A ``model`` option
        naming a model without a version may be routed to one of its versions (``aigc.core.routing``)."""
        return self._routed(prepare(self.registry, request))

    def _routed(self, prepared: PreparedRequest) -> PreparedRequest:
        model = getattr(prepared.options, "model", None)
        if not isinstance(model, str) or "@" in model:
            return prepared
        version = routed_version(model, prepared.seed, self.store.model_versions.routes(model))
        if version is None:
            return prepared
        options = prepared.options.model_copy(update={"model": f"{model}@{version}"})
        return dataclasses.replace(prepared, options=options)

    def _generate_samples(
        self, prepared: PreparedRequest, generator: Generator, timings: dict[str, float]
    ) -> list[list[ArtifactData]]:
        """The request's samples: through the dynamic batcher when it serves this generator."""
        if self.batcher is None or not self.batcher.handles(prepared.spec.name, len(prepared.seeds)):
            return self._generate_batches(prepared, generator, prepared.seeds)
        output = self.batcher.run(generator, prepared.call, prepared.seeds)
        timings["queue_ms"] = output.queue_ms
        timings["batch_size"] = output.batch_size
        return output.samples

    def _generate_batches(
        self, prepared: PreparedRequest, generator: Generator, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """Samples for ``seeds`` with ``prepared``'s options and input, ``max_batch_size`` a call."""
        spec = prepared.spec
        inputs = [prepared.generator_input] * len(seeds)
        outputs: list[list[ArtifactData]] = []
        for start in range(0, len(seeds), spec.max_batch_size):
            batch_inputs = inputs[start : start + spec.max_batch_size]
            batch_seeds = seeds[start : start + spec.max_batch_size]
            raw = call_with_timeout(
                f"generator {spec.name}",
                self.settings.generator_timeout_s,
                partial(generator.generate, batch_inputs, prepared.options, batch_seeds),
            )
            outputs.extend(checked_batch(raw, len(batch_seeds), spec.name))
        return outputs

    def _provenance(
        self, prepared: PreparedRequest, model_sha256: str | None, seed: int, key: str
    ) -> dict[str, str]:
        fields = {
            "generator": prepared.spec.name,
            "version": prepared.spec.version,
            "model-sha256": model_sha256 or "",
            "options": canonical_json(prepared.options_json),
            "seed": str(seed),
            "key": key,
        }
        if prepared.request.prompt is not None:
            fields["prompt"] = prepared.request.prompt
        if prepared.messages_json is not None:
            fields["messages"] = canonical_json(prepared.messages_json)
        return fields

    def generate(
        self, request: GenerationRequest | dict[str, Any], *, job_item: JobItemLink | None = None
    ) -> GenerationResult:
        """Run and store one request. Invalid input raises ``InvalidRequestError`` and stores nothing
        (also when the plugin finds it, e.g. a prompt longer than the model's context); a plugin
        failure is stored as a failed request and returned with ``status == "failed"``.

        ``job_item`` ties a single-sample request to a job item: its sample is stored under the
        item's idempotency key (``DuplicateKeyError`` if that key is stored already).
        """
        started = time.perf_counter()
        prepared = self._prepare_item(request, job_item)
        timings = {"validate_ms": _ms(started)}
        try:
            generator = self._load_for(prepared, timings)
            generate_started = time.perf_counter()
            samples = self._generate_samples(prepared, generator, timings)
            timings["generate_ms"] = _ms(generate_started)
        except AigcError as error:
            return self._save(self._failure(prepared, timings, error), started)
        record = self._finish(
            prepared, model_sha256_of(generator, prepared.options), samples, timings, job_item
        )
        return self._save(record, started)

    def generate_many(
        self,
        requests: Sequence[GenerationRequest | dict[str, Any]],
        *,
        job_items: Sequence[JobItemLink | None] | None = None,
    ) -> list[GenerationResult | AigcError]:
        """Run several requests as ``generate`` does and store them together: one blob batch, one
        transaction. Requests for the same generator with the same options and input share
        generator calls (each sample still depends on its own seed only).

        Returns one outcome per request, in order: its stored result, or the ``AigcError`` that
        ``generate`` would raise for it (``InvalidRequestError``, ``DuplicateKeyError``, ...).
        ``job_items`` (one per request, or None) ties single-sample requests to job items.
        """
        links = list(job_items) if job_items is not None else [None] * len(requests)
        if len(links) != len(requests):
            raise invalid(
                "job_items", len(links), f"must name one item (or None) per request ({len(requests)})"
            )
        started = time.perf_counter()
        outcomes: dict[int, GenerationResult | AigcError] = {}
        groups: dict[str, list[tuple[int, PreparedRequest, dict[str, float]]]] = {}
        for index, (request, link) in enumerate(zip(requests, links, strict=True)):
            request_started = time.perf_counter()
            try:
                prepared = self._prepare_item(request, link)
            except AigcError as error:
                outcomes[index] = error
                continue
            groups.setdefault(prepared.call.key, []).append(
                (index, prepared, {"validate_ms": _ms(request_started)})
            )
        records: dict[int, NewRequest] = {}
        for group in groups.values():
            for index, record in self._run_group(group, links).items():
                if isinstance(record, AigcError):
                    outcomes[index] = record
                else:
                    records[index] = record
        store_started = time.perf_counter()
        saved = self.store.save_many(list(records.values()))
        self._record_new_models()
        for index, outcome in zip(records, saved, strict=True):
            if isinstance(outcome, AigcError):
                outcomes[index] = outcome
            elif isinstance(outcome, Exception):
                raise outcome
            else:
                outcomes[index] = _timed(outcome, store_started, started)
        return [outcomes[index] for index in range(len(requests))]

    def _run_group(
        self, group: list[tuple[int, PreparedRequest, dict[str, float]]], links: Sequence[JobItemLink | None]
    ) -> dict[int, NewRequest | AigcError]:
        """Generate the samples of requests that share a generator, options and input in shared
        calls, then evaluate and decide each request: by request index, its record to store (a
        failed one when the generator failed), or the error that stores nothing."""
        first = group[0][1]
        timings = [t for _, _, t in group]
        try:
            generator = self._load_for(first, timings[0])
            generate_started = time.perf_counter()
            seeds = [seed for _, prepared, _ in group for seed in prepared.seeds]
            samples = self._generate_batches(first, generator, seeds)
            generate_ms = _ms(generate_started)
        except AigcError as error:
            failures: dict[int, NewRequest | AigcError] = {}
            for position, (index, prepared, request_timings) in enumerate(group):
                try:
                    failures[index] = self._failure(
                        prepared, request_timings, error, note_plugin=position == 0
                    )
                except AigcError as refused:
                    failures[index] = refused
            return failures
        model_sha256 = model_sha256_of(generator, first.options)
        records: dict[int, NewRequest | AigcError] = {}
        offset = 0
        for index, prepared, request_timings in group:
            count = len(prepared.seeds)
            request_timings["generate_ms"] = round(generate_ms * count / len(seeds), 3)
            own = samples[offset : offset + count]
            offset += count
            records[index] = self._finish(prepared, model_sha256, own, request_timings, links[index])
        return records

    def _prepare_item(
        self, request: GenerationRequest | dict[str, Any], job_item: JobItemLink | None
    ) -> PreparedRequest:
        prepared = self.prepare(request)
        if job_item is not None and prepared.request.n != 1:
            raise invalid("n", prepared.request.n, "a job item is one sample; use n=1")
        if job_item is not None and prepared.request.best_of != 1:
            raise invalid("best_of", prepared.request.best_of, "a job item is one sample; use best_of=1")
        return prepared

    def stream(self, request: GenerationRequest | dict[str, Any]) -> GenerationStream:
        """Run one single-sample request of a streaming generator, yielding its chunks as they come:
        text deltas, or ``AudioChunk``s (a sentence each) of a speech generator.

        Iterate the returned ``GenerationStream`` for the chunks; afterwards its ``result`` holds
        the stored ``GenerationResult`` (evaluated and decided exactly as by ``generate``). The
        request is validated before this returns; it is stored once the stream is exhausted.
        """
        started = time.perf_counter()
        prepared = self.prepare(request)
        if prepared.request.n != 1:
            raise invalid("n", prepared.request.n, "streaming produces one sample; use n=1")
        if prepared.request.best_of != 1:
            raise invalid("best_of", prepared.request.best_of, "streaming produces one sample; use best_of=1")
        timings = {"validate_ms": _ms(started)}
        try:
            generator = self._load_for(prepared, timings)
        except AigcError as error:
            return GenerationStream(None, self._save(self._failure(prepared, timings, error), started))
        if not isinstance(generator, StreamingGenerator):
            raise invalid("generator", prepared.spec.name, "this generator does not stream; use generate")
        return GenerationStream(self._stream(prepared, generator, timings, started))

    def _stream(
        self,
        prepared: PreparedRequest,
        generator: StreamingGenerator,
        timings: dict[str, float],
        started: float,
    ) -> PyGenerator[StreamChunk, None, GenerationResult]:
        sent: list[StreamChunk] = []
        try:
            generate_started = time.perf_counter()
            sample_input = prepared.generator_input
            artifact = yield from _recording(
                iterate_with_timeout(
                    f"generator {prepared.spec.name}",
                    self.settings.generator_timeout_s,
                    partial(generator.stream, sample_input, prepared.options, prepared.seed),
                ),
                sent,
            )
            timings["generate_ms"] = _ms(generate_started)
            samples = checked_batch([[artifact]], 1, prepared.spec.name)
        except AigcError as error:
            return self._save(self._failure(prepared, timings, error), started)
        except GeneratorExit:  # the consumer stopped reading (an HTTP client went away)
            timings["generate_ms"] = _ms(generate_started)
            cancelled = self._cancelled(prepared, model_sha256_of(generator, prepared.options), sent, timings)
            self._save(cancelled, started)
            raise
        record = self._finish(prepared, model_sha256_of(generator, prepared.options), samples, timings)
        return self._save(record, started)

    def _cancelled(
        self,
        prepared: PreparedRequest,
        model_sha256: str | None,
        sent: list[StreamChunk],
        timings: dict[str, float],
    ) -> NewRequest:
        """The record of a stream its consumer abandoned: a failed request whose one sample holds what was
        streamed so far (text, or audio as WAV), both with an error starting ``cancelled``."""
        artifact, streamed = streamed_so_far(sent)
        error = f"cancelled: the stream was abandoned after {streamed}"
        sample = NewGeneration(
            index=0,
            seed=prepared.seed,
            key=prepared.sample_key(model_sha256, prepared.seed),
            status="failed",
            score=None,
            reasons=[error],
            error=error,
            timings={"generate_ms": timings["generate_ms"]},
            artifacts=[artifact],
            evaluations=[],
        )
        return self._record(prepared, model_sha256, timings, [sample], error=error)

    def _load_for(self, prepared: PreparedRequest, timings: dict[str, float]) -> Generator:
        load_started = time.perf_counter()
        generator = self.generator(prepared.spec.name)
        timings["load_ms"] = _ms(load_started)
        return generator

    def _failure(
        self,
        prepared: PreparedRequest,
        timings: dict[str, float],
        error: AigcError,
        *,
        note_plugin: bool = True,
    ) -> NewRequest:
        """The record of a request whose generator failed; raises ``error`` when nothing is to be stored.

        A plugin's failure is recorded (once per failed call: ``note_plugin=False`` for the other
        requests that shared the call)."""
        if isinstance(error, InvalidRequestError | OverloadedError):
            raise error  # the caller's fault, or come back later: nothing is stored
        if isinstance(error, PluginCallError) and note_plugin:
            self._record_failure("generator", prepared.spec.name, "generate", error)
            self._instances.pop(f"generator:{prepared.spec.name}", None)  # rebuild it next time
        return self._record(
            prepared,
            None,
            timings,
            [],
            error=without_paths(str(error)),
            error_traceback="".join(traceback.format_exception(error)),
        )

    def _finish(
        self,
        prepared: PreparedRequest,
        model_sha256: str | None,
        samples: list[list[ArtifactData]],
        timings: dict[str, float],
        job_item: JobItemLink | None = None,
    ) -> NewRequest:
        """Stamp provenance, evaluate and decide the samples of a request: its record to store."""
        keys = [prepared.sample_key(model_sha256, seed) for seed in prepared.seeds]
        samples = [
            [stamp(a, self._provenance(prepared, model_sha256, seed, key)) for a in artifacts]
            for artifacts, seed, key in zip(samples, prepared.seeds, keys, strict=True)
        ]
        evaluate_started = time.perf_counter()
        evaluations, set_evaluations, eval_timings = evaluate_samples(
            prepared,
            samples,
            self.evaluator,
            self._record_evaluator_failure,
            self.settings.evaluator_timeout_s,
        )
        timings["evaluate_ms"] = _ms(evaluate_started)
        timings |= eval_timings
        samples = apply_replacements(samples, evaluations)
        generations = self._decide(prepared, samples, evaluations, keys, timings, job_item)
        return self._record(prepared, model_sha256, timings, generations, set_evaluations)

    def _decide(
        self,
        prepared: PreparedRequest,
        samples: Sequence[list[ArtifactData]],
        evaluations: Sequence[list[NewEvaluation]],
        keys: Sequence[str],
        timings: dict[str, float],
        job_item: JobItemLink | None,
    ) -> list[NewGeneration]:
        n = len(samples)
        per_sample = {"generate_ms": timings["generate_ms"] / n, "evaluate_ms": timings["evaluate_ms"] / n}
        decisions = keep_best(
            [decide(prepared.request.policy, evals) for evals in evaluations],
            prepared.request.best_of,
        )
        generations = []
        for index, (artifacts, evals, seed, key, decision) in enumerate(
            zip(samples, evaluations, prepared.seeds, keys, decisions, strict=True)
        ):
            generations.append(
                NewGeneration(
                    index=index,
                    seed=seed,
                    key=key,
                    status=decision.status,
                    score=decision.score,
                    reasons=decision.reasons,
                    error=None,
                    timings=per_sample,
                    artifacts=artifacts,
                    evaluations=list(evals),
                    idempotency_key=job_item.idempotency_key if job_item else None,
                    job_run_id=job_item.run_id if job_item else None,
                )
            )
        return generations

    def _record(
        self,
        prepared: PreparedRequest,
        model_sha256: str | None,
        timings: dict[str, float],
        generations: list[NewGeneration],
        set_evaluations: list[NewSetEvaluation] | None = None,
        error: str | None = None,
        error_traceback: str | None = None,
    ) -> NewRequest:
        request = prepared.request
        return NewRequest(
            generator=prepared.spec.name,
            generator_version=prepared.spec.version,
            model_sha256=model_sha256,
            prompt=request.prompt,
            messages=prepared.messages_json,
            options=prepared.options_json,
            n=request.n,
            best_of=request.best_of,
            seed=prepared.seed,
            evaluators=[
                {"name": e.spec.name, "version": e.spec.version, "options": e.options.model_dump(mode="json")}
                for e in prepared.evaluators
            ],
            policy=request.policy.model_dump(mode="json") if request.policy else None,
            status="failed" if error else "completed",
            error=error,
            traceback=error_traceback,
            timings=timings,
            metadata=dict(request.metadata),
            generations=generations,
            set_evaluations=set_evaluations or [],
        )

    def _save(self, record: NewRequest, started: float) -> GenerationResult:
        store_started = time.perf_counter()
        result = self.store.save(record)
        self._record_new_models()
        return _timed(result, store_started, started)

    def _record_new_models(self) -> None:
        models = [
            m for m in self.runtime.loaded_models if (str(m.path), m.sha256) not in self._recorded_models
        ]
        if models:
            self.store.record_models(models)
            self._recorded_models.update((str(m.path), m.sha256) for m in models)

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
