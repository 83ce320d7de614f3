"""Read-side queries: source health, item listings, full-text search, one item in full."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from horizon.errors import UsageError
from horizon.textutil import from_iso, iso, terminal_safe, utcnow

STALE_FLOOR = 7 * 86400.0  # never call a source stale within a week of its last item
STALE_DEFAULT = 30 * 86400.0  # when its cadence is unknown
CADENCE_FACTOR = 4


def stale_after(cadence: float | None, configured: float | None) -> float:
    """How long without a new item before a source counts as stale."""
    if configured:
        return configured
    if cadence:
        return max(CADENCE_FACTOR * cadence, STALE_FLOOR)
    return STALE_DEFAULT


def list_sources(
    db: Database,
    *,
    include_removed: bool = False,
    now: datetime | None = None,
    counts: bool = True,
) -> list[dict[str, Any]]:
    """Each source's health: status, last success, failures, next fetch, items, stale.
    Without `counts`, `items` is None: counting reads every item's index entry (a third of a
    second at a million items), while each source's newest item is one index look-up."""
    now = now or utcnow()
    where = "" if include_removed else "WHERE s.in_config = 1"
    if counts:
        found = """LEFT JOIN (SELECT source_id, count(*) AS n, max(published) AS newest
                   FROM items GROUP BY source_id) c ON c.source_id = s.id"""
        columns = "coalesce(c.n, 0) AS items, c.newest"
    else:
        found = ""
        columns = (
            "NULL AS items, (SELECT max(published) FROM items WHERE items.source_id = s.id) "
            "AS newest"
        )
    rows = db.query(f"SELECT s.*, {columns} FROM sources s {found} {where} ORDER BY s.id")
    out = []
    for row in rows:
        config = json.loads(row["config"] or "{}")
        configured_stale = config.get("stale_after")
        newest = from_iso(row["newest"])
        limit = stale_after(row["cadence_seconds"], configured_stale)
        stale = bool(newest and row["last_success_at"] and (now - newest).total_seconds() > limit)
        status = row["last_status"]
        if not row["enabled"]:
            status = "disabled"
        elif row["gone_at"] and status == "gone":
            status = "gone"
        out.append(
            {
                "id": row["id"],
                "name": row["name"],
                "type": row["type"],
                "url": row["url"],
                "effective_url": row["effective_url"],
                "moved": bool(row["effective_url"] and row["effective_url"] != row["url"]),
                "organisation": row["organisation"],
                "status": status,
                "last_error": row["last_error"],
                "last_success": row["last_success_at"],
                "last_fetch": row["last_fetch_at"],
                "consecutive_failures": row["consecutive_failures"],
                "next_fetch": row["next_fetch_at"],
                "next_fetch_reason": row["next_fetch_reason"],
                "items": row["items"],
                "newest_item": row["newest"],
                "stale": stale,
                "stale_after_days": round(limit / 86400, 1),
                "in_config": bool(row["in_config"]),
            }
        )
    return out


@dataclass
class ItemFilter:
    """What `items list` (and later the review queue and digest) select on."""

    source: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = 50
    ids: list[int] | None = None
    themes: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    status: str | None = None
    flagged: bool | None = None
    analyst: str | None = None
    extra_where: list[str] = field(default_factory=list)
    extra_params: list[Any] = field(default_factory=list)
    # Tags as a list of the items carrying them (`items.id IN (...)`), which SQLite then walks
    # first, rather than a check of each item it walks otherwise: the faster where a theme is
    # the only narrow condition (see review.queue_count).
    tags_first: bool = False


ITEM_COLUMNS = (
    "items.id, items.source_id, items.key, items.guid, items.url, items.title, items.summary, "
    "items.published, items.published_estimated, items.first_seen, items.updated, "
    "items.language, items.author, items.categories, items.version, items.changed_at, "
    "coalesce(r.status, 'unreviewed') AS status, r.note, r.review_by, "
    "coalesce(r.flagged, 0) AS flagged, r.analyst"
)


def _where(f: ItemFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.source:
        clauses.append(f"items.source_id IN ({','.join('?' * len(f.source))})")
        params.extend(f.source)
    if f.since is not None:
        clauses.append("items.published >= ?")
        params.append(iso(f.since))
    if f.until is not None:
        clauses.append("items.published < ?")
        params.append(iso(f.until))
    for kind, values in (("theme", f.themes), ("topic", f.topics)):
        for value in values:
            clauses.append(
                "items.id IN (SELECT t.item_id FROM item_tags t WHERE t.kind = ? AND t.value = ?)"
                if f.tags_first
                else "EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = items.id "
                "AND t.kind = ? AND t.value = ?)"
            )
            params.extend([kind, value])
    if f.status is not None:
        clauses.append(
            "coalesce((SELECT status FROM reviews WHERE item_id = items.id), 'unreviewed') = ?"
        )
        params.append(f.status)
    if f.flagged is not None:
        clauses.append("coalesce((SELECT flagged FROM reviews WHERE item_id = items.id), 0) = ?")
        params.append(int(f.flagged))
    if f.analyst is not None:
        clauses.append("(SELECT analyst FROM reviews WHERE item_id = items.id) = ?")
        params.append(f.analyst)
    if f.ids is not None:
        clauses.append(f"items.id IN ({','.join('?' * len(f.ids)) or 'NULL'})")
        params.extend(f.ids)
    clauses.extend(f.extra_where)
    params.extend(f.extra_params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_items(db: Database, f: ItemFilter) -> list[dict[str, Any]]:
    """Items newest first, with their source's name."""
    where, params = _where(f)
    limit = f" LIMIT {int(f.limit)}" if f.limit else ""
    sql = (
        f"SELECT {ITEM_COLUMNS}, sources.name AS source_name FROM items "
        f"JOIN sources ON sources.id = items.source_id "
        f"LEFT JOIN reviews r ON r.item_id = items.id{where} "
        f"ORDER BY items.published DESC, items.id DESC{limit}"
    )
    return attach_tags(db, [item_json(row) for row in db.query(sql, params)])


def item_ids(db: Database, f: ItemFilter) -> list[int]:
    where, params = _where(f)
    return [
        row[0]
        for row in db.execute(
            f"SELECT items.id FROM items{where} ORDER BY items.id", params
        ).fetchall()
    ]


RANK_WINDOW = 5_000  # matches ranked by relevance, the most recently stored first


@dataclass
class SearchResult:
    rows: list[dict[str, Any]]
    windowed: bool  # True when only the RANK_WINDOW most recently stored matches were ranked


def search_items(
    db: Database, query: str, f: ItemFilter, *, rank_all: bool = False
) -> SearchResult:
    """Full-text search (SQLite FTS5 syntax) over titles and text, best match first.

    Ranking (bm25) costs time for every match, so a query matching more than RANK_WINDOW items
    ranks only the RANK_WINDOW most recently stored of them, unless `rank_all`: on a million
    items this keeps a common word's first page under 50 ms (docs/performance.md)."""
    if not query.strip():
        raise UsageError("the search query is empty")
    where, params = _where(f)
    where = where.replace(" WHERE ", " AND ", 1) if where else ""
    limit = f" LIMIT {int(f.limit)}" if f.limit else ""
    tables = (
        "FROM items_fts JOIN items ON items.id = items_fts.rowid "
        "JOIN sources ON sources.id = items.source_id "
        "LEFT JOIN reviews r ON r.item_id = items.id "
        f"WHERE items_fts MATCH ?{where}"
    )
    try:
        floor = None
        if not rank_all:
            floor = db.execute(
                f"SELECT items_fts.rowid {tables} ORDER BY items_fts.rowid DESC "
                f"LIMIT 1 OFFSET {RANK_WINDOW - 1}",
                [query, *params],
            ).fetchone()
        window = " AND items_fts.rowid >= ?" if floor else ""
        sql = (
            f"SELECT {ITEM_COLUMNS}, sources.name AS source_name, "
            f"snippet(items_fts, 1, '[', ']', '…', 12) AS snippet "
            f"{tables}{window} ORDER BY items_fts.rank{limit}"
        )
        rows = list(db.query(sql, [query, *params, *([floor[0]] if floor else [])]))
    except sqlite3.OperationalError as exc:
        raise UsageError(
            f"search query {terminal_safe(query)!r} is not valid FTS5 syntax "
            f"({exc}); put phrases in double quotes"
        ) from None
    out = []
    for row in rows:
        item = item_json(row)
        item["snippet"] = row["snippet"]
        out.append(item)
    return SearchResult(attach_tags(db, out), windowed=floor is not None)


def attach_tags(db: Database, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `themes` (effective), `auto_themes` (with confidences), `topics` and `fourp`."""
    if not items:
        return items
    ids = [item["id"] for item in items]
    marks = ",".join("?" * len(ids))
    effective: dict[int, dict[str, list[str]]] = {}
    for item_id, kind, value in db.execute(
        f"SELECT item_id, kind, value FROM item_tags WHERE item_id IN ({marks}) ORDER BY value", ids
    ).fetchall():
        effective.setdefault(item_id, {}).setdefault(kind, []).append(value)
    auto: dict[int, dict[str, float]] = {}
    for item_id, value, score in db.execute(
        f"SELECT item_id, value, score FROM auto_tags WHERE tagger = 'combined' AND "
        f"kind = 'theme' AND assigned = 1 AND item_id IN ({marks}) ORDER BY score DESC",
        ids,
    ).fetchall():
        auto.setdefault(item_id, {})[value] = score
    for item in items:
        tags = effective.get(item["id"], {})
        item["themes"] = tags.get("theme", [])
        item["auto_themes"] = auto.get(item["id"], {})
        item["topics"] = tags.get("topic", [])
        item["fourp"] = tags.get("fourp", [])
    return items


def item_json(row: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an item (what --json prints)."""
    return {
        "id": row["id"],
        "source": row["source_id"],
        "source_name": row.get("source_name"),
        "title": row["title"],
        "url": row["url"],
        "published": row["published"],
        "published_estimated": bool(row["published_estimated"]),
        "first_seen": row["first_seen"],
        "updated": row["updated"],
        "summary": row["summary"],
        "language": row["language"],
        "author": row["author"],
        "categories": json.loads(row["categories"]) if row.get("categories") else [],
        "guid": row["guid"],
        "version": row["version"],
        "status": row.get("status") or "unreviewed",
        "note": row.get("note"),
        "review_by": row.get("review_by"),
        "flagged": bool(row.get("flagged")),
        "analyst": row.get("analyst"),
    }


def get_item(db: Database, item_id: int) -> dict[str, Any] | None:
    """One item in full: text, versions, and its source's details."""
    rows = list(
        db.query(
            "SELECT items.*, sources.name AS source_name, sources.organisation AS organisation, "
            "r.status, r.note, r.review_by, r.flagged, r.analyst "
            "FROM items JOIN sources ON sources.id = items.source_id "
            "LEFT JOIN (SELECT item_id, coalesce(status, 'unreviewed') AS status, note, review_by, "
            "flagged, analyst FROM reviews) r ON r.item_id = items.id WHERE items.id = ?",
            [item_id],
        )
    )
    if not rows:
        return None
    row = rows[0]
    item = item_json(row)
    item.update(
        organisation=row["organisation"],
        text=row["text"],
        key=row["key"],
        published_raw=row["published_raw"],
        changed_at=row["changed_at"],
    )
    item["versions"] = list(
        db.query(
            "SELECT version, title, url, replaced_at FROM item_versions WHERE item_id = ? "
            "ORDER BY version",
            [item_id],
        )
    )
    attach_tags(db, [item])
    item["tags"] = list(
        db.query(
            "SELECT kind, value, origin, score FROM item_tags WHERE item_id = ? "
            "ORDER BY kind, value",
            [item_id],
        )
    )
    item["evidence"] = [
        {**row, "evidence": json.loads(row["evidence"]) if row["evidence"] else None}
        for row in db.query(
            "SELECT tagger, kind, value, score, assigned, evidence, version, tagged_at "
            "FROM auto_tags WHERE item_id = ? ORDER BY kind, value, tagger",
            [item_id],
        )
    ]
    return item


def recent_runs(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))


def source_history(db: Database, source_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The fetch log of one source, newest first: what happened and why."""
    return list(
        db.query(
            "SELECT started_at, status, error_class, error, http_status, items_new, items_updated, "
            "duration_ms, next_fetch_at, next_fetch_reason FROM fetches WHERE source_id = ? "
            "ORDER BY id DESC LIMIT ?",
            [source_id, limit],
        )
    )


def since_days(days: float) -> datetime:
    return utcnow() - timedelta(days=days)
