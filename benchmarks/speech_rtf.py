"""Speech real-time factor of speech-piper against Piper's own package, on the same voice.

    python benchmarks/speech_rtf.py [--threads 2] [--concurrency 1 8] [--requests 2] [--repeats 2]
        [--data DIR]

Both contenders speak the same texts (short paragraphs of one to three sentences) with the
joe-us voice (``aigc models install joe-us``; ``--data`` is the AIGC_HOME it is installed in) at
the voice's default noise settings, each in its own process, with an ONNX Runtime intra-op pool of
``--threads`` threads:

- ``aigc``: ``SpeechPiperGenerator.generate`` (one input per request, ``format=wav``): espeak-ng
  phonemes, the sentences of a request as padded batches, WAV encoding;
- ``aigc, session pool``: the same with ``AIGC_THREAD_POOL=session`` (the voice's session has its
  own pool, as Piper's has, instead of the process-wide one);
- ``piper``: ``piper.PiperVoice.synthesize`` (piper-tts 1.8, installed with ``--no-deps``), one
  sentence per call, int16 samples joined (no file encoding).

``--concurrency C`` runs C threads, each sending ``--requests`` requests one after the other
(the texts in turn). Real-time factor = seconds of audio produced / seconds of wall time, so
above 1 is faster than real time. Median of ``--repeats`` runs after one warm-up request per
thread. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "Good morning! The train to Boston leaves from platform four at nine fifteen.",
    "Speech synthesis turns written text into sound. Each sentence is spoken in turn.",
    "Please remember to water the plants on Tuesday, and to feed the cat twice a day.",
    "Why is the sky blue? Sunlight is scattered by the air, and blue light is scattered the most.",
    "It was a bright cold day in April, and the clocks were striking thirteen.",
    "Turn left at the next corner. Then continue straight for about two hundred metres.",
    "Thank you for calling. All of our agents are busy right now; please stay on the line.",
)
CONTENDERS = ("aigc", "aigc, session pool", "piper")


def aigc_speaker(data: Path, threads: int) -> Callable[[str], float]:
    """A function speaking one text through the generator; returns seconds of audio."""
    os.environ["AIGC_HOME"] = str(data)
    from aigc.core.config import Settings
    from aigc.core.sdk import ModelRuntime, PluginContext
    from aigc.core.specs import GeneratorInput
    from aigc.plugins.speech_piper.generator import SpeechPiperGenerator
    from aigc.plugins.speech_piper.options import SpeechOptions

    generator = SpeechPiperGenerator(PluginContext(ModelRuntime(threads=threads), Settings(data_dir=data)))
    options = SpeechOptions(format="wav", sentence_silence=0.0)

    def speak(text: str) -> float:
        [[artifact]] = generator.generate([GeneratorInput(prompt=text)], options, [0])
        return float(artifact.metadata["seconds"])

    return speak


def piper_speaker(data: Path, threads: int) -> Callable[[str], float]:
    """A function speaking one text with Piper's own synthesiser; returns seconds of audio."""
    import json as json_module

    import numpy as np
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    from aigc.core.piper_voices import JOE_US

    folder = JOE_US.folder(data, "medium")
    onnx = next(folder.glob("*.onnx"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json_module.loads(onnx.with_name(onnx.name + ".json").read_text()))
    voice = PiperVoice(session=session, config=config)

    def speak(text: str) -> float:
        audio = np.concatenate([chunk.audio_int16_array for chunk in voice.synthesize(text)])
        return len(audio) / config.sample_rate

    return speak


def run_level(speak: Callable[[str], float], concurrency: int, requests: int) -> tuple[float, float]:
    """``(seconds of audio, wall seconds)`` of ``concurrency`` threads sending ``requests`` each."""
    audio = [0.0] * concurrency
    start = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        speak(TEXTS[index % len(TEXTS)])  # warm-up
        start.wait()
        for k in range(requests):
            audio[index] += speak(TEXTS[(index + k) % len(TEXTS)])

    workers = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return sum(audio), time.perf_counter() - began


def worker(args: argparse.Namespace) -> None:
    speaker = piper_speaker if args.worker == "piper" else aigc_speaker
    speak = speaker(args.data, args.threads)
    results = {}
    for concurrency in args.concurrency:
        runs = [run_level(speak, concurrency, args.requests) for _ in range(args.repeats)]
        factors = [audio / wall for audio, wall in runs]
        results[concurrency] = {"rtf": statistics.median(factors), "audio_s": runs[0][0]}
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--requests", type=int, default=2, help="requests per thread and run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("AIGC_HOME", "aigc-data")))
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    rows: dict[str, Any] = {}
    for contender in CONTENDERS:
        command = [sys.executable, __file__, "--worker", contender, "--data", str(args.data)]
        command += [
            "--threads",
            str(args.threads),
            "--requests",
            str(args.requests),
            "--repeats",
            str(args.repeats),
        ]
        command += ["--concurrency", *map(str, args.concurrency)]
        pool = "session" if contender == "aigc, session pool" else "shared"
        environment = os.environ | {"AIGC_THREAD_POOL": pool}
        done = subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
        rows[contender] = json.loads(done.stdout.strip().splitlines()[-1])
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {args.threads} threads, {args.requests} requests per client\n")
    print("| concurrent requests | contender | seconds of audio | real-time factor | vs piper |")
    print("|---:|---|---:|---:|---:|")
    for concurrency in args.concurrency:
        key = str(concurrency)
        for contender in CONTENDERS:
            row = rows[contender][key]
            ratio = row["rtf"] / rows["piper"][key]["rtf"]
            print(f"| {concurrency} | {contender} | {row['audio_s']:.1f} | {row['rtf']:.2f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
