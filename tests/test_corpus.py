"""Every real feed in the corpus, served over HTTP in one pull, stores what feedparser finds."""

from __future__ import annotations

import io
import warnings

import feedparser
import pytest

from tests.conftest import CORPUS, fast_fetch

FEEDS = sorted([*(CORPUS / "real").glob("*.xml"), *(CORPUS / "checks" / "feeds").glob("*.xml")])
NONFEEDS = sorted(p for p in (CORPUS / "real-nonfeed").iterdir() if p.suffix != ".tsv")


def feedparser_count(body: bytes) -> int:
    """Entries feedparser finds, counting an entry repeated verbatim in a feed once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = feedparser.parse(io.BytesIO(body))
        return len(
            {(e.get("id"), e.get("title"), e.get("link"), e.get("summary")) for e in parsed.entries}
        )


@pytest.mark.slow
def test_every_real_feed_is_stored_with_feedparsers_item_count(project, server):
    assert len(FEEDS) == 58
    sources = []
    for index, path in enumerate(FEEDS):
        sources.append(
            {"id": f"f{index:02d}", "name": path.stem, "url": server.file(f"/{path.name}", path)}
        )
    project.write_config(sources, fetch=fast_fetch(budget="60s", max_bytes="20MiB"))
    summary = project.json("pull")
    assert summary["sources_failed"] == 0, [s for s in summary["sources"] if s["error_class"]]
    db = project.db()
    counts = dict(db.execute("SELECT source_id, count(*) FROM items GROUP BY source_id").fetchall())
    mismatches = {}
    for index, path in enumerate(FEEDS):
        expected = feedparser_count(path.read_bytes())
        got = counts.get(f"f{index:02d}", 0)
        if got != expected:
            mismatches[path.name] = (got, expected)
    assert mismatches == {}
    assert sum(counts.values()) > 3000


@pytest.mark.parametrize("path", NONFEEDS, ids=[p.name for p in NONFEEDS])
def test_real_non_feed_responses_are_not_a_feed(project, server, path):
    url = server.file("/x", path, content_type="text/html; charset=utf-8")
    project.write_config([{"id": "x", "url": url}], fetch=fast_fetch())
    result = project.json("pull")
    outcome = result["sources"][0]
    assert outcome["error_class"] == "not-a-feed"
    assert "Content-Type text/html" in outcome["error"]
    assert "starts with" in outcome["error"]
