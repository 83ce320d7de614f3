"""Shared by the fast path: feedparser's constants and small pure helpers."""

from __future__ import annotations

import contextlib
import re
import string
from html.entities import html5, name2codepoint
from typing import Any

from feedparser.api import StrictFeedParser
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

from horizon.textutil import _BLOCK_BREAK

_XHTML = "application/xhtml+xml"
_HTML_TYPES = frozenset({_XHTML, "text/html"})
# A text/plain content value feedparser also saves as the summary, without its type: horizon
# then reads it as HTML (for its text only; the content is the longer of the two).
_UNTYPED = "untyped"
_ITUNES = "http://www.itunes.com/"
_MRSS_SCHEME = "http://search.yahoo.com/mrss/category_schema"
_MATCH_NS = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_VERSION_NS = frozenset(
    {
        "http://my.netscape.com/rdf/simple/0.9/",
        "http://purl.org/rss/1.0/",
        "http://www.w3.org/2005/atom",
    }
)
_CAN_BE_RELATIVE = frozenset(_FeedParserMixin.can_be_relative_uri)
_LOOKS_LIKE_HTML = _FeedParserMixin.looks_like_html
_DECODING_FINE = (type(None), CharacterEncodingOverride, NonXMLContentType)
# Every element feedparser has a handler for: one this module does not model means "unsure".
_FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
_FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
# feedparser stores an element it has no handler for under the element's own name; these
# names (or their FeedParserDict aliases) would land on keys horizon reads.
_GUARDED = frozenset({
    "date", "date_parsed", "modified_parsed", "issued_parsed", "published_parsed",
    "updated_parsed", "created_parsed", "title_detail", "summary_detail", "authors",
    "author_detail", "links", "description_detail", "guidislink", "content",
})  # fmt: skip
_NO_DECLARATIONS: list[tuple[str | None, str]] = []
_IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_EMAIL = re.compile(  # feedparser's, in _sync_author_detail
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
_EMAIL_LOCAL = frozenset(string.ascii_letters + string.digits + "_-.+")


def email_search(text: str) -> re.Match[str] | None:
    """`_EMAIL.search(text)`, in time linear in the text (the pattern alone is quadratic: from
    every start in a long run of name characters it runs to the run's end before failing, so a
    hostile 40,000-character author took 8 s). A match can only start where a run of name
    characters that ends at an `@` starts, so each `@`'s run is tried once, from its start."""
    at = text.find("@")
    while at >= 0:
        start = at
        while start and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        if start < at and (found := _EMAIL.match(text, start)):
            return found
        at = text.find("@", at + 1)
    return None


_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
# Where a C1 control in parsed text can come from: its UTF-8 bytes or a character reference
# (two patterns, each with a literal prefix the regex engine can search for quickly).
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REFERENCE = re.compile(rb"&#(?:0*1(?:2[89]|[3-5][0-9])|[xX]0*[89][0-9a-fA-F]);")
# An absolute http(s) URL that urljoin hands back unchanged whatever the base: printable ASCII,
# no IPv6 brackets, no ';' params, no empty query or fragment, no slashes for _urifixer.
_PLAIN_URL = re.compile(r"https?://[!\"$-.0-:<->@-Z^-~][!-:<-Z^-~]*")

# The HTML guards: markup that feedparser's sgmllib sanitiser and html5ever (nh3) read as
# different text. They scan lowercased markup with case-sensitive patterns, which is faster.
_ODD_MARKUP = re.compile(  # declarations, CDATA, `<>`, `<<`, `<p/>`, raw-text and foreign elements
    r"<!(?!--)|</?>|<<|</[^a-z]|<(?:p|div|li|h[1-6]|tr|td|th|blockquote|pre|section|article)\s*/>"
    r"|<(script|style|applet|iframe|textarea|title|xmp|noembed|noframes|noscript|plaintext"
    r"|template|svg|math)[\s/>]"
)
# A start tag whose quoted values do not balance before its `>`: the parsers end it elsewhere.
_ODD_TAG = re.compile(r"""<[a-zA-Z][^<>"'\s/]*+(?:[^<>"']++|"[^"<>]*+"|'[^'<>]*+')*+(?!>)""")
_ODD_COMMENT_END = re.compile(r"--(?:\s+|!)>")  # sgmllib ends a comment at `-- >`, html5 `--!>`
_RAW_TEXT_TAG = re.compile(r"<(/?)(?:script|style)[\s/>]")
# The tags html_to_text turns into spaces, named (case-sensitive: for lowercased markup).
_BLOCK_NAMES = re.compile(_BLOCK_BREAK.pattern.replace("(?:", "(", 1))
_BLOCK_TAG = re.compile(r"<(/?)(div|li|h[1-6]|tr|td|th|blockquote|pre|section|article)[\s/>]")
_TAGS = re.compile(r"<[^>]*>")


def without_tags(text: str) -> str:
    """`_TAGS.sub("", text)` in time linear in the text: a `<` with no `>` after it starts no
    tag, so what follows the last `>` is kept as it is (the pattern alone runs from every such
    `<` to the end of the text)."""
    end = text.rfind(">")
    return text if end < 0 else _TAGS.sub("", text[: end + 1]) + text[end + 1 :]


_TAG_START = re.compile(r"</?[a-zA-Z]")
_COMMON_ENTITIES = ["amp", "quot", "lt", "gt", "nbsp", "apos", "rsquo", "ldquo", "rdquo"]
_KNOWN_ENTITIES = "|".join(_COMMON_ENTITIES + sorted({*name2codepoint} - {*_COMMON_ENTITIES}))
_ODD_ENTITY = re.compile(  # tried at every `&`: the common ones first
    rf"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|(?:{_KNOWN_ENTITIES});)"
    r"(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][-.a-zA-Z0-9]*)(;?)"
)
_LEGACY_ENTITIES = tuple(name for name in html5 if not name.endswith(";"))


class _Unsure(Exception):
    """The replay reached something it does not model: let feedparser parse the document."""


class _Entry(dict[str, Any]):
    """One feedparser entry dict, plus its property_depth_map (the depth that set each key)."""

    __slots__ = ("depth",)

    def __init__(self) -> None:
        super().__init__()
        self.depth: dict[str, int] = {}


def _fix_text(text: str, c1: bool) -> str:
    """feedparser's last touch on non-ASCII text: undo UTF-8 read as Latin-1, map C1 to cp1252.
    `c1` says whether the document can hold C1 controls at all."""
    first = _NON_ASCII.search(text)
    # Only a UTF-8 lead byte read as Latin-1 (U+00C2-U+00F4) can start a repairable sequence.
    if first and "\xc2" <= first.group() <= "\xf4":
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text, c1 = text.encode("iso-8859-1").decode("utf-8"), True
    if c1 and _C1_CONTROLS.search(text):
        text = text.translate(_cp1252)
    return text


def _map_type(content_type: str) -> str:
    content_type = content_type.lower()
    short = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": _XHTML}
    return short.get(content_type, content_type)


def _resolve(base: str, uri: str) -> str:
    """feedparser's resolve_uri."""
    if _PLAIN_URL.fullmatch(uri) and not uri.endswith(("?", "#")) and "?#" not in uri:
        return uri
    return _urljoin(base or "", uri)


_BASES: dict[tuple[str, str], str] = {}
_SELF_BASES: dict[str, str] = {}  # the base of an element without xml:base, by its parent's


def _next_base(current: str, given: str) -> str:
    """feedparser's xml:base step, memoised: it is pure, and every element takes it."""
    found = _BASES.get((current, given))
    if found is None:
        if current:
            found = make_safe_absolute_uri(current, given) or current
        else:
            found = _urljoin(current, given)
        if len(_BASES) > 4096:
            _BASES.clear()
            _SELF_BASES.clear()
        _BASES[(current, given)] = found
        if current and current == given:
            _SELF_BASES[current] = found
    return found


def _strip_div(pieces: list[str]) -> list[str]:
    """feedparser's removal of the <div> that wraps Atom 1.0 xhtml content, piece by piece."""
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if pieces and pieces[0].startswith(("<div>", "<div ")) and pieces[-1] == "</div>":
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    break
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        else:
            pieces = pieces[1:-1]
    return pieces
