"""`horizon serve`: Datasette on the store, with described columns, facets and canned queries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.conftest import dump_dom, fast_fetch

pytest.importorskip("datasette")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def feed(titles: list[str]) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{t}</title><link>https://example.org/{n}</link>"
        f"<pubDate>{format_datetime(now - timedelta(days=n + 1))}</pubDate></item>"
        for n, t in enumerate(titles)
    )
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_serve_canned_queries_and_facets(project, server, tmp_path):
    url = server.route(
        "/f.xml",
        body=feed(
            [
                "Home Office consults on end-to-end encryption and lawful access",
                "Council agrees data retention mandate",
                "Bakery opens on the high street",
            ]
        ),
    )
    project.write_config([{"id": "press", "url": url}], fetch=fast_fetch())
    assert project.run("pull").exit_code == 0
    items = {i["title"]: i["id"] for i in project.json("items", "list")}
    signal = items["Home Office consults on end-to-end encryption and lawful access"]
    assert (
        project.run(
            "tag",
            str(signal),
            "--signal",
            "--note",
            "Watch the consultation",
            "--review-by",
            "+2w",
            "--analyst",
            "ana",
        ).exit_code
        == 0
    )

    port = free_port()
    env = {**os.environ, "HORIZON_DB": str(project.db_path), "HORIZON_CONFIG": str(project.config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "horizon", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/horizon"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}.json")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.2)
        signals = get_json(f"{base}/signals_this_week.json?theme=&_shape=objects")["rows"]
        assert [r["id"] for r in signals] == [signal]
        assert signals[0]["note"] == "Watch the consultation"
        assert "technology" in json.loads(signals[0]["themes"])
        by_theme = get_json(f"{base}/signals_this_week.json?theme=organisational")["rows"]
        assert by_theme == []
        watch = get_json(f"{base}/watchlist.json?_shape=objects")["rows"]
        assert [r["id"] for r in watch] == [signal] and watch[0]["analyst"] == "ana"
        health = get_json(f"{base}/source_health.json?_shape=objects")["rows"]
        assert [(r["id"], r["last_status"]) for r in health] == [("press", "ok")]
        overview = get_json(f"{base}/item_overview.json?_facet=status")
        facet = {v["value"]: v["count"] for v in overview["facet_results"]["status"]["results"]}
        assert facet == {"signal": 1, "unreviewed": 2}
        found = get_json(f"{base}/items.json?_search=retention&_shape=objects")["rows"]
        assert [r["title"] for r in found] == ["Council agrees data retention mandate"]
        # Ad hoc SQL is off: the store is browsed, not queried arbitrarily.
        with pytest.raises(urllib.error.HTTPError):
            get_json(f"{base}.json?sql=select+1")
        page = dump_dom(f"{base}/signals_this_week?theme=", tmp_path / "profile")
        assert "Watch the consultation" in page and "This week" in page
        columns = dump_dom(f"{base}/item_overview", tmp_path / "profile2")
        assert "The analyst" in columns  # column descriptions are shown
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Datasette stopped with horizon serve: nothing listens any more.
    with pytest.raises(OSError):
        get_json(f"{base}.json")


def test_serve_without_a_store_says_so(project):
    project.write_config([{"id": "press", "url": "https://example.org/f.xml"}])
    result = project.run("serve")
    assert result.exit_code == 1
    assert f"{project.db_path}: no store here" in result.output
    assert not project.db_path.exists()
