"""Options and helpers shared by commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from horizon.errors import UsageError
from horizon.textutil import parse_since
from horizon.workspace import Workspace

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]


def workspace(ctx: typer.Context) -> Workspace:
    obj = ctx.find_root().obj
    if not isinstance(obj, Workspace):  # called outside the root app (tests of a sub-app)
        obj = Workspace()
        ctx.find_root().obj = obj
    return obj


def output_format(as_json: bool, as_csv: bool = False) -> str:
    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    return "json" if as_json else "csv" if as_csv else "table"


# The largest integer SQLite stores. Ids, counts and limits given on the command line are held
# under it by their option's own range check, a usage error, before they reach a query.
SQLITE_INT_MAX = 2**63 - 1
ItemIdArg = Annotated[
    int, typer.Argument(help="The item's id (see `horizon items list`).", max=SQLITE_INT_MAX)
]


def check_sources(ws: Workspace, sources: list[str] | None) -> None:
    """A source named that the store has never had is a typo, not a filter that matches
    nothing: say so (sources removed from feeds.yaml stay in the store, and are known)."""
    if sources:
        known = {row[0] for row in ws.db.execute("SELECT id FROM sources")}
        for source in sources:
            if source not in known:
                raise UsageError(
                    f"--source: no source {source!r} in the store (see `horizon sources list`)"
                )


def since_option(value: str | None, name: str = "--since") -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None
