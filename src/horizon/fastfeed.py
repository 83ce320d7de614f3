"""Fast lxml path for well-formed RSS/Atom/RDF: feedparser's entries at a fraction of its cost.

feedparser spends most of its time in its pure-Python HTML sanitiser and URI resolver. This
module parses with lxml and replays feedparser 6's element handlers (feedparser/mixin.py,
namespaces/_base.py and friends) over the tree, keeping only the state that decides the fields
horizon reads: which element wins a field, the leaky flags (`hasContent`, `title_depth`,
`inimage`...), xml:base and xml:lang. HTML is sanitised once with nh3. Anything the replay does
not model (an unknown handler, nested content, base64, DTDs, a handler feedparser would crash
in) raises `_Unsure`, and the caller falls back to feedparser. docs/fastpath.md has the details.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import CharacterEncodingOverride
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import replace_doctype
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from horizon.feeds import _from_struct, _int, _lang, sanitize_html
from horizon.models import Entry, ParsedFeed
from horizon.textutil import html_to_text, terminal_safe

_XHTML = "application/xhtml+xml"
_HTML_TYPES = frozenset({_XHTML, "text/html"})
_TEXT_TYPES = _HTML_TYPES | {"text/plain"}
_ITUNES = "http://www.itunes.com/"
_MATCH_NS = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_VERSION_NS = frozenset(
    {"http://my.netscape.com/rdf/simple/0.9/", "http://purl.org/rss/1.0/", "http://www.w3.org/2005/atom"}
)
_CAN_BE_RELATIVE = frozenset(_FeedParserMixin.can_be_relative_uri)
_LOOKS_LIKE_HTML = _FeedParserMixin.looks_like_html
# Every element feedparser has a handler for; one this module does not model means "unsure".
_FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
_FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
# Unhandled elements are stored under their own name; these names would land on keys we read.
_GUARDED = frozenset(
    {"date", "date_parsed", "modified_parsed", "issued_parsed", "published_parsed",
     "updated_parsed", "created_parsed", "title_detail", "summary_detail", "authors", "links",
     "author_detail", "description_detail", "guidislink", "content"}
)
_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
_XMLNS = re.compile(rb"xmlns[:=\s]")
_C1_CONTROLS = re.compile("[\x80-\x9f]")


class _Unsure(Exception):
    """The replay reached something it does not model: let feedparser parse the document."""


class _Entry(dict[str, Any]):
    """One feedparser entry dict, plus its property_depth_map (which depth set each key)."""

    __slots__ = ("depth",)

    def __init__(self) -> None:
        super().__init__()
        self.depth: dict[str, int] = {}


# A text value as feedparser would have stored it, before sanitising: (raw, content type, base).
_Text = tuple[str, str, str]


def parse_fast(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed | None:
    """A ParsedFeed equal to feedparser's, or None when the fast path cannot be sure."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # feedparser's own decoding rules (RFC 3023, BOMs, declarations): same bytes, same text.
    result: dict[str, Any] = {}
    data = convert_to_utf8(response_headers, body, result)
    if not result.get("encoding"):
        return None
    warnings: list[str] = []
    exc = result.get("bozo_exception")
    if isinstance(exc, CharacterEncodingOverride):
        warnings.append(f"{type(exc).__name__}: {terminal_safe(str(exc))[:300]}")
    elif exc is not None and type(exc).__name__ != "NonXMLContentType":
        return None
    head = data[: data.find(b"<", data.find(b"?>") + 2) + 16]
    if b"<!ENTITY" in data[: _first_element(data)]:
        return None  # entity declarations: a safety matter, and feedparser's rules are its own
    doctype_version, data, entities = replace_doctype(data)
    if entities:
        return None
    del head
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        recover=False, remove_comments=True, remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None  # a DOCTYPE feedparser did not strip: expat would skip entities lxml rejects
    base = make_safe_absolute_uri("", response_headers.get("content-location", "")) or ""
    replay = _Replay(base, response_headers.get("content-language"))
    replay.scan_ns = len(_XMLNS.findall(data)) != len(root.nsmap)
    try:
        replay.run(root)
        version = doctype_version or replay.version
        if not version:
            return None
        return ParsedFeed(
            entries=[_to_entry(e) for e in replay.entries],
            title=html_to_text(_raw(replay.feed.get("title"))) or None,
            link=replay.feed.get("link"),
            language=_lang(replay.feed.get("language")),
            ttl_minutes=_int(replay.feed.get("ttl")),
            format=version,
            parser="fast",
            warnings=warnings,
        )
    except _Unsure:
        return None


def _first_element(data: bytes) -> int:
    match = re.search(rb"<\w", data)
    return match.start() if match else len(data)


def _raw(value: object) -> str:
    if isinstance(value, tuple):
        return str(value[0])
    return value if isinstance(value, str) else ""


def _fix_text(text: str) -> str:
    """feedparser's last touches on every text value: undo UTF-8 read as Latin-1, map C1 to cp1252."""
    if not text.isascii():
        try:
            text = text.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        if _C1_CONTROLS.search(text):
            text = text.translate(_cp1252)
    return text


def _map_type(content_type: str) -> str:
    content_type = content_type.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": _XHTML}.get(
        content_type, content_type
    )


_BASE_CACHE: dict[tuple[str, str], str] = {}


def _next_base(current: str, given: str) -> str:
    key = (current, given)
    found = _BASE_CACHE.get(key)
    if found is None:
        if current:
            found = make_safe_absolute_uri(current, given) or current
        else:
            found = _urljoin(current, given)
        if len(_BASE_CACHE) > 4096:
            _BASE_CACHE.clear()
        _BASE_CACHE[key] = found
    return found
