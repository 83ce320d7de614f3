"""Plain data passed between fetching, parsing, tagging and storing: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Entry:
    """One item as a parser found it in a feed, before identity and storage.

    `summary` and `content` are HTML fragments (already sanitised by the parser);
    `title` is plain text. Dates are timezone-aware UTC or None when the feed gave
    none that could be read; `published_raw` keeps what the feed said.
    """

    title: str = ""
    link: str | None = None
    guid: str | None = None
    summary: str = ""
    content: str = ""
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    published_raw: str | None = None
    language: str | None = None
    categories: list[str] = field(default_factory=list)
    # Extra structured data a source type wants stored with the item (JSON-serialisable).
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class ParsedFeed:
    """What a parser made of one document: feed metadata, entries, and any warnings."""

    entries: list[Entry] = field(default_factory=list)
    title: str | None = None
    link: str | None = None
    language: str | None = None
    ttl_minutes: int | None = None
    format: str = ""
    parser: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Document:
    """One response body a source type fetched, with the headers that describe it."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Fetched:
    """Everything a source type fetched in one pull: zero documents when not modified."""

    documents: list[Document] = field(default_factory=list)
    not_modified: bool = False
