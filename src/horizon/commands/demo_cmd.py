"""`horizon demo`: the whole product offline, on shipped feed snapshots, in a folder of its own."""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from horizon.demo import build_demo
from horizon.output import console


def demo(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder to build the demo in (new, empty, or an earlier demo's).",
            file_okay=False,
        ),
    ] = Path("horizon-demo"),
) -> None:
    """Try horizon with no network and no setup: pull real feed snapshots shipped with horizon,
    tag them, record a few example analyst decisions (marked as demo data), and write the digest
    in HTML and Markdown. Builds its own feeds.yaml and store in --out; your real store and
    config are never read or written."""
    err = console(stderr=True)
    interactive = sys.stderr.isatty()
    with err.status("demo", spinner="dots") if interactive else nullcontext() as status:

        def step(text: str) -> None:
            if status is not None:
                status.update(f"demo: {text}")

        result = build_demo(out, step)
    shown = _relative(result.folder)
    print(f"Demo built in {shown}/ (period {result.period})")
    print(
        f"  {result.sources} sources, {result.items} items, {result.tagged} tagged to a theme, "
        f"{result.decisions} example decisions by analyst 'demo'"
    )
    for path in result.digests.values():
        print(f"  digest: {_relative(path)}")
    if result.missing:
        print(
            f"  {len(result.missing)} example decision(s) skipped: their items are not in the "
            "snapshots"
        )
    folder = shlex.quote(str(shown))
    if os.environ.get("HORIZON_DB") or os.environ.get("HORIZON_CONFIG"):
        prefix = f"horizon --config {folder}/feeds.yaml --db {folder}/horizon.db"
        print("\nNext (HORIZON_DB/HORIZON_CONFIG are set, so the demo's paths are given):")
    else:
        prefix = "horizon"
        print(f"\nNext, from the demo folder (cd {folder}):")
    for command, why in (
        ("items list --theme legislation", "what was tagged to a theme"),
        ("items search encryption", "full-text search"),
        (f"items show {result.example_item or 1}", "one item: why it has each theme"),
        ("review", "decide on items, one key each"),
        ("digest --period 2016-02 -f html -o feb.html", "the month of Apple v FBI"),
    ):
        print(f"  {prefix} {command:<44} # {why}")


def _relative(path: Path) -> Path:
    here = Path.cwd()
    return path.relative_to(here) if path.is_relative_to(here) else path


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
