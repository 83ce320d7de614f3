"""The built-in source types (rss, file, jsonfeed) and plugins from folders and entry points."""

from __future__ import annotations

import json
import shutil

from tests.conftest import CORPUS, FIXTURES, REAL, fast_fetch

PLUGIN = """
from horizon import hookimpl
from horizon.models import Entry, Fetched, ParsedFeed
from horizon.sources import SourceType


class Static(SourceType):
    name = "static"
    needs = "none"

    async def fetch(self, source, ctx):
        return Fetched(documents=[])

    def parse(self, source, fetched):
        return ParsedFeed(entries=[Entry(title="from a plugin", guid="p1")], parser="static")


@hookimpl
def register_sources(register):
    register(Static())
"""


def test_file_source_reads_a_folder_and_survives_a_bad_file(project):
    folder = project.root / "media"
    folder.mkdir()
    shutil.copy(REAL / "nixos-news.xml", folder / "a.xml")
    shutil.copy(REAL / "theregister-science-2019.xml", folder / "b.rss")
    shutil.copy(CORPUS / "real-nonfeed/html-homepage-instead-of-feed.html", folder / "c.xml")
    (folder / "notes.txt").write_text("not read")
    project.write_config([{"id": "media", "type": "file", "path": "media"}], fetch=fast_fetch())
    out = project.json("pull")
    source = out["sources"][0]
    assert source["status"] == "parse-warning"
    assert source["new"] == 99 + 2
    assert "c.xml: an HTML page" in source["error"]


def test_file_source_missing_path_is_io_error(project):
    project.write_config([{"id": "gone", "type": "file", "path": "nowhere.xml"}])
    out = project.json("pull")
    assert out["sources"][0]["error_class"] == "io"
    assert "no such file or folder" in out["sources"][0]["error"]


def test_json_feed_via_rss_and_jsonfeed_types(project, server):
    body = (FIXTURES / "jsonfeed-1.1.json").read_bytes()
    a = server.route("/a.json", body=body, content_type="application/feed+json")
    b = server.route("/b.json", body=body, content_type="application/json")
    project.write_config(
        [{"id": "sniffed", "url": a}, {"id": "typed", "type": "jsonfeed", "url": b}],
        fetch=fast_fetch(),
    )
    assert project.run("pull").exit_code == 0
    items = project.json("items", "list", "--source", "typed")
    by_title = {i["title"]: i for i in items}
    first = by_title["Council agrees position on passenger name record rules"]
    assert first["url"] == "https://policy.example/2026/11/pnr"
    assert first["published"] == "2026-11-20T08:30:00Z"
    assert first["author"] == "Press office" and first["categories"] == ["pnr", "council"]
    assert first["language"] == "en"
    assert by_title["Plain text item"]["language"] == "fr"
    assert by_title[""]["published_estimated"] is True
    full = project.json("items", "show", str(first["id"]))
    assert "<script>" not in json.dumps(full) and "onerror" not in json.dumps(full)
    assert len(project.json("items", "list", "--source", "sniffed")) == 3


def test_json_that_is_not_a_json_feed(project, server):
    url = server.route("/api", body=b'{"hello": "world"}', content_type="application/json")
    project.write_config([{"id": "api", "type": "jsonfeed", "url": url}], fetch=fast_fetch())
    out = project.json("pull")
    assert out["sources"][0]["error_class"] == "not-a-feed"


def test_plugin_folder_beside_config_is_loaded(project):
    (project.root / "plugins").mkdir()
    (project.root / "plugins" / "static_source.py").write_text(PLUGIN)
    project.write_config([{"id": "s", "type": "static"}])
    listing = project.json("plugins")
    names = {p["name"]: p for p in listing}
    assert names["static_source"]["hooks"] == ["register_sources"]
    assert {"rss", "file", "jsonfeed"} <= set(names)
    assert project.run("pull").exit_code == 0
    assert project.json("items", "list")[0]["title"] == "from a plugin"


def test_plugins_dir_env_and_broken_plugin(project, tmp_path, monkeypatch):
    extra = tmp_path / "more-plugins"
    extra.mkdir()
    (extra / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.setenv("HORIZON_PLUGINS_DIR", str(extra))
    project.write_config([{"id": "s", "type": "static"}])
    listing = project.json("plugins")
    broken = next(p for p in listing if p["name"] == "broken")
    assert "boom at import" in broken["error"]
    result = project.run("pull")
    assert result.exit_code == 2  # the type it would have provided is unknown: a config error
    assert (
        "plugin broken" in result.stderr and "'static' is not a known source type" in result.stderr
    )


def test_entry_point_plugins_and_the_allow_list(project, tmp_path, monkeypatch):
    site = tmp_path / "site"
    dist = site / "horizon_fake-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: horizon-fake\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[horizon]\nfake = horizon_fake_plugin\n")
    (site / "horizon_fake_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    project.write_config([])
    monkeypatch.setenv("HORIZON_LOAD_PLUGINS", "")
    assert "fake" not in {p["name"] for p in project.json("plugins")}
    monkeypatch.setenv("HORIZON_LOAD_PLUGINS", "fake")
    loaded = {p["name"]: p for p in project.json("plugins")}
    assert loaded["fake"]["origin"] == "entry point horizon_fake_plugin"
    assert loaded["fake"]["hooks"] == ["register_sources"]


def test_source_plugin_crash_is_recorded_not_fatal(project, server):
    (project.root / "plugins").mkdir()
    (project.root / "plugins" / "crashy.py").write_text(
        PLUGIN.replace(
            "return Fetched(documents=[])", "raise ZeroDivisionError('bad plugin')"
        ).replace('"static"', '"crashy"')
    )
    good = server.file("/g.xml", REAL / "nixos-news.xml")
    project.write_config(
        [{"id": "c", "type": "crashy"}, {"id": "g", "url": good}], fetch=fast_fetch()
    )
    out = project.json("pull")
    by_id = {s["source"]: s for s in out["sources"]}
    assert by_id["c"]["error_class"] == "plugin" and "ZeroDivisionError" in by_id["c"]["error"]
    assert by_id["g"]["new"] == 99
