"""``aigc tune``: fine-tune a registered model on a dataset and register the result as a version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from aigc.core.cli.state import console, errors, fail, print_json, state
from aigc.core.errors import AigcError


def tune(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="JSON Lines of examples, as `aigc dump --dataset` writes")],
    model: Annotated[
        str, typer.Option("--model", help="registered model to start from: NAME or NAME@VERSION")
    ],
    method: Annotated[str, typer.Option(help="lora (adapters merged into the weights) or full")] = "lora",
    epochs: Annotated[int, typer.Option(min=1, max=100, help="passes over the examples")] = 1,
    learning_rate: Annotated[
        float, typer.Option("--lr", min=1e-8, max=1.0, help="AdamW learning rate")
    ] = 2e-4,
    batch_size: Annotated[int, typer.Option(min=1, max=64, help="examples per step")] = 4,
    max_length: Annotated[int, typer.Option(min=8, max=8192, help="longest example in tokens")] = 512,
    lora_rank: Annotated[int, typer.Option(min=1, max=256, help="LoRA rank")] = 8,
    lora_alpha: Annotated[int, typer.Option(min=1, max=1024, help="LoRA alpha (scale: alpha / rank)")] = 16,
    variant: Annotated[
        str,
        typer.Option(
            help="the version's weights: quantized (8-bit blocks where the parent has blocks) or fp32"
        ),
    ] = "quantized",
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="seed of initialisation and order")] = 0,
    version: Annotated[
        str | None, typer.Option(help="version name (default: derived from model, data and settings)")
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(help="the GGUF file the model was converted from, if aigc cannot find it itself"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the version as JSON")] = False,
) -> None:
    """Fine-tune a registered Llama model on CPU (LoRA merged, or full), convert it to ONNX and register
    it as NAME@VERSION with its lineage; running it again with the same inputs does nothing.
    Needs the train extra (pip install 'aigc\\[train]')."""
    from pydantic import ValidationError

    from aigc.core.tuning.training import Hyperparameters
    from aigc.core.tuning.tune import tune as run_tune

    try:
        hyperparameters = Hyperparameters.model_validate(
            {
                "method": method,
                "epochs": epochs,
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "max_length": max_length,
                "lora_rank": lora_rank,
                "lora_alpha": lora_alpha,
                "variant": variant,
            }
        )
    except ValidationError as error:
        problem = error.errors()[0]
        raise fail(f"--{problem['loc'][0]}: {problem['msg']}") from None
    settings = state(ctx).settings
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
    )
    try:
        with Progress(*columns, TimeRemainingColumn(), console=errors, transient=True) as bar:
            task = bar.add_task("preparing", total=None, loss="-")

            def progress(step: int, total: int, loss: float) -> None:
                bar.update(task, completed=step, total=total, loss=f"{loss:.4f}")

            def on_stage(stage: str) -> None:
                bar.update(task, description=stage)

            result = run_tune(
                settings.resolved_models_file,
                settings.data_dir / "models",
                state(ctx).engine.store.model_versions,
                dataset=dataset,
                model=model,
                hyperparameters=hyperparameters,
                seed=seed,
                version=version,
                base=base,
                progress=progress,
                on_stage=on_stage,
            )
    except AigcError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(
            {**result.version.model_dump(mode="json"), "created": result.created, "seconds": result.seconds}
        )
        return
    made = "registered" if result.created else "already registered"
    reference = result.version.reference
    took = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in result.seconds.items())
    console.print(
        f"{made} [bold]{escape(reference)}[/] (parent {escape(result.version.parent)}, "
        f"{escape(result.version.method)}, seed {result.version.seed})\n"
        + (f"took: {took}\n" if took else "")
        + f"use it: {escape(f'aigc generate onnx-causal-lm PROMPT -o model={reference}')}",
        highlight=False,
    )
