"""Docs are checked: every table and column of the store is documented; the plugin example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import fast_fetch

DOCS = Path(__file__).parent.parent / "docs"


def test_every_table_and_column_is_documented(tmp_path):
    from horizon.db import open_db

    db = open_db(tmp_path / "h.db")
    text = (DOCS / "schema.md").read_text()
    missing = []
    for table in db.table_names():
        if table.startswith(("_", "items_fts")):
            continue
        if f"## {table}" not in text:
            missing.append(table)
            continue
        section = text.split(f"## {table}", 1)[1].split("\n## ", 1)[0]
        missing.extend(
            f"{table}.{c.name}"
            for c in db[table].columns
            if not re.search(rf"\b{re.escape(c.name)}\b", section)
        )
    assert missing == []


def doc_plugins(project) -> list[str]:
    """Write every complete example of docs/plugins.md into the project's plugins/ folder."""
    doc = (DOCS / "plugins.md").read_text()
    examples = re.findall(r"```python\n# plugins/(\w+\.py)\n(.*?)```", doc, re.DOTALL)
    (project.root / "plugins").mkdir()
    for name, code in examples:
        (project.root / "plugins" / name).write_text(code)
    return [name for name, _ in examples]


def test_plugin_examples_in_docs_work(project, server):
    assert doc_plugins(project) == ["headlines.py", "alliances.py", "briefing.py"]
    url = server.route(
        "/h.txt", body=b"First headline\nSecond headline\n", content_type="text/plain"
    )
    project.write_config(
        [{"id": "press-headlines", "type": "headlines", "url": url}], fetch=fast_fetch()
    )
    assert project.run("pull").exit_code == 0
    titles = {i["title"] for i in project.json("items", "list")}
    assert titles == {"First headline", "Second headline"}
    # the tagger example tags, with its evidence, and the renderer example renders
    url = server.route(
        "/a.txt", body=b"WeProtect Global Alliance summit opens\n", content_type="text/plain"
    )
    project.write_config(
        [{"id": "press-headlines", "type": "headlines", "url": url}], fetch=fast_fetch()
    )
    assert project.run("pull", "--force").exit_code == 0
    item = next(i for i in project.json("items", "list") if i["title"].startswith("WeProtect"))
    shown = project.json("items", "show", str(item["id"]))
    assert "organisational" in shown["themes"]
    assert project.run("tag", str(item["id"]), "--signal", "--note", "New members").exit_code == 0
    result = project.run("digest", "--from", "2000-01-01", "--to", "2100-01-01", "-f", "briefing")
    assert result.exit_code == 0, result.output
    assert "- [Organisational] WeProtect Global Alliance summit opens: New members" in result.stdout
    listed = project.run("plugins").stdout
    assert "alliances" in listed and "briefing" in listed


def test_cli_reference_is_up_to_date():
    """docs/cli.md is generated from the app; regenerate it with python docs/generate_cli.py."""
    result = subprocess.run(
        [sys.executable, str(DOCS / "generate_cli.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_command_and_option_is_in_the_cli_reference():
    import typer.main
    from typer._click.core import Context

    from horizon.cli import app

    text = (DOCS / "cli.md").read_text()
    missing = []

    def walk(command, path):
        heading = f"## {' '.join(path)}\n"
        if heading not in text:
            missing.append(" ".join(path))
            return
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        missing.extend(
            f"{' '.join(path)} {opt}"
            for p in command.params
            for opt in getattr(p, "opts", [])
            if opt.startswith("-") and f"`{opt}`" not in section
        )
        if hasattr(command, "list_commands"):
            ctx = Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), ["horizon"])
    assert missing == []


def test_help_in_a_terminal_loses_nothing_to_markup():
    """Help is Rich markup: a bracketed word (`horizon-scan[web]`) must be escaped or Rich
    takes it for a style and drops it from `--help`, though docs/cli.md shows it."""
    import inspect

    import typer.main
    from typer._click.core import Context
    from typer.testing import CliRunner

    from horizon.cli import app

    lost = []

    def walk(command, path):
        texts = [command.help, *(getattr(p, "help", None) for p in command.params)]
        words = [
            word
            for text in texts
            for word in inspect.cleandoc(text or "").replace("\\[", "[").split()
            if "[" in word
        ]
        if words:
            shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=200).stdout
            lost.extend(f"{' '.join(path)}: {w}" for w in words if w not in shown.split())
        if hasattr(command, "list_commands"):
            ctx = Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), [])
    assert lost == []


def test_every_hook_is_documented_with_its_arguments():
    import inspect

    from horizon import hookspecs

    text = (DOCS / "plugins.md").read_text()
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(function, "horizon_spec"):
            arguments = ", ".join(inspect.signature(function).parameters)
            assert f"### `{name}({arguments})`" in text, name


def test_every_config_key_is_documented():
    from horizon.commands.digest_cmd import DigestSettings
    from horizon.config import _TOP_LEVEL, FetchSettings, SourceConfig

    text = (DOCS / "configuration.md").read_text()

    def section(title):
        return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]

    missing = [k for k in _TOP_LEVEL if f"| `{k}` |" not in section("Top-level keys")]
    for title, model in (
        ("`fetch:`", FetchSettings),
        ("A source", SourceConfig),
        ("`digest:`", DigestSettings),
    ):
        missing += [
            f"{title} {k}" for k in model.model_fields if f"| `{k}` |" not in section(title)
        ]
    assert missing == []
