"""The lxml fast path gives feedparser's entries or None, judged on every feed in the corpus."""

from __future__ import annotations

import codecs
import html
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from horizon import fastfeed, textutil
from horizon.errors import FetchError
from horizon.fastfeed import common, replay
from horizon.feeds import parse_document, parse_with_feedparser, repair_xml, sanitize_html
from horizon.models import Document, ParsedFeed
from horizon.textutil import html_to_text

CORPUS = Path(__file__).parent / "corpus"
FEEDPARSER_TESTS = CORPUS / "feedparser-tests"
HEADER = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
FEED_FIELDS = ("title", "link", "language", "ttl_minutes", "format")
ENTRY_FIELDS = ("guid", "link", "title", "published", "updated", "author", "categories", "language")


def _corpus() -> list[Path]:
    """Every feed-like file of the corpus: real feeds, checks, non-feeds, feedparser's tests."""
    real = sorted((CORPUS / "real").glob("*.xml"))
    checks = sorted((CORPUS / "checks" / "feeds").glob("*.xml"))
    nonfeeds = sorted(p for p in (CORPUS / "real-nonfeed").iterdir() if p.suffix != ".tsv")
    # Its README and LICENSE sit at the top of feedparser-tests; everything below is test data.
    tests = sorted(p for p in FEEDPARSER_TESTS.rglob("*") if p.is_file())
    return real + checks + nonfeeds + [p for p in tests if p.parent != FEEDPARSER_TESTS]


def _leading_text(body: bytes) -> str:
    """The start of a test file as text, to read its Header: lines (see the corpus README)."""
    for bom, encoding in (
        (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    ):  # fmt: skip
        if body.startswith(bom):
            return body[len(bom) : 8192].decode(encoding, "ignore")
    for pattern, encoding in (
        (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
    ):  # fmt: skip
        if body.startswith(pattern):
            return body[:8192].decode(encoding, "ignore")
    return body[:8192].decode("utf-8-sig", "ignore")


def _request(path: Path) -> tuple[bytes, str, dict[str, str]]:
    """Body, URL and response headers, as the feedparser test harness would serve the file,
    with the repairs parse_document makes before either parser reads it."""
    body, _ = repair_xml(path.read_bytes())
    relative = path.relative_to(CORPUS).as_posix()
    headers: dict[str, str] = {}
    if "http" in relative:
        headers = {k.strip(): v.strip() for k, v in HEADER.findall(_leading_text(body))}
    return body, f"http://127.0.0.1:8097/{relative}", headers


def _fast(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed | None:
    """parse_fast without its safety net: a fault in the fast path fails the test."""
    try:
        return fastfeed._parse(body, url, headers)
    except common._Unsure:
        return None


def _reference(body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser's DeprecationWarnings
        return parse_with_feedparser(body, url, headers)


def _differences(fast: ParsedFeed, reference: ParsedFeed) -> list[str]:
    """What a user would see differ. Summary and content are compared as text (html_to_text),
    because the fast path sanitises with nh3 and feedparser with its own sanitiser."""
    found = [
        f"feed {name}: {getattr(fast, name)!r} != {getattr(reference, name)!r}"
        for name in FEED_FIELDS
        if getattr(fast, name) != getattr(reference, name)
    ]
    if len(fast.entries) != len(reference.entries):
        return [*found, f"{len(fast.entries)} entries != {len(reference.entries)}"]
    for index, (mine, theirs) in enumerate(zip(fast.entries, reference.entries, strict=True)):
        for name in ENTRY_FIELDS:
            if getattr(mine, name) != getattr(theirs, name):
                found.append(
                    f"entry {index} {name}: {getattr(mine, name)!r} != {getattr(theirs, name)!r}"
                )
        for name in ("summary", "content"):
            text, expected = html_to_text(getattr(mine, name)), html_to_text(getattr(theirs, name))
            if text != expected:
                found.append(f"entry {index} {name} text: {text[:300]!r} != {expected[:300]!r}")
    return found


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_fast_path_matches_feedparser(path: Path) -> None:
    body, url, headers = _request(path)
    fast = _fast(body, url, headers)
    if fast is None:
        return  # parse_document falls back to feedparser: nothing to compare
    assert fast.parser == "fast"
    try:
        reference = _reference(body, url, headers)
    except FetchError as exc:
        pytest.fail(f"the fast path took a document feedparser rejects: {exc}")
    assert _differences(fast, reference) == []


def _taken(paths: list[Path]) -> list[str]:
    return [p.name for p in paths if fastfeed.parse_fast(*_request(p)) is not None]


def test_fast_path_takes_the_real_feeds() -> None:
    # All 46 take it, after parse_document's repairs (aws-blog, techcrunch and londonist start
    # with a newline before the XML declaration; ozgecatal has a <script> after </rss>). Values
    # whose markup nh3 would read differently (aws-blog, techcrunch) go through feedparser's
    # sanitiser alone, not the whole feed through feedparser.
    real = sorted((CORPUS / "real").glob("*.xml"))
    taken = _taken(real)
    assert len(real) == 46
    assert len(taken) == 46, sorted({p.name for p in real} - set(taken))


def test_fast_path_takes_most_of_feedparsers_wellformed_tests() -> None:
    # 1,698 of the 1,749 well-formed test feeds take it. The 51 others exercise what the fast
    # path hands back on purpose: CDF, GeoRSS and Creative Commons elements, inline SVG and
    # MathML, content of other types than text, HTML or XHTML, entity declarations, and HTML
    # titles whose markup the two sanitisers read differently.
    wellformed = sorted((FEEDPARSER_TESTS / "tests" / "wellformed").rglob("*.xml"))
    assert len(wellformed) == 1749
    assert len(_taken(wellformed)) >= 1698


def test_handler_tables_follow_feedparser() -> None:
    """feedparser handlers the replay leaves out on purpose; any new one makes it unsure."""
    unsupported = {"creativecommons_license", "creativeCommons_license"}
    unsupported |= {"where", "georssgeom", "geom", "textInput"}  # textInput: keys are lowercased
    unsupported |= {
        k for k in common._FP_START | common._FP_END if k.startswith(("georss_", "gml_"))
    }
    assert set(replay._START) <= common._FP_START
    assert set(replay._END) <= common._FP_END
    assert common._FP_START - set(replay._START) <= unsupported
    assert common._FP_END - set(replay._END) <= unsupported


# -- documents the fast path must hand back, and what parse_document then makes of them --

RSS = (
    '<?xml version="1.0" encoding="utf-8"?>\n{doctype}<rss version="2.0"><channel><title>t</title>'
    "<item><title>{title}</title><description>d</description></item></channel></rss>"
)


def test_entity_expansion_is_refused() -> None:
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";" if i > 1 else "&lol;") * 10}">'
        for i in range(1, 10)
    )
    body = RSS.format(doctype=f"<!DOCTYPE rss [{lol}]>\n", title="&lol9;").encode()
    assert fastfeed.parse_fast(body, "https://example.org/feed", {}) is None


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-1234")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">')
    for doctype in (
        f'<!DOCTYPE rss [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>\n',
        f'<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">\n',
    ):
        body = RSS.format(doctype=doctype, title="x &leak; y").encode()
        assert fastfeed.parse_fast(body, "https://example.org/feed", {}) is None
        try:
            parsed = parse_document(Document(url="https://example.org/feed", body=body))
        except FetchError:
            continue
        assert "TOP-SECRET" not in repr(parsed)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title></channel></rss>',
        b'<rss version="2.0"><channel><item><title>AT&T</title></item></channel></rss>',
        b"<rss version='2.0'><channel><item><title>x</title></item></channel></rss><rss/>",
        b"<html><head><title>Home</title></head><body><p>Not a feed</p></body></html>",
        b"<!DOCTYPE html><html><body><p>Maintenance<br></body></html>",
        b"",
    ],
    ids=["unclosed", "bare-ampersand", "two-roots", "xhtml-page", "html-page", "empty"],
)
def test_what_is_not_a_well_formed_feed_is_handed_back(body: bytes) -> None:
    assert fastfeed.parse_fast(body, "https://example.org/feed", {}) is None


def test_a_fault_in_the_fast_path_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> ParsedFeed:
        raise KeyError("a bug")

    monkeypatch.setattr(fastfeed, "_parse", broken)
    assert fastfeed.parse_fast(b"<rss version='2.0'/>", "https://example.org/feed", {}) is None


def test_parse_document_uses_the_fast_path_and_falls_back() -> None:
    def parse(name: str) -> ParsedFeed:
        path = CORPUS / "real" / name
        return parse_document(Document(url=f"https://example.org/{name}", body=path.read_bytes()))

    assert parse("nixos-news.xml").parser == "fast"
    loose = b"<rss version='2.0'><channel><item><title>A & B</title></item></channel></rss>"
    parsed = parse_document(Document(url="https://example.org/feed", body=loose))
    assert parsed.parser == "feedparser" and [e.title for e in parsed.entries] == ["A & B"]
    assert parsed.warnings and "not well-formed" in parsed.warnings[0]


@pytest.mark.parametrize(
    ("tail", "cut"),
    [
        (b'<script src="http://counter.example/c.js"></script>', True),
        (b"<!-- generated in 0.5 s --><?cache hit?>\n", False),  # allowed after the root
        (b"\n\n", False),
        (b"<rss><channel><item><title>second</title></item></channel></rss>", False),
    ],
    ids=["script", "comments", "whitespace", "second-document"],
)
def test_what_follows_the_feed_is_cut_only_when_it_is_junk(tail: bytes, cut: bool) -> None:
    feed = b"\n<?xml version='1.0'?><rss version='2.0'><channel><item><title>A &amp; B</title>"
    feed += b"<category>Arts &amp; Crafts</category></item></channel></rss>"
    repaired, repairs = repair_xml(feed + tail)
    assert repaired.startswith(b"<?xml")  # the newline before the declaration is gone too
    assert repaired.endswith(b"</rss>" if cut else tail)
    assert bool(repairs) is cut
    parsed = parse_document(Document(url="https://example.org/feed", body=feed + tail))
    if cut:
        # read strictly, as feedparser's loose parser does not: `&amp;` is "&" in categories
        assert parsed.parser == "fast" and parsed.entries[0].categories == ["Arts & Crafts"]
        assert parsed.warnings == [
            f"ignored {len(tail)} bytes after the end of the feed: " + repr(tail.decode()[:60])
        ]


# -- random HTML in descriptions, content and titles: the HTML guards against feedparser --

PIECES = [
    "<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "<li>", "</li>", "<ul>", "</ul>", "<b>",
    "</b>", '<a href="/rel?a=1&b=2">', "</a>", '<img src="a.png" alt="x">', "<table>", "<tr>",
    "<td>", "</td>", "<th>", "</table>", "<h2>", "</h2>", "<script>", "</script>", "<style>",
    "</style>", '<iframe src="x">', "</iframe>", "<!-- c -->", "<!--", "-->", "&amp;", "&nbsp;",
    "&copy;", "&copy", "&foo;", "&#169;", "&#169", "&#150;", "&hellip;", "&", "<", ">", '"',
    " ", "\n", "word", "AT&T", "x<y", "<p/>", "<blockquote>", "</blockquote>", "<pre>", "&AMP;",
    "<font color=red>", "<textarea>", "</textarea>", "<![CDATA[x]]>", "<!DOCTYPE html>", "é",
    "’", "\x96", "Ã©", '<a title="a>b">', "<<", "<wbr>", "<dl><dt>t<dd>d</dl>", "<?php x ?>",
]  # fmt: skip
RSS_ITEM = (
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
    "<channel><item>{}</item></channel></rss>"
)
ATOM = '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>'
WRAPPERS: list[Callable[[str], str]] = [
    lambda h: RSS_ITEM.format(f"<title>{h}</title><description>{h}</description>"),
    lambda h: RSS_ITEM.format(
        f"<description>d</description><content:encoded>{h}</content:encoded>"
    ),
    lambda h: ATOM.format(
        f'<title type="html">{h}</title><entry><title type="html">{h}</title>'
        f'<content type="html">{h}</content></entry>'
    ),
    lambda h: ATOM.format(
        f'<entry><summary>{h}</summary><content type="text">{h}</content></entry>'
    ),
]


@settings(
    max_examples=250, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12), st.sampled_from(WRAPPERS))
def test_random_markup_matches_feedparser(pieces: list[str], wrap: Callable[[str], str]) -> None:
    body = wrap(html.escape("".join(pieces))).encode()
    fast = _fast(body, "https://example.org/feed", {})
    if fast is not None:
        assert _differences(fast, _reference(body, "https://example.org/feed", {})) == []


# html_to_text reads plain markup (tags and text only) without an HTML parser. These hold it to
# the parser's reading (nh3 with no tags allowed), on every text in the corpus, raw and
# sanitised, and on random markup.
def _parser_text(markup: str) -> str:
    """html_to_text as an HTML parser reads the markup, every time."""
    text = html.unescape(nh3.clean(textutil._BLOCK_BREAK.sub(" ", markup), tags=set()))
    return " ".join(text.split())


def _corpus_texts() -> list[str]:
    """Every element text and tail in the corpus that holds markup or a reference."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    texts: set[str] = set()
    for path in _corpus():
        try:
            root = etree.fromstring(repair_xml(path.read_bytes())[0], parser)
        except (etree.XMLSyntaxError, ValueError):
            continue
        for node in root.iter() if root is not None else ():
            texts.update(t for t in (node.text, node.tail) if t and ("<" in t or "&" in t))
    return sorted(texts)


def test_plain_markup_reads_as_the_html_parser_reads_it_over_the_corpus() -> None:
    texts = _corpus_texts()
    values = texts + [sanitize_html(t, "https://example.org/") for t in texts]
    plain = [v for v in values if textutil._plain_markup_text(textutil._BLOCK_BREAK.sub(" ", v))]
    assert len(texts) > 2000 and len(plain) > len(values) // 2  # the quick way is used, and
    differ = [v[:200] for v in values if html_to_text(v) != _parser_text(v)]
    assert differ == []  # it reads as the parser does


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_random_markup_reads_as_the_html_parser_reads_it(pieces: list[str]) -> None:
    markup = "".join(pieces)
    assert html_to_text(markup) == _parser_text(markup)
    sanitised = sanitize_html(markup)
    assert html_to_text(sanitised) == _parser_text(sanitised)


@pytest.mark.parametrize(
    "markup",
    [
        "<table><tr><td>cell<tr>moved before the table</table>",  # foster parenting
        "<p>a<script>var x = '<b>';</script>b</p>",
        "<textarea><b>kept as text</b></textarea>",
        "<noscript><i>raw</i></noscript> after",
        "<frameset>dropped</frameset>",
        "<template><p>apart</p></template>kept",
        "a\x00b <b>c</b>",
        "<!-- a > b --> text",
        "<a href=unquoted>x</a> <a title='single'>y</a>",
        '<a title="a>b">x</a> &amp;lt; &notit; &#128; &#x110000;',
        "</ p>bogus comment",
    ],
)
def test_markup_a_parser_reads_otherwise_takes_the_parser(markup: str) -> None:
    assert html_to_text(markup) == _parser_text(markup)


# feedparser's own patterns, kept for its results, are quadratic on hostile text: the fast path
# reaches the same results in linear time.
@given(st.text(alphabet="ab1.-_+@[]?=x: (", max_size=60))
def test_email_search_finds_what_feedparsers_pattern_finds(text: str) -> None:
    found, expected = common.email_search(text), common._EMAIL.search(text)
    assert (found and (found.span(), found.groups())) == (
        expected and (expected.span(), expected.groups())
    )


@given(st.text(alphabet="<>ab /", max_size=60))
def test_without_tags_removes_what_feedparsers_pattern_removes(text: str) -> None:
    assert common.without_tags(text) == common._TAGS.sub("", text)


@pytest.mark.timeout(60)  # linear: well under a second; with the patterns alone, hours
@pytest.mark.parametrize("tail", ["", "@", "@example.org"])
def test_a_hostile_author_is_read_in_linear_time(tail: str) -> None:
    author = "a" * 1_000_000 + tail
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x'
        f"</title><author>{author}</author></item></channel></rss>"
    ).encode()
    parsed = _fast(body, "http://example.org/feed", {})
    assert parsed is not None and parsed.entries[0].author.startswith("aaaa")
    small = body.replace(b"a" * 1_000_000, b"a" * 2_000)  # small enough for feedparser itself
    assert not _differences(
        _fast(small, "http://example.org/feed", {}),
        _reference(small, "http://example.org/feed", {}),
    )
