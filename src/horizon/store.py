"""The pull's writes: sources from the config, one transaction per source's results, the run log.

Each source's items, its fetch row and its new state are written in one transaction, so a
crash leaves every source either fully updated or untouched.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from horizon.config import Config, SourceConfig
from horizon.db import insert_row, transaction, update_row
from horizon.normalise import ItemRow
from horizon.textutil import from_iso, iso

SOURCE_FIELDS = ("name", "type", "organisation", "category", "jurisdiction", "language")
RETRY_AFTER_CAP = 7 * 86400.0
# Items an analyst has worked on: retention never deletes them.
PROTECTED_ITEMS = "SELECT item_id FROM reviews WHERE status != 'unreviewed' OR note IS NOT NULL"
# What a new version of an item replaces (the rest is kept from when it was first stored).
CHANGING_FIELDS = (
    "title",
    "url",
    "summary",
    "content",
    "text",
    "author",
    "updated",
    "categories",
    "extra",
)

# Called inside a source's transaction with the ids of new and changed items (tagging).
ItemsHook = Callable[[Database, list[int]], None]


def sync_sources(db: Database, config: Config, now: datetime) -> None:
    """Bring the sources table in line with feeds.yaml (sources are never deleted here)."""
    stamp = iso(now)
    existing = {row["id"]: row for row in db.query("SELECT * FROM sources")}
    with transaction(db):
        for source in config.sources:
            values: dict[str, Any] = {f: getattr(source, f) for f in SOURCE_FIELDS}
            values.update(
                url=source.url or source.path,
                config=json.dumps(
                    source.model_dump(mode="json", exclude_none=True), sort_keys=True
                ),
                enabled=int(source.enabled),
                in_config=1,
                removed_at=None,
            )
            row = existing.get(source.id)
            if row is None:
                values.update(id=source.id, added_at=stamp, last_status="new")
                db.table("sources").insert(values)
                continue
            if row["url"] != values["url"]:
                # feeds.yaml now names a different URL: start afresh with it, keep the history.
                values.update(
                    effective_url=None,
                    etag=None,
                    last_modified=None,
                    body_hash=None,
                    redirect_to=None,
                    redirect_seen=0,
                    next_fetch_at=None,
                    gone_at=None,
                )
                db.table("source_urls").insert(
                    {
                        "source_id": source.id,
                        "url": values["url"],
                        "previous_url": row["effective_url"] or row["url"],
                        "changed_at": stamp,
                        "reason": "changed in config",
                    }
                )
            changed = {k: v for k, v in values.items() if row.get(k) != v}
            if changed:
                db.table("sources").update(source.id, changed)
        gone = set(existing) - {s.id for s in config.sources}
        for source_id in gone:
            if existing[source_id]["in_config"]:
                db.table("sources").update(source_id, {"in_config": 0, "removed_at": stamp})


def source_rows(db: Database) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in db.query("SELECT * FROM sources")}


def start_run(db: Database, options: dict[str, Any], now: datetime) -> int:
    with transaction(db):
        # A run still 'running' from a killed process is marked so, not left dangling.
        db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        table = db.table("runs").insert(
            {
                "started_at": iso(now),
                "status": "running",
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "options": json.dumps(options, sort_keys=True),
            }
        )
    return int(table.last_pk or 0)


def finish_run(
    db: Database, run_id: int, totals: dict[str, Any], status: str, now: datetime
) -> None:
    with transaction(db):
        db.table("runs").update(run_id, {**totals, "status": status, "finished_at": iso(now)})


@dataclass
class SaveResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)


def save_items(
    db: Database,
    source_id: str,
    rows: Sequence[ItemRow],
    fetch_id: int,
    now: datetime,
    max_versions: int,
) -> SaveResult:
    """Insert new items, update changed ones (keeping the previous version), skip tombstoned."""
    result = SaveResult()
    if not rows:
        return result
    stamp = iso(now)
    keys = [r.key for r in rows]
    existing: dict[str, dict[str, Any]] = {}
    dead: set[str] = set()
    for chunk in _chunks(keys, 400):
        marks = ",".join("?" * len(chunk))
        for row in db.query(
            f"SELECT id, key, content_hash, version, dossier FROM items "
            f"WHERE source_id = ? AND key IN ({marks})",
            [source_id, *chunk],
        ):
            existing[row["key"]] = row
        dead.update(
            r["key"]
            for r in db.query(
                f"SELECT key FROM tombstones WHERE source_id = ? AND key IN ({marks})",
                [source_id, *chunk],
            )
        )
    dossiers = _save_dossiers(db, source_id, rows, stamp)
    indexed: list[tuple[int, str, str]] = []  # new items for the full-text index
    for item in rows:
        if item.key in dead:
            continue
        old = existing.get(item.key)
        dossier = dossiers.get(id(item))
        if old is None:
            values = {
                **item.values,
                "source_id": source_id,
                "key": item.key,
                "first_seen": stamp,
                "content_hash": item.content_hash,
                "version": 1,
                "fetch_id": fetch_id,
                "dossier": dossier,
            }
            result.new += 1
            result.new_ids.append(insert_row(db, "items", values))
            indexed.append((result.new_ids[-1], item.values["title"], item.values["text"]))
            continue
        if dossier and old["dossier"] != dossier:
            db.execute("UPDATE items SET dossier = ? WHERE id = ?", [dossier, old["id"]])
        if old["content_hash"] != item.content_hash and old["version"] <= max_versions:
            # The previous version is copied inside SQLite: its text never comes to Python.
            db.execute(
                "INSERT INTO item_versions (item_id, version, title, url, summary, content, "
                "text, content_hash, replaced_at) SELECT id, version, title, url, summary, "
                "content, text, content_hash, ? FROM items WHERE id = ?",
                [stamp, old["id"]],
            )
            changes = {k: item.values[k] for k in CHANGING_FIELDS}
            changes.update(
                content_hash=item.content_hash, version=old["version"] + 1, changed_at=stamp
            )
            update_row(db, "items", old["id"], changes)
            result.updated += 1
            result.changed_ids.append(old["id"])
        else:
            result.unchanged += 1
    # Only here are items inserted, so only here are they indexed (migration 0006 says why).
    db.conn.executemany("INSERT INTO items_fts(rowid, title, text) VALUES (?, ?, ?)", indexed)
    return result


DOSSIER_FIELDS = ("title", "procedure_type", "current_stage", "next_step", "url")


def _save_dossiers(
    db: Database, source_id: str, rows: Sequence[ItemRow], stamp: str | None
) -> dict[int, str]:
    """Upsert each dossier the items name, once per reference (the latest event's details
    win); returns the reference per item (keyed by id() of the row)."""
    references: dict[int, str] = {}
    latest: dict[str, dict[str, Any]] = {}
    for item in rows:
        d = item.dossier or {}
        reference = str(d.get("reference") or "").strip()
        if not reference:
            continue
        references[id(item)] = reference
        seen = latest.get(reference)
        if seen is None or (d.get("last_event_date") or "") >= (seen.get("last_event_date") or ""):
            latest[reference] = d
    for reference, d in latest.items():
        columns = ("reference", *DOSSIER_FIELDS, "last_event_date", "source_id", "updated_at")
        values = [
            reference,
            *(d.get(k) for k in DOSSIER_FIELDS),
            d.get("last_event_date"),
            source_id,
            stamp,
        ]
        keep = ", ".join(
            f"{c} = coalesce(excluded.{c}, {c})" for c in (*DOSSIER_FIELDS, "last_event_date")
        )
        db.execute(
            f"INSERT INTO dossiers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT(reference) DO UPDATE SET {keep}, source_id = excluded.source_id, "
            "updated_at = excluded.updated_at WHERE coalesce(excluded.last_event_date, '') >= "
            "coalesce(dossiers.last_event_date, '')",
            values,
        )
    return references


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class Outcome:
    """What happened to one source in one pull, as the fetch log and `--json` report it."""

    source_id: str
    status: str  # ok, parse-warning, not-modified, unchanged, skipped, error
    started_at: datetime
    duration_ms: int = 0
    error_class: str | None = None
    error: str | None = None
    retry_after: float | None = None
    http_status: int | None = None
    url: str | None = None
    final_url: str | None = None
    bytes: int = 0
    content_type: str | None = None
    parser: str | None = None
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    next_fetch_at: datetime | None = None
    next_fetch_reason: str | None = None
    # Source-state changes a successful fetch carries.
    etag: str | None = None
    last_modified: str | None = None
    validators_seen: bool = False
    body_hash: str | None = None
    feed_title: str | None = None
    feed_link: str | None = None
    ttl_minutes: int | None = None
    max_age: float | None = None
    permanent_target: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source_id,
            "status": self.status,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "items_seen": self.items_seen,
            "error_class": self.error_class,
            "error": self.error,
            "http_status": self.http_status,
            "duration_ms": self.duration_ms,
            "next_fetch_at": iso(self.next_fetch_at),
            "next_fetch_reason": self.next_fetch_reason,
        }


def schedule(
    source: SourceConfig, row: dict[str, Any], outcome: Outcome, now: datetime, backoff_cap: float
) -> None:
    """Decide when the source is next due, and say why, on the outcome."""
    if outcome.failed:
        failures = int(row.get("consecutive_failures") or 0) + 1
        backoff = min(source.interval * 2 ** (failures - 1), max(backoff_cap, source.interval))
        reason = f"backoff after {failures} consecutive failure{'s' if failures > 1 else ''}"
        delay = backoff
        if outcome.retry_after is not None and outcome.retry_after > backoff:
            delay = min(outcome.retry_after, RETRY_AFTER_CAP)
            reason = f"Retry-After from the server ({int(outcome.retry_after)}s)"
    else:
        delay, reason = source.interval, "interval"
        if outcome.ttl_minutes and outcome.ttl_minutes * 60 > delay:
            delay, reason = outcome.ttl_minutes * 60.0, f"feed <ttl> of {outcome.ttl_minutes} min"
        if outcome.max_age and outcome.max_age > delay:
            delay, reason = min(outcome.max_age, RETRY_AFTER_CAP), "Cache-Control max-age"
    outcome.next_fetch_at = now + timedelta(seconds=delay)
    outcome.next_fetch_reason = reason


def record_outcome(
    db: Database,
    run_id: int,
    source: SourceConfig,
    row: dict[str, Any],
    outcome: Outcome,
    items: Sequence[ItemRow],
    now: datetime,
    *,
    moved_after: int,
    max_versions: int,
    guid_unreliable: bool = False,
    on_items: ItemsHook | None = None,
) -> None:
    """Write one source's items, fetch row and new state in a single transaction."""
    with transaction(db):
        fetch_id = insert_row(db, "fetches", _fetch_row(run_id, outcome))
        if outcome.status == "skipped":
            return
        state: dict[str, Any] = {
            "last_fetch_at": iso(now),
            "last_http_status": outcome.http_status,
            "next_fetch_at": iso(outcome.next_fetch_at),
            "next_fetch_reason": outcome.next_fetch_reason,
        }
        if outcome.failed:
            state.update(
                consecutive_failures=int(row.get("consecutive_failures") or 0) + 1,
                last_status=outcome.error_class,
                last_error=outcome.error,
            )
            if outcome.error_class == "gone" and not row.get("gone_at"):
                state["gone_at"] = iso(now)
        else:
            saved = save_items(db, source.id, items, fetch_id, now, max_versions)
            outcome.new, outcome.updated, outcome.unchanged = (
                saved.new,
                saved.updated,
                saved.unchanged,
            )
            if saved.new or saved.updated:
                counts = {"items_new": saved.new, "items_updated": saved.updated}
                update_row(db, "fetches", fetch_id, counts)
            if on_items is not None and (saved.new_ids or saved.changed_ids):
                on_items(db, saved.new_ids + saved.changed_ids)
            state.update(
                last_success_at=iso(now),
                consecutive_failures=0,
                gone_at=None,
                last_status="parse-warning" if outcome.status == "parse-warning" else "ok",
                last_error=outcome.error if outcome.status == "parse-warning" else None,
            )
            if outcome.validators_seen:
                state.update(etag=outcome.etag, last_modified=outcome.last_modified)
            if outcome.body_hash:
                state["body_hash"] = outcome.body_hash
            for key in ("feed_title", "feed_link", "ttl_minutes"):
                if getattr(outcome, key) is not None:
                    state[key] = getattr(outcome, key)
            if saved.new:
                state["last_new_item_at"] = iso(now)
                state["cadence_seconds"] = _cadence(db, source.id)
            if guid_unreliable:
                state["guid_unreliable"] = 1
            state.update(_redirect_state(db, source, row, outcome, now, moved_after))
        update_row(db, "sources", source.id, state)


def _fetch_row(run_id: int, o: Outcome) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "source_id": o.source_id,
        "started_at": iso(o.started_at),
        "duration_ms": o.duration_ms,
        "status": o.status,
        "error_class": o.error_class,
        "error": o.error,
        "http_status": o.http_status,
        "url": o.url,
        "final_url": o.final_url,
        "bytes": o.bytes,
        "content_type": o.content_type,
        "parser": o.parser,
        "items_seen": o.items_seen,
        "items_new": o.new,
        "items_updated": o.updated,
        "next_fetch_at": iso(o.next_fetch_at),
        "next_fetch_reason": o.next_fetch_reason,
    }


def _redirect_state(
    db: Database,
    source: SourceConfig,
    row: dict[str, Any],
    outcome: Outcome,
    now: datetime,
    moved_after: int,
) -> dict[str, Any]:
    target = outcome.permanent_target
    if not target:
        return {"redirect_to": None, "redirect_seen": 0} if row.get("redirect_to") else {}
    seen = int(row.get("redirect_seen") or 0) + 1 if row.get("redirect_to") == target else 1
    if seen < moved_after:
        return {"redirect_to": target, "redirect_seen": seen}
    previous = row.get("effective_url") or source.url
    db.table("source_urls").insert(
        {
            "source_id": source.id,
            "url": target,
            "previous_url": previous,
            "changed_at": iso(now),
            "reason": f"permanent redirect on {seen} consecutive pulls",
        }
    )
    return {
        "effective_url": target,
        "redirect_to": None,
        "redirect_seen": 0,
        "etag": None,
        "last_modified": None,
    }


def _cadence(db: Database, source_id: str) -> float | None:
    """Median gap between the source's recent dated items: how often it usually publishes."""
    dates = [
        from_iso(r[0])
        for r in db.execute(
            "SELECT published FROM items WHERE source_id = ? AND published_estimated = 0 "
            "ORDER BY published DESC LIMIT 21",
            [source_id],
        ).fetchall()
    ]
    stamps = sorted(d.timestamp() for d in dates if d is not None)
    gaps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
    return statistics.median(gaps) if gaps else None


def prune(
    db: Database,
    older_than: datetime,
    now: datetime,
    *,
    dry_run: bool = False,
) -> int:
    """Delete items published before a date, leaving tombstones so they never come back.
    Items an analyst has worked on (a decision or a note) are always kept."""
    where = f"published < ? AND id NOT IN ({PROTECTED_ITEMS})"
    params: list[Any] = [iso(older_than)]
    count = int(db.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()[0])
    if dry_run or not count:
        return count
    with transaction(db):
        db.execute(
            f"INSERT OR IGNORE INTO tombstones (source_id, key, deleted_at, reason) "
            f"SELECT source_id, key, ?, 'retention' FROM items WHERE {where}",
            [iso(now), *params],
        )
        db.execute(f"DELETE FROM items WHERE {where}", params)
    return count
