"""``aigc models``: model files, checked; ``aigc models add``: register a language model folder by path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aigc.core.cli.plugins import models
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.errors import InvalidRequestError

models_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
models_app.callback()(models)


@models_app.command("add")
def add(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="folder from `optimum-cli export onnx` or onnxruntime-genai")],
    name: Annotated[str, typer.Option("--name", help="name to choose it by: -o model=NAME")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register a language model folder for `onnx-causal-lm`; its files' sha256 are recorded and
    checked whenever it is loaded."""
    from aigc.core.registered_models import register_model

    models_file = state(ctx).settings.resolved_models_file
    try:
        model = register_model(models_file, path, name)
    except InvalidRequestError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(model.model_dump(mode="json"))
        return
    console.print(
        f"registered [bold]{model.name}[/] ({model.format}, {len(model.manifest.files)} files) "
        f"in {models_file}\n"
        f'use it: aigc generate onnx-causal-lm "Once upon a time" -o model={model.name}'
    )
