"""The ``aigc`` Typer application."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aigc.core.cli import (
    chat,
    compare,
    demo,
    doctor,
    generate,
    jobs,
    keys,
    models,
    plugin,
    plugins,
    results,
    scheduling,
    serve,
    tune,
)
from aigc.core.cli.state import CliState, state
from aigc.core.config import Settings

app = typer.Typer(
    name="aigc",
    help="Generate text, images and music with your own models; evaluate, accept and store every output.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="data folder (env AIGC_HOME; default ./aigc-data)")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="SQLAlchemy URL (env AIGC_DATABASE_URL; default SQLite in the data folder)"
        ),
    ] = None,
) -> None:
    """Global options."""
    previous = ctx.obj if isinstance(ctx.obj, CliState) else None
    ctx.obj = CliState(
        Settings.from_env(data_dir=data_dir, database_url=database_url),
        _registry=previous._registry if previous else None,
    )


app.command("generate")(generate.generate)
app.command("chat")(chat.chat)
app.command("tune")(tune.tune)
app.command("compare")(compare.compare)
app.command("plugins")(plugins.plugins)
app.add_typer(models.models_app, name="models")
app.command("feedback")(results.feedback)
app.command("dump")(results.dump)
app.command("export", hidden=True, help="Old name of `aigc dump`, kept for one release.")(results.dump)
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.add_typer(results.results_app, name="results")
app.add_typer(plugin.plugin_app, name="plugin")
app.command("serve")(serve.serve)
app.add_typer(keys.keys_app, name="api-keys")
app.add_typer(
    keys.keys_app, name="keys", hidden=True, help="Old name of `aigc api-keys`, kept for one release."
)
app.add_typer(jobs.jobs_app, name="jobs")
app.command("scheduler")(scheduling.scheduler)
app.command("gc")(scheduling.gc)


def main() -> None:
    """Entry point of the ``aigc`` command: plugins may add commands before it runs."""
    cli_state = CliState()
    cli_state.registry.register_commands(app)
    app(obj=cli_state)


__all__ = ["app", "main", "state"]
