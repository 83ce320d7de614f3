"""`horizon digest`: the board's briefing for a period; `digest list` and `digest show N`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from horizon import digest, periods, queries
from horizon.commands.common import SQLITE_INT_MAX, JsonOpt, workspace
from horizon.config import describe_errors
from horizon.errors import ConfigError, UsageError
from horizon.output import console, progress_bar, render
from horizon.render import Renderer
from horizon.textutil import utcnow
from horizon.workspace import Workspace

app = typer.Typer(
    help="The board digest for a period (default: since the last digest).",
    invoke_without_command=True,
)


class DigestSettings(BaseModel):
    """feeds.yaml `digest:` (defaults for every digest)."""

    model_config = ConfigDict(extra="forbid")

    title: str = "horizon digest"
    unreviewed: int = Field(default=5, ge=0, le=50)
    history: int = Field(default=4, ge=0, le=24)
    baseline: int = Field(default=8, ge=2, le=52)
    similarity: float = Field(default=0.5, gt=0, le=1)
    min_count: int = Field(default=3, ge=1)
    z: float = Field(default=2.0, gt=0)


def _settings(ws: Workspace) -> DigestSettings:
    raw = ws.config.raw.get("digest") if ws.config_path else None
    try:
        return DigestSettings.model_validate(dict(raw or {}))
    except (ValidationError, TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise ConfigError(
                "\n".join(describe_errors(exc, f"{ws.config.name}, digest"))
            ) from None
        raise ConfigError(f"{ws.config.name}: 'digest' must be a mapping") from None


def renderers(ws: Workspace) -> dict[str, Renderer]:
    return ws.plugins.collect("register_renderers", "renderer")


def _renderer(ws: Workspace, fmt: str) -> Renderer:
    available = renderers(ws)
    if fmt not in available:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(sorted(available))}")
    return available[fmt]


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()  # a stdout that cannot take it fails here, before the record
    else:
        out.write_text(text, encoding="utf-8")
        console(stderr=True).print(f"Wrote {out}")


@app.callback()
def make_digest(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", "-p", help="A week (2026-W48), month (2026-11), quarter (2026-Q4) or year."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, included (YYYY-MM-DD).")
    ] = None,
    since_last: Annotated[
        bool,
        typer.Option(
            "--since-last", help="From the end of the last digest until now (the default)."
        ),
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="md, html, json or a plugin's.")
    ] = "md",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here, not stdout.", dir_okay=False)
    ] = None,
    unreviewed: Annotated[
        int | None,
        typer.Option(
            "--unreviewed", help="Unreviewed items shown per theme (0: none).", max=SQLITE_INT_MAX
        ),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record/--no-record", help="Keep it in the digest history (for --since-last)."
        ),
    ] = True,
) -> None:
    """Produce the board's digest for a period: what changed theme by theme, with the analysts'
    notes, volumes against previous periods, stories many sources carried, what is emerging,
    what is due for review, and which sources have problems."""
    if ctx.invoked_subcommand is not None:
        return
    ws = workspace(ctx)
    chosen = sum(x is not None and x is not False for x in (period, start or end, since_last))
    if chosen > 1:
        raise UsageError("choose one of --period, --from/--to and --since-last")
    if (start is None) != (end is None):
        raise UsageError("--from and --to go together")
    settings = _settings(ws)
    options = digest.DigestOptions(**settings.model_dump())
    if unreviewed is not None:
        if unreviewed < 0:
            raise UsageError("--unreviewed must be 0 or more")
        options.unreviewed = unreviewed
    renderer = _renderer(ws, fmt)
    now = utcnow()
    db = ws.db
    if period:
        span = periods.parse_period(period)
    elif start and end:
        span = periods.parse_range(start, end)
    else:
        span = periods.since(digest.last_end(db) or now, now)
    bar = progress_bar("digest", sys.stderr.isatty())  # over a second on a large store
    step = bar.add_task(f"reading {span.label}", total=None)
    with bar:
        if ws.config_path is not None:
            from horizon.store import sync_sources

            sync_sources(db, ws.config, now)
        data = digest.build_digest(
            db, span, ws.taxonomy, options, now, queries.list_sources(db, counts=False)
        )
        bar.update(step, description=f"writing {fmt}")
        text = renderer.render(data)
    _emit(text, out)  # first: a digest that could not be written is not in the history
    if record:
        number = digest.record(db, data, fmt, text)
        console(stderr=True).print(
            f"Digest {number}: {span.label}, {len(digest.included_ids(data))} item(s)."
        )


@app.command("list")
def list_digests(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The digests produced so far, newest first."""
    ws = workspace(ctx)
    rows: list[dict[str, Any]] = digest.history(ws.db)
    render(
        rows,
        ["id", "created_at", "period_label", "format", "items"],
        fmt="json" if as_json else "table",
        empty="No digest produced yet.",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    number: Annotated[
        int, typer.Argument(help="The digest's id (see `horizon digest list`).", max=SQLITE_INT_MAX)
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="Render in another format than it was produced in."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here, not stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Regenerate a past digest exactly as it was, from what was recorded when it was made."""
    ws = workspace(ctx)
    data, original, _ = digest.load(ws.db, number)
    _emit(_renderer(ws, fmt or original).render(data), out)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="digest")
