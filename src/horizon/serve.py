"""`horizon serve`: the store in Datasette, read-only, with its tables and columns described,
full-text search, facets on theme, source and status, and canned queries for the week."""

from __future__ import annotations

import importlib.util
from typing import Any

from horizon.errors import UsageError

SIGNALS_THIS_WEEK = """
select id, published, source_name, title, url, note, themes, topics, analyst
from item_overview
where (status = 'signal' or flagged = 1)
  and published >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')
  and (:theme = '' or exists (select 1 from json_each(themes) where value = :theme))
order by published desc
"""
SOURCE_HEALTH = """
select id, name, type, last_status, consecutive_failures, last_success_at, next_fetch_at,
       next_fetch_reason, last_error, effective_url
from sources where in_config = 1
order by consecutive_failures desc, last_status != 'ok' desc, id
"""
WATCHLIST = """
select r.review_by, i.id, i.title, i.url, r.status, r.note, r.analyst
from reviews r join items i on i.id = r.item_id
where r.review_by is not null
order by r.review_by, i.id
"""

COLUMNS = {
    "items": {
        "id": "The item's id, as every horizon command uses it",
        "source_id": "The source (see the sources table)",
        "key": "Identity within the source: guid:, link: or hash:",
        "title": "Title, plain text",
        "url": "Link, tracking parameters removed",
        "summary": "Plain-text summary",
        "content": "The sanitised HTML the feed gave",
        "text": "Plain text of the fullest content",
        "published": "UTC; the first-seen time when the feed gave no usable date",
        "published_estimated": "1 when published is the first-seen time",
        "first_seen": "When horizon first stored it",
        "auto_score": "Highest automatic theme confidence (0-1)",
        "dossier": "The legislative procedure it belongs to",
    },
    "item_overview": {
        "themes": "Effective themes (JSON list): the analyst's where decided, else automatic",
        "topics": "Effective topics (JSON list)",
        "status": "unreviewed, reviewed, signal or noise",
        "flagged": "1 when flagged for the digest",
        "note": "The analyst's one-line 'so what'",
        "review_by": "Date to look at it again",
    },
    "sources": {
        "last_status": "ok, parse-warning, or the last failure's error class",
        "consecutive_failures": "Failures since the last success",
        "next_fetch_at": "When the source is next due",
        "next_fetch_reason": "Why then: interval, ttl, max-age, Retry-After or backoff",
    },
    "item_tags": {"origin": "auto, or analyst:NAME", "score": "Automatic confidence (0-1)"},
    "auto_tags": {
        "evidence": "JSON: the rules that fired and the matched terms, or the "
        "model's probability and the n-grams behind it"
    },
    "reviews": {
        "status": "unreviewed, reviewed, signal or noise",
        "themes": "Themes the analyst decided (JSON); empty means the automatic ones",
    },
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata: titles, column descriptions, search, facets, canned queries."""
    tables: dict[str, Any] = {
        "items": {
            "description": "Every item pulled from every source.",
            "fts_table": "items_fts",
            "fts_pk": "id",
            "facets": ["source_id", "language"],
            "sort_desc": "published",
        },
        "item_overview": {
            "description": "Items with their themes, topics and review state.",
            "facets": ["source_id", "status", {"array": "themes"}],
            "sort_desc": "published",
        },
        "sources": {"description": "Each source's health.", "facets": ["last_status", "type"]},
        "fetches": {
            "description": "One row per source per pull: what happened and why.",
            "facets": ["status", "error_class"],
            "sort_desc": "id",
        },
        "auto_tags": {"description": "What each automatic tagger said, with evidence."},
        "item_tags": {"description": "The tags items have now.", "facets": ["kind", "origin"]},
        "reviews": {"description": "Analysts' decisions.", "facets": ["status", "analyst"]},
        "audit": {"description": "Every decision ever made, before and after."},
        "dossiers": {"description": "Legislative procedures followed."},
        "digests": {"description": "Digests produced for the board."},
    }
    for table, columns in COLUMNS.items():
        tables.setdefault(table, {})["columns"] = columns
    return {
        "title": "horizon",
        "description": "The VGT horizon scan: items from public sources, tagged against the "
        "environmental scan's four themes, with analysts' decisions. Read-only.",
        "databases": {
            database: {
                "tables": tables,
                "queries": {
                    "signals_this_week": {
                        "title": "This week's signals (optionally for one theme)",
                        "sql": SIGNALS_THIS_WEEK.strip(),
                        "params": ["theme"],
                    },
                    "source_health": {"title": "Source health", "sql": SOURCE_HEALTH.strip()},
                    "watchlist": {
                        "title": "Watchlist: items by review-by date",
                        "sql": WATCHLIST.strip(),
                    },
                },
            }
        },
    }


def require_datasette() -> None:
    if importlib.util.find_spec("datasette") is None:
        raise UsageError(
            "horizon serve needs Datasette: pip install 'horizon-scan[web]' "
            "(or pip install datasette)"
        )
