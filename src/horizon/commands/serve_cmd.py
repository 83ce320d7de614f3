"""`horizon serve`: browse the store in Datasette (optional extra `horizon-scan[web]`)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from horizon.commands.common import workspace
from horizon.serve import metadata, require_datasette


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8001,
) -> None:
    """Open the store in Datasette, read-only: tables and columns described, full-text search,
    facets on theme, source and status, and canned queries (this week's signals per theme,
    source health, the watchlist). Needs `pip install 'horizon-scan\\[web]'`."""
    require_datasette()
    ws = workspace(ctx)
    path = ws.db_path
    # an error if there is no store; applies pending migrations before Datasette reads it
    ws.db  # noqa: B018
    ws.close()
    with tempfile.TemporaryDirectory(prefix="horizon-serve-") as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(path.stem)), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(path),
            "--metadata",
            str(meta),
            "--host",
            host,
            "--port",
            str(port),
            "--setting",
            "default_allow_sql",
            "off",  # canned queries only, no ad hoc SQL
            "--setting",
            "sql_time_limit_ms",
            "3000",
        ]
        child = subprocess.Popen(command)
        # Stopping `horizon serve` (Ctrl-C, SIGTERM from a service manager) stops Datasette.
        previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.terminate()
            child.wait()
            code = 0
        finally:
            signal.signal(signal.SIGTERM, previous)
        raise typer.Exit(code if code >= 0 else 0)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
