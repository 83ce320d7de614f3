"""`horizon sources`: health of each source, its fetch history, and OPML in and out."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from horizon import queries
from horizon.commands.common import SQLITE_INT_MAX, CsvOpt, JsonOpt, output_format, workspace
from horizon.config import load_config
from horizon.configedit import append_sources, set_source_values
from horizon.db import open_db
from horizon.errors import UsageError
from horizon.opml import plan_import, read_opml, write_opml
from horizon.output import console, print_json, render, safe, warn
from horizon.textutil import utcnow

app = typer.Typer(
    help="Sources: their health, history, and OPML import/export.", no_args_is_help=True
)

LIST_COLUMNS = [
    "id",
    "type",
    "status",
    "last_success",
    "consecutive_failures",
    "next_fetch",
    "items",
    "stale",
    "url",
]


@app.command("list")
def list_sources(
    ctx: typer.Context,
    include_removed: Annotated[
        bool, typer.Option("--all", help="Also list sources no longer in the config.")
    ] = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Each source's health: status (`ok` or the last failure's class), last success,
    consecutive failures, next fetch, items stored, and whether it has gone stale."""
    ws = workspace(ctx)
    db = ws.db if ws.has_db or ws.config_path is None else None
    if db is None:  # feeds.yaml's sources before the first pull: listed, no store made
        warn(f"{ws.db_path}: no store here yet; `horizon pull` fetches these sources into one")
        db = open_db(":memory:")
    if ws.config_path is not None:
        from horizon.store import sync_sources
        from horizon.textutil import utcnow

        sync_sources(db, ws.config, utcnow())
    rows = queries.list_sources(db, include_removed=include_removed)
    shown = [
        {
            **r,
            "stale": "stale" if r["stale"] else "",
            "status": f"{r['status']} (moved)" if r["moved"] else r["status"],
        }
        for r in rows
    ]
    render(
        shown,
        LIST_COLUMNS,
        fmt=output_format(as_json, as_csv),
        json_rows=rows,
        max_width={"url": 50, "last_success": 20, "next_fetch": 20},
        empty="No sources yet: add some to feeds.yaml and run `horizon pull`.",
    )


@app.command("show")
def show_source(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="The source's id.")],
    limit: Annotated[
        int, typer.Option("--limit", help="How many fetches to show.", min=1, max=SQLITE_INT_MAX)
    ] = 10,
    as_json: JsonOpt = False,
) -> None:
    """One source's state and its recent fetches: every skip, backoff and move explained."""
    ws = workspace(ctx)
    rows = [r for r in queries.list_sources(ws.db, include_removed=True) if r["id"] == source_id]
    if not rows:
        raise UsageError(f"no source with id {source_id!r} in the store")
    history = queries.source_history(ws.db, source_id, limit)
    moves = list(
        ws.db.query("SELECT * FROM source_urls WHERE source_id = ? ORDER BY id", [source_id])
    )
    if as_json:
        print_json({**rows[0], "fetches": history, "url_history": moves})
        return
    out = console()
    for key, value in rows[0].items():
        out.print(f"{key:>22}: {safe(value)}")
    for move in moves:
        out.print(
            f"{'moved':>22}: {safe(move['previous_url'])} -> {safe(move['url'])} "
            f"({safe(move['changed_at'])}, {safe(move['reason'])})"
        )
    out.print()
    render(
        history,
        [
            "started_at",
            "status",
            "error_class",
            "http_status",
            "items_new",
            "items_updated",
            "next_fetch_reason",
            "error",
        ],
        fmt="table",
        max_width={"error": 60},
        empty="Never fetched.",
    )


@app.command("check")
def check(
    ctx: typer.Context,
    source_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SOURCE_ID]...", help="Check only these sources (default: all)."),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Write today's date as `verified:` in feeds.yaml for every source "
            "that answered with items.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch each source once without storing anything, and report: reachable, the type of
    feed detected, items, newest item date, validators (ETag / Last-Modified), problems."""
    from horizon.check import check_sources

    ws = workspace(ctx)
    config = ws.require_config()
    chosen = [config.source(i) for i in source_ids] if source_ids else config.sources
    err = console(stderr=True)
    # A check can take a while: say so on a terminal, never under cron.
    spinner = err.status(f"checking {len(chosen)} source(s)", spinner="dots")
    with spinner if sys.stderr.isatty() else nullcontext():
        reports = check_sources(config, ws.source_types, chosen)
    if record:
        today = utcnow().date().isoformat()
        good = {r["id"]: {"verified": today} for r in reports if r["reachable"] and r["items"]}
        written = set_source_values(config.path or ws.config_target, good) if good else 0
        err.print(f"Recorded verified: {today} for {written} source(s) in {safe(config.path)}.")
    if as_json:
        print_json(reports)
    else:
        shown = [
            {
                **r,
                "validators": "+".join(k for k in ("etag", "last_modified") if r[k]) or "-",
                "problems": "; ".join(r["problems"]),
            }
            for r in reports
        ]
        render(
            shown,
            ["id", "reachable", "detected", "items", "newest", "validators", "problems"],
            fmt="table",
            max_width={"problems": 60, "newest": 20},
        )
    if any(not r["reachable"] or not r["items"] for r in reports):
        raise typer.Exit(1)


@app.command("import-opml")
def import_opml(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="An OPML file exported from a feed reader.", exists=False, dir_okay=False
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be added.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add the feeds in an OPML file to feeds.yaml. Folders become each source's category;
    feeds already present (same URL) are reported, not added."""
    ws = workspace(ctx)
    target = ws.config_target
    existing = load_config(target, ws.source_types).sources if target.exists() else []
    parsed = read_opml(file)
    report = plan_import(parsed.feeds, existing)
    report.skipped = parsed.skipped
    if not dry_run and report.added:
        append_sources(target, report.added)
    if as_json:
        print_json(
            {
                "config": str(target),
                "added": report.added,
                "duplicates": report.duplicates,
                "skipped": report.skipped,
                "dry_run": dry_run,
            }
        )
        return
    err = console(stderr=True)
    verb = "Would add" if dry_run else "Added"
    err.print(
        f"{verb} {len(report.added)} source(s) to {safe(target)}; "
        f"{len(report.duplicates)} duplicate(s) and {len(report.skipped)} other "
        "outline(s) not added."
    )
    for line in report.duplicates:
        err.print(f"  duplicate: {safe(line)}")
    for line in report.skipped:
        err.print(f"  skipped: {safe(line)}")


@app.command("export-opml")
def export_opml(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here, not stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Write the sources in feeds.yaml as OPML 2.0 (categories become folders)."""
    ws = workspace(ctx)
    data = write_opml(ws.require_config().sources)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sources")
