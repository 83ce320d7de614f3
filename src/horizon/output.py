"""Shared rendering for every listing: a table on a terminal, --json, --csv; all text made safe."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from horizon.textutil import terminal_safe

if TYPE_CHECKING:
    from rich.progress import Progress


def console(stderr: bool = False) -> Console:
    """A console that never interprets feed text as markup or highlights it."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 200
    return Console(
        file=stream, highlight=False, markup=False, emoji=False, width=width, soft_wrap=False
    )


def progress_bar(label: str, enabled: bool, *, in_bytes: bool = False) -> Progress:
    """The bar a long command draws on stderr: what it does, how far (a count, or bytes
    `in_bytes`), for how long, and the current step (a task's `description`); cleared when it
    ends. Not drawn at all unless `enabled`: commands enable it only where stderr is a
    terminal, so cron and pipes see nothing. Output written to stdout meanwhile is left alone,
    never drawn on stderr."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bar

    return Bar(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console(stderr=True),
        transient=True,
        disable=not enabled,
        redirect_stdout=False,
        redirect_stderr=False,
    )


def safe(value: Any) -> str:
    """Any value as single-line terminal-safe text ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(safe(v) for v in value)
    return terminal_safe(value)


def tolerant_streams() -> None:
    """Let stdout and stderr write any text where their encoding is not a UTF (a terminal in
    a Latin-1 locale, PYTHONIOENCODING=ascii): a character they cannot hold is written as a
    backslash escape instead of stopping the command. JSON is then written in ASCII
    (`_utf`), losslessly; tables and CSV show the escapes."""
    for stream in (sys.stdout, sys.stderr):
        if not _utf(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _utf(stream: Any) -> bool:
    return (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").startswith("utf")


def print_json(data: Any) -> None:
    """JSON to stdout. JSON escapes control characters, so feed text cannot reach a terminal raw."""
    ascii_only = not _utf(sys.stdout)
    sys.stdout.write(json.dumps(data, ensure_ascii=ascii_only, indent=2, default=str) + "\n")


def print_jsonl(rows: Iterable[Any]) -> None:
    ascii_only = not _utf(sys.stdout)
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=ascii_only, default=str) + "\n")


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])


def _csv_cell(value: Any) -> str:
    text = safe(value)
    # Spreadsheet formula injection: a cell starting with these is run by Excel/LibreOffice.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    headers: Sequence[str] | None = None,
    *,
    title: str | None = None,
    max_width: dict[str, int] | None = None,
) -> None:
    """A rich table; every cell is a Text object, so nothing in the data is markup."""
    out = console()
    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    for index, column in enumerate(columns):
        width = (max_width or {}).get(column)
        table.add_column(
            headers[index] if headers else column,
            max_width=width,
            overflow="ellipsis",
            no_wrap=width is not None,
        )
    for row in rows:
        table.add_row(*(Text(safe(row.get(c))) for c in columns))
    out.print(table)


def render(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    fmt: str,
    headers: Sequence[str] | None = None,
    json_rows: Sequence[Any] | None = None,
    max_width: dict[str, int] | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """One call for every listing: fmt is 'table', 'json' or 'csv'."""
    if fmt == "json":
        print_json(list(json_rows if json_rows is not None else rows))
    elif fmt == "csv":
        print_csv(rows, columns)
    elif not rows:
        console(stderr=True).print(empty)
    else:
        print_table(rows, columns, headers, max_width=max_width)


def error(message: str) -> None:
    """'Error: ...' on stderr, each line safe."""
    err = console(stderr=True)
    for line in str(message).splitlines() or [""]:
        err.print(Text(f"Error: {terminal_safe(line)}", style="red" if err.is_terminal else ""))


def warn(message: str) -> None:
    err = console(stderr=True)
    err.print(Text(f"Warning: {terminal_safe(message)}", style="yellow" if err.is_terminal else ""))
