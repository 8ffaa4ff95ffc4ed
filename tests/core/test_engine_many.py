"""Several requests run together: shared generator calls, one transaction, each its own outcome."""

from __future__ import annotations

import sqlalchemy as sa

from aigc.core.engine import Engine
from aigc.core.errors import DuplicateKeyError, InvalidRequestError
from aigc.core.schemas import GenerationResult
from aigc.storage.records import JobItemLink


def gan(label: int, seed: int) -> dict[str, object]:
    return {"generator": "image-gan", "options": {"label": label}, "seed": seed}


def sha256s(result: GenerationResult | Exception) -> list[str]:
    assert isinstance(result, GenerationResult)
    return [a.sha256 for g in result.generations for a in g.artifacts]


def test_requests_run_together_give_the_bytes_they_give_alone(engine: Engine) -> None:
    requests = [gan(3, 1), gan(3, 2), gan(5, 1), gan(3, 9) | {"n": 2}]
    alone = [sha256s(engine.generate(request)) for request in requests]
    calls: list[int] = []
    generator = engine.generator("image-gan")
    original = generator.generate

    def counted(inputs, options, seeds):  # type: ignore[no-untyped-def]
        calls.append(len(seeds))
        return original(inputs, options, seeds)

    generator.generate = counted  # type: ignore[method-assign]
    commits: list[int] = []
    sa.event.listen(engine.store.engine, "commit", lambda connection: commits.append(1))
    together = engine.generate_many(requests)
    assert [sha256s(result) for result in together] == alone
    assert sorted(calls) == [1, 4]  # label 3 shares one call, label 5 has its own
    assert len(commits) == 1
    assert engine.store.count_requests() == 2 * len(requests)


def test_a_refused_request_does_not_keep_the_others_from_being_stored(engine: Engine) -> None:
    invalid, stored = engine.generate_many([gan(3, 1) | {"options": {"label": 99}}, gan(3, 2)])
    assert isinstance(invalid, InvalidRequestError) and "label" in str(invalid)
    assert isinstance(stored, GenerationResult) and stored.status == "completed"
    assert engine.store.count_requests() == 1


def test_job_items_keep_their_keys_and_a_taken_key_fails_only_its_item(engine: Engine) -> None:
    first = engine.generate(gan(3, 1), job_item=JobItemLink(1, "item-1"))
    clash, fresh = engine.generate_many(
        [gan(3, 1), gan(3, 2)], job_items=[JobItemLink(1, "item-1"), JobItemLink(1, "item-2")]
    )
    assert isinstance(clash, DuplicateKeyError)
    assert isinstance(fresh, GenerationResult)
    ids = engine.store.generation_ids_by_key(["item-1", "item-2"])
    assert ids == {"item-1": first.generations[0].id, "item-2": fresh.generations[0].id}


def test_a_job_item_is_one_sample(engine: Engine) -> None:
    [refused] = engine.generate_many([gan(3, 1) | {"n": 2}], job_items=[JobItemLink(1, "item")])
    assert isinstance(refused, InvalidRequestError) and "n" in str(refused)
