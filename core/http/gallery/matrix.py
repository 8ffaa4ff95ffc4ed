"""Comparisons over stored samples, as pure functions: a request's ``best_of`` candidates per output,
and a matrix of prompts by generator versions with each column's summary (``aigc.core.comparison``,
as ``aigc compare`` reports it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from aigc.core.comparison import TargetSummary, summarize
from aigc.core.schemas import Generation, GenerationResult
from aigc.storage.model_versions import ModelVersion

RowKey = tuple[str, int]  # (prompt, seed): samples of one input, one per column
ColumnKey = tuple[str, str, str]  # (generator, version, model file's sha256 prefix or "")
MODEL_PREFIX = 12


def candidates(result: GenerationResult) -> list[list[Generation]]:
    """The request's samples grouped per output: ``best_of`` consecutive candidates each (in order)."""
    ordered = sorted(result.generations, key=lambda g: g.index)
    size = max(1, result.best_of)
    groups: dict[int, list[Generation]] = defaultdict(list)
    for generation in ordered:
        groups[generation.index // size].append(generation)
    return [groups[output] for output in sorted(groups)]


def prompt_of(generation: Generation) -> str:
    """What a sample answered, as one line: its prompt, its conversation's last turn, or nothing."""
    if generation.messages:
        return generation.messages[-1].content
    return generation.prompt or ""


@dataclass(frozen=True)
class Matrix:
    """Samples arranged by input (rows) and generator version (columns); a cell holds the newest
    sample of its row and column (``None`` where that version never ran the input)."""

    columns: list[ColumnKey]
    rows: list[RowKey]
    cells: dict[tuple[RowKey, ColumnKey], Generation] = field(default_factory=dict)
    summaries: dict[ColumnKey, TargetSummary] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)

    def cell(self, row: RowKey, column: ColumnKey) -> Generation | None:
        """The sample at ``row`` and ``column``, if any."""
        return self.cells.get((row, column))


def build_matrix(generations: Sequence[Generation]) -> Matrix:
    """Arrange ``generations`` (any order) into a matrix: rows by (prompt, seed) in order of first
    appearance, columns by (generator, version, model file) sorted; each column's summary covers
    its cells."""
    cells: dict[tuple[RowKey, ColumnKey], Generation] = {}
    rows: dict[RowKey, None] = {}
    for generation in generations:
        row = (prompt_of(generation), generation.seed)
        model = (generation.model_sha256 or "")[:MODEL_PREFIX]
        column = (generation.generator, generation.generator_version, model)
        rows.setdefault(row)
        held = cells.get((row, column))
        if held is None or generation.id > held.id:
            cells[(row, column)] = generation
    columns = sorted({column for _, column in cells})
    summaries = {
        c: summarize(" ".join(filter(None, c)), [g for (_, column), g in cells.items() if column == c])
        for c in columns
    }
    metrics = sorted({m for s in summaries.values() for m in s.mean_scores})
    return Matrix(columns, list(rows), cells, summaries, metrics)


@dataclass(frozen=True)
class VersionTraffic:
    """A recorded model version beside what it served: its routed share and the samples it made."""

    version: ModelVersion
    samples: int


def traffic_split(
    versions: Sequence[ModelVersion], generations: Sequence[Generation]
) -> list[VersionTraffic]:
    """How many of ``generations`` each version served (the ``model`` option the sample ran with,
    after A/B routing), next to the share of traffic it is routed."""
    served = Counter(g.options.get("model") for g in generations)
    return [VersionTraffic(version, served[version.reference]) for version in versions]
