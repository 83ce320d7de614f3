"""OPML import/export round-trips with real exports from feed readers."""

from __future__ import annotations

import csv

import pytest

from horizon.config import load_config
from horizon.plugins import load_plugins
from tests.conftest import CORPUS

OPML = CORPUS / "checks" / "opml"
MANIFEST = {
    row["file"]: row
    for row in csv.DictReader((OPML / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t")
}


def types():
    return load_plugins(None).collect("register_sources", "source type")


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_import_real_opml(project, name):
    expected = MANIFEST[name]
    result = project.json("sources", "import-opml", str(OPML / name))
    added, duplicates = result["added"], result["duplicates"]
    assert len(added) == int(expected["distinct_feed_urls"]) or name.startswith("winer")
    assert len(added) + len(duplicates) == int(
        expected["outlines_with_feed_url"]
    ) or name.startswith("winer")
    if name.startswith("winer"):  # type="link" outlines point at pages, not feeds
        assert added == [] and len(result["skipped"]) == 115
    if added:
        config = load_config(project.config, types())  # the written file validates
        assert len(config.sources) == len(added)
        urls = {s.url for s in config.sources}
        assert len(urls) == len(added)


def test_nested_folders_become_categories(project):
    project.json("sources", "import-opml", str(OPML / "liferea-nested-vfolders.opml"))
    config = load_config(project.config, types())
    cats = {s.category for s in config.sources}
    assert "Liferea Feed List Export / Technology / Development" in cats


def test_reimport_reports_duplicates_and_adds_nothing(project):
    project.json("sources", "import-opml", str(OPML / "flym-backup-v11.opml"))
    before = project.config.read_text()
    again = project.json("sources", "import-opml", str(OPML / "flym-backup-v11.opml"))
    assert again["added"] == [] and len(again["duplicates"]) == 11
    assert project.config.read_text() == before


def test_import_keeps_existing_comments(project):
    project.config.write_text(
        "# our sources\nsources:\n  # the EU\n  - id: edri\n    url: https://edri.org/feed/\n"
    )
    project.run("sources", "import-opml", str(OPML / "antennapod-podcasts-v20.opml"))
    text = project.config.read_text()
    assert "# our sources" in text and "# the EU" in text
    assert len(load_config(project.config, types()).sources) == 9


def test_export_then_import_round_trips(project, tmp_path):
    project.json("sources", "import-opml", str(OPML / "rssguard-export-badversion.opml"))
    original = load_config(project.config, types()).sources
    exported = tmp_path / "out.opml"
    assert project.run("sources", "export-opml", "--out", str(exported)).exit_code == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    from typer.testing import CliRunner

    from horizon.cli import app

    result = CliRunner().invoke(
        app,
        [
            "--config",
            str(fresh / "feeds.yaml"),
            "--db",
            str(fresh / "h.db"),
            "sources",
            "import-opml",
            str(exported),
        ],
    )
    assert result.exit_code == 0, result.output
    again = load_config(fresh / "feeds.yaml", types()).sources
    assert [(s.url, s.name, s.category) for s in again] == [
        (s.url, s.name, s.category) for s in original
    ]


def test_not_opml_is_a_clear_error(project, tmp_path):
    bad = tmp_path / "x.opml"
    bad.write_text("<html><body>hi</body></html>")
    result = project.run("sources", "import-opml", str(bad))
    assert result.exit_code == 2 and "not an OPML file" in result.stderr
    missing = project.run("sources", "import-opml", str(tmp_path / "none.opml"))
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
