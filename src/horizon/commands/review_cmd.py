"""`horizon review` (interactive), `horizon tag` (for scripts), `watchlist`, `backup`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from horizon import queries, review
from horizon.commands.common import (
    CsvOpt,
    ItemIdArg,
    JsonOpt,
    check_sources,
    output_format,
    since_option,
    workspace,
)
from horizon.db import backup as backup_store
from horizon.db import size_in_use
from horizon.errors import UsageError
from horizon.output import console, print_json, progress_bar, render
from horizon.textutil import utcnow

AnalystOpt = Annotated[
    str | None,
    typer.Option(
        "--analyst", help="Who is deciding (default: HORIZON_ANALYST, else the login name)."
    ),
]


def review_queue(
    ctx: typer.Context,
    theme: Annotated[
        list[str] | None,
        typer.Option("--theme", "-t", help="Only items with this automatic theme (repeatable)."),
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only items published since: 7d, 2w or a date.")
    ] = None,
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", help="Only items matching this full-text query (FTS5)."),
    ] = None,
    analyst: AnalystOpt = None,
) -> None:
    """Work through unreviewed items in the terminal, one key per decision; every decision is
    saved at once. Highest automatic score first, newest first within it. Press ? for keys."""
    import readchar

    ws = workspace(ctx)
    if not sys.stdin.isatty():
        raise UsageError("`horizon review` needs a terminal; in scripts use `horizon tag`")
    name = review.analyst_name(analyst)
    review.check_themes(theme or [])
    check_sources(ws, source)
    filters = review.QueueFilter(
        themes=theme or [], sources=source or [], since=since_option(since), query=query
    )
    out = console()

    def read_key() -> str:
        return str(readchar.readkey())

    def read_line(prompt: str) -> str:
        try:
            return out.input(prompt)
        except EOFError:
            return ""

    from horizon.review_ui import ReviewSession

    session = ReviewSession(ws.db, name, ws.taxonomy, filters, out, read_key, read_line)
    stats = session.run()
    console(stderr=True).print(f"{stats.decided} decision(s) saved, {stats.skipped} skipped.")


def tag(
    ctx: typer.Context,
    item_id: ItemIdArg,
    theme: Annotated[
        list[str] | None, typer.Option("--theme", help="Add this theme (repeatable).")
    ] = None,
    remove_theme: Annotated[
        list[str] | None, typer.Option("--remove-theme", help="Remove this theme (repeatable).")
    ] = None,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="Add this topic (repeatable).")
    ] = None,
    signal: Annotated[
        bool, typer.Option("--signal", help="Mark as a signal for the board.")
    ] = False,
    noise: Annotated[bool, typer.Option("--noise", help="Mark as noise.")] = False,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", help=f"The one-line 'so what' (at most {review.NOTE_MAX:,} characters)."
        ),
    ] = None,
    review_by: Annotated[
        str | None,
        typer.Option("--review-by", help="Look again on this date: YYYY-MM-DD, +4w, +10d, +3m."),
    ] = None,
    fourp: Annotated[
        list[str] | None,
        typer.Option(
            "--fourp", help="Add a 4P lens: pursue, prevent, protect, prepare (repeatable)."
        ),
    ] = None,
    digest: Annotated[
        bool | None,
        typer.Option("--digest/--no-digest", help="Flag (or unflag) the item for the digest."),
    ] = None,
    analyst: AnalystOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an analyst's decision on an item without the interactive queue. With no options
    it confirms the automatic themes. Unknown themes, topics or items exit with code 2."""
    ws = workspace(ctx)
    db = ws.db
    name = review.analyst_name(analyst)
    review.require_item(db, item_id)
    if signal and noise:
        raise UsageError("choose one of --signal and --noise")
    both = sorted(set(theme or []) & set(remove_theme or []))
    if both:
        raise UsageError(f"--theme and --remove-theme both name {', '.join(both)}: choose one")
    state = review.current(db, item_id)
    change = review.Change()
    actions = []
    # The effective tags are the analyst's where they decided, else the automatic ones (every
    # write to reviews refreshes them), so each change starts from what the item shows now.
    if theme or remove_theme or not _anything(topic, signal, noise, note, review_by, fourp, digest):
        base = set(review.effective(db, item_id, "theme"))
        base |= set(review.check_themes(theme or []))
        base -= set(review.check_themes(remove_theme or []))
        change.themes = sorted(base)
        actions.append("themes" if theme or remove_theme else "confirm")
    if topic:
        base = set(review.effective(db, item_id, "topic"))
        change.topics = sorted(base | set(review.check_topics(topic, ws.taxonomy)))
        actions.append("topics")
    if fourp:
        base = set(review.effective(db, item_id, "fourp"))
        change.fourp = sorted(base | set(review.check_fourp(fourp)))
        actions.append("fourp")
    if signal or noise:
        change.status = "signal" if signal else "noise"
        actions.append(change.status)
    if note is not None:
        change.note = review.check_note(note)
        if change.note is None:  # it would keep the note as it was, and log a change
            raise UsageError("--note is empty: give the note's text (nothing was saved)")
        actions.append("note")
    if review_by is not None:
        change.review_by = review.parse_review_by(review_by)
        actions.append("review-by")
    if digest is not None:
        change.flagged = digest
        actions.append("flag" if digest else "unflag")
    after = review.decide(
        db, item_id, name, change, ", ".join(actions), expected_revision=state["revision"]
    )
    item = queries.get_item(db, item_id) or {}
    result = {
        "id": item_id,
        "status": after["status"],
        "themes": item.get("themes"),
        "topics": item.get("topics"),
        "fourp": item.get("fourp"),
        "note": after["note"],
        "review_by": after["review_by"],
        "flagged": bool(after["flagged"]),
        "analyst": name,
    }
    if as_json:
        print_json(result)
    else:
        console(stderr=True).print(
            f"Item {item_id}: {after['status']}; themes {', '.join(result['themes'] or []) or '-'}"
            f"{'; flagged' if result['flagged'] else ''} (by {name})."
        )


def _anything(*values: object) -> bool:
    return any(v not in (None, False, [], ()) for v in values)


def watchlist(
    ctx: typer.Context,
    due: Annotated[bool, typer.Option("--due", help="Only items whose date has come.")] = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Items with a review-by date, oldest date first (with --due: only those due today or
    earlier)."""
    ws = workspace(ctx)
    ids = review.watchlist(ws.db, due=due)
    items = {i["id"]: i for i in queries.list_items(ws.db, queries.ItemFilter(ids=ids, limit=None))}
    rows = [items[i] for i in ids if i in items]
    render(
        rows,
        ["review_by", "id", "status", "title", "note"],
        fmt=output_format(as_json, as_csv),
        max_width={"title": 60, "note": 50},
        empty="Nothing is due for review." if due else "No item has a review-by date.",
    )


def backup(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Where to write the copy (must not exist).", dir_okay=False)
    ],
) -> None:
    """Write a consistent copy of the store while others use it (SQLite VACUUM INTO)."""
    ws = workspace(ctx)
    bar = progress_bar("backup", sys.stderr.isatty(), in_bytes=True)
    task = bar.add_task("", total=size_in_use(ws.db))
    with bar:
        backup_store(ws.db, file, lambda size: bar.update(task, completed=size))
    console(stderr=True).print(f"Backed up {ws.db_path} to {file} at {utcnow().isoformat()}.")


def register(app: typer.Typer) -> None:
    app.command("review")(review_queue)
    app.command("tag")(tag)
    app.command("watchlist")(watchlist)
    app.command("backup")(backup)
