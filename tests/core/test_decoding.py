"""The decoding maths on hand-made logits, and the KV-cache loop on a stub model with known answers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from aigc.core.decoding import (
    CausalLM,
    ContextLengthError,
    DecodeBatch,
    SamplingParams,
    TextStream,
    select_tokens,
)
from aigc.core.decoding.sampling import (
    apply_presence_frequency,
    apply_repetition_penalty,
    softmax,
    token_logprob,
    top_k_filter,
    top_p_filter,
)
from aigc.core.decoding.text import held_back

# -- sampling ------------------------------------------------------------------------------------


def rngs(*seeds: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in seeds]


def test_repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens() -> None:
    logits = np.array([[2.0, -2.0, 2.0, -2.0]], dtype=np.float32)
    seen = np.array([[True, True, False, False]])
    assert apply_repetition_penalty(logits, seen, 2.0).tolist() == [[1.0, -4.0, 2.0, -2.0]]


def test_repetition_penalty_changes_the_greedy_choice() -> None:
    logits = np.array([[3.0, 2.0, 0.0]], dtype=np.float32)
    seen = np.array([[True, False, False]])
    params = SamplingParams(temperature=0, repetition_penalty=2.0)
    assert select_tokens(logits, SamplingParams(temperature=0), rngs(0)).tolist() == [0]
    assert select_tokens(logits, params, rngs(0), seen).tolist() == [1]


def test_presence_and_frequency_penalties_follow_openais_definition() -> None:
    logits = np.array([[2.0, 1.9, 0.5, 0.0]], dtype=np.float32)
    counts = np.array([[3, 0, 1, 0]])
    penalised = apply_presence_frequency(logits, counts, presence=0.5, frequency=0.1)
    np.testing.assert_allclose(penalised, [[2.0 - 0.5 - 0.3, 1.9, 0.5 - 0.5 - 0.1, 0.0]], rtol=1e-6)
    params = SamplingParams(temperature=0, presence_penalty=0.5, frequency_penalty=0.1)
    assert select_tokens(logits, params, rngs(0), counts=counts).tolist() == [1]
    assert select_tokens(logits, params, rngs(0), counts=np.zeros_like(counts)).tolist() == [0]


def test_token_logprob_is_the_log_softmax_of_the_raw_logits() -> None:
    logits = np.array([1.0, 3.0, 2.0, 3.0], dtype=np.float32)
    expected = logits - np.log(np.exp(logits).sum())
    record = token_logprob(logits, 2, top=3)
    assert record.token_id == 2 and abs(record.logprob - expected[2]) < 1e-9
    assert [i for i, _ in record.top] == [1, 3, 2]  # ties: lower id first
    assert token_logprob(logits, 0, top=0).top == ()


def test_temperature_zero_is_argmax_whatever_the_seed() -> None:
    logits = np.array([[0.1, 5.0, 4.9], [9.0, 0.0, 8.0]], dtype=np.float32)
    for seed in range(5):
        assert select_tokens(logits, SamplingParams(temperature=0), rngs(seed, seed + 1)).tolist() == [1, 0]


def test_top_k_filter_keeps_the_k_largest_and_ties_at_the_boundary() -> None:
    logits = np.array([[1.0, 4.0, 3.0, 2.0], [1.0, 1.0, 1.0, 0.0]], dtype=np.float32)
    kept = np.isfinite(top_k_filter(logits, 2))
    assert kept.tolist() == [[False, True, True, False], [True, True, True, False]]


def test_top_p_keeps_the_smallest_prefix_reaching_p_and_at_least_one_token() -> None:
    logits = np.log(np.array([[0.05, 0.5, 0.15, 0.3]], dtype=np.float32))
    assert np.isfinite(top_p_filter(logits, 0.5)).tolist() == [[False, True, False, False]]
    assert np.isfinite(top_p_filter(logits, 0.8)).tolist() == [[False, True, False, True]]
    assert np.isfinite(top_p_filter(logits, 0.81)).tolist() == [[False, True, True, True]]
    assert np.isfinite(top_p_filter(logits, 1e-6)).tolist() == [[False, True, False, False]]


def draws(logits: np.ndarray, params: SamplingParams, count: int = 2000) -> np.ndarray:
    generator = rngs(123)
    return np.array([select_tokens(logits, params, generator)[0] for _ in range(count)])


def test_sampled_tokens_stay_inside_top_k_and_top_p() -> None:
    probs = np.array([[0.4, 0.25, 0.2, 0.1, 0.05]], dtype=np.float32)
    logits = np.log(probs)
    assert set(draws(logits, SamplingParams(top_k=2)).tolist()) == {0, 1}
    assert set(draws(logits, SamplingParams(top_p=0.6)).tolist()) == {0, 1}
    assert set(draws(logits, SamplingParams(top_k=4, top_p=0.7)).tolist()) == {0, 1, 2}


def test_sampling_follows_the_tempered_distribution() -> None:
    logits = np.log(np.array([[0.5, 0.3, 0.2]], dtype=np.float32))
    for temperature in (1.0, 0.5):
        expected = softmax(logits / temperature)[0]
        observed = (
            np.bincount(draws(logits, SamplingParams(temperature=temperature), 4000), minlength=3) / 4000
        )
        assert np.abs(observed - expected).max() < 0.03


def test_a_rows_draw_depends_only_on_its_own_logits_and_seed() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 50)).astype(np.float32)
    for params in (SamplingParams(), SamplingParams(top_k=5), SamplingParams(top_p=0.7, temperature=1.3)):
        together = select_tokens(logits, params, rngs(10, 11, 12, 13))
        alone = [select_tokens(logits[i : i + 1], params, rngs(10 + i))[0] for i in range(4)]
        assert together.tolist() == alone


def test_sampling_params_reject_out_of_range_values() -> None:
    for bad in ({"temperature": -1}, {"top_k": -1}, {"top_p": 0}, {"top_p": 1.5}, {"repetition_penalty": 0}):
        with pytest.raises(ValueError):
            SamplingParams(**bad)


# -- streaming text and stop strings ---------------------------------------------------------------


def decode_chars(ids: list[int]) -> str:
    """Token id = one byte; invalid UTF-8 decodes to U+FFFD, like a byte-level BPE."""
    return bytes(ids).decode("utf-8", errors="replace")


def stream_text(text: str, stops: tuple[str, ...] = ()) -> tuple[list[str], TextStream]:
    stream = TextStream(decode_chars, stops)
    deltas = []
    for byte in text.encode():
        deltas.append(stream.add(byte))
        if stream.stopped:
            break
    deltas.append(stream.close())
    return [d for d in deltas if d], stream


def test_stream_deltas_concatenate_to_the_text() -> None:
    deltas, stream = stream_text("Hello, world")
    assert "".join(deltas) == stream.text == "Hello, world"


def test_incomplete_utf8_is_held_back_until_complete() -> None:
    deltas, stream = stream_text("naïve €")
    assert "".join(deltas) == stream.text == "naïve €"
    assert all("\ufffd" not in d for d in deltas)


def test_stop_string_cuts_the_text_before_it_and_is_never_streamed() -> None:
    deltas, stream = stream_text("one two. three", stops=("two.",))
    assert stream.stopped and stream.text == "one "
    assert "".join(deltas) == "one "


def test_a_partial_stop_string_is_held_back_then_released() -> None:
    deltas, stream = stream_text("a tw b", stops=("two",))
    assert not stream.stopped and deltas == ["a", " ", "tw ", "b"]  # "t", then "tw", wait for more
    assert held_back("a tw", ("two",)) == 2 and held_back("a tx", ("two",)) == 0


# -- the KV-cache loop on a stub model -------------------------------------------------------------

VOCAB = 11


class StubOrtSession:
    """A fake graph: the cache stores ``token + 1`` per position, and the next token is
    ``(sum of attended cached values + position) % VOCAB`` as a one-hot logit.

    Padding (id 0, cached as 1) changes the answer if the loop attends to it, and a wrong
    position changes it too, so batched == alone only if masks and positions are right.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, np.ndarray]] = []

    def get_inputs(self) -> list[Any]:
        cache = SimpleNamespace(shape=["batch", 1, "past", 1])
        return [
            SimpleNamespace(name="input_ids", shape=["batch", "seq"]),
            SimpleNamespace(name="attention_mask", shape=["batch", "total"]),
            SimpleNamespace(name="position_ids", shape=["batch", "seq"]),
            SimpleNamespace(name="past_key_values.0.key", **vars(cache)),
            SimpleNamespace(name="past_key_values.0.value", **vars(cache)),
        ]

    def run(self, names: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.calls.append(feeds)
        ids, mask, positions = feeds["input_ids"], feeds["attention_mask"], feeds["position_ids"]
        past = feeds["past_key_values.0.key"]
        assert mask.shape[1] == past.shape[2] + ids.shape[1]
        present = np.concatenate([past, (ids + 1.0)[:, None, :, None]], axis=2)
        values = present[:, 0, :, 0] * mask
        batch, seq = ids.shape
        logits = np.zeros((batch, seq, VOCAB), dtype=np.float32)
        offset = past.shape[2]
        for b in range(batch):
            for i in range(seq):
                visible = values[b, : offset + i + 1].sum()
                logits[b, i, int(visible + positions[b, i]) % VOCAB] = 10.0
        return [logits, present, present]


def stub_model(context: int = 64, eos: int | None = None) -> CausalLM:
    ort_session = StubOrtSession()
    names = [i.name for i in ort_session.get_inputs()]
    return CausalLM(SimpleNamespace(session=ort_session, input_names=names), context, eos)  # type: ignore[arg-type]


def expected_greedy(prompt: list[int], steps: int) -> list[int]:
    tokens = list(prompt)
    out = []
    for _ in range(steps):
        nxt = (sum(t + 1 for t in tokens) + len(tokens) - 1) % VOCAB
        out.append(nxt)
        tokens.append(nxt)
    return out


GREEDY = SamplingParams(temperature=0)


def test_the_loop_matches_the_known_answer_with_per_row_positions_and_masks() -> None:
    prompts = [[3], [1, 2, 3, 4, 5], [7, 7]]
    results = DecodeBatch(stub_model(), prompts, [0, 1, 2], GREEDY, max_new_tokens=6).run()
    assert [r.token_ids for r in results] == [expected_greedy(p, 6) for p in prompts]
    assert [r.finish_reason for r in results] == ["length"] * 3


def test_batched_rows_equal_rows_decoded_alone_for_sampling_too() -> None:
    prompts = [[3], [1, 2, 3, 4, 5], [7, 7], [9, 1, 4]]
    params = SamplingParams(temperature=1.5)
    together = DecodeBatch(stub_model(), prompts, [5, 6, 7, 8], params, 8).run()
    for prompt, seed, result in zip(prompts, [5, 6, 7, 8], together, strict=True):
        alone = DecodeBatch(stub_model(), [prompt], [seed], params, 8).run()[0]
        assert alone.token_ids == result.token_ids


def test_penalties_count_output_tokens_only_and_keep_rows_independent() -> None:
    prompt = [3, 3, 5]
    params = SamplingParams(temperature=1.0, presence_penalty=1.5, frequency_penalty=2.0)
    batch = DecodeBatch(stub_model(), [prompt], [0], params, 4)
    [(_, token)] = batch.step()
    counts = batch._counts  # what the penalties read: OpenAI's counts exclude the prompt
    assert counts is not None and counts.sum() == 1 and counts[0, token] == 1
    prompts = [[3], [1, 2, 3, 4, 5], [7, 7]]
    together = DecodeBatch(stub_model(), prompts, [1, 2, 3], params, 12).run()
    for prompt_ids, seed, row in zip(prompts, [1, 2, 3], together, strict=True):
        assert DecodeBatch(stub_model(), [prompt_ids], [seed], params, 12).run()[0].token_ids == row.token_ids


def test_logprobs_are_recorded_for_output_tokens_only() -> None:
    prompt = [3]
    first_two = expected_greedy(prompt, 2)
    params = SamplingParams(temperature=0, logprobs=2)
    [result] = DecodeBatch(stub_model(eos=first_two[1]), [prompt], [0], params, 10).run()
    assert [r.token_id for r in result.logprobs] == result.token_ids == first_two[:1]
    assert result.logprobs[0].top[0][0] == first_two[0]


def test_end_of_text_finishes_a_row_and_is_not_output() -> None:
    prompt = [3]
    first_two = expected_greedy(prompt, 2)
    result = DecodeBatch(stub_model(eos=first_two[1]), [prompt], [0], GREEDY, 10).run()[0]
    assert result.token_ids == first_two[:1] and result.finish_reason == "stop"


def test_rows_leave_the_batch_when_they_finish() -> None:
    model = stub_model()
    batch = DecodeBatch(model, [[1], [2, 3]], [0, 0], GREEDY, 3)
    batch.step()
    batch.finish(0)
    batch.step()
    assert model.session.session.calls[-1]["input_ids"].shape[0] == 1  # type: ignore[attr-defined]
    assert batch.results[0].finish_reason == "stop" and len(batch.results[0].token_ids) == 1


def test_output_stops_at_the_context_length() -> None:
    result = DecodeBatch(stub_model(context=8), [[1, 2, 3]], [0], GREEDY, 100).run()[0]
    assert len(result.token_ids) == 5 and result.finish_reason == "context"


def test_a_prompt_without_room_for_one_token_is_refused_naming_the_limit() -> None:
    with pytest.raises(ContextLengthError, match="context is 8 tokens"):
        DecodeBatch(stub_model(context=8), [[1] * 8], [0], GREEDY, 1)
    DecodeBatch(stub_model(context=8), [[1] * 7], [0], GREEDY, 1)  # 7 + 1 fits


def test_min_new_tokens_keeps_end_of_text_from_being_chosen() -> None:
    prompt = [3]
    eos = expected_greedy(prompt, 1)[0]  # the token greedy decoding would choose first
    result = DecodeBatch(stub_model(eos=eos), [prompt], [0], GREEDY, 5, min_new_tokens=3).run()[0]
    assert len(result.token_ids) >= 3 and eos not in result.token_ids[:3]


def expected_forced(prompt: list[int], steps: int, forced: dict[int, int]) -> list[int]:
    tokens, out = list(prompt), []
    for index in range(steps):
        nxt = forced.get(index, (sum(t + 1 for t in tokens) + len(tokens) - 1) % VOCAB)
        out.append(nxt)
        tokens.append(nxt)
    return out


def test_forced_tokens_are_emitted_where_asked_and_the_model_continues_from_them() -> None:
    prompts = [[3], [1, 2]]
    forced = [{0: 9, 3: 4}, {}]
    results = DecodeBatch(stub_model(), prompts, [0, 1], GREEDY, 6, forced=forced).run()
    assert results[0].token_ids == expected_forced([3], 6, forced[0])
    assert results[0].token_ids != expected_greedy([3], 6)
    assert results[1].token_ids == expected_greedy([1, 2], 6)


def test_forced_token_maps_must_match_the_rows() -> None:
    with pytest.raises(ValueError, match="2 prompts but 1 forced-token maps"):
        DecodeBatch(stub_model(), [[3], [4]], [0, 1], GREEDY, 4, forced=[{}])
