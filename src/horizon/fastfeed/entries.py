"""feedparser's entry dict to horizon's Entry, and the HTML checks that decide when the fast
path is sure."""

from __future__ import annotations

from html import escape
from html.entities import html5, name2codepoint
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.sanitizer import _sanitize_html
from feedparser.urls import resolve_relative_uris

from horizon.fastfeed.common import (
    _BLOCK_NAMES,
    _BLOCK_TAG,
    _HTML_TYPES,
    _LEGACY_ENTITIES,
    _ODD_COMMENT_END,
    _ODD_ENTITY,
    _ODD_MARKUP,
    _ODD_TAG,
    _RAW_TEXT_TAG,
    _TAG_START,
    _UNTYPED,
    _Entry,
    _Unsure,
    without_tags,
)
from horizon.feeds import from_struct, language_code, sanitize_html
from horizon.models import Entry
from horizon.textutil import html_to_text

# -- from feedparser's entry dict to horizon's Entry, as feeds._entry_from_feedparser does --


def _to_entry(e: _Entry) -> Entry:
    done: dict[Any, Any] = {}  # this entry's sanitised markup and parsed dates, by value
    published = _parsed(e.get("published_parsed"), done)
    updated = _parsed(e.get("updated_parsed"), done)
    title_detail, summary_detail = e.get("title_detail"), e.get("summary_detail")
    language = (title_detail[1] if title_detail else None) or (
        summary_detail[1] if summary_detail else None
    )
    contents = [_html(value, done) for value in e.get("content") or []]
    if len(contents) > 1 and len({html_to_text(markup) for markup in contents}) > 1:
        # feedparser keeps the longest in its own markup, which nh3's need not be
        contents = [_html_as_feedparser(value) for value in e["content"]]
    return Entry(
        title=_title(e.get("title"), title_detail),
        link=_str(e.get("link")) or None,
        guid=_str(e.get("id")).strip() or None,
        summary=_html(e.get("summary"), done),
        content=max(contents, key=len, default=""),
        author=_str(e.get("author")) or None,
        published=from_struct(published or updated or _parsed(e.get("created_parsed"), done)),
        updated=from_struct(updated),
        published_raw=_str(e.get("published")) or _str(e.get("updated")) or None,
        language=language_code(language),
        categories=[tag[0] for tag in e.get("tags", []) if tag[0]],
    )


def _str(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise _Unsure  # a dict or markup where feedparser keeps a string
    return value or ""


def _parsed(value: Any, done: dict[Any, Any]) -> Any:
    """feedparser's parse of a date string; entries often repeat one (published == updated)."""
    if not value:
        return None
    if value not in done:
        done[value] = _parse_date(value[0])
    return done[value]


def _title(value: Any, detail: Any) -> str:
    if not value:
        return ""
    raw, vtype = value[:2] if isinstance(value, tuple) else (value, "text/plain")
    dtype = detail[0] if detail else "text/plain"
    if vtype == "text/plain":
        text = html_to_text(raw) if dtype != "text/plain" else raw
    elif vtype in _HTML_TYPES and dtype != "text/plain":
        _check_markup(raw)  # feedparser's title is its sanitised markup: the same text, then
        text = html_to_text(raw)
    else:
        raise _Unsure
    return " ".join(text.split())


def _html(value: Any, done: dict[Any, Any]) -> str:
    """A summary or content value as horizon stores it: sanitised HTML."""
    if not value:
        return ""
    if not isinstance(value, tuple):
        raise _Unsure
    # Without a description feedparser copies the content into the summary: sanitise it once.
    if value not in done:
        raw, ctype, base = value
        if ctype == _UNTYPED:
            done[value] = raw
        elif ctype not in _HTML_TYPES:
            done[value] = _plain(raw) if ctype == "text/plain" else _unsure()
        else:
            try:
                done[value] = _nh3_markup(raw, base)
            except _Unsure:
                done[value] = _feedparser_markup(value)
    result: str = done[value]
    return result


def _nh3_markup(raw: str, base: str) -> str:
    """nh3's markup for the value, where it reads as the same text as feedparser's would."""
    if "<" not in raw:
        _check_markup(raw, raw)  # references only
        return sanitize_html(raw, base)
    low = raw.lower()
    _check_markup(raw, low)
    markup = sanitize_html(raw, base)
    # html_to_text reads closing block tags as spaces. nh3 closes what the feed left open and
    # drops strays, feedparser does neither: a space may move. Compare then.
    moved = _BLOCK_NAMES.findall(low) != _BLOCK_NAMES.findall(markup) or _stray_end(low)
    if moved and html_to_text(raw) != html_to_text(markup):
        raise _Unsure
    return markup


def _feedparser_markup(value: tuple[str, str, str]) -> str:
    """One HTML value as feedparser gives it: its URI resolver and its sanitiser, run on this
    value alone, where nh3 would read other text (the rest of the feed keeps the fast path)."""
    raw, ctype, base = value
    return _sanitize_html(resolve_relative_uris(raw, base, "utf-8", ctype), "utf-8", ctype)


def _html_as_feedparser(value: Any) -> str:
    raw, ctype, _ = value
    return _feedparser_markup(value) if ctype in _HTML_TYPES else _plain(raw)


def _plain(raw: str) -> str:
    """Plain text as HTML, escaped as feeds._as_html does. The replay gives a value feedparser's
    type (looks_like_html included); the differential tests hold it to that, above all where
    the raw value read as HTML would be other text."""
    return escape(raw, quote=False)


def _unsure() -> Any:
    raise _Unsure  # feedparser keeps content of other types verbatim


def _check_markup(raw: str, low: str | None = None) -> None:
    """Raise _Unsure where feedparser's sanitiser and nh3 would read different text."""
    if "<!--" in raw:
        raw, low = _strip_comments(raw), None
    if "<" in raw:
        low = low or raw.lower()
        if _ODD_TAG.search(raw):
            raise _Unsure
        if "</script" in low or "</style" in low:  # feedparser drops all text after a stray
            depth = 0
            for closing in _RAW_TEXT_TAG.findall(low):
                depth += -1 if closing else 1
                if depth < 0:
                    raise _Unsure
        for match in _ODD_MARKUP.finditer(low):
            element = match.group(1)
            end = low.find(f"</{element}", match.end()) if element else -1
            if end < 0 or element in ("applet", "plaintext", "template"):
                raise _Unsure
            inner = low[low.find(">", match.start()) + 1 : end]
            if element in ("svg", "math"):
                if without_tags(inner).strip():
                    raise _Unsure  # foreign content with text: the parsers disagree on it
            # html5 reads these elements' content as text; sgmllib reads markup and references
            # in it (and keeps references even inside script and style).
            elif "<" in inner or "&" in inner:
                raise _Unsure
    if "&" in raw:
        for match in _ODD_ENTITY.finditer(raw):
            tag_start = raw.rfind("<", 0, match.start())
            if tag_start > raw.rfind(">", 0, match.start()) and _TAG_START.match(raw, tag_start):
                continue  # inside a tag: attribute values do not reach the text
            ref, semicolon = match.groups()
            if ref[0] == "#" or semicolon:
                raise _Unsure  # sgmllib drops the ';' of unknown names, needs it for numbers
            legacy = ref.startswith(_LEGACY_ENTITIES)
            if (ref in name2codepoint or ref == "apos") != (legacy and ref in html5):
                raise _Unsure  # one parser expands it, the other keeps it
            if legacy and (ref not in html5 or match.end() == len(raw)):
                raise _Unsure  # sgmllib never expands a reference at the very end


def _stray_end(low: str) -> bool:
    """Whether a block element ends before it starts: nh3 drops such an end tag."""
    depths: dict[str, int] = {}
    for closing, name in _BLOCK_TAG.findall(low) if "</" in low else ():
        depths[name] = depth = depths.get(name, 0) + (-1 if closing else 1)
        if depth < 0:
            return True
    return False


def _strip_comments(raw: str) -> str:
    """The markup without its comments, if both parsers end every comment at the same place."""
    parts, position = [], 0
    start = raw.find("<!--")
    while start >= 0:
        end = raw.find("-->", start + 4)
        if end < 0 or raw.startswith(("<!-->", "<!--->"), start):
            raise _Unsure  # html5 ends these at once; sgmllib reads on
        if _ODD_COMMENT_END.search(raw, start + 4, end + 3):
            raise _Unsure
        parts.append(raw[position:start])
        position = end + 3
        start = raw.find("<!--", position)
    parts.append(raw[position:])
    return "".join(parts)
