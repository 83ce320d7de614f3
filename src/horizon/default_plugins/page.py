"""The `page` source type: a web page that lists news, read into items with CSS or XPath
selectors (for publishers that have no feed)."""

from __future__ import annotations

import asyncio
import codecs
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from horizon import hookimpl
from horizon.config import SourceConfig
from horizon.errors import FetchError
from horizon.feeds import FEED_ROOT, describe_start, feedparser_date, language_code, sniff
from horizon.models import Document, Entry, Fetched, ParsedFeed
from horizon.sources import FetchContext, SourceType
from horizon.textutil import normalise_link, terminal_safe

MAX_PAGES = 20
ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
NOTHING = "selectors-matched-nothing"
DOCS = "docs/page-sources.md"
# Removed before anything is read, so their contents can never become a title or summary.
_DROPPED = ("script", "style", "template")
# Their edges become spaces, so "<h3>A</h3><p>B</p>" reads "A B", not "AB".
_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# Like terminal_safe, but bounded: a stray ESC ] in a page must not swallow the rest of it.
_CONTROLS = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI, 7- and 8-bit
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c<]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b.?"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_BOT_WALL = re.compile(
    r"just a moment|attention required|access denied|are you a (?:human|robot)|captcha|"
    r"request rejected|forbidden",
    re.IGNORECASE,
)
_DATE_IN_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}\.? [A-Za-z]{3,9}\.? \d{4}"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|\d{1,2}\.\d{1,2}\.\d{4}"
)
# Unambiguous formats feedparser does not read ("March 12, 2025", "12.03.2025").
_EXTRA_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d %B, %Y", "%d.%m.%Y")

Finder = Callable[[Any], list[Any]]


def is_xpath(expr: str) -> bool:
    """Selectors starting with '/', './' or '(' are XPath; anything else is CSS."""
    return expr.lstrip().startswith(("/", "./", "("))


def compile_selector(expr: str) -> Finder:
    """A function from an element to what the CSS selector or XPath finds within it."""
    expr = expr.strip()
    if not expr:
        raise ValueError("must not be empty")
    if is_xpath(expr):
        try:
            xpath = lxml.etree.XPath(expr)
            # Unknown functions, prefixes and variables only show when evaluated.
            xpath(lxml.html.document_fromstring("<html><body><p>x</p></body></html>"))
        except lxml.etree.XPathError as exc:
            raise ValueError(f"not a valid XPath expression: {exc}") from None
        return lambda el: _as_list(xpath(el))
    try:
        css = CSSSelector(expr, translator="html")
    except SelectorError as exc:
        raise ValueError(f"not a valid CSS selector: {exc}") from None
    return lambda el: list(css(el))


def _as_list(result: Any) -> list[Any]:
    if isinstance(result, list):
        return result
    if isinstance(result, bool) or result is None:
        return []
    return [str(result)]


def _check_selector(expr: str) -> str:
    compile_selector(expr)
    return expr.strip()


def _check_date_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    if "%" not in fmt:
        raise ValueError("must contain strptime directives such as %d/%m/%Y")
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise ValueError(f"not a usable strptime format: {exc}") from None
    return fmt


Selector = Annotated[str, AfterValidator(_check_selector)]


class PageSettings(BaseModel):
    """The `page:` key: where the entries are on the page and what each one holds."""

    model_config = ConfigDict(extra="forbid")

    entry: Selector
    title: Selector
    link: Selector
    date: Selector | None = None
    summary: Selector | None = None
    next: Selector | None = None
    max_pages: int = Field(default=1, ge=1, le=MAX_PAGES)
    date_format: Annotated[str | None, AfterValidator(_check_date_format)] = None

    @field_validator("title", "link", "date", "summary")
    @classmethod
    def _within_entry(cls, expr: str | None) -> str | None:
        if expr is not None and expr.lstrip().startswith("/"):
            raise ValueError(
                "an XPath inside an entry must start with './' "
                "(one starting with '/' searches the whole page)"
            )
        return expr


class PageOptions(BaseModel):
    """The keys a `page` source adds to a source in feeds.yaml."""

    model_config = ConfigDict(extra="forbid")

    page: PageSettings


class Finders:
    """A source's selectors, compiled once per parse."""

    def __init__(self, settings: PageSettings) -> None:
        self.entry, self.title, self.link = (
            compile_selector(expr) for expr in (settings.entry, settings.title, settings.link)
        )
        self.date = compile_selector(settings.date) if settings.date else None
        self.summary = compile_selector(settings.summary) if settings.summary else None
        self.date_format = settings.date_format


@dataclass
class PageFetched(Fetched):
    """The listing's pages, and why pagination stopped early when it did."""

    warnings: list[str] = field(default_factory=list)
    # Pages already parsed to follow the pager, by page number (from 1): parse reuses them.
    pages: dict[int, Page] = field(default_factory=dict)


@dataclass
class Page:
    """One parsed HTML page, scripts and styles already removed."""

    url: str  # the base for relative links
    root: Any
    title: str
    scripts: int


def settings_of(source: SourceConfig) -> PageSettings:
    return PageOptions.model_validate(source.options).page


class PageSource(SourceType):
    name = "page"
    description = "A web page that lists news, read with CSS or XPath selectors (no feed needed)."
    needs = "url"
    options_model = PageOptions

    async def fetch(self, source: SourceConfig, ctx: FetchContext) -> Fetched:
        settings = settings_of(source)
        headers = {} if any(k.lower() == "accept" for k in source.headers) else {"Accept": ACCEPT}
        doc = await ctx.get(headers=headers)
        if doc is None:
            return Fetched(not_modified=True)
        fetched = PageFetched(documents=[doc])
        if settings.next is None:
            return fetched
        finder = compile_selector(settings.next)
        seen = {_visit_key(ctx.url), _visit_key(doc.url)}
        sites = {_site(ctx.url), _site(doc.url)}
        while len(fetched.documents) < settings.max_pages:
            page, target = await asyncio.to_thread(_read_next, doc, finder)
            if page is not None:
                fetched.pages[len(fetched.documents)] = page
            if target is None or _visit_key(target) in seen:
                break  # the last page, or a pager that leads back to a page already read
            number = len(fetched.documents) + 1
            if _site(target) not in sites:
                fetched.warnings.append(
                    f"page {number} not fetched: the next link {target!r} leads to another host"
                )
                break
            seen.add(_visit_key(target))
            try:
                next_doc = await ctx.get(target, conditional=False, headers=headers)
            except FetchError as exc:
                fetched.warnings.append(f"page {number} ({target}) not fetched: {exc}")
                break
            if next_doc is None:
                break
            seen.add(_visit_key(next_doc.url))
            fetched.documents.append(next_doc)
            doc = next_doc
        return fetched

    def parse(self, source: SourceConfig, fetched: Fetched) -> ParsedFeed:
        settings = settings_of(source)
        finders = Finders(settings)
        feed = ParsedFeed(format="html", parser="page")
        feed.warnings.extend(getattr(fetched, "warnings", []))
        tally = Tally()
        links: set[str] = set()
        parsed: dict[int, Page] = getattr(fetched, "pages", {})
        for number, doc in enumerate(fetched.documents, start=1):
            try:
                page = parsed.get(number) or read_page(doc)
            except FetchError as exc:
                if number == 1:
                    raise
                feed.warnings.append(f"page {number} ({doc.url}) skipped: {exc}")
                continue
            found = [el for el in finders.entry(page.root) if _is_element(el)]
            if number == 1:
                feed.title, feed.link = page.title or None, doc.url
                feed.language = language_code(page.root.get("lang"))
                if not found:
                    raise FetchError(
                        NOTHING,
                        f"the entry selector {settings.entry!r} matched nothing on {doc.url} "
                        f"({describe_page(page)})",
                    )
            elif not found:
                feed.warnings.append(
                    f"page {number} ({doc.url}): the entry selector matched nothing"
                )
            before = tally.kept
            for el in found:
                entry = read_entry(el, page.url, finders, tally)
                if entry is None or entry.guid in links:
                    continue
                links.add(entry.guid or "")
                feed.entries.append(entry)
            if number == 1 and tally.kept == before:
                raise FetchError(
                    NOTHING,
                    f"the entry selector {settings.entry!r} matched {len(found)} element(s) on "
                    f"{doc.url}, but none had both a title ({settings.title!r} found text in "
                    f"{tally.titled}) and an http(s) link ({settings.link!r} found one in "
                    f"{tally.linked}) ({describe_page(page)})",
                )
        feed.warnings.extend(tally.warnings())
        feed.warnings = [terminal_safe(w) for w in feed.warnings]
        return feed


@dataclass
class Tally:
    """What happened to the entries the selectors found, for warnings and error messages."""

    matched: int = 0
    titled: int = 0
    linked: int = 0
    kept: int = 0
    bad_links: list[str] = field(default_factory=list)
    bad_dates: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        out = []
        skipped = self.matched - self.kept
        if skipped:
            example = f" (e.g. a {self.bad_links[0]} link)" if self.bad_links else ""
            out.append(
                f"{skipped} of {self.matched} entries skipped: no title, or no http(s) "
                f"link{example}"
            )
        if self.bad_dates:
            out.append(
                f"{len(self.bad_dates)} date(s) could not be read (e.g. "
                f"{self.bad_dates[0][:60]!r}); set page.date_format"
            )
        return out


def read_page(doc: Document) -> Page:
    """The document as an HTML tree, or FetchError('not-a-feed') when it is not HTML."""
    kind = sniff(doc.body)
    ctype = doc.content_type.lower()
    looks_html = kind == "html" or (
        "html" in ctype and kind in ("xml", "other") and b"<" in doc.body[:4096]
    )
    if not looks_html:
        hint = ""
        if kind == "xml" and FEED_ROOT.search(doc.body[:4096]):
            hint = "; it looks like a feed: use type: rss"
        raise FetchError(
            "not-a-feed",
            f"not an HTML page{hint} ({describe_start(doc.body, doc.content_type)})",
        )
    # Escape sequences and control characters go before parsing: no text can carry them.
    text = _CONTROLS.sub("", _XML_DECL.sub("", _decode(doc.body, ctype), count=1))
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise FetchError(
            "not-a-feed",
            f"HTML that cannot be read: {exc} ({describe_start(doc.body, doc.content_type)})",
        ) from None
    scripts = 0
    for el in list(root.iter(*_DROPPED)):
        scripts += el.tag == "script"
        el.text = None  # emptied, not removed, so the text that follows it stays
        for child in list(el):
            el.remove(child)
    title = _text(root.find(".//title"))
    base_el = root.find(".//base[@href]")
    base = _absolute(base_el.get("href"), doc.url) if base_el is not None else None
    return Page(url=base or doc.url, root=root, title=title, scripts=scripts)


def _decode(body: bytes, ctype: str) -> str:
    """Text by the charset the server declared, else the BOM, else <meta>, else UTF-8 or
    windows-1252 (what browsers assume for Latin-1)."""
    candidates: list[str] = []
    match = re.search(r"charset\s*=\s*[\"']?([\w:.-]+)", ctype)
    if match:
        candidates.append(match.group(1))
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace")
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"
        return body.decode(codec, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


def read_entry(el: Any, base: str, finders: Finders, tally: Tally) -> Entry | None:
    """One entry element as an Entry, or None when it has no title or no usable link."""
    tally.matched += 1
    title = _first_text(finders.title(el))
    href = _href(finders.link(el))
    link = _absolute(href, base) if href is not None else None
    if href is not None and link is None:
        tally.bad_links.append(_scheme(href))
    tally.titled += bool(title)
    tally.linked += bool(link)
    if not title or not link:
        return None
    tally.kept += 1
    summary = _first_text(finders.summary(el)) if finders.summary else ""
    published, raw = None, None
    if finders.date:
        text, attr = _date_parts(finders.date(el))
        raw = attr or text or None
        published = read_date(text, attr, finders.date_format)
        if raw and published is None:
            tally.bad_dates.append(raw)
    return Entry(
        title=title,
        link=link,
        guid=normalise_link(link) or link,
        summary=html.escape(summary, quote=False),
        published=published,
        published_raw=raw,
    )


def _is_element(value: Any) -> bool:
    return isinstance(value, lxml.html.HtmlElement)


def _text(value: Any) -> str:
    if _is_element(value):
        raw = _element_text(value)
    elif isinstance(value, str):
        raw = value
    else:
        return ""
    return " ".join(terminal_safe(raw).split())


def _element_text(root: Any) -> str:
    """The text within an element, with a space at each block's edges ("<h3>A</h3><p>B</p>"
    reads "A B", not "AB"); comments and emptied scripts add nothing."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative: deeply nested markup cannot exhaust the Python stack
        node, closing = stack.pop()
        is_element = isinstance(node.tag, str)
        if is_element and node.tag in _BLOCKS:
            parts.append(" ")
        if closing:
            if node is not root and node.tail:
                parts.append(node.tail)
            continue
        if is_element and node.text:
            parts.append(node.text)
        stack.append((node, True))
        if is_element:
            stack.extend((child, False) for child in reversed(node))
    return "".join(parts)


def _first_text(values: Iterable[Any]) -> str:
    for value in values:
        text = _text(value)
        if text:
            return text
    return ""


def _href(values: Iterable[Any]) -> str | None:
    """The first link among what a selector found: an element's href (or that of the first
    link inside it), or an attribute string an XPath selected."""
    for value in values:
        if _is_element(value):
            href = value.get("href")
            if href is None:
                inner = value.find(".//a[@href]")
                href = inner.get("href") if inner is not None else None
        elif isinstance(value, str):
            href = value
        else:
            continue
        if href is not None and href.strip():
            return str(href)
    return None


def _absolute(href: str, base: str) -> str | None:
    """An absolute http(s) URL, or None (javascript:, data:, mailto:, garbage)."""
    # As browsers do: trim spaces and controls at the ends, drop tabs and newlines inside.
    cleaned = re.sub(r"[\t\n\r]", "", href.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08 \t\n\f\r"))
    if not cleaned or re.search(r"[\x00-\x1f\x7f-\x9f]", cleaned):
        return None
    try:
        url = urljoin(base, cleaned.replace(" ", "%20"))
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return url


def _scheme(href: str) -> str:
    """How to name a refused link without repeating it: 'javascript:', or 'malformed'."""
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]{0,20}):", re.sub(r"[\x00-\x20]", "", href))
    return f"{match.group(1).lower()}:" if match else "malformed"


def _read_next(doc: Document, finder: Finder) -> tuple[Page | None, str | None]:
    """The page, parsed (kept for `parse`), and the absolute URL its next link leads to."""
    try:
        page = read_page(doc)
    except FetchError:
        return None, None  # parse says what is wrong with the page
    href = _href(finder(page.root))
    return page, _absolute(href, page.url) if href is not None else None


def _visit_key(url: str) -> str:
    return url.split("#", 1)[0]


def _site(url: str) -> tuple[str, int]:
    """Host and port; http and https on their default ports count as one site."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return (parts.hostname or "", 0 if port in (None, 80, 443) else port)


def _date_parts(values: list[Any]) -> tuple[str, str | None]:
    """The date's text, and a machine-readable value when the markup gives one."""
    for value in values:
        if _is_element(value):
            attr = value.get("datetime") or value.get("content")
            if attr is None:
                inner = value.find(".//time[@datetime]")
                attr = inner.get("datetime") if inner is not None else None
            text = _text(value)
            attr = " ".join(terminal_safe(attr).split()) if attr else None
            if text or attr:
                return text, attr
        elif text := _text(value):
            return text, None
    return "", None


def read_date(text: str, attr: str | None, date_format: str | None) -> datetime | None:
    """A UTC date from `date_format`, else an ISO `datetime` attribute, else whatever
    feedparser can read, else a few unambiguous formats found within the text."""
    candidates = [c for c in (attr, text) if c]
    if date_format:
        for value in candidates:
            try:
                return _utc(datetime.strptime(value, date_format))
            except ValueError:
                pass
    if attr:
        try:
            return _utc(datetime.fromisoformat(attr.replace("Z", "+00:00")))
        except ValueError:
            pass
    for value in candidates:
        found = feedparser_date(value)
        if found is not None:
            return found
    for value in candidates:
        for match in _DATE_IN_TEXT.finditer(value):
            piece = match.group(0)
            found = feedparser_date(piece) or _extra_formats(piece)
            if found is not None:
                return found
    return None


def _extra_formats(value: str) -> datetime | None:
    cleaned = value.replace(".,", ",").replace(". ", " ")
    for fmt in _EXTRA_FORMATS:
        for candidate in (value, cleaned):
            try:
                return _utc(datetime.strptime(candidate, fmt))
            except ValueError:
                pass
    return None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def describe_page(page: Page) -> str:
    """What the page looked like, and what to do: for a selectors-matched-nothing message."""
    parts = [f"page title {page.title[:100]!r}" if page.title else "the page has no <title>"]
    links = len(page.root.findall(".//a[@href]"))
    parts.append(f"{links} link(s)")
    repeated = _repeated_blocks(page.root)
    if repeated:
        parts.append("blocks that repeat: " + ", ".join(f"{s} x{n}" for s, n in repeated))
    body = page.root.find(".//body")
    text_length = len(" ".join(_text(body).split())) if body is not None else 0
    if _BOT_WALL.search(page.title):
        parts.append(
            "hint: the site may be refusing automated requests; check it in a browser and "
            "ask the publisher for a feed"
        )
    elif page.scripts >= 5 and text_length < 2000:
        parts.append(
            f"hint: {page.scripts} scripts and little text: the list may be built by "
            "JavaScript, which horizon does not run; look for a feed or an API the page loads"
        )
    else:
        parts.append(
            f"hint: the page's markup has probably changed; update page: in feeds.yaml ({DOCS})"
        )
    return "; ".join(parts)


def _repeated_blocks(root: Any) -> list[tuple[str, int]]:
    """Classed blocks that occur at least three times and hold a link: likely entries."""
    counts: Counter[str] = Counter()
    for el in root.iter("article", "li", "div", "tr", "section"):
        classes = (el.get("class") or "").split()
        if not classes or el.find(".//a[@href]") is None:
            continue
        name = re.sub(r"[^\w-]", "", classes[0])[:40]
        if name:
            counts[f"{el.tag}.{name}"] += 1
    return [(sel, n) for sel, n in counts.most_common(3) if n >= 3]


@hookimpl
def register_sources(register: Callable[[SourceType], None]) -> None:
    register(PageSource())
