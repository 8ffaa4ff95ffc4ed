"""Piper's own synthesiser (the ``piper-tts`` package), run in its own process.

Piper makes its ONNX Runtime session with a thread pool of its own, which a process whose
sessions share aigc's pool refuses, so tests and benchmarks call this script in a subprocess:

    python tests/plugins/piper_reference.py VOICE.onnx OUT.npz < request.json

``request.json``: ``{"text", "noise_scale", "length_scale", "noise_w"}``. ``OUT.npz`` holds
``ids_<i>`` (phoneme ids) and ``audio_<i>`` (int16 samples) of each sentence ``i``.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from piper import PiperVoice, SynthesisConfig


def main() -> None:
    voice_path, out = sys.argv[1], sys.argv[2]
    request = json.load(sys.stdin)
    voice = PiperVoice.load(voice_path)
    config = SynthesisConfig(
        noise_scale=request["noise_scale"],
        length_scale=request["length_scale"],
        noise_w_scale=request["noise_w"],
    )
    arrays = {}
    for index, chunk in enumerate(voice.synthesize(request["text"], config)):
        arrays[f"ids_{index}"] = np.array(chunk.phoneme_ids, np.int64)
        arrays[f"audio_{index}"] = chunk.audio_int16_array
    np.savez(out, **arrays)


if __name__ == "__main__":
    main()
