"""`horizon sources check`: one fetch per source, nothing stored, a report, `--record`."""

from __future__ import annotations

import json

from tests.conftest import CORPUS, REAL, fast_fetch
from tests.httpserver import Route, redirect


def test_check_reports_and_stores_nothing(project, server):
    good = server.file("/good.xml", REAL / "nixos-news.xml")
    server.routes["/moved"] = Route(handler=redirect("/good.xml", 301))
    server.route(
        "/html",
        body=(CORPUS / "real-nonfeed/html-homepage-instead-of-feed.html").read_bytes(),
        content_type="text/html",
    )
    server.route("/gone", status=404)
    server.route(
        "/noval.xml",
        body=(REAL / "theregister-science-2019.xml").read_bytes(),
        etag=False,
        last_modified=None,
    )
    project.write_config(
        [
            {"id": "good", "url": good},
            {"id": "moved", "url": server.url("/moved")},
            {"id": "html", "url": server.url("/html")},
            {"id": "missing", "url": server.url("/gone")},
            {"id": "noval", "url": server.url("/noval.xml")},
        ],
        fetch=fast_fetch(),
    )
    result = project.run("sources", "check", "--json")
    assert result.exit_code == 1  # some sources are not usable
    reports = {r["id"]: r for r in json.loads(result.stdout)}
    assert reports["good"] == {
        **reports["good"],
        "reachable": True,
        "detected": "rss20",
        "items": 99,
        "etag": True,
        "last_modified": True,
    }
    assert reports["good"]["newest"].startswith("20")
    assert any("redirected 1 time" in p for p in reports["moved"]["problems"])
    assert reports["html"]["error_class"] == "not-a-feed" and not reports["html"]["items"]
    assert reports["missing"]["reachable"] is False
    assert reports["missing"]["error_class"] == "http-4xx"
    assert any("no ETag or Last-Modified" in p for p in reports["noval"]["problems"])
    db = project.db()
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM fetches").fetchone()[0] == 0
    # Validators are never sent by a check: it wants the full answer.
    assert all("if-none-match" not in h.headers for h in server.hits)


def test_record_writes_verified_dates_keeping_comments(project, server):
    good = server.file("/good.xml", REAL / "nixos-news.xml")
    project.config.write_text(
        "# our sources\nfetch:\n  connect_timeout: 2s\n  read_timeout: 2s\nsources:\n"
        f"  # the one that works\n  - id: good\n    url: {good}\n"
        f"  - id: bad\n    url: {server.url('/nothing')}\n"
    )
    result = project.run("sources", "check", "--record")
    assert result.exit_code == 1
    text = project.config.read_text()
    assert "# our sources" in text and "# the one that works" in text
    from horizon.config import load_config
    from horizon.plugins import load_plugins

    config = load_config(project.config, load_plugins(None).collect("register_sources", "x"))
    verified = {s.id: s.verified for s in config.sources}
    assert verified["good"] and verified["good"][:2] == "20" and verified["bad"] is None
    table = project.run("sources", "check", "good")
    assert table.exit_code == 0 and "rss20" in table.stdout
