"""`horizon pull`: fetch every due source into the store; quiet under cron, loud on problems."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlite_utils import Database

from horizon.commands.common import JsonOpt, workspace
from horizon.output import console, error, print_json, progress_bar, warn
from horizon.pull import pull_sources
from horizon.store import Outcome
from horizon.tagging import tag_items
from horizon.textutil import terminal_safe


def pull(
    ctx: typer.Context,
    source_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SOURCE_ID]...", help="Pull only these sources (ignores their schedule)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Fetch every source now: ignore schedules, backoff and validators, "
            "and re-parse unchanged bodies.",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print nothing but problems (the default when not on a terminal)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch every source in feeds.yaml that is due into the store, and tag new items.

    Exit codes: 0 all sources fine; 1 the run completed but some sources failed (one line
    each on stderr); 2 usage or config error; 75 another pull is running.
    """
    ws = workspace(ctx)
    config = ws.require_config()
    for message in ws.plugins.warnings:
        warn(message)
    interactive = sys.stderr.isatty() and not quiet and not as_json
    db = ws.create_db()
    progress = progress_bar("pull", interactive)
    task = progress.add_task("", total=None)

    def on_start(total: int) -> None:
        progress.update(task, total=total)

    def on_done(outcome: Outcome) -> None:
        progress.update(task, advance=1, description=terminal_safe(outcome.source_id))

    taggers = ws.taggers()  # the taxonomy is validated here, before anything is fetched

    def on_items(store: Database, item_ids: list[int]) -> None:
        tag_items(store, item_ids, taggers)

    with progress:
        summary = pull_sources(
            db,
            config,
            ws.source_types,
            only=source_ids or None,
            force=force,
            progress=on_done,
            on_start=on_start,
            on_items=on_items,
        )
    if as_json:
        print_json(summary.as_json())
    elif interactive:
        t = summary.totals()
        console(stderr=True).print(
            f"Pulled {t['sources_due']} source(s): {t['sources_ok']} ok, {t['sources_failed']} "
            f"failed, {t['sources_skipped']} not due; {t['items_new']} new item(s), "
            f"{t['items_updated']} updated in {t['duration_ms'] / 1000:.1f}s."
            + _parsed_by(t["parse_workers"], bool(t["parse_workers_lost"]))
        )
    for outcome in summary.failed:
        error(f"{outcome.source_id}: {outcome.error_class}: {outcome.error}")
    if summary.failed:
        raise typer.Exit(1)


def _parsed_by(workers: int, lost: bool) -> str:
    if not workers:
        return " The parse processes could not be started; this process parsed." if lost else ""
    said = f" Feeds parsed in {workers} parse process{'es' if workers > 1 else ''}"
    return said + ("; they stopped, and this process parsed the rest." if lost else ".")


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)
