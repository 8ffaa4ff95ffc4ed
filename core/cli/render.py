"""Rich views of stored results.

Text from users, plugins and errors is never read as Rich markup: cells and lines are built as
``rich.text.Text`` (``plain`` turns a string into one), styles are set on the ``Text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aigc.core.schemas import Artifact, Evaluation, Generation, GenerationResult

STATUS_STYLE = {"accepted": "green", "rejected": "yellow", "failed": "red", "completed": "green"}
Cell = str | Text | None


def plain(value: Cell) -> Text:
    """``value`` as literal text: square brackets are shown as they are, never read as markup."""
    return value if isinstance(value, Text) else Text(value or "")


def add_plain_row(table: Table, cells: Iterable[Cell]) -> None:
    """Add a row whose string cells are literal text."""
    table.add_row(*(plain(cell) for cell in cells))


def simple_table(title: Cell, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Table:
    """A table of literal-text cells that fold rather than being cut."""
    table = Table(title=plain(title))
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        add_plain_row(table, row)
    return table


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, "white"))


def score_text(score: float | None) -> str:
    return "-" if score is None else f"{score:.3f}"


def artifact_text(artifact: Artifact) -> str:
    where = artifact.uri or (artifact.text or "")[:60].replace("\n", " ")
    return escape(f"#{artifact.id} {artifact.media_type} {where}")


def evaluation_text(evaluation: Evaluation) -> Text:
    if evaluation.error:
        return Text.assemble(f"{evaluation.metric}: ", ("error", "red"))
    mark = {True: "✓", False: "✗", None: "·"}[evaluation.passed]
    return Text(f"{evaluation.metric} {score_text(evaluation.score)} {mark}")


def generations_table(generations: Sequence[Generation], title: str | None = None) -> Table:
    table = Table(title=plain(title) if title else None, show_lines=False)
    for column in ("id", "generator", "seed", "status", "score", "evaluations", "artifacts"):
        table.add_column(column, overflow="fold")
    for g in generations:
        add_plain_row(
            table,
            (
                str(g.id),
                f"{g.generator}@{g.generator_version}",
                str(g.seed),
                status_text(g.status),
                score_text(g.score),
                Text("\n").join(evaluation_text(e) for e in g.evaluations) or "-",
                "\n".join(artifact_text(a) for a in g.artifacts),
            ),
        )
    return table


def requests_table(results: Sequence[GenerationResult], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "created", "generator", "status", "accepted", "error"):
        table.add_column(column, overflow="fold")
    for r in results:
        accepted = sum(g.status == "accepted" for g in r.generations)
        table.add_row(
            str(r.request_id),
            f"{r.created_at:%Y-%m-%d %H:%M:%S}",
            r.generator,
            status_text(r.status),
            f"{accepted}/{len(r.generations)}",
            escape(r.error or "-"),
        )
    return table


def result_summary(result: GenerationResult) -> Text:
    accepted = sum(g.status == "accepted" for g in result.generations)
    total_ms = result.timings.get("total_ms", 0.0)
    line = Text.assemble(
        f"request #{result.request_id} ",
        status_text(result.status),
        f": {accepted}/{len(result.generations)} accepted in {total_ms:.0f} ms",
    )
    for e in result.set_evaluations:
        line.append(f"\nset {e.evaluator}/{e.metric} over {e.sample_count}: ")
        if e.error:
            line.append(f"error: {e.error}", style="red")
        else:
            line.append(f"{_number(e.value)} (score {score_text(e.score)}) {e.reason}")
    if result.error:
        line.append(f"\n{result.error}", style="red")
    return line


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def generation_detail(g: Generation) -> Table:
    table = Table(show_header=False, title=f"generation #{g.id}")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows: dict[str, Cell] = {
        "request": f"#{g.request_id} (sample {g.index})",
        "created": g.created_at.isoformat(),
        "generator": f"{g.generator}@{g.generator_version}",
        "model sha256": g.model_sha256 or "-",
        "prompt": g.prompt or "-",
        "options": str(g.options),
        "seed": str(g.seed),
        "key": g.key,
        "status": status_text(g.status),
        "score": score_text(g.score),
        "reasons": "\n".join(g.reasons) or "-",
        "timings (ms)": ", ".join(f"{k}={v:.1f}" for k, v in g.timings.items()),
        "artifacts": "\n".join(artifact_text(a) for a in g.artifacts),
    }
    for name, value in rows.items():
        add_plain_row(table, (name, value))
    for e in g.evaluations:
        detail = Text(" ").join(plain(part) for part in (evaluation_text(e), e.reason, e.error) if part)
        add_plain_row(table, (e.evaluator, detail))
    return table
