"""A Hugging Face ``tokenizers`` byte-level BPE built from a GGUF file's vocabulary and merges.

GGUF keeps llama.cpp's tokenizer as metadata: ``tokenizer.ggml.model`` (``gpt2`` = byte-level
BPE), ``tokens``, ``merges``, ``token_type`` (3 = control, 4 = user-defined: both are matched as
whole tokens in text, as llama.cpp does with special-token parsing) and ``pre`` (the pre-tokenizer
llama.cpp applies before BPE). The JSON written here reproduces llama.cpp's splitting for the
pre-tokenizers in ``PRE_TOKENIZERS``; any other is a clear error naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigc.core.gguf.reader import GgufModel, UnsupportedGgufError

CONTROL, USER_DEFINED = 3, 4
_BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
_DIGITS = {"type": "Digits", "individual_digits": True}
# llama.cpp's LLAMA3 regex (tokenizer.ggml.pre = "llama-bpe"), as Meta's tokenizer.json writes it.
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
    r"|\s+(?!\S)|\s+"
)
PRE_TOKENIZERS: dict[str, dict[str, Any]] = {
    # GPT-2's regex only (llama.cpp: default, gpt2 and friends).
    "default": _BYTE_LEVEL,
    "gpt2": _BYTE_LEVEL,
    # Each digit alone, then GPT-2's regex (llama.cpp: smollm, starcoder, refact, codeshell).
    "smollm": {"type": "Sequence", "pretokenizers": [_DIGITS, _BYTE_LEVEL]},
    "starcoder": {"type": "Sequence", "pretokenizers": [_DIGITS, _BYTE_LEVEL]},
    "refact": {"type": "Sequence", "pretokenizers": [_DIGITS, _BYTE_LEVEL]},
    "llama-bpe": {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": _LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
            {**_BYTE_LEVEL, "use_regex": False},
        ],
    },
}


def _post_processor(bos: str | None) -> dict[str, Any] | None:
    """Prepend BOS when the GGUF says llama.cpp adds it (``tokenizer.ggml.add_bos_token``)."""
    if bos is None:
        return None
    single = [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]
    pair = [*single, {"Sequence": {"id": "B", "type_id": 1}}]
    return {
        "type": "TemplateProcessing",
        "single": single,
        "pair": pair,
        "special_tokens": {bos: {"id": bos, "ids": [0], "tokens": [bos]}},
    }


def tokenizer_json(model: GgufModel) -> dict[str, Any]:
    """The ``tokenizer.json`` document for ``model``; ``UnsupportedGgufError`` if llama.cpp's
    tokenizer for it cannot be reproduced."""
    meta = model.metadata
    kind = meta.get("tokenizer.ggml.model")
    if kind != "gpt2":
        raise UnsupportedGgufError(
            model.path,
            f"tokenizer.ggml.model {kind!r} is not supported (byte-level BPE, 'gpt2', is); "
            "SentencePiece ('llama') vocabularies are not converted yet",
        )
    pre = str(meta.get("tokenizer.ggml.pre") or "default")
    if pre not in PRE_TOKENIZERS:
        raise UnsupportedGgufError(
            model.path,
            f"pre-tokenizer {pre!r} is not supported; supported: {', '.join(sorted(PRE_TOKENIZERS))}",
        )
    tokens: list[str] = meta["tokenizer.ggml.tokens"]
    types: list[int] = meta.get("tokenizer.ggml.token_type") or [1] * len(tokens)
    merges: list[str] = meta.get("tokenizer.ggml.merges") or []
    added = [
        {
            "id": index,
            "content": token,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": kind_ == CONTROL,
        }
        for index, (token, kind_) in enumerate(zip(tokens, types, strict=True))
        if kind_ in (CONTROL, USER_DEFINED)
    ]
    bos_id = meta.get("tokenizer.ggml.bos_token_id")
    add_bos = bool(meta.get("tokenizer.ggml.add_bos_token", False)) and bos_id is not None
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": PRE_TOKENIZERS[pre],
        "post_processor": _post_processor(tokens[int(bos_id)] if add_bos and bos_id is not None else None),
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {token: index for index, token in enumerate(tokens)},
            "merges": [merge.split(" ", 1) for merge in merges],
        },
    }


def special_token(model: GgufModel, key: str) -> str | None:
    """The text of the special token ``tokenizer.ggml.<key>_token_id`` (e.g. ``eos``), if any."""
    index = model.metadata.get(f"tokenizer.ggml.{key}_token_id")
    return None if index is None else str(model.metadata["tokenizer.ggml.tokens"][int(index)])


def write_tokenizer(model: GgufModel, folder: Path) -> None:
    """Write ``tokenizer.json`` and ``tokenizer_config.json`` (chat template, special tokens)."""
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(model), ensure_ascii=False))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": special_token(model, "bos"),
        "eos_token": special_token(model, "eos"),
        "pad_token": special_token(model, "padding"),
        "unk_token": special_token(model, "unknown"),
        "add_bos_token": bool(model.metadata.get("tokenizer.ggml.add_bos_token", False)),
        "chat_template": model.metadata.get("tokenizer.chat_template"),
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
