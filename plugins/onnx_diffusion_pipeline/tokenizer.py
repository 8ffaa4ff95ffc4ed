"""CLIP's BPE tokenizer from a pipeline's ``tokenizer/vocab.json`` and ``merges.txt``, with ``tokenizers``.

The same normaliser, pre-tokeniser and BPE model as transformers' ``CLIPTokenizer``: text is
NFC-normalised, whitespace-collapsed and lower-cased, split into words, numbers and punctuation,
byte-encoded, and merged with ``</w>`` marking each word's end; ids are wrapped in the start and
end tokens, cut to ``model_max_length`` and padded to it with the pad token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE

from aigc.core.sdk import PluginLoadError

SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
DEFAULTS = {
    "bos_token": "<|startoftext|>",
    "eos_token": "<|endoftext|>",
    "pad_token": "<|endoftext|>",
    "unk_token": "<|endoftext|>",
    "model_max_length": 77,
}


def _settings(folder: Path) -> dict[str, Any]:
    """Special tokens and length from ``tokenizer_config.json`` (then ``special_tokens_map.json``)."""
    settings: dict[str, Any] = dict(DEFAULTS)
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        path = folder / name
        if path.is_file():
            for key, value in json.loads(path.read_text()).items():
                if key in DEFAULTS and value is not None:
                    settings[key] = value.get("content") if isinstance(value, dict) else value
    if int(settings["model_max_length"]) > 4096:  # transformers' "no limit" placeholder
        settings["model_max_length"] = DEFAULTS["model_max_length"]
    return settings


class ClipTokenizer:
    """Prompts as padded id rows of ``length`` tokens, as Stable Diffusion's text encoder takes them."""

    def __init__(self, folder: Path) -> None:
        try:
            vocab = json.loads((folder / "vocab.json").read_text())
            lines = (folder / "merges.txt").read_text().splitlines()
        except FileNotFoundError as error:
            raise PluginLoadError(f"the pipeline's tokenizer lacks {Path(error.filename).name}") from None
        pairs = [line.split() for line in lines if line and not line.startswith("#version")]
        merges = [(pair[0], pair[1]) for pair in pairs]
        settings = _settings(folder)
        for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
            if settings[key] not in vocab:
                raise PluginLoadError(f"tokenizer {key} {settings[key]!r} is not in vocab.json")
        tokenizer = Tokenizer(
            BPE(
                vocab=vocab,
                merges=merges,
                continuing_subword_prefix="",
                end_of_word_suffix="</w>",
                fuse_unk=False,
                unk_token=settings["unk_token"],
            )
        )
        tokenizer.normalizer = normalizers.Sequence(
            [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
        )
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(SPLIT), behavior="removed", invert=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False),
            ]
        )
        tokenizer.decoder = decoders.ByteLevel()
        bos, eos = settings["bos_token"], settings["eos_token"]
        tokenizer.post_processor = processors.RobertaProcessing(
            (eos, vocab[eos]), (bos, vocab[bos]), trim_offsets=False, add_prefix_space=False
        )
        self.length = int(settings["model_max_length"])
        tokenizer.enable_truncation(self.length)
        tokenizer.enable_padding(length=self.length, pad_id=vocab[settings["pad_token"]])
        self.tokenizer = tokenizer

    def __call__(self, texts: list[str]) -> np.ndarray:
        """``[len(texts), length]`` int64 ids."""
        return np.array([encoding.ids for encoding in self.tokenizer.encode_batch(texts)], dtype=np.int64)
