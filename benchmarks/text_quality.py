"""Pass rate and mean scores of text-transformer outputs under the default acceptance policy.

    python benchmarks/text_quality.py [--prompts 200] [--words 6] [--data-dir build/text-quality]

Prompts are the first ``--words`` words of ``--prompts`` held-out documents of the text-transformer
corpus (``build/text_transformer/corpus/held_out.txt``, prepared from the Debian text packages by
``python -m aigc.plugins.text_transformer.corpus``), taken at an even stride. Each prompt is one
request of ``text-transformer`` (default options, seed = prompt number) with the evaluators
``text-perplexity``, ``text-repetition``, ``text-safety``, ``text-memorization`` and
``text-relevance`` at their default options and the default ``AcceptancePolicy`` (every
verdict must pass, equal weights), run and stored by the engine. The peer row scores the real
continuation of the same documents (the held-out text after the prompt, as many words as the
generated text has on average) with the same evaluator objects and policy. ``distinct-n`` and
self-BLEU are computed over each set of texts as ``text-diversity`` does. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import track

from aigc.core.config import Settings
from aigc.core.engine import Engine
from aigc.core.policy import decide
from aigc.core.specs import ArtifactData, EvalItem, Evaluator
from aigc.plugins.lib.text_metrics.diversity import distinct_n, self_bleu
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.text_transformer.corpus import DEFAULT_OUT, read_documents
from aigc.storage.records import NewEvaluation

EVALUATORS = ("text-perplexity", "text-repetition", "text-safety", "text-memorization", "text-relevance")
METRICS = ("perplexity", "repetition", "profanity", "pii", "ngram_overlap", "verbatim_span", "relevance")


@dataclass
class Tally:
    """Outcomes of one set of texts: acceptance, scores, metric values and rejection reasons."""

    texts: list[str] = field(default_factory=list)
    accepted: int = 0
    scores: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)

    def add(self, text: str, accepted: bool, score: float | None, results: Sequence[NewEvaluation]) -> None:
        self.texts.append(text)
        self.accepted += accepted
        if score is not None:
            self.scores.append(score)
        for r in results:
            if r.result.value is not None:
                self.values.setdefault(r.result.metric, []).append(r.result.value)
            if r.result.error is not None or r.result.passed is False:
                self.failed[f"{r.evaluator}/{r.result.metric}"] += 1


def prompts_and_continuations(corpus: Path, count: int, prompt_words: int) -> list[tuple[str, str]]:
    """(first words, the rest) of ``count`` held-out documents with more than twice as many words."""
    documents = [d.split() for d in read_documents(corpus / "held_out.txt")]
    usable = [d for d in documents if len(d) > 2 * prompt_words]
    stride = max(1, len(usable) // count)
    return [(" ".join(d[:prompt_words]), " ".join(d[prompt_words:])) for d in usable[::stride][:count]]


def run_generated(engine: Engine, prompts: Sequence[str]) -> Tally:
    tally = Tally()
    for seed, prompt in enumerate(track(prompts, description="text-transformer")):
        result = engine.generate(
            {"generator": "text-transformer", "prompt": prompt, "seed": seed, "evaluators": list(EVALUATORS)}
        )
        [generation] = result.generations
        results = [NewEvaluation(e.evaluator, e.evaluator_version, e, None) for e in generation.evaluations]
        tally.add(
            generation.artifacts[0].text or "", generation.status == "accepted", generation.score, results
        )
    return tally


def run_reference(engine: Engine, pairs: Sequence[tuple[str, str]], length: int) -> Tally:
    evaluators = {name: engine.evaluator(engine.registry.evaluators[name]) for name in EVALUATORS}
    options = {name: engine.registry.evaluators[name].options() for name in EVALUATORS}
    tally = Tally()
    for prompt, rest in track(pairs, description="held-out text"):
        text = " ".join(rest.split()[:length])
        item = EvalItem(ArtifactData("text/plain", text=text), prompt, "held-out", {})
        results = []
        for name, evaluator in evaluators.items():
            assert isinstance(evaluator, Evaluator)
            [item_results] = evaluator.evaluate([item], options[name])
            results += [
                NewEvaluation(name, engine.registry.evaluators[name].version, r, 0) for r in item_results
            ]
        decision = decide(None, results)
        tally.add(text, decision.accepted, decision.score, results)
    return tally


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.3f}" if values else "-"


def print_tables(tallies: dict[str, Tally]) -> None:
    names = list(tallies)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows = {
        "texts": [str(len(t.texts)) for t in tallies.values()],
        "**accepted (pass rate)**": [f"{t.accepted / len(t.texts):.1%}" for t in tallies.values()],
        "mean overall score": [_mean(t.scores) for t in tallies.values()],
        "mean words per text": [_mean([len(words(x)) for x in t.texts]) for t in tallies.values()],
    }
    for metric in METRICS:
        rows[f"mean {metric}"] = [_mean(t.values.get(metric, [])) for t in tallies.values()]
    rows["median perplexity"] = [f"{statistics.median(t.values['perplexity']):.1f}" for t in tallies.values()]
    for n in (1, 2):
        rows[f"distinct-{n} (set)"] = [
            f"{distinct_n([words(x) for x in t.texts], n):.3f}" for t in tallies.values()
        ]
    rows["self-BLEU-4 (set, 64 drawn, seed 0)"] = [
        f"{self_bleu([words(x) for x in t.texts], 64, 0)[0]:.3f}" for t in tallies.values()
    ]
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nFailed verdicts (texts):\n")
    print("| evaluator/metric | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    keys = sorted(set().union(*(t.failed for t in tallies.values())))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(t.failed[key]) for t in tallies.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--words", type=int, default=6, help="words of each held-out document used as prompt")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT, help="prepared text-transformer corpus")
    parser.add_argument("--data-dir", type=Path, default=Path("build/text-quality"), help="AIGC_HOME to use")
    args = parser.parse_args()
    pairs = prompts_and_continuations(args.corpus, args.prompts, args.words)
    with Engine(Settings.from_env(data_dir=args.data_dir)) as engine:
        generated = run_generated(engine, [p for p, _ in pairs])
        length = round(statistics.fmean(len(t.split()) for t in generated.texts))
        reference = run_reference(engine, pairs, length)
    print_tables({"text-transformer": generated, "held-out text (peer)": reference})


if __name__ == "__main__":
    main()
