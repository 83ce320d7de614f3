"""The store's schema as numbered migrations. A landed migration is never edited: add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from horizon.db import run_script

MIGRATIONS = Migrations("horizon")


@MIGRATIONS(name="0001_sources_items_fetches")
def m0001(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,            -- the stable id from feeds.yaml
            name TEXT,
            type TEXT NOT NULL,
            url TEXT,                       -- url (or path) as feeds.yaml gives it
            effective_url TEXT,             -- where we fetch now (after a confirmed move)
            organisation TEXT,
            category TEXT,
            jurisdiction TEXT,
            language TEXT,
            config TEXT,                    -- the source's feeds.yaml entry as JSON
            enabled INTEGER NOT NULL DEFAULT 1,
            in_config INTEGER NOT NULL DEFAULT 1,
            added_at TEXT NOT NULL,
            removed_at TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            feed_title TEXT,
            feed_link TEXT,
            ttl_minutes INTEGER,
            last_fetch_at TEXT,
            last_success_at TEXT,
            last_new_item_at TEXT,
            last_status TEXT NOT NULL DEFAULT 'new',
            last_error TEXT,
            last_http_status INTEGER,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_fetch_at TEXT,
            next_fetch_reason TEXT,
            redirect_to TEXT,               -- a permanent redirect seen on recent pulls
            redirect_seen INTEGER NOT NULL DEFAULT 0,
            gone_at TEXT,
            guid_unreliable INTEGER NOT NULL DEFAULT 0,
            cadence_seconds REAL
        );
        CREATE TABLE source_urls (
            id INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL REFERENCES sources(id),
            url TEXT NOT NULL,
            previous_url TEXT,
            changed_at TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX idx_source_urls_source ON source_urls(source_id);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,           -- running, ok, failures, interrupted
            pid INTEGER,
            host TEXT,
            options TEXT,
            sources_due INTEGER,
            sources_ok INTEGER,
            sources_failed INTEGER,
            sources_skipped INTEGER,
            items_new INTEGER,
            items_updated INTEGER,
            duration_ms INTEGER
        );
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            source_id TEXT NOT NULL REFERENCES sources(id),
            started_at TEXT NOT NULL,
            duration_ms INTEGER,
            status TEXT NOT NULL,  -- ok, parse-warning, not-modified, unchanged, skipped, error
            error_class TEXT,
            error TEXT,
            http_status INTEGER,
            url TEXT,
            final_url TEXT,
            bytes INTEGER,
            content_type TEXT,
            parser TEXT,
            items_seen INTEGER,
            items_new INTEGER,
            items_updated INTEGER,
            next_fetch_at TEXT,
            next_fetch_reason TEXT
        );
        CREATE INDEX idx_fetches_source ON fetches(source_id, started_at);
        CREATE INDEX idx_fetches_run ON fetches(run_id);
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source_id TEXT NOT NULL REFERENCES sources(id),
            key TEXT NOT NULL,              -- identity within the source: guid:, link: or hash:
            guid TEXT,
            url TEXT,
            title TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',   -- plain text, short
            content TEXT NOT NULL DEFAULT '',   -- sanitised HTML as the feed gave it
            text TEXT NOT NULL DEFAULT '',      -- plain text of the fullest content
            author TEXT,
            published TEXT NOT NULL,        -- UTC; first_seen when the feed gave no usable date
            published_estimated INTEGER NOT NULL DEFAULT 0,
            published_raw TEXT,
            updated TEXT,
            first_seen TEXT NOT NULL,
            changed_at TEXT,
            language TEXT,
            categories TEXT,                -- JSON list
            extra TEXT,                     -- JSON from the source type
            content_hash TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            fetch_id INTEGER REFERENCES fetches(id),
            UNIQUE (source_id, key)
        );
        CREATE INDEX idx_items_published ON items(published);
        CREATE INDEX idx_items_source_published ON items(source_id, published);
        CREATE INDEX idx_items_first_seen ON items(first_seen);
        CREATE TABLE item_versions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            title TEXT,
            url TEXT,
            summary TEXT,
            content TEXT,
            text TEXT,
            content_hash TEXT,
            replaced_at TEXT NOT NULL
        );
        CREATE INDEX idx_item_versions_item ON item_versions(item_id);
        CREATE TABLE tombstones (
            source_id TEXT NOT NULL,
            key TEXT NOT NULL,
            deleted_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (source_id, key)
        );
        -- Full-text search over title and text, kept in sync by triggers on those columns only,
        -- so bookkeeping updates never re-index.
        CREATE VIRTUAL TABLE items_fts USING fts5(
            title, text, content='items', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
            INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER items_au AFTER UPDATE OF title, text ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO items_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """,
    )


@MIGRATIONS(name="0002_tags_reviews")
def m0002(db: Database) -> None:
    run_script(
        db,
        """
        -- What each automatic tagger said about an item, with its evidence. Re-tagging
        -- replaces an item's rows for that tagger; analyst decisions live in `reviews`.
        CREATE TABLE auto_tags (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            tagger TEXT NOT NULL,           -- keywords, model, or a plugin's tagger
            kind TEXT NOT NULL,             -- theme, topic, fourp
            value TEXT NOT NULL,
            score REAL NOT NULL,
            assigned INTEGER NOT NULL,      -- 1 when this tagger alone would give the tag
            evidence TEXT,                  -- JSON: matched terms and where, or model details
            version TEXT,                   -- taxonomy or model version that produced it
            tagged_at TEXT NOT NULL,
            PRIMARY KEY (item_id, tagger, kind, value)
        );
        -- The tags an item has now: the analyst's where they decided, else the automatic ones.
        CREATE TABLE item_tags (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            origin TEXT NOT NULL,           -- auto, or analyst:NAME
            score REAL,
            PRIMARY KEY (item_id, kind, value)
        );
        CREATE INDEX idx_item_tags_value ON item_tags(kind, value, item_id);
        -- Trained models, versioned; the newest active one is used.
        CREATE TABLE tag_models (
            id INTEGER PRIMARY KEY,
            tagger TEXT NOT NULL,
            created_at TEXT NOT NULL,
            examples INTEGER NOT NULL,
            params TEXT,                    -- JSON
            metrics TEXT,                   -- JSON: cross-validated scores
            data BLOB NOT NULL,             -- the model as compressed JSON (no pickle)
            active INTEGER NOT NULL DEFAULT 1
        );
        -- An analyst's decision on an item: one row per item, the audit table keeps history.
        CREATE TABLE reviews (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            status TEXT NOT NULL DEFAULT 'unreviewed',  -- unreviewed, reviewed, signal, noise
            themes TEXT,                    -- JSON list; NULL = the automatic themes stand
            topics TEXT,                    -- JSON list; NULL = the automatic topics stand
            fourp TEXT,                     -- JSON list
            note TEXT,
            review_by TEXT,                 -- YYYY-MM-DD
            flagged INTEGER NOT NULL DEFAULT 0,
            analyst TEXT,
            decided_at TEXT,
            revision INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX idx_reviews_status ON reviews(status);
        CREATE INDEX idx_reviews_review_by ON reviews(review_by);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL,
            analyst TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            before TEXT,                    -- JSON of the review row before
            after TEXT                      -- JSON of the review row after
        );
        CREATE INDEX idx_audit_item ON audit(item_id);
        ALTER TABLE items ADD COLUMN auto_score REAL;
        CREATE INDEX idx_items_auto_score ON items(auto_score);
        """,
    )


@MIGRATIONS(name="0003_review_claims")
def m0003(db: Database) -> None:
    run_script(
        db,
        """
        -- Which analyst has an item open in `horizon review`, so another analyst's queue skips
        -- it; a claim lapses on its own (a closed terminal leaves nothing stuck).
        CREATE TABLE review_claims (
            item_id INTEGER PRIMARY KEY,
            analyst TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX idx_audit_analyst ON audit(analyst, id);
        """,
    )


@MIGRATIONS(name="0004_digests")
def m0004(db: Database) -> None:
    run_script(
        db,
        """
        -- Every digest produced: what period, with what parameters, which items, and the data
        -- it was drawn from (so `horizon digest show N` regenerates it identically).
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            period_label TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            format TEXT NOT NULL,
            parameters TEXT NOT NULL,       -- JSON
            item_ids TEXT NOT NULL,         -- JSON list of the items it included
            snapshot BLOB NOT NULL,         -- zlib-compressed JSON of the digest's content
            sha256 TEXT NOT NULL            -- of the rendered output
        );
        CREATE INDEX idx_digests_end ON digests(period_end);
        """,
    )


@MIGRATIONS(name="0005_dossiers_overview")
def m0005(db: Database) -> None:
    run_script(
        db,
        """
        -- Legislative dossiers (procedures) that items belong to: one row per procedure.
        CREATE TABLE dossiers (
            reference TEXT PRIMARY KEY,     -- e.g. 2022/0155(COD)
            title TEXT,
            procedure_type TEXT,
            current_stage TEXT,
            next_step TEXT,                 -- the next expected step, where it can be told
            last_event_date TEXT,
            source_id TEXT,
            url TEXT,
            updated_at TEXT NOT NULL
        );
        ALTER TABLE items ADD COLUMN dossier TEXT REFERENCES dossiers(reference);
        CREATE INDEX idx_items_dossier ON items(dossier);
        -- One row per item with its tags and review state, for Datasette's facets.
        CREATE VIEW item_overview AS
        SELECT items.id, items.title, items.url, items.published, items.source_id,
               sources.name AS source_name, items.language, items.auto_score,
               coalesce(r.status, 'unreviewed') AS status, coalesce(r.flagged, 0) AS flagged,
               r.note, r.review_by, r.analyst, items.dossier,
               (SELECT json_group_array(value) FROM item_tags t
                 WHERE t.item_id = items.id AND t.kind = 'theme') AS themes,
               (SELECT json_group_array(value) FROM item_tags t
                 WHERE t.item_id = items.id AND t.kind = 'topic') AS topics
        FROM items JOIN sources ON sources.id = items.source_id
        LEFT JOIN reviews r ON r.item_id = items.id;
        """,
    )


@MIGRATIONS(name="0006_fts_insert_by_store")
def m0006(db: Database) -> None:
    # store.save_items indexes new items itself, in one statement per source: from a trigger,
    # FTS5 writes its pending terms out at every row (each trigger runs in a savepoint), which
    # made indexing the largest part of storing (0.36 s against 0.10 s for 2,000 items).
    run_script(db, "DROP TRIGGER items_ai;")


@MIGRATIONS(name="0007_items_published_score")
def m0007(db: Database) -> None:
    # The digest chooses a period's items by date and score (its signals, stories and
    # unreviewed lists): with the score in the date index it reads only the rows it keeps,
    # where the date index alone sent SQLite to each of the period's rows for its score
    # (80,000 rows a list for a quarter at a million items). The new index serves every query
    # the old one did: its first column is the same.
    run_script(
        db,
        """
        CREATE INDEX idx_items_published_score ON items(published, auto_score);
        DROP INDEX idx_items_published;
        """,
    )


@MIGRATIONS(name="0008_runs_parse_workers")
def m0008(db: Database) -> None:
    # How many parse processes a pull started, and whether they broke (the store thread then
    # parsed the rest): a pull's speed explained from the store.
    run_script(
        db,
        """
        ALTER TABLE runs ADD COLUMN parse_workers INTEGER;
        ALTER TABLE runs ADD COLUMN parse_workers_lost INTEGER;
        """,
    )


@MIGRATIONS(name="0009_items_titles")
def m0009(db: Database) -> None:
    # The digest's emerging terms count the titles of the tagged items of a period and its
    # baseline (at a million items, 143,000 of them for a quarter). Read from the items' own
    # rows, that read touched most of the store: about 10 s after the OS's cache was dropped.
    # This narrow index holds all the read needs (the item's id first, as it is looked up),
    # a twenty-fifth of the rows' size: 1.5 s cold, and 0.8 s instead of 1.2 s warm.
    run_script(db, "CREATE INDEX idx_items_titles ON items(id, published, source_id, title);")


@MIGRATIONS(name="0010_items_queue")
def m0010(db: Database) -> None:
    # The review queue's order: score band, then newest. Sorting every unreviewed item for the
    # one shown next took 1.2 s a decision at a million items; walking this index in order and
    # stopping at the first item still queued takes a millisecond or less.
    run_script(
        db,
        "CREATE INDEX idx_items_queue ON items"
        "(round(coalesce(auto_score, 0), 1) DESC, published DESC, id DESC);",
    )
