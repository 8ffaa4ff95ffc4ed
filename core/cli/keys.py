"""``aigc api-keys``: create, list and revoke API keys for the HTTP API and the gallery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from aigc.core.cli.state import console, errors, fail, print_json, state
from aigc.core.errors import NotFoundError
from aigc.storage.api_keys import ApiKeyStore, Scope

keys_app = typer.Typer(help="Manage API keys (only their sha256 is stored).", no_args_is_help=True)


def _keys(ctx: typer.Context) -> ApiKeyStore:
    return state(ctx).engine.store.api_keys


@keys_app.command("create")
def create(
    ctx: typer.Context,
    scope: Annotated[Scope, typer.Option(help="read (view and rate), generate (+ run requests) or admin")],
    name: Annotated[str, typer.Option(help="who or what uses the key")] = "default",
    expires_in_days: Annotated[
        float | None,
        typer.Option(min=0.001, max=36_500, help="days until the key stops working (default: never)"),
    ] = None,
) -> None:
    """Create a key and print its token (shown only this once)."""
    expires_at = None if expires_in_days is None else datetime.now(UTC) + timedelta(days=expires_in_days)
    key, token = _keys(ctx).create(name, scope, expires_at)
    typer.echo(token)
    errors.print(  # on stderr, so that `TOKEN=$(aigc api-keys create ...)` captures the token alone
        f"key #{key.id} {key.name!r} ({key.scope}); store the token now, it cannot be shown again",
        style="dim",
        markup=False,
    )


@keys_app.command("list")
def list_keys(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key, revoked ones included."""
    keys = _keys(ctx).list()
    if as_json:
        print_json([k.model_dump(mode="json") for k in keys])
        return
    table = Table("id", "name", "token starts", "scope", "created", "revoked", "expires")
    for k in keys:
        table.add_row(str(k.id), Text(k.name), k.prefix + "…", k.scope, f"{k.created_at:%Y-%m-%d %H:%M}",
                      f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
                      f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "")  # fmt: skip
    console.print(table)


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="key id (see aigc api-keys list)")]
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    try:
        key = _keys(ctx).revoke(key_id)
    except NotFoundError as error:
        raise fail(str(error)) from None
    console.print(f"key #{key.id} {key.name!r} revoked", markup=False)
