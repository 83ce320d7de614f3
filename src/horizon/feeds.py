"""Turn a fetched document into entries: RSS, Atom and RDF through feedparser (or the fast
path when it is sure), JSON Feed 1.x, and a clear `not-a-feed` for anything else."""

from __future__ import annotations

import calendar
import html
import io
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
import nh3

from horizon.errors import FetchError
from horizon.models import Document, Entry, ParsedFeed
from horizon.textutil import html_to_text, terminal_safe

_XML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<", re.DOTALL)
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)
FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(?:rss|feed|RDF|channel)[\s>/]", re.IGNORECASE)
_ROOT_END = re.compile(rb"</(?:rss|feed|(?:[\w.-]+:)?RDF)\s*>")
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_MISC = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.DOTALL)  # allowed after the root element
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Allow-list sanitising of feed HTML (ammonia), resolving relative links against the feed."""
    if not fragment:
        return ""
    if base_url and base_url.startswith(("http://", "https://")):
        return nh3.clean(fragment, url_relative=("rewrite_with_base", base_url))
    return nh3.clean(fragment)


def describe_start(body: bytes, content_type: str) -> str:
    """'Content-Type text/html; starts with "<!DOCTYPE html>..."' for not-a-feed messages."""
    start = body[:80].decode("utf-8", "replace")
    start = terminal_safe(start).strip()
    ctype = content_type or "none"
    return f"Content-Type {terminal_safe(ctype)}; starts with {start!r}"


def sniff(body: bytes) -> str:
    """What a body looks like: 'xml', 'json', 'html', 'gzip', 'empty' or 'other'. Judged from
    its first bytes alone, since servers' content types are often wrong."""
    head = body[:2048]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    stripped = head.lstrip()
    if not stripped:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if stripped[:1] in (b"{", b"["):
        return "json"
    if _HTML_START.match(head) and not FEED_ROOT.search(head):
        return "html"
    if _XML_START.match(head) or stripped[:1] == b"<":
        return "xml"
    if body[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00") or b"\x00<\x00" in head[:8]:
        return "xml"  # UTF-16/32 without a BOM we recognise; let feedparser decide
    return "other"


def parse_document(doc: Document) -> ParsedFeed:
    """Entries in one document, or FetchError('not-a-feed' | 'parse')."""
    kind = sniff(doc.body)
    if kind == "empty":
        raise FetchError(
            "not-a-feed", f"empty response ({describe_start(doc.body, doc.content_type)})"
        )
    if kind == "gzip":
        raise FetchError(
            "not-a-feed",
            "gzip-compressed body without Content-Encoding: gzip "
            f"({describe_start(doc.body, doc.content_type)})",
        )
    if kind == "json":
        return parse_json_feed(doc.body, doc.url)
    if kind == "html":
        raise FetchError(
            "not-a-feed", f"an HTML page, not a feed ({describe_start(doc.body, doc.content_type)})"
        )
    body, repairs = repair_xml(doc.body) if kind == "xml" else (doc.body, [])
    if kind == "xml":
        from horizon import fastfeed

        fast = fastfeed.parse_fast(body, doc.url, doc.headers)
        if fast is not None:
            fast.warnings[:0] = repairs
            return fast
    parsed = parse_with_feedparser(body, doc.url, doc.headers)
    parsed.warnings[:0] = repairs
    return parsed


def repair_xml(body: bytes) -> tuple[bytes, list[str]]:
    """Undo two server artefacts that make a feed ill-formed for no reason (feedparser would
    hand it to its loose parser, which reads `&amp;` in categories as text): whitespace before
    the XML declaration, and markup a host appends after the document, such as a counter's
    `<script>`. Both parsers then read the repaired bytes; what was cut is said in a warning."""
    repairs: list[str] = []
    if body[:1].isspace() and body.lstrip()[:5] == b"<?xml":
        body = body.lstrip()
    ends = list(_ROOT_END.finditer(body, max(0, len(body) - 8192)))
    if ends:
        end = ends[-1]
        junk = body[end.end() :]
        if _MISC.sub(b"", junk).strip() and not _ENTRY_START.search(junk):
            body = body[: end.end()]
            start = terminal_safe(junk.strip()[:60].decode("utf-8", "replace"))
            repairs.append(f"ignored {len(junk):,} bytes after the end of the feed: {start!r}")
    return body, repairs


def parse_with_feedparser(
    body: bytes, url: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    """The reference parser: feedparser on bytes we fetched (it never fetches anything itself)."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # A BytesIO, never bytes: feedparser treats a bytes argument as a file name to open.
    result = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    version = result.get("version") or ""
    ctype = response_headers.get("content-type", "")
    entries = [_entry_from_feedparser(e) for e in result.get("entries", [])]
    feed = result.get("feed", {})
    warnings: list[str] = []
    exc = result.get("bozo_exception")
    # A missing or odd Content-Type (saved files, misconfigured servers) says nothing of the XML.
    if result.get("bozo") and type(exc).__name__ != "NonXMLContentType":
        message = terminal_safe(str(exc))[:300] if exc is not None else "malformed feed"
        if not entries:
            if version or FEED_ROOT.search(body[:4096]):
                raise FetchError("parse", f"malformed feed that yields no entries: {message}")
            raise FetchError(
                "not-a-feed",
                f"not a feed: {message} ({describe_start(body, ctype)})",
            )
        warnings.append(f"{type(exc).__name__ if exc is not None else 'bozo'}: {message}")
    elif not version and not entries:
        raise FetchError(
            "not-a-feed",
            f"no RSS, Atom or RDF found ({describe_start(body, ctype)})",
        )
    return ParsedFeed(
        entries=entries,
        title=html_to_text(feed.get("title")) or None,
        link=feed.get("link"),
        language=language_code(feed.get("language")),
        ttl_minutes=_int(feed.get("ttl")),
        format=version,
        parser="feedparser",
        warnings=warnings,
    )


def _entry_from_feedparser(e: Any) -> Entry:
    title = e.get("title", "") or ""
    detail = e.get("title_detail") or {}
    if detail.get("type", "text/plain") != "text/plain":
        title = html_to_text(title)
    content = ""
    for part in e.get("content", []) or []:
        value = _as_html(part.get("value", "") or "", part.get("type"))
        if len(value) > len(content):
            content = value
    summary = _as_html(e.get("summary", "") or "", (e.get("summary_detail") or {}).get("type"))
    # dict.get, not e.get: FeedParserDict maps a missing updated_parsed to published_parsed
    # (with a DeprecationWarning); we want what the feed actually said.
    raw = dict.get
    published_struct = (
        raw(e, "published_parsed") or raw(e, "updated_parsed") or raw(e, "created_parsed")
    )
    language = (detail.get("language") if detail else None) or (e.get("summary_detail") or {}).get(
        "language"
    )
    return Entry(
        title=" ".join(title.split()),
        link=e.get("link") or None,
        guid=(e.get("id") or "").strip() or None,
        summary=summary,
        content=content,
        author=e.get("author") or None,
        published=from_struct(published_struct),
        updated=from_struct(raw(e, "updated_parsed")),
        published_raw=raw(e, "published") or raw(e, "updated") or None,
        language=language_code(language),
        categories=[t.get("term") for t in e.get("tags", []) or [] if t.get("term")],
    )


def _as_html(value: str, content_type: str | None) -> str:
    """feedparser leaves text/plain values as they came (neither escaped nor sanitised);
    everything horizon stores as summary or content is HTML, so escape those."""
    if content_type == "text/plain":
        return html.escape(value, quote=False)
    return value


def from_struct(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def feedparser_date(value: str) -> datetime | None:
    """A date in any format feedparser reads (RFC 822, W3C-DTF, ...), in UTC."""
    return from_struct(feedparser.datetimes._parse_date(value))


def language_code(value: object) -> str | None:
    """The primary language subtag ('en' from 'en-GB' or 'EN_us'), or None."""
    if not value or not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError("parse", f"JSON Feed is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FetchError(
            "not-a-feed", f"JSON but not a JSON Feed ({describe_start(body, 'application/json')})"
        )
    items = data.get("items")
    if not isinstance(items, list):
        raise FetchError("parse", "JSON Feed has no 'items' list")
    feed_lang = language_code(data.get("language"))
    base = data.get("home_page_url") or url
    feed_authors = data.get("authors") or (
        [data["author"]] if isinstance(data.get("author"), dict) else []
    )
    entries: list[Entry] = []
    warnings: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            warnings.append(f"item {index} is not an object")
            continue
        html_content = item.get("content_html") or ""
        text_content = item.get("content_text") or ""
        content = (
            sanitize_html(html_content, base)
            if isinstance(html_content, str) and html_content
            else ""
        )
        if not content and isinstance(text_content, str):
            content = _text_as_html(text_content)
        summary = item.get("summary") or ""
        authors = item.get("authors") or (
            [item["author"]] if isinstance(item.get("author"), dict) else feed_authors
        )
        author = next(
            (a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None
        )
        published_raw = item.get("date_published") or item.get("date_modified")
        entries.append(
            Entry(
                title=" ".join(html_to_text(str(item.get("title") or "")).split()),
                link=_str(item.get("url")) or _str(item.get("external_url")),
                guid=_str(item.get("id")),
                summary=_text_as_html(summary) if isinstance(summary, str) else "",
                content=content,
                author=author,
                published=iso_date(published_raw),
                updated=iso_date(item.get("date_modified")),
                published_raw=_str(published_raw),
                language=language_code(item.get("language")) or feed_lang,
                categories=[str(t) for t in item.get("tags", []) or [] if isinstance(t, str)],
            )
        )
    return ParsedFeed(
        entries=entries,
        title=_str(data.get("title")),
        link=_str(data.get("home_page_url")),
        language=feed_lang,
        format="json" + str(data.get("version", "")).rsplit("/", 1)[-1].replace(".", ""),
        parser="jsonfeed",
        warnings=warnings,
    )


def _str(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _text_as_html(text: str) -> str:
    from html import escape

    return escape(text)


def iso_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return feedparser_date(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_documents(documents: list[Document]) -> ParsedFeed:
    """Entries from fetched documents (RSS, Atom, RDF or JSON Feed), as one feed."""
    return merge([parse_document(doc) for doc in documents])


def merge(feeds: list[ParsedFeed]) -> ParsedFeed:
    """One ParsedFeed out of several documents (a folder of files, pages of a listing)."""
    if len(feeds) == 1:
        return feeds[0]
    merged = ParsedFeed(parser="+".join(sorted({f.parser for f in feeds})))
    for feed in feeds:
        for entry in feed.entries:  # each document's language stays with its own entries
            entry.language = entry.language or feed.language
        merged.entries.extend(feed.entries)
        merged.warnings.extend(feed.warnings)
        merged.title = merged.title or feed.title
        merged.link = merged.link or feed.link
        merged.format = merged.format or feed.format
        if feed.ttl_minutes:
            merged.ttl_minutes = max(merged.ttl_minutes or 0, feed.ttl_minutes)
    return merged
