"""Docs are checked: every table and column of the store is documented; the plugin example runs."""

from __future__ import annotations

import re
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


def test_plugin_example_in_docs_works(project, server):
    doc = (DOCS / "plugins.md").read_text()
    code = re.search(r"```python\n(# plugins/headlines.py\n.*?)```", doc, re.DOTALL).group(1)
    (project.root / "plugins").mkdir()
    (project.root / "plugins" / "headlines.py").write_text(code)
    url = server.route(
        "/h.txt", body=b"First headline\nSecond headline\n", content_type="text/plain"
    )
    project.write_config(
        [{"id": "press-headlines", "type": "headlines", "url": url}], fetch=fast_fetch()
    )
    assert project.run("pull").exit_code == 0
    titles = {i["title"] for i in project.json("items", "list")}
    assert titles == {"First headline", "Second headline"}
