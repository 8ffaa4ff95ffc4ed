"""Rich views of stored results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.markup import escape
from rich.table import Table

from aigc.core.schemas import Artifact, Evaluation, Generation, GenerationResult

STATUS_STYLE = {"accepted": "green", "rejected": "yellow", "failed": "red", "completed": "green"}


def simple_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> Table:
    """A table whose cells fold rather than being cut."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def status_text(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def score_text(score: float | None) -> str:
    return "-" if score is None else f"{score:.3f}"


def artifact_text(artifact: Artifact) -> str:
    where = artifact.uri or (artifact.text or "")[:60].replace("\n", " ")
    return escape(f"#{artifact.id} {artifact.media_type} {where}")


def evaluation_text(evaluation: Evaluation) -> str:
    if evaluation.error:
        return f"{evaluation.metric}: [red]error[/]"
    mark = {True: "✓", False: "✗", None: "·"}[evaluation.passed]
    return f"{evaluation.metric} {score_text(evaluation.score)} {mark}"


def generations_table(generations: Sequence[Generation], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "generator", "seed", "status", "score", "evaluations", "artifacts"):
        table.add_column(column, overflow="fold")
    for g in generations:
        table.add_row(
            str(g.id),
            f"{g.generator}@{g.generator_version}",
            str(g.seed),
            status_text(g.status),
            score_text(g.score),
            "\n".join(evaluation_text(e) for e in g.evaluations) or "-",
            "\n".join(artifact_text(a) for a in g.artifacts),
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


def result_summary(result: GenerationResult) -> str:
    accepted = sum(g.status == "accepted" for g in result.generations)
    total_ms = result.timings.get("total_ms", 0.0)
    line = (
        f"request #{result.request_id} {status_text(result.status)}: {accepted}/{len(result.generations)} "
        f"accepted in {total_ms:.0f} ms"
    )
    for e in result.set_evaluations:
        shown = (
            f"[red]error: {e.error}[/]"
            if e.error
            else f"{_number(e.value)} (score {score_text(e.score)}) {e.reason}"
        )
        line += f"\nset {e.evaluator}/{e.metric} over {e.sample_count}: {shown}"
    return line + (f"\n[red]{escape(result.error)}[/]" if result.error else "")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def generation_detail(g: Generation) -> Table:
    table = Table(show_header=False, title=f"generation #{g.id}")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows = {
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
        table.add_row(name, value)
    for e in g.evaluations:
        table.add_row(f"{e.evaluator}", f"{evaluation_text(e)} {e.reason} {e.error or ''}".strip())
    return table
