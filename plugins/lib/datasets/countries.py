"""Questions about the world's countries, with their answers, as fine-tuning examples for chat models.

Source: the npm package ``countries-list@3.4.1`` (MIT, Annexare Studio: ``countries.min.json`` and
``continents.min.json``), fetched once with ``npm pack`` into a cache folder and never committed. For
each of its 252 countries and territories: "What is the capital of NAME?" (answered "The capital of
NAME is CAPITAL.", when the package names a capital) and "Which continent is NAME in?" ("NAME is in
CONTINENT."). ``HELD_OUT_FRACTION`` of the countries, drawn with ``SPLIT_SEED``, are held out with
both of their questions, so no held-out question is about a country seen in training.

    python -m aigc.plugins.lib.datasets.countries OUT [--cache build/countries]

writes ``OUT/train.jsonl`` (the examples, in the format of ``aigc dump --dataset``: ``messages`` and
``completion``) and ``OUT/held-out.jsonl`` (the same with ``answer``, the word a correct reply holds;
``aigc compare`` reads its ``messages``).
"""

from __future__ import annotations

import argparse
import json
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigc.plugins.lib.datasets.npm import fetch_archive, read_member

PACKAGE = "countries-list@3.4.1"
ARCHIVE = "countries-list-3.4.1.tgz"
DEFAULT_CACHE = Path("build") / "countries"
SPLIT_SEED = 20261201
HELD_OUT_FRACTION = 0.2
DATA_SOURCE = (
    f"npm {PACKAGE} (MIT): capitals and continents of 252 countries and territories; "
    f"{HELD_OUT_FRACTION:.0%} of countries held out, seed {SPLIT_SEED} (aigc.plugins.lib.datasets.countries)"
)


@dataclass(frozen=True)
class Question:
    """A question about ``country``, the reply to learn, and the word (``answer``) a correct reply holds."""

    country: str
    kind: str  # "capital" or "continent"
    question: str
    reply: str
    answer: str

    def example(self) -> dict[str, Any]:
        """The fine-tuning example: the question as a user turn, the reply as the completion."""
        return {"messages": [{"role": "user", "content": self.question}], "completion": self.reply}


def questions(countries: dict[str, dict[str, Any]], continents: dict[str, str]) -> list[Question]:
    """Both questions of every country (only the continent one where no capital is given)."""
    rows = []
    for code in sorted(countries):
        country = countries[code]
        name = str(country["name"])
        if country.get("capital"):
            capital = str(country["capital"])
            reply = f"The capital of {name} is {capital}."
            rows.append(Question(name, "capital", f"What is the capital of {name}?", reply, capital))
        continent = continents[country["continent"]]
        rows.append(
            Question(
                name, "continent", f"Which continent is {name} in?", f"{name} is in {continent}.", continent
            )
        )
    return rows


def split(rows: list[Question], seed: int, fraction: float) -> tuple[list[Question], list[Question]]:
    """(train, held out): ``round(fraction * countries)`` countries held out with all their questions."""
    names = sorted({row.country for row in rows})
    held = set(random.Random(seed).sample(names, round(fraction * len(names))))
    return [row for row in rows if row.country not in held], [row for row in rows if row.country in held]


def load_questions(cache: Path = DEFAULT_CACHE) -> list[Question]:
    """Every question, read from the package archive in ``cache`` (fetched first if missing)."""
    with tarfile.open(fetch_archive(cache, PACKAGE, ARCHIVE)) as archive:
        countries = json.loads(read_member(archive, "countries.min.json"))
        continents = json.loads(read_member(archive, "continents.min.json"))
    return questions(countries, continents)


def write(out: Path, cache: Path = DEFAULT_CACHE) -> tuple[Path, Path]:
    """Write ``out/train.jsonl`` and ``out/held-out.jsonl``; return their paths."""
    train, held_out = split(load_questions(cache), SPLIT_SEED, HELD_OUT_FRACTION)
    out.mkdir(parents=True, exist_ok=True)
    train_file, held_out_file = out / "train.jsonl", out / "held-out.jsonl"
    train_file.write_text("".join(json.dumps(row.example()) + "\n" for row in train))
    held_out_file.write_text(
        "".join(
            json.dumps({**row.example(), "kind": row.kind, "answer": row.answer}) + "\n" for row in held_out
        )
    )
    return train_file, held_out_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for train.jsonl and held-out.jsonl")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder for the npm archive")
    args = parser.parse_args()
    for path in write(args.out, args.cache):
        print(f"{path}: {sum(1 for _ in path.open())} questions")


if __name__ == "__main__":
    main()
