"""Entries -> item rows: identity keys, plain text, trustworthy dates, content hashes."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from horizon.models import Entry, ParsedFeed
from horizon.textutil import html_to_text, iso, normalise_link

TITLE_LIMIT = 1_000
SUMMARY_LIMIT = 600
TEXT_LIMIT = 100_000
CONTENT_LIMIT = 1_000_000
KEY_LIMIT = 500
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before any web feed existed
FUTURE_SLACK = timedelta(days=1)


@dataclass
class ItemRow:
    """One item ready to store, with the key that makes re-pulls idempotent."""

    key: str
    values: dict[str, Any]
    content_hash: str
    dossier: dict[str, Any] | None = None  # the procedure a source says the item belongs to


@dataclass
class Normalised:
    rows: list[ItemRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    guid_unreliable: bool = False


def _digest(*parts: str) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _cap_key(prefix: str, value: str) -> str:
    if len(value) > KEY_LIMIT:
        return f"{prefix}:sha1:{_digest(value)}"
    return f"{prefix}:{value}"


def trusted_date(value: datetime | None, now: datetime) -> datetime | None:
    """A feed's date, or None when it is missing or absurd (before 1995, or in the future)."""
    if value is None or value < EARLIEST or value > now + FUTURE_SLACK:
        return None
    return value


def item_date(entry: Entry, now: datetime) -> datetime | None:
    """The date an item is filed under: its published date, else its updated one (if sane)."""
    return trusted_date(entry.published, now) or trusted_date(entry.updated, now)


def _summary(text: str) -> str:
    if len(text) <= SUMMARY_LIMIT:
        return text
    cut = text[:SUMMARY_LIMIT].rsplit(" ", 1)[0]
    return cut + "…"


def normalise(feed: ParsedFeed, *, now: datetime, source_language: str | None = None) -> Normalised:
    """Rows for every entry; entries repeated verbatim in one feed are stored once."""
    out = Normalised()
    guids = Counter(e.guid for e in feed.entries if e.guid)
    repeated = {g for g, n in guids.items() if n > 1}
    out.guid_unreliable = bool(repeated)
    seen: dict[str, str] = {}  # key -> content hash of the row stored under it
    first_seen = iso(now)
    truncated = 0
    for entry in feed.entries:
        text_source = entry.content if len(entry.content) >= len(entry.summary) else entry.summary
        # Markup is rarely more than four times its text: converting more than that many
        # characters only to cut the text at TEXT_LIMIT afterwards would be wasted work.
        text = html_to_text(text_source[: TEXT_LIMIT * 4])
        if len(text) > TEXT_LIMIT or len(text_source) > TEXT_LIMIT * 4:
            text = text[:TEXT_LIMIT]
            truncated += 1
        if not entry.summary or entry.summary is text_source or entry.summary == text_source:
            summary = _summary(text)
        else:
            summary = _summary(html_to_text(entry.summary[: SUMMARY_LIMIT * 8]))
        content = text_source if len(text_source) <= CONTENT_LIMIT else text_source[:CONTENT_LIMIT]
        title = entry.title[:TITLE_LIMIT]
        url = normalise_link(entry.link)
        key = _identity(entry, url, title, text, repeated)
        content_hash = _digest(title, url or "", text)
        if key in seen:
            # The same item twice in one document: keep the first. A different item with the
            # same identity gets a key that includes its content.
            if seen[key] == content_hash:
                continue
            key = f"{key}#{content_hash[:12]}"
            if key in seen:
                continue
        seen[key] = content_hash
        published = item_date(entry, now)
        row = {
            "guid": entry.guid,
            "url": url,
            "title": title,
            "summary": summary,
            "content": content,
            "text": text,
            "author": (entry.author or None) and entry.author[:300],
            "published": iso(published) if published else first_seen,
            "published_estimated": 0 if published else 1,
            "published_raw": (entry.published_raw or None) and entry.published_raw[:100],
            "updated": iso(trusted_date(entry.updated, now)),
            "language": entry.language or feed.language or source_language,
            "categories": json.dumps(entry.categories[:50], ensure_ascii=False)
            if entry.categories
            else None,
            "extra": json.dumps(entry.extra, ensure_ascii=False, default=str)
            if entry.extra
            else None,
        }
        dossier = entry.extra.get("dossier") if entry.extra else None
        out.rows.append(
            ItemRow(
                key=key,
                values=row,
                content_hash=content_hash,
                dossier=dossier if isinstance(dossier, dict) else None,
            )
        )
    if out.guid_unreliable:
        out.warnings.append(
            "the feed repeats GUIDs for different items; those items are "
            "identified by their link instead"
        )
    if truncated:
        out.warnings.append(
            f"{truncated} item(s) had text over {TEXT_LIMIT:,} characters; stored truncated"
        )
    return out


def _identity(entry: Entry, url: str | None, title: str, text: str, repeated: set[str]) -> str:
    if entry.guid and entry.guid not in repeated:
        return _cap_key("guid", entry.guid)
    if url:
        return _cap_key("link", url)
    return "hash:" + _digest(title, entry.published_raw or "", text[:2000])
