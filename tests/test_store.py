"""Storing: identity, idempotent pulls, updates with history, tombstones, dates, links, FTS."""

from __future__ import annotations

import json
from datetime import timedelta

from horizon.cli import app
from horizon.textutil import utcnow
from tests.conftest import fast_fetch


def rss(*items: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://pub.example/</link>{extra}{''.join(items)}</channel></rss>"
    )


def item(title="A", guid=None, link=None, date="Mon, 02 Nov 2026 10:00:00 GMT", desc="text"):
    parts = [f"<title>{title}</title>", f"<description>{desc}</description>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def setup(project, body: str):
    feed = project.root / "feed.xml"
    feed.write_text(body, encoding="utf-8")
    project.write_config([{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch())
    return feed


def pull(project):
    result = project.run("pull", "--force", "--json")
    assert result.exit_code == 0, result.output
    import json

    return json.loads(result.stdout)["sources"][0]


def rows(project):
    return list(project.db().query("SELECT * FROM items ORDER BY id"))


def test_pull_twice_adds_nothing(project):
    setup(project, rss(item("A", guid="1"), item("B", guid="2")))
    assert pull(project)["new"] == 2
    second = pull(project)
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 2)
    assert len(rows(project)) == 2


def test_identity_falls_back_from_guid_to_link_to_hash(project):
    setup(
        project,
        rss(item("A", guid="g1"), item("B", link="https://pub.example/b?utm_source=x"), item("C")),
    )
    pull(project)
    keys = [r["key"] for r in rows(project)]
    assert keys[0] == "guid:g1"
    assert keys[1] == "link:https://pub.example/b"
    assert keys[2].startswith("hash:")


def test_tracking_parameters_are_stripped_from_links(project):
    setup(
        project,
        rss(
            item("A", guid="1", link="https://pub.example/a?id=7&utm_medium=rss&fbclid=zz&gclid=q")
        ),
    )
    pull(project)
    assert rows(project)[0]["url"] == "https://pub.example/a?id=7"


def test_repeated_guids_fall_back_to_links(project):
    setup(
        project,
        rss(
            item("A", guid="same", link="https://pub.example/a"),
            item("B", guid="same", link="https://pub.example/b"),
            item("C", guid="same", link="https://pub.example/c"),
        ),
    )
    assert pull(project)["new"] == 3
    assert {r["key"] for r in rows(project)} == {
        "link:https://pub.example/a",
        "link:https://pub.example/b",
        "link:https://pub.example/c",
    }
    assert next(project.db().query("SELECT guid_unreliable FROM sources"))["guid_unreliable"] == 1
    assert pull(project)["new"] == 0  # stable across pulls


def test_exact_duplicate_entries_are_stored_once(project):
    setup(project, rss(item("A", guid="1"), item("A", guid="1")))
    assert pull(project)["new"] == 1


def test_changed_item_is_updated_in_place_with_history(project):
    feed = setup(project, rss(item("First title", guid="1", desc="one")))
    pull(project)
    item_id = rows(project)[0]["id"]
    feed.write_text(rss(item("Corrected title", guid="1", desc="two")), encoding="utf-8")
    assert pull(project)["updated"] == 1
    row = rows(project)[0]
    assert (row["id"], row["title"], row["version"]) == (item_id, "Corrected title", 2)
    versions = list(project.db().query("SELECT * FROM item_versions"))
    assert versions[0]["title"] == "First title" and versions[0]["text"] == "one"
    shown = project.run("items", "show", str(item_id))
    assert "earlier version 1" in shown.stdout and "First title" in shown.stdout


def test_updates_are_bounded(project):
    feed = setup(project, rss(item("v0", guid="1")))
    project.write_config(
        [{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch(max_versions=2)
    )
    pull(project)
    for n in range(1, 6):
        feed.write_text(rss(item(f"v{n}", guid="1")), encoding="utf-8")
        pull(project)
    row = rows(project)[0]
    assert row["version"] == 3  # two updates kept, later changes ignored
    assert project.db().execute("SELECT count(*) FROM item_versions").fetchone()[0] == 2


def test_missing_absurd_and_future_dates_fall_back_to_first_seen(project):
    future = (utcnow() + timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    setup(
        project,
        rss(
            item("nodate", guid="1", date=None),
            item("ancient", guid="2", date="Mon, 01 Jan 1900 00:00:00 GMT"),
            item("future", guid="3", date=future),
            item("fine", guid="4"),
        ),
    )
    pull(project)
    by_title = {r["title"]: r for r in rows(project)}
    for title in ("nodate", "ancient", "future"):
        assert by_title[title]["published_estimated"] == 1
        assert by_title[title]["published"] == by_title[title]["first_seen"]
    assert by_title["ancient"]["published_raw"] == "Mon, 01 Jan 1900 00:00:00 GMT"
    assert by_title["fine"]["published"] == "2026-11-02T10:00:00Z"
    assert by_title["fine"]["published_estimated"] == 0
    listed = project.json("items", "list")
    assert {i["title"]: i["published_estimated"] for i in listed}["nodate"] is True


def test_dates_are_stored_in_utc(project):
    setup(project, rss(item("tz", guid="1", date="Mon, 02 Nov 2026 12:00:00 +0200")))
    pull(project)
    assert rows(project)[0]["published"] == "2026-11-02T10:00:00Z"


def test_plain_text_and_summary_from_html(project):
    setup(
        project,
        rss(
            item(
                "A",
                guid="1",
                desc="&lt;p&gt;Hello &lt;b&gt;board&lt;/b&gt;&lt;/p&gt;&lt;p&gt;second&lt;/p&gt;",
            )
        ),
    )
    pull(project)
    row = rows(project)[0]
    assert row["text"] == "Hello board second"
    assert row["summary"] == "Hello board second"
    assert "<b>board</b>" in row["content"]


def test_retention_prunes_and_tombstones_keep_items_away(project):
    old = "Mon, 02 Jan 2017 10:00:00 GMT"
    setup(project, rss(item("old", guid="1", date=old), item("new", guid="2")))
    project.write_config(
        [{"id": "f", "type": "file", "path": "feed.xml"}], fetch=fast_fetch(), retention="1000d"
    )
    summary = project.json("pull", "--force")
    assert summary["pruned"] == 1
    assert [r["title"] for r in rows(project)] == ["new"]
    fts_intact(project)  # the pruned item left the full-text index too
    assert pull(project)["new"] == 0  # the tombstone keeps it from coming back
    tomb = list(project.db().query("SELECT * FROM tombstones"))
    assert tomb[0]["key"] == "guid:1" and tomb[0]["reason"] == "retention"


def fts_intact(project):
    """FTS5's own check that the index holds exactly the items' titles and texts."""
    project.db().execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")


def test_full_text_index_follows_updates(project):
    feed = setup(project, rss(item("Vorratsdatenspeicherung gestoppt", guid="1")))
    pull(project)  # new items are indexed by save_items itself (no insert trigger)
    assert project.json("items", "search", "Vorratsdatenspeicherung")
    fts_intact(project)
    feed.write_text(rss(item("Passenger name record directive", guid="1")), encoding="utf-8")
    pull(project)
    assert project.json("items", "search", "Vorratsdatenspeicherung") == []
    assert len(project.json("items", "search", '"passenger name"')) == 1
    fts_intact(project)


def test_a_removed_source_keeps_its_items(project):
    setup(project, rss(item("A", guid="1")))
    pull(project)
    project.write_config([])
    project.run("sources", "list")
    assert len(rows(project)) == 1
    listed = project.json("sources", "list", "--all")
    assert listed[0]["in_config"] is False


def test_the_store_can_only_be_opened_where_it_makes_sense(project, tmp_path):
    """A --db that is not a store, or cannot be created, is a clear error (exit 1)."""
    project.write_config([])
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just notes " * 100)
    result = project.runner.invoke(app, ["--db", str(text), "items", "list"])
    assert result.exit_code == 1 and "not a usable horizon store" in result.stderr
    assert text.read_text().startswith("not a database")  # untouched
    blocked = project.runner.invoke(
        app, ["--db", str(text / "sub" / "h.db"), "--config", str(project.config), "pull"]
    )
    assert blocked.exit_code == 1 and "cannot create the store's folder" in blocked.stderr


def test_only_pull_makes_a_store_a_mistyped_db_is_an_error(project, tmp_path):
    """Any command but `pull` (and the demo, and training from a file) given a store path
    with nothing behind it says so, naming the path and what chose it, and leaves nothing
    there: a mistyped --db used to answer "No items match." and leave an empty store."""
    project.write_config([{"id": "press", "url": "https://example.org/f.xml"}])
    typo = tmp_path / "typo" / "horizn.db"
    commands = [
        ["items", "list"],
        ["items", "search", "encryption"],
        ["items", "show", "1"],
        ["items", "history", "1"],
        ["tag", "1"],
        ["watchlist"],
        ["retag"],
        ["tagger", "train"],
        ["digest"],
        ["digest", "list"],
        ["digest", "show", "1"],
        ["sources", "show", "press"],
        ["backup", str(tmp_path / "copy.db")],
    ]
    for command in commands:
        result = project.runner.invoke(
            app, ["--db", str(typo), "--config", str(project.config), *command]
        )
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr == (
            f"Error: {typo}: no store here (given by --db or HORIZON_DB); "
            "`horizon pull` creates one\n"
        ), command
        assert not typo.parent.exists(), command
    assert not (tmp_path / "copy.db").exists()

    # feeds.yaml names the store: the error says so
    project.write_config([], database=str(typo))
    result = project.runner.invoke(app, ["--config", str(project.config), "items", "list"])
    assert result.exit_code == 1 and f"(the `database:` of {project.config.name})" in result.stderr

    # sources list shows feeds.yaml's sources, before any pull, without making a store
    project.write_config([{"id": "press", "url": "https://example.org/f.xml"}])
    listed = project.runner.invoke(
        app, ["--db", str(typo), "--config", str(project.config), "sources", "list", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [(s["id"], s["status"]) for s in json.loads(listed.stdout)] == [("press", "new")]
    assert "no store here yet; `horizon pull` fetches these sources into one" in listed.stderr
    # the taggers' status and classifying work with the rules and the seed model alone
    status = project.runner.invoke(
        app, ["--db", str(typo), "--config", str(project.config), "tagger", "status", "--json"]
    )
    assert status.exit_code == 0 and json.loads(status.stdout)["models"] == []
    lines = tmp_path / "items.jsonl"
    lines.write_text(json.dumps({"id": "a", "title": "Data retention law", "summary": ""}) + "\n")
    classified = project.runner.invoke(
        app, ["--db", str(typo), "--config", str(project.config), "tagger", "classify", str(lines)]
    )
    assert classified.exit_code == 0 and json.loads(classified.stdout)["id"] == "a"
    assert not typo.parent.exists()

    project.write_config([])  # no sources: no fetch
    pulled = project.runner.invoke(
        app, ["--db", str(typo), "--config", str(project.config), "pull"]
    )
    assert typo.exists(), pulled.output
    assert project.runner.invoke(app, ["--db", str(typo), "items", "list"]).exit_code == 0


def test_read_only_opening_nested_transactions_and_backup(tmp_path):
    import sqlite3

    import pytest

    from horizon.db import backup, open_db, transaction
    from horizon.errors import StoreError

    with pytest.raises(StoreError, match="no store here yet"):
        open_db(tmp_path / "missing.db", readonly=True)
    db = open_db(tmp_path / "h.db")
    db.execute("CREATE TABLE t (x)")
    with transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError), transaction(db):  # nested: a savepoint
            db.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError
    assert [r[0] for r in db.execute("SELECT x FROM t")] == [1]
    backup(db, tmp_path / "copy.db")
    with pytest.raises(StoreError, match="already exists"):
        backup(db, tmp_path / "copy.db")
    ro = open_db(tmp_path / "copy.db", readonly=True)
    assert [r[0] for r in ro.execute("SELECT x FROM t")] == [1]
    with pytest.raises(sqlite3.OperationalError):
        ro.execute("INSERT INTO t VALUES (3)")


def test_a_store_whose_path_has_uri_characters_opens_read_only(project, tmp_path):
    # Read-only opening goes through a file: URI, where '#', '?' and '%' mean something; the
    # digest reads through a read-only connection too.
    setup(project, rss(item("Chat control vote", guid="1")))
    store = tmp_path / "team #2? 50% sure" / "horizon.db"

    def run(*args: str):  # type: ignore[no-untyped-def]
        given = ["--db", str(store), "--config", str(project.config), *args]
        return project.runner.invoke(app, given)

    assert run("pull").exit_code == 0
    listed = run("items", "list", "--json")
    assert listed.exit_code == 0, listed.output
    digest = run("digest", "--period", "2026-W45")
    assert digest.exit_code == 0, digest.output


def reopened_from_before(project, tmp_path, migration: str, *undo: str):
    """A pulled store taken back to before `migration` (its `undo` statements run on a copy
    and the migration's record deleted), opened again (so migrated), with its names of
    indexes; its items must come through untouched."""
    from sqlite_utils import Database

    from horizon.db import open_db

    setup(project, rss(item("A", guid="1"), item("B", guid="2")))
    pull(project)
    before = rows(project)
    old = Database(tmp_path / "old.db")
    project.db().conn.backup(old.conn)
    for statement in undo:
        old.execute(statement)
    old.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [migration])
    old.conn.commit()
    old.close()
    db = open_db(tmp_path / "old.db")
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert list(db.query("SELECT * FROM items ORDER BY id")) == before
    return db, indexes


def test_a_store_from_before_the_score_index_migrates_keeping_its_items(project, tmp_path):
    """A store without migration 0007 (items indexed by date alone, not date and score) gains
    the new index and loses the old one on opening, its items untouched; the digest's lists
    use it."""
    db, indexes = reopened_from_before(
        project,
        tmp_path,
        "0007_items_published_score",
        "DROP INDEX idx_items_published_score",
        "CREATE INDEX idx_items_published ON items(published)",
    )
    assert "idx_items_published_score" in indexes and "idx_items_published" not in indexes
    plan = " ".join(
        r[3]
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE published >= ? AND published < ? "
            "ORDER BY auto_score DESC LIMIT 5",
            ["2026-01-01", "2027-01-01"],
        )
    )
    assert "COVERING INDEX idx_items_published_score" in plan


def test_a_store_from_before_the_titles_index_gains_it_and_the_digest_reads_it(project, tmp_path):
    """A store without migration 0009 gains the narrow index of the items' id, date, source
    and title on opening, its items untouched; the digest's emerging terms read their items
    from that index alone, not from the items' rows."""
    from horizon import digest, periods

    db, indexes = reopened_from_before(
        project, tmp_path, "0009_items_titles", "DROP INDEX idx_items_titles"
    )
    assert "idx_items_titles" in indexes
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    period = periods.parse_period("2026-Q4")
    digest._tagged_rows(db, period, digest.DigestOptions())
    db.conn.set_trace_callback(None)
    read = next(s for s in statements if "FROM tagged" in s)
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + read))
    assert "SEARCH items USING COVERING INDEX idx_items_titles" in plan
