"""`horizon items`: list, search and show stored items."""

from __future__ import annotations

from typing import Annotated

import typer

from horizon import queries
from horizon.commands.common import CsvOpt, JsonOpt, output_format, since_option, workspace
from horizon.config import THEME_IDS
from horizon.errors import UsageError
from horizon.explain import theme_lines
from horizon.output import console, print_json, render, safe
from horizon.textutil import terminal_safe

app = typer.Typer(help="Stored items: list, search, show.", no_args_is_help=True)

LIST_COLUMNS = ["id", "published", "source", "themes", "title"]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="Only items published since: 7d, 12h, 2w or a date (YYYY-MM-DD)."),
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="At most this many items.")]
AllOpt = Annotated[bool, typer.Option("--all", help="No limit.")]
ThemeOpt = Annotated[
    list[str] | None,
    typer.Option("--theme", "-t", help="Only items with this theme (repeatable: all must match)."),
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", help="Only items with this topic (repeatable: all must match)."),
]


def _filter(
    source: list[str] | None,
    since: str | None,
    limit: int,
    all_: bool,
    theme: list[str] | None = None,
    topic: list[str] | None = None,
) -> queries.ItemFilter:
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    for value in theme or []:
        if value not in THEME_IDS:
            raise UsageError(f"--theme: unknown theme {value!r}; use {', '.join(THEME_IDS)}")
    return queries.ItemFilter(
        source=source or [],
        since=since_option(since),
        limit=None if all_ else limit,
        themes=theme or [],
        topics=topic or [],
    )


@app.command("list")
def list_items(
    ctx: typer.Context,
    source: SourceOpt = None,
    since: SinceOpt = None,
    theme: ThemeOpt = None,
    topic: TopicOpt = None,
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Items, newest first, with their themes."""
    ws = workspace(ctx)
    rows = queries.list_items(ws.db, _filter(source, since, limit, all_, theme, topic))
    fmt = output_format(as_json, as_csv)
    render(
        rows,
        LIST_COLUMNS if fmt == "table" else list(rows[0]) if rows else LIST_COLUMNS,
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
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Full-text search over titles and text, best match first (SQLite FTS5 syntax)."""
    ws = workspace(ctx)
    rows = queries.search_items(ws.db, query, _filter(source, since, limit, all_, theme, topic))
    fmt = output_format(as_json, as_csv)
    render(
        rows,
        ["id", "published", "source", "title", "snippet"]
        if fmt == "table"
        else list(rows[0])
        if rows
        else LIST_COLUMNS,
        fmt=fmt,
        max_width={"title": 60, "snippet": 60, "source": 20, "published": 20},
        empty="No items match.",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="The item's id (see `items list`).")],
    as_json: JsonOpt = False,
) -> None:
    """One item in full: where it came from, why it has each theme (the evidence of every
    tagger, or the analyst who decided), its text and earlier versions."""
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
    if item["author"]:
        out.print(f"author:    {safe(item['author'])}")
    if item["language"]:
        out.print(f"language:  {safe(item['language'])}")
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


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="items")
