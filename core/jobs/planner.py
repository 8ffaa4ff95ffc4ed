"""Planning a run: one item per input and sample, each with its seed and idempotency key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aigc.core.errors import InvalidRequestError
from aigc.core.jobs.inputs import read_inputs
from aigc.core.jobs.spec import JobSpec
from aigc.core.jobs.specfile import LoadedSpec
from aigc.core.keys import idempotency_key
from aigc.storage.records import NewJobItem

if TYPE_CHECKING:
    from aigc.core.engine import Engine


def item_request(spec: JobSpec, row: dict[str, Any], seed: int) -> dict[str, Any]:
    """The single-sample generation request of one item: the row's ``prompt`` is the prompt, its
    other fields override the job's options."""
    overrides = {name: value for name, value in row.items() if name != "prompt"}
    return {
        "generator": spec.generator,
        "prompt": row.get("prompt"),
        "options": spec.options | overrides,
        "n": 1,
        "seed": seed,
        "evaluators": [ref.model_dump() for ref in spec.evaluators],
        "policy": spec.policy.model_dump() if spec.policy else None,
        "metadata": {"job": spec.name},
    }


def plan(engine: Engine, loaded: LoadedSpec) -> list[NewJobItem]:
    """Every item of a run of ``loaded``; raises ``JobSpecError`` naming the input and field at fault.

    Each input is validated as a request against the installed plugins before anything runs.
    """
    spec = loaded.spec
    try:
        rows = read_inputs(spec.inputs, loaded.base_dir)
    except InvalidRequestError as error:
        raise loaded.error(error.errors) from None
    prepared = []
    for index, row in enumerate(rows):
        try:
            prepared.append(engine.prepare(item_request(spec, row, spec.seed.base)))
        except InvalidRequestError as error:
            raise loaded.error([_input_field(spec, index, row, e) for e in error.errors]) from None
    model_sha256 = engine.generator(spec.generator).model_sha256
    items = []
    for input_index, (row, request) in enumerate(zip(rows, prepared, strict=True)):
        for sample_index in range(spec.n):
            seed = spec.item_seed(input_index, sample_index)
            key = idempotency_key(spec.name, request.sample_key(model_sha256, seed))
            items.append(NewJobItem(input_index, sample_index, row, seed, key))
    return items


def _input_field(
    spec: JobSpec, index: int, row: dict[str, Any], entry: dict[str, object]
) -> dict[str, object]:
    """Point a request error at the input row that caused it, or at the spec field otherwise."""
    field = str(entry["field"])
    name = field.removeprefix("options.")
    row_field = "prompt" if field == "prompt" else name if field.startswith("options.") else None
    if row_field is None or (row_field not in row and field != "prompt"):
        return entry
    where = f"inputs.items[{index}]" if spec.inputs.items is not None else f"inputs[{index}]"
    return {**entry, "field": f"{where}.{row_field}"}
