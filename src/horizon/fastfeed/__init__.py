"""The lxml fast path: feedparser's entries for well-formed RSS/Atom/RDF, or None when unsure.

feedparser spends its time in a pure-Python HTML sanitiser and URI resolver. This parses with
lxml and replays feedparser 6's element handlers (mixin.py, namespaces/*.py) over the tree,
keeping only the state that decides horizon's fields: which element wins a field, the flags
that leak between elements (`hasContent`, `title_depth`, `inimage`...), xml:base and xml:lang.
HTML is sanitised once, with nh3. Whatever the replay does not model raises `_Unsure` and the
caller falls back to feedparser. docs/fastpath.md explains the rules and the fallbacks.
"""

from __future__ import annotations

import re
from typing import Any

from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import CharacterEncodingOverride
from feedparser.sanitizer import replace_doctype
from feedparser.urls import make_safe_absolute_uri
from lxml import etree

from horizon.fastfeed.common import _C1_BYTES, _C1_REFERENCE, _DECODING_FINE, _VERSION_NS, _Unsure
from horizon.fastfeed.entries import _check_markup, _to_entry
from horizon.fastfeed.replay import _Replay
from horizon.feeds import _int, language_code
from horizon.models import ParsedFeed
from horizon.textutil import html_to_text, terminal_safe

__all__ = ["parse_fast"]


def parse_fast(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed | None:
    """A ParsedFeed equal to feedparser's, or None when the fast path cannot be sure."""
    try:
        return _parse(body, url, headers)
    except Exception:
        # _Unsure, or a fault here, which must not cost a feed that feedparser can read (the
        # differential tests call _parse directly, so they still see faults).
        return None


def _parse(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # feedparser's own decoding (RFC 3023, BOMs, declarations): the very text expat would get.
    result: dict[str, Any] = {}
    data = convert_to_utf8(response_headers, body, result)
    exc = result.get("bozo_exception")
    if not result.get("encoding") or not isinstance(exc, _DECODING_FINE):
        raise _Unsure
    # An overridden charset still parses strictly; parse_with_feedparser reports it like this.
    warnings = []
    if isinstance(exc, CharacterEncodingOverride):
        warnings.append(f"{type(exc).__name__}: {terminal_safe(str(exc))[:300]}")
    first_element = re.search(rb"<\w", data)
    if b"<!ENTITY" in data[: first_element.start() if first_element else len(data)]:
        raise _Unsure  # never expand entities; feedparser has its own rules for safe ones
    doctype_version, data, _ = replace_doctype(data)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        recover=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise _Unsure from None  # not well-formed: feedparser's loose parser has its own rules
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _Unsure  # a DOCTYPE feedparser kept: expat would skip what lxml rejects
    base = make_safe_absolute_uri("", response_headers.get("content-location", "")) or ""
    replay = _Replay(base, response_headers.get("content-language"))
    # Declarations below the root are rare; only then does the walk read every element's nsmap.
    replay.scan_ns = data.count(b"xmlns") != len(root.nsmap)
    replay.c1 = bool(_C1_BYTES.search(data) or _C1_REFERENCE.search(data))
    declared = list(root.nsmap.items())
    if sum(1 for _, uri in declared if (uri or "").lower() in _VERSION_NS) > 1:
        raise _Unsure  # the version would depend on the order of declarations
    replay.walk(root, {}, declared)
    version = doctype_version or replay.version
    if not version or (warnings and not replay.entries):
        raise _Unsure  # feedparser's result is an error here; let it say so
    title = replay.feed.get("title")
    if isinstance(title, tuple):
        if title[1] != "text/plain":
            _check_markup(title[0])
        title = title[0]
    return ParsedFeed(
        entries=[_to_entry(e) for e in replay.entries],
        title=html_to_text(title if isinstance(title, str) else "") or None,
        link=replay.feed.get("link"),
        language=language_code(replay.feed.get("language")),
        ttl_minutes=_int(replay.feed.get("ttl")),
        format=version,
        parser="fast",
        warnings=warnings,
    )
