"""`horizon plugins`: what was loaded, from where, with which hooks."""

from __future__ import annotations

import typer

from horizon.commands.common import JsonOpt, output_format, workspace
from horizon.output import render


def plugins(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List loaded plugins (built-in, entry points, plugin folders) and any that failed."""
    ws = workspace(ctx)
    loaded = ws.plugins
    rows = [
        {"name": p.name, "origin": p.origin, "hooks": p.hooks, "error": p.error}
        for p in loaded.info
    ]
    render(rows, ["name", "origin", "hooks", "error"], fmt=output_format(as_json))


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
