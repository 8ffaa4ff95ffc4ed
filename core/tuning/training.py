"""Fine-tuning a Llama decoder on CPU with torch: LoRA adapters (peft) merged into the weights, or every
weight (``full``, for small models). Seeded: the same weights, examples, hyperparameters and seed give
the same tuned weights on the same machine.

Only the completion's tokens (and the end-of-text token after them) are learnt; the prompt's are
context. Prompts are encoded as the ``onnx-causal-lm`` generator encodes them, so the tuned model
sees at serving time what it saw in training.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from aigc.core.decoding.chat import ChatTemplate
from aigc.core.tuning.examples import TuningExample
from aigc.core.validation import invalid

Method = Literal["lora", "full"]
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
GROUP_BATCHES = 16  # batches per group of examples sorted by length (see length_grouped_batches)
IGNORED = -100  # the label of tokens that are not learnt (torch's cross-entropy ignore_index)

# (step, total steps, loss of the step)
Progress = Callable[[int, int, float], None]


class Hyperparameters(BaseModel):
    """How to fine-tune; recorded with the version it makes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = Field("lora", description="lora: low-rank adapters merged into the weights; full: all")
    epochs: int = Field(1, ge=1, le=100, description="passes over the examples")
    learning_rate: float = Field(2e-4, gt=0, le=1, description="AdamW's learning rate")
    batch_size: int = Field(4, ge=1, le=64, description="examples per optimiser step")
    max_length: int = Field(512, ge=8, le=8192, description="longest example in tokens (longer: cut)")
    lora_rank: int = Field(8, ge=1, le=256, description="rank of the LoRA adapters")
    lora_alpha: int = Field(16, ge=1, le=1024, description="LoRA scaling numerator (alpha / rank)")
    variant: Literal["quantized", "fp32"] = Field(
        "quantized",
        description="the version's weights: quantized (8-bit blocks where the parent has blocks) or fp32",
    )


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of prompt + completion + end-of-text; the first ``context`` ones are not learnt."""

    ids: list[int]
    context: int


def encode_examples(
    examples: Sequence[TuningExample],
    tokenizer: Any,
    template: ChatTemplate | None,
    eos_token_id: int | None,
    max_length: int,
) -> list[EncodedExample]:
    """Encode each example as the generator encodes its input; ``InvalidRequestError`` (field
    ``dataset``) for a conversation without a chat template, or when no example leaves room to learn."""
    encoded = []
    for example in examples:
        if example.messages is None:
            context = tokenizer.encode(example.prompt or "", add_special_tokens=True).ids
        elif template is None:
            raise invalid("dataset", "messages", "the model has no chat template: use prompt examples")
        else:
            context = tokenizer.encode(template.render(example.messages), add_special_tokens=False).ids
        completion = tokenizer.encode(example.completion, add_special_tokens=False).ids
        ids = [*context, *completion, *([] if eos_token_id is None else [eos_token_id])][:max_length]
        if len(ids) > len(context):
            encoded.append(EncodedExample(ids, len(context)))
    if not encoded:
        raise invalid("dataset", len(examples), f"no example has a completion within {max_length} tokens")
    return encoded


def fine_tune(
    state: dict[str, np.ndarray],
    config: dict[str, Any],
    examples: Sequence[EncodedExample],
    hyperparameters: Hyperparameters,
    seed: int,
    progress: Progress = lambda step, total, loss: None,
) -> dict[str, np.ndarray]:
    """The weights ``state`` (``LlamaForCausalLM`` names, float32) fine-tuned on ``examples``."""
    import torch

    torch.manual_seed(seed)
    model = causal_lm = _llama(state, config)  # peft adds its adapters to causal_lm's own modules
    if hyperparameters.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=hyperparameters.lora_rank,
            lora_alpha=hyperparameters.lora_alpha,
            lora_dropout=0.0,
            target_modules=list(LORA_TARGETS),
            bias="none",
        )
        with warnings.catch_warnings():  # peft asks transformers about a renamed, deprecated property
            warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated", FutureWarning)
            model = get_peft_model(model, lora)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(parameters, lr=hyperparameters.learning_rate, weight_decay=0.0)
    shuffler, size = random.Random(seed), hyperparameters.batch_size
    total = hyperparameters.epochs * ((len(examples) + size - 1) // size)
    model.train()
    step = 0
    for _ in range(hyperparameters.epochs):
        for batch in length_grouped_batches(examples, size, shuffler):
            loss = completion_loss(causal_lm, *_batch([examples[i] for i in batch]))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimiser.step()
            step += 1
            progress(step, total, float(loss.detach()))
    if hyperparameters.method == "lora":
        model = model.merge_and_unload()
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


def length_grouped_batches(
    examples: Sequence[EncodedExample], size: int, shuffler: random.Random
) -> list[list[int]]:
    """One epoch's batches of ``size`` example indices: the examples in a random order, cut into
    groups of ``GROUP_BATCHES`` batches, each group sorted by length before it is cut into batches,
    so that batches change every epoch but hold little padding (as transformers' length-grouped
    sampler); then the batches are shuffled. Every example once; ``ceil(len(examples) / size)`` batches."""
    order = list(range(len(examples)))
    shuffler.shuffle(order)
    batches = []
    for start in range(0, len(order), size * GROUP_BATCHES):
        group = sorted(order[start : start + size * GROUP_BATCHES], key=lambda i: len(examples[i].ids))
        batches += [group[first : first + size] for first in range(0, len(group), size)]
    shuffler.shuffle(batches)
    return batches


def completion_loss(model: Any, input_ids: Any, mask: Any, labels: Any) -> Any:
    """The mean cross-entropy of the learnt tokens, as ``LlamaForCausalLM(..., labels=labels).loss``,
    but the output layer (a vocabulary-wide matrix product) only runs where a token is learnt, not
    on the prompt and padding."""
    import torch

    hidden = model.model(input_ids=input_ids, attention_mask=mask, use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    learnt = targets != IGNORED
    logits = model.lm_head(hidden[:, :-1][learnt])
    return torch.nn.functional.cross_entropy(logits.float(), targets[learnt])


def _llama(state: dict[str, np.ndarray], config: dict[str, Any]) -> Any:
    """A ``LlamaForCausalLM`` of ``config`` (a ``config.json``) holding ``state``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    settings = {k: v for k, v in config.items() if k not in ("architectures", "model_type")}
    model = LlamaForCausalLM(LlamaConfig(**settings))
    missing, unexpected = model.load_state_dict(
        {name: torch.tensor(value, dtype=torch.float32) for name, value in state.items()}, strict=False
    )
    tied = {"lm_head.weight"} if config.get("tie_word_embeddings") else set()
    if set(missing) - tied or unexpected:
        raise ValueError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
    return model


def _batch(examples: Sequence[EncodedExample]) -> tuple[Any, Any, Any]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels`` (context and padding not learnt)."""
    import torch

    width = max(len(e.ids) for e in examples)
    ids = torch.zeros((len(examples), width), dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORED, dtype=torch.long)
    for row, example in enumerate(examples):
        length = len(example.ids)
        ids[row, :length] = torch.tensor(example.ids)
        mask[row, :length] = 1
        labels[row, example.context : length] = ids[row, example.context : length]
    return ids, mask, labels
