"""Analysts' decisions on items: the review queue, decisions with an audit trail, the watchlist.

Every decision is one short write transaction: the `reviews` row (the item's current decision),
an `audit` row keeping the row before and after, and the item's effective tags. Nothing an
analyst entered is ever overwritten by a pull or a re-tag; two analysts deciding the same item
both stay in the audit trail (the later decision is current).
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from horizon.config import THEME_IDS
from horizon.db import transaction
from horizon.errors import UsageError
from horizon.queries import ItemFilter, _where
from horizon.tagging import refresh_effective
from horizon.taxonomy import FOURP_IDS, Taxonomy
from horizon.textutil import iso, utcnow

STATUSES = ("unreviewed", "reviewed", "signal", "noise")
CLAIM_MINUTES = 15
FIELDS = (
    "status",
    "themes",
    "topics",
    "fourp",
    "note",
    "review_by",
    "flagged",
    "analyst",
    "decided_at",
    "revision",
)


def analyst_name(explicit: str | None = None) -> str:
    """--analyst, else HORIZON_ANALYST, else the login name."""
    name = explicit or os.environ.get("HORIZON_ANALYST")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name in some containers
            name = "analyst"
    name = name.strip()
    if not name or len(name) > 64 or any(c in name for c in "\n\r\t\x1b"):
        raise UsageError(f"analyst name {name!r} is not usable (1-64 printable characters)")
    return name


def current(db: Database, item_id: int) -> dict[str, Any]:
    """The item's review row, or the empty decision when nobody has decided anything yet."""
    rows = list(db.query("SELECT * FROM reviews WHERE item_id = ?", [item_id]))
    if rows:
        row = rows[0]
        for key in ("themes", "topics", "fourp"):
            row[key] = json.loads(row[key]) if row[key] is not None else None
        row["flagged"] = bool(row["flagged"])
        return row
    return {
        "item_id": item_id,
        "status": "unreviewed",
        "themes": None,
        "topics": None,
        "fourp": None,
        "note": None,
        "review_by": None,
        "flagged": False,
        "analyst": None,
        "decided_at": None,
        "revision": 0,
    }


def require_item(db: Database, item_id: int) -> None:
    if not db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone():
        raise UsageError(f"no item with id {item_id}")


def effective(db: Database, item_id: int, kind: str) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT value FROM item_tags WHERE item_id = ? AND kind = ? ORDER BY value",
            [item_id, kind],
        ).fetchall()
    ]


@dataclass
class Change:
    """What a decision changes; None leaves a field as it is."""

    status: str | None = None
    themes: list[str] | None = None
    topics: list[str] | None = None
    fourp: list[str] | None = None
    note: str | None = None
    review_by: str | None = None
    flagged: bool | None = None
    clear_review_by: bool = False

    def fields(self) -> dict[str, Any]:
        out = {
            k: getattr(self, k)
            for k in ("status", "themes", "topics", "fourp", "note", "review_by", "flagged")
            if getattr(self, k) is not None
        }
        if self.clear_review_by:
            out["review_by"] = None
        return out


def decide(
    db: Database,
    item_id: int,
    analyst: str,
    change: Change,
    action: str,
    expected_revision: int | None = None,
) -> dict[str, Any]:
    """Write one decision now, with its audit row; returns the review row after it.

    If `expected_revision` is given and another analyst has decided in the meantime, the
    decision is still recorded (the later one wins) and both stay in the audit trail, the
    audit action saying so."""
    with transaction(db):
        require_item(db, item_id)
        before = current(db, item_id)
        if expected_revision is not None and before["revision"] != expected_revision:
            action = f"{action} (after {before['analyst']}'s concurrent decision)"
        after = {**before, **change.fields()}
        if after["status"] == "unreviewed":  # any decision reviews the item (undo_last restores)
            after["status"] = "reviewed"
        after.update(analyst=analyst, decided_at=iso(utcnow()), revision=before["revision"] + 1)
        _write(db, item_id, after)
        db.table("audit").insert(
            {
                "item_id": item_id,
                "analyst": analyst,
                "at": after["decided_at"],
                "action": action,
                "before": _dump(before),
                "after": _dump(after),
            }
        )
        refresh_effective(db, [item_id])
    return after


def _write(db: Database, item_id: int, row: dict[str, Any]) -> None:
    values = {k: row[k] for k in FIELDS}
    for key in ("themes", "topics", "fourp"):
        values[key] = json.dumps(sorted(values[key])) if values[key] is not None else None
    values["flagged"] = int(bool(values["flagged"]))
    db.table("reviews").upsert({"item_id": item_id, **values}, pk="item_id")


def _dump(row: dict[str, Any]) -> str:
    return json.dumps({k: row.get(k) for k in FIELDS}, sort_keys=True)


def undo_last(db: Database, analyst: str, since_id: int = 0) -> dict[str, Any] | None:
    """Put back the state before this analyst's last decision (after audit row `since_id`)."""
    with transaction(db):
        rows = db.execute(
            "SELECT id, item_id, before FROM audit WHERE analyst = ? AND id > ? AND action "
            "NOT LIKE 'undo%' AND action != 'skip' AND id NOT IN (SELECT CAST(substr(action, 6) "
            "AS INTEGER) FROM audit WHERE action LIKE 'undo %') ORDER BY id DESC LIMIT 1",
            [analyst, since_id],
        ).fetchall()
        if not rows:
            return None
        audit_id, item_id, before_json = rows[0]
        now_row = current(db, item_id)
        restored = {**json.loads(before_json)}
        restored.update(decided_at=iso(utcnow()), revision=now_row["revision"] + 1)
        if restored.get("analyst") is None:
            restored["analyst"] = analyst
        _write(db, item_id, restored)
        db.table("audit").insert(
            {
                "item_id": item_id,
                "analyst": analyst,
                "at": restored["decided_at"],
                "action": f"undo {audit_id}",
                "before": _dump(now_row),
                "after": _dump(restored),
            }
        )
        refresh_effective(db, [item_id])
    return {"item_id": item_id, **restored}


def history(db: Database, item_id: int) -> list[dict[str, Any]]:
    """The audit trail of an item, oldest first."""
    out = []
    for row in db.query(
        "SELECT id, analyst, at, action, before, after FROM audit WHERE item_id = ? ORDER BY id",
        [item_id],
    ):
        before = json.loads(row["before"] or "{}")
        after = json.loads(row["after"] or "{}")
        changed = {
            k: {"from": before.get(k), "to": after.get(k)}
            for k in FIELDS
            if k not in ("decided_at", "revision", "analyst") and before.get(k) != after.get(k)
        }
        out.append(
            {
                "id": row["id"],
                "at": row["at"],
                "analyst": row["analyst"],
                "action": row["action"],
                "changes": changed,
            }
        )
    return out


# -- validation of analyst input -----------------------------------------------------------


def check_themes(values: Iterable[str]) -> list[str]:
    out = []
    for value in values:
        if value not in THEME_IDS:
            raise UsageError(f"unknown theme {value!r}; use {', '.join(THEME_IDS)}")
        out.append(value)
    return out


def check_topics(values: Iterable[str], taxonomy: Taxonomy) -> list[str]:
    out = []
    for value in values:
        if value not in taxonomy.topics:
            raise UsageError(
                f"unknown topic {value!r}; see docs/taxonomy.md (e.g. "
                f"{', '.join(list(taxonomy.topics)[:5])}, ...)"
            )
        out.append(value)
    return out


# A note is the analyst's "so what" for the board: a paragraph, not a document. A longer one is
# refused whole, never cut short: what an analyst wrote is kept as written or not at all.
NOTE_MAX = 2000


def check_note(note: str) -> str | None:
    """The note as it is stored (surrounding space removed; None for an empty one, which leaves
    the note as it was), or a UsageError if it is too long."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise UsageError(
            f"the note is {len(note):,} characters long; a note holds at most {NOTE_MAX:,} "
            "(shorten it; nothing was saved)"
        )
    return note or None


def check_fourp(values: Iterable[str]) -> list[str]:
    out = []
    for value in values:
        value = value.lower()
        if value not in FOURP_IDS:
            raise UsageError(f"unknown 4P {value!r}; use {', '.join(FOURP_IDS)}")
        out.append(value)
    return out


def parse_review_by(value: str) -> str:
    from horizon.textutil import parse_review_date

    try:
        return parse_review_date(value).isoformat()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# -- the queue ----------------------------------------------------------------------------


@dataclass
class QueueFilter:
    themes: Sequence[str] = ()
    sources: Sequence[str] = ()
    since: Any = None
    query: str | None = None
    ids: Sequence[int] | None = None  # only these items (None: all)


def _queue_where(
    analyst: str, f: QueueFilter, *, tags_first: bool = False
) -> tuple[str, list[Any]]:
    item_filter = ItemFilter(
        source=list(f.sources),
        since=f.since,
        themes=list(f.themes),
        limit=None,
        ids=list(f.ids) if f.ids is not None else None,
        tags_first=tags_first,
    )
    where, params = _where(item_filter)
    clauses = [where.replace(" WHERE ", "", 1)] if where else []
    clauses.append(
        "NOT EXISTS (SELECT 1 FROM reviews r WHERE r.item_id = items.id "
        "AND r.status != 'unreviewed')"
    )
    clauses.append(
        "NOT EXISTS (SELECT 1 FROM review_claims c WHERE c.item_id = items.id "
        "AND c.analyst != ? AND c.expires_at > ?)"
    )
    params.extend([analyst, iso(utcnow())])
    if f.query:
        clauses.append("items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(f.query)
    return " AND ".join(clauses), params


def _run(db: Database, sql: str, params: list[Any], query: str | None) -> list[Any]:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        raise UsageError(f"--query {query!r} is not valid FTS5 syntax ({exc})") from None


# The queue's order within the items skipped or not: the expression of idx_items_queue
# (migration 0010), which SQLite walks in order. With a full-text query the matches are
# fewer than the index's items and are sorted instead (`+` keeps SQLite off the index).
_QUEUE_ORDER = "round(coalesce(items.auto_score, 0), 1) DESC, items.published DESC, items.id DESC"
_SORTED_ORDER = "+round(coalesce(items.auto_score, 0), 1) DESC, items.published DESC, items.id DESC"
_SKIPPED = "items.id IN (SELECT item_id FROM audit WHERE analyst = ? AND action = 'skip')"


def queue(db: Database, analyst: str, f: QueueFilter, *, limit: int | None = None) -> list[int]:
    """Unreviewed items, highest automatic score first (in bands of 0.1), newest first within a
    band; items another analyst has open are left out; items this analyst skipped go last
    (read second, only if the others are too few)."""
    where, params = _queue_where(analyst, f)
    order = _SORTED_ORDER if f.query else _QUEUE_ORDER
    out: list[int] = []
    for skipped in (False, True):
        sql = f"SELECT items.id FROM items WHERE {where} AND {'' if skipped else 'NOT '}{_SKIPPED}"
        sql += f" ORDER BY {order}" + (f" LIMIT {int(limit) - len(out)}" if limit else "")
        out += [row[0] for row in _run(db, sql, [*params, analyst], f.query)]
        if limit and len(out) >= limit:
            break
    return out


def queue_count(db: Database, analyst: str, f: QueueFilter, *, cap: int | None = None) -> int:
    """How many items are queued; with a cap, counting stops past it (cap + 1 means "more").
    With only a theme to narrow them, the count walks that theme's items (a fifth of a store,
    most of them unreviewed: the cap is soon reached), not the store's items by score, where
    the themed ones are rare at first (over a second at a million items, now under 0.1 s);
    a date or a source narrows them more, through its index."""
    narrow = f.since is not None or bool(f.sources) or f.ids is not None
    where, params = _queue_where(analyst, f, tags_first=bool(f.themes) and not narrow)
    limit = f" LIMIT {int(cap) + 1}" if cap is not None else ""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM items WHERE {where}{limit})"
    return int(_run(db, sql, params, f.query)[0][0])


def skip(db: Database, item_id: int, analyst: str) -> None:
    """Note that the analyst passed over an item: it moves to the end of their queue."""
    with transaction(db):
        state = _dump(current(db, item_id))
        db.table("audit").insert(
            {
                "item_id": item_id,
                "analyst": analyst,
                "at": iso(utcnow()),
                "action": "skip",
                "before": state,
                "after": state,
            }
        )


def open_claim(db: Database, analyst: str, f: QueueFilter) -> int | None:
    """The item this analyst had open when their last session ended, if it is still queued."""
    rows = db.execute(
        "SELECT item_id FROM review_claims WHERE analyst = ? AND expires_at > ? "
        "ORDER BY claimed_at DESC",
        [analyst, iso(utcnow())],
    ).fetchall()
    if not rows:
        return None
    claimed = [row[0] for row in rows]
    queued = set(queue(db, analyst, replace(f, ids=claimed)))
    return next((item_id for item_id in claimed if item_id in queued), None)


def claim(db: Database, item_id: int, analyst: str) -> bool:
    """Open an item for this analyst; False if another analyst has it open."""
    now = utcnow()
    with transaction(db):
        row = db.execute(
            "SELECT analyst, expires_at FROM review_claims WHERE item_id = ?", [item_id]
        ).fetchone()
        if row and row[0] != analyst and row[1] > (iso(now) or ""):
            return False
        db.execute(
            "INSERT OR REPLACE INTO review_claims (item_id, analyst, claimed_at, "
            "expires_at) VALUES (?, ?, ?, ?)",
            [item_id, analyst, iso(now), iso(now + timedelta(minutes=CLAIM_MINUTES))],
        )
    return True


def release(db: Database, item_id: int, analyst: str) -> None:
    with transaction(db):
        db.execute(
            "DELETE FROM review_claims WHERE item_id = ? AND analyst = ?", [item_id, analyst]
        )


# -- the watchlist -------------------------------------------------------------------------


def watchlist(db: Database, *, due: bool = False, on: date | None = None) -> list[int]:
    """Items with a review-by date (only those that have come, with `due`), oldest first."""
    params: list[Any] = []
    where = "r.review_by IS NOT NULL"
    if due:
        where += " AND r.review_by <= ?"
        params.append((on or utcnow().date()).isoformat())
    return [
        row[0]
        for row in db.execute(
            f"SELECT r.item_id FROM reviews r WHERE {where} ORDER BY r.review_by, r.item_id", params
        ).fetchall()
    ]
