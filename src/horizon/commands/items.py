"""`horizon items`: list, search, show stored items and their audit trail."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from horizon import queries
from horizon.commands.common import (
    SQLITE_INT_MAX,
    CsvOpt,
    ItemIdArg,
    JsonOpt,
    check_sources,
    output_format,
    since_option,
    workspace,
)
from horizon.config import THEME_IDS
from horizon.errors import UsageError
from horizon.explain import theme_lines
from horizon.output import console, print_json, render, safe
from horizon.review import STATUSES, check_topics, history
from horizon.textutil import terminal_safe
from horizon.workspace import Workspace

app = typer.Typer(help="Stored items: list, search, show, history.", no_args_is_help=True)

LIST_COLUMNS = ["id", "published", "source", "themes", "status", "title"]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="Only items published since: 7d, 12h, 2w or a date (YYYY-MM-DD)."),
]
LimitOpt = Annotated[
    int, typer.Option("--limit", "-n", help="At most this many items.", max=SQLITE_INT_MAX)
]
AllOpt = Annotated[bool, typer.Option("--all", help="No limit.")]
ThemeOpt = Annotated[
    list[str] | None,
    typer.Option("--theme", "-t", help="Only items with this theme (repeatable: all must match)."),
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", help="Only items with this topic (repeatable: all must match)."),
]
StatusOpt = Annotated[
    str | None, typer.Option("--status", help="unreviewed, reviewed, signal or noise.")
]
FlaggedOpt = Annotated[bool, typer.Option("--flagged", help="Only items flagged for the digest.")]
AnalystOpt = Annotated[
    str | None, typer.Option("--analyst", help="Only items this analyst decided last.")
]


def _filter(
    source: list[str] | None,
    since: str | None,
    limit: int,
    all_: bool,
    theme: list[str] | None = None,
    topic: list[str] | None = None,
    status: str | None = None,
    flagged: bool = False,
    analyst: str | None = None,
) -> queries.ItemFilter:
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    for value in theme or []:
        if value not in THEME_IDS:
            raise UsageError(f"--theme: unknown theme {value!r}; use {', '.join(THEME_IDS)}")
    if status is not None and status not in STATUSES:
        raise UsageError(f"--status: {status!r} is not one of {', '.join(STATUSES)}")
    return queries.ItemFilter(
        source=source or [],
        since=since_option(since),
        limit=None if all_ else limit,
        themes=theme or [],
        topics=topic or [],
        status=status,
        flagged=True if flagged else None,
        analyst=analyst,
    )


def _check_names(ws: Workspace, source: list[str] | None, topic: list[str] | None) -> None:
    check_sources(ws, source)
    if topic:
        check_topics(topic, ws.taxonomy)


def _columns(rows: list[dict[str, Any]], fmt: str, table: list[str]) -> list[str]:
    if fmt == "table":
        return table
    return list(rows[0]) if rows else table


@app.command("list")
def list_items(
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    theme: ThemeOpt = None,
    topic: TopicOpt = None,
    status: StatusOpt = None,
    flagged: FlaggedOpt = False,
    analyst: AnalystOpt = None,
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Items, newest first, with their themes and review status."""
    ws = workspace(ctx)
    _check_names(ws, source, topic)
    item_filter = _filter(source, since, limit, all_, theme, topic, status, flagged, analyst)
    rows = queries.list_items(ws.db, item_filter)
    fmt = output_format(as_json, as_csv)
    render(
        rows,
        _columns(rows, fmt, LIST_COLUMNS),
        fmt=fmt,
        max_width={"title": 90, "source": 24, "published": 20},
        empty="No items match.",
    )


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='FTS5 query: words, "a phrase", OR, NOT, prefix*.')],
    source: SourceOpt = None,
    since: SinceOpt = None,
    theme: ThemeOpt = None,
    topic: TopicOpt = None,
    status: StatusOpt = None,
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    rank_all: Annotated[
        bool,
        typer.Option(
            "--rank-all",
            help=f"Rank every match (slower); by default only the {queries.RANK_WINDOW:,} "
            "most recently stored matches are ranked.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Full-text search over titles and text, best match first (SQLite FTS5 syntax)."""
    ws = workspace(ctx)
    _check_names(ws, source, topic)
    found = queries.search_items(
        ws.db, query, _filter(source, since, limit, all_, theme, topic, status), rank_all=rank_all
    )
    rows = found.rows
    if found.windowed and not as_json and not as_csv:
        console(stderr=True).print(
            f"More than {queries.RANK_WINDOW:,} items match: the best of the most recently "
            "stored ones are shown (--rank-all ranks them all; slower)."
        )
    fmt = output_format(as_json, as_csv)
    render(
        rows,
        _columns(rows, fmt, ["id", "published", "source", "title", "snippet"]),
        fmt=fmt,
        max_width={"title": 60, "snippet": 60, "source": 20, "published": 20},
        empty="No items match.",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    item_id: ItemIdArg,
    as_json: JsonOpt = False,
) -> None:
    """One item in full: where it came from, why it has each theme (the evidence of every
    tagger, or the analyst who decided), the analyst's notes, its text and earlier versions."""
    ws = workspace(ctx)
    item = queries.get_item(ws.db, item_id)
    if item is None:
        raise UsageError(f"no item with id {item_id}")
    if as_json:
        print_json(item)
        return
    out = console()
    out.print(safe(item["title"]) or "(untitled)", style="bold")
    source = item["source_name"] or item["source"]
    if item.get("organisation"):
        source = f"{source} ({item['organisation']})"
    out.print(f"source:    {safe(source)}")
    estimated = " (first seen; the feed gave no usable date)" if item["published_estimated"] else ""
    out.print(f"published: {safe(item['published'])}{estimated}")
    out.print(f"link:      {safe(item['url'])}")
    for key in ("author", "language"):
        if item[key]:
            out.print(f"{key + ':':<10} {safe(item[key])}")
    status = item["status"] + (" (flagged for the digest)" if item["flagged"] else "")
    out.print(
        f"status:    {safe(status)}" + (f" by {safe(item['analyst'])}" if item["analyst"] else "")
    )
    if item["note"]:
        out.print(f"so what:   {safe(item['note'])}")
    if item["review_by"]:
        out.print(f"review by: {safe(item['review_by'])}")
    out.print("themes:")
    for line in theme_lines(item):
        out.print(line)
    if item["topics"]:
        out.print(f"topics:    {safe(item['topics'])}")
    if item["fourp"]:
        out.print(f"4P:        {safe(item['fourp'])}")
    out.print()
    text = terminal_safe(item["text"] or item["summary"], single_line=False)
    out.print(text[:3000] + ("…" if len(text) > 3000 else ""))
    for version in item["versions"]:
        out.print(
            f"earlier version {version['version']} (replaced {safe(version['replaced_at'])}):"
            f" {safe(version['title'])}",
            style="dim",
        )


@app.command("history")
def item_history(
    ctx: typer.Context,
    item_id: ItemIdArg,
    as_json: JsonOpt = False,
) -> None:
    """The audit trail of an item: every decision, by whom and when, and what it changed."""
    ws = workspace(ctx)
    if queries.get_item(ws.db, item_id) is None:
        raise UsageError(f"no item with id {item_id}")
    rows = history(ws.db, item_id)
    if as_json:
        print_json(rows)
        return
    shown = [
        {
            **r,
            "changes": "; ".join(f"{k}: {v['from']} -> {v['to']}" for k, v in r["changes"].items()),
        }
        for r in rows
    ]
    render(
        shown,
        ["at", "analyst", "action", "changes"],
        fmt="table",
        max_width={"changes": 80},
        empty="No decisions on this item yet.",
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="items")
