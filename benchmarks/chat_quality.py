"""SmolLM2's answers to 50 instruction prompts through the text quality gate.

    python benchmarks/chat_quality.py [--data-dir build/chat-quality] [--max-new-tokens 160]

Each prompt below (product blurbs, summaries, short stories, emails, explanations, lists; written
for this benchmark) is one ``smollm2`` request (the installed ``quantized`` variant, default
sampling options, seed = prompt number) with the evaluators of the text quality gate that load
(``text-repetition``, ``text-safety``, ``text-memorization``, ``text-perplexity`` and, with the
``relevance`` extra, ``text-relevance``) at their default options and the default
``AcceptancePolicy``, run and stored by the engine. Needs ``aigc models install smollm2`` in the
data folder's ``AIGC_HOME`` (the script installs it if missing). Prints Markdown: the pass rate,
the mean score, the mean of each metric's value, the reasons for rejections, and three answers.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections import Counter
from pathlib import Path

from rich.progress import track

PROMPTS = (
    "Write a two-sentence product description for a stainless steel water bottle.",
    "Write a short product blurb for noise-cancelling headphones.",
    "Describe a handmade ceramic coffee mug for an online shop in three sentences.",
    "Write a catchy tagline for a neighbourhood bakery.",
    "Write a product description for a waterproof hiking backpack.",
    "Write a one-paragraph description of a cosy wool blanket for a catalogue.",
    "Write a short description of a smart LED desk lamp.",
    "Write an upbeat product blurb for a reusable shopping bag.",
    "Summarise in one sentence: The city council voted to extend library opening hours to 9 pm on "
    "weekdays after a survey showed strong demand from students.",
    "Summarise in one sentence: A local football club won its first championship in twenty years after a "
    "late goal in the final minute of the match.",
    "Summarise: Regular exercise improves mood, sleep and heart health, and even short daily walks help.",
    "Summarise in two sentences why drinking enough water matters.",
    "Summarise the story of Little Red Riding Hood in three sentences.",
    "Summarise in one sentence: The company reported higher sales this quarter thanks to strong demand "
    "for its new phone.",
    "Write a very short story about a robot who learns to paint.",
    "Write a short story about a lost cat finding its way home.",
    "Write a four-line poem about the ocean.",
    "Write a short bedtime story about a friendly dragon.",
    "Write a short story that begins with: The old lighthouse keeper heard a knock at midnight.",
    "Write a haiku about autumn leaves.",
    "Write a limerick about a forgetful chef.",
    "Write a short fable about a tortoise and a bird.",
    "Write a polite email to a customer explaining that their order will arrive two days late.",
    "Write a short email inviting colleagues to a team lunch on Friday.",
    "Write an email thanking a client for a productive meeting.",
    "Write a brief email asking a landlord to fix a leaking tap.",
    "Write a friendly reminder email about a dentist appointment tomorrow at 10 am.",
    "Write a short email to a teacher saying a child will miss school today because of a cold.",
    "Write a follow-up email after a job interview.",
    "Write an out-of-office reply for a two-week holiday.",
    "Explain what photosynthesis is to a ten-year-old.",
    "Explain why the sky is blue in simple words.",
    "Explain what a computer password is and why it should be strong.",
    "Explain the difference between weather and climate.",
    "Explain how a rainbow forms.",
    "Explain what recycling is and why it helps.",
    "Explain what a budget is in two sentences.",
    "Explain what gravity does.",
    "List three tips for a good night's sleep.",
    "List five fruits that are high in vitamin C.",
    "Give three ideas for a rainy-day activity with children.",
    "List three ways to save energy at home.",
    "Give four tips for writing a clear email.",
    "List three benefits of reading books.",
    "Suggest three names for a new coffee shop.",
    "Give three tips for staying focused while studying.",
    "Write a social media post announcing a summer sale.",
    "Write a short welcome message for new members of a book club.",
    "Write a short speech thanking volunteers at a charity event.",
    "Write a recipe introduction for homemade tomato soup.",
)
EVALUATORS = ("text-repetition", "text-safety", "text-memorization", "text-perplexity", "text-relevance")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("build/chat-quality"))
    parser.add_argument("--max-new-tokens", type=int, default=160)
    args = parser.parse_args()
    os.environ["AIGC_HOME"] = str(args.data_dir)
    from aigc.core.config import Settings
    from aigc.core.engine import Engine
    from aigc.core.errors import PluginLoadError
    from aigc.core.model_install import installables

    installables()["smollm2"].install(args.data_dir, ["quantized"])
    with Engine(Settings(data_dir=args.data_dir)) as engine:
        usable = []
        for name in EVALUATORS:
            try:
                engine.evaluator(engine.registry.evaluators[name])
                usable.append(name)
            except PluginLoadError as error:
                print(f"(not evaluating with {name}: {error})")
        results = [
            engine.generate(
                {
                    "generator": "smollm2",
                    "prompt": prompt,
                    "options": {"max_new_tokens": args.max_new_tokens},
                    "seed": index,
                    "evaluators": usable,
                }
            ).generations[0]
            for index, prompt in enumerate(track(PROMPTS, description="answering"))
        ]
    accepted = [g for g in results if g.status == "accepted"]
    scores = [g.score for g in results if g.score is not None]
    values: dict[str, list[float]] = {}
    reasons: Counter[str] = Counter()
    for generation in results:
        for evaluation in generation.evaluations:
            if evaluation.value is not None:
                values.setdefault(f"{evaluation.evaluator}/{evaluation.metric}", []).append(evaluation.value)
        reasons.update(generation.reasons if generation.status == "rejected" else [])
    print("\n| prompts | accepted | pass rate | mean score | evaluators |\n|---:|---:|---:|---:|---|")
    print(
        f"| {len(results)} | {len(accepted)} | {len(accepted) / len(results):.0%} | "
        f"{statistics.mean(scores) if scores else float('nan'):.3f} | {', '.join(usable)} |"
    )
    print("\n| metric | mean value |\n|---|---:|")
    for metric, metric_values in sorted(values.items()):
        print(f"| {metric} | {statistics.mean(metric_values):.3f} |")
    print("\nrejection reasons:", dict(reasons.most_common()) or "none")
    for generation in accepted[:3]:
        prompt = PROMPTS[results.index(generation)]
        print(f"\n> {prompt}\n\n{(generation.artifacts[0].text or '').strip()}\n")


if __name__ == "__main__":
    main()
