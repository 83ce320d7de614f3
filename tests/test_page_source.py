"""The `page` source type: news listings read with selectors, against the loopback server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from horizon import plugins
from tests.conftest import FIXTURES, REAL, fast_fetch

PAGES = FIXTURES / "pages"
MODULE = "horizon.default_plugins.page"
COE = {
    "entry": "div.news-item",
    "title": "h3 a",
    "link": "h3 a",
    "date": "time",
    "summary": "p.summary",
    "next": "a.pager-next",
    "max_pages": 3,
}
POLICE = {
    "entry": "li.actu",
    "title": "h2.titre",
    "link": "a.lire-la-suite",
    "date": "span.date",
    "summary": "div.chapo",
    "date_format": "%d/%m/%Y",
}
INHOPE = {
    "entry": "div.article-card",
    "title": ".article-title",
    "link": "a.article-link",
    "date": ".article-date",
    "summary": "p.article-excerpt",
}


@pytest.fixture(autouse=True)
def _page_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in is loaded as DEFAULT_PLUGINS would load it (a no-op once it is listed)."""
    if MODULE not in plugins.DEFAULT_PLUGINS:
        monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", (*plugins.DEFAULT_PLUGINS, MODULE))


def html_route(server: Any, path: str, file: str, **route: Any) -> str:
    return server.file(path, PAGES / file, content_type="text/html", **route)


def serve_coe(server: Any) -> str:
    url = html_route(server, "/coe/news", "coe-news-1.html")
    html_route(server, "/coe/news/page/2", "coe-news-2.html")
    html_route(server, "/coe/news/page/3", "coe-news-3.html")
    return url


def page_source(source_id: str, url: str, page: dict[str, Any], **keys: Any) -> dict[str, Any]:
    return {"id": source_id, "type": "page", "url": url, "page": page, **keys}


def items_by_title(project: Any, source_id: str) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in project.json("items", "list", "--source", source_id, "--all")}


def outcome(out: dict[str, Any], source_id: str) -> dict[str, Any]:
    return next(s for s in out["sources"] if s["source"] == source_id)


def test_listing_over_three_pages_is_stored(project, server):
    url = serve_coe(server)
    project.write_config([page_source("coe", url, COE)], fetch=fast_fetch())
    out = project.json("pull")
    coe = outcome(out, "coe")
    assert coe["status"] == "ok", coe
    # 4 + 3 + 2 entries, one repeated on page 2 because the listing shifted between pages.
    assert coe["new"] == 8
    items = items_by_title(project, "coe")
    first = items[
        "Lanzarote Committee adopts its implementation report on ICT-facilitated sexual abuse"
    ]
    assert first["url"] == server.url(
        "/en/web/children/-/lanzarote-committee-adopts-implementation-report-on-ict-facilitated"
        "-sexual-abuse"
    )
    assert first["published"] == "2025-03-14T08:30:00Z"  # 09:30 in Strasbourg
    assert first["published_estimated"] is False
    assert first["summary"].startswith(
        "Meeting in Strasbourg, the Committee of the Parties adopted its second implementation "
        "report, covering"
    )
    assert first["language"] == "en"
    # An absolute link stays on its host; its tracking parameters are dropped.
    declaration = items["Declaration on protecting children from sexual abuse online"]
    assert declaration["url"] == (
        "https://rm.coe.int/declaration-on-protecting-children-from-sexual-abuse-online/1680b4f2a1"
    )
    # A date given only as text (no datetime attribute), from page 2.
    bureau = items["New members elected to the Lanzarote Committee Bureau"]
    assert bureau["published"] == "2025-02-05T00:00:00Z"
    assert bureau["url"] == server.url(
        "/en/web/children/-/new-members-elected-to-the-lanzarote-committee-bureau"
    )
    assert items["Human Rights Day: children's rights online"]["published"] == (
        "2024-12-10T08:00:00Z"
    )  # page 3
    for path in ("/coe/news", "/coe/news/page/2", "/coe/news/page/3"):
        hits = server.hits_for(path)
        assert len(hits) == 1, path
        assert "text/html" in hits[0].headers["accept"]
    # Only the first page is fetched conditionally.
    assert "if-none-match" not in server.hits_for("/coe/news/page/2")[0].headers


def test_each_page_is_parsed_once(project, server, monkeypatch):
    from horizon.default_plugins import page

    read = []
    real = page.read_page

    def counting(doc):
        read.append(doc.url)
        return real(doc)

    monkeypatch.setattr(page, "read_page", counting)
    url = serve_coe(server)
    project.write_config([page_source("coe", url, COE)], fetch=fast_fetch())
    assert outcome(project.json("pull"), "coe")["new"] == 8
    # Following the pager parsed pages 1 and 2 (and 3, to find it has no next link); the
    # entries are read from those same trees.
    assert sorted(read) == sorted(
        server.url(p) for p in ("/coe/news", "/coe/news/page/2", "/coe/news/page/3")
    )


def test_max_pages_is_respected(project, server):
    url = serve_coe(server)
    project.write_config([page_source("coe", url, {**COE, "max_pages": 2})], fetch=fast_fetch())
    assert outcome(project.json("pull"), "coe")["new"] == 6
    assert len(server.hits_for("/coe/news/page/2")) == 1
    assert server.hits_for("/coe/news/page/3") == []


def test_next_link_that_loops_back_is_not_followed(project, server):
    url = serve_coe(server)
    looping = (
        (PAGES / "coe-news-3.html")
        .read_bytes()
        .replace(
            b'<span class="pager-current">3</span>',
            b'<span class="pager-current">3</span>'
            b' <a class="pager-next" href="/coe/news#top">Next</a>',
        )
    )
    server.route("/coe/news/page/3", body=looping, content_type="text/html")
    project.write_config([page_source("coe", url, {**COE, "max_pages": 20})], fetch=fast_fetch())
    coe = outcome(project.json("pull"), "coe")
    assert coe["status"] == "ok" and coe["new"] == 8
    assert [len(server.hits_for(p)) for p in ("/coe/news", "/coe/news/page/3")] == [1, 1]


def test_a_later_page_that_fails_keeps_the_pages_already_read(project, server):
    url = serve_coe(server)
    server.route("/coe/news/page/2", status=500, content_type="text/html")
    project.write_config([page_source("coe", url, COE)], fetch=fast_fetch())
    coe = outcome(project.json("pull"), "coe")
    assert coe["status"] == "parse-warning" and coe["new"] == 4
    assert "page 2 (" in coe["error"] and "not fetched" in coe["error"]
    assert server.hits_for("/coe/news/page/3") == []


def test_police_page_with_day_month_year_dates_and_latin1(project, server):
    url = html_route(server, "/police/actualites", "police-actualites.html")
    project.write_config([page_source("police", url, POLICE)], fetch=fast_fetch())
    police = outcome(project.json("pull"), "police")
    # The recruitment banner matches the entry selector but has no link: skipped, and said so.
    assert police["status"] == "parse-warning" and police["new"] == 3
    assert "1 of 4 entries skipped" in police["error"]
    items = items_by_title(project, "police")
    prevention = items[
        "Prévention : la police nationale dans les collèges pour parler de sextorsion"
    ]
    assert prevention["published"] == "2025-04-03T00:00:00Z"  # 3 April, not 4 March
    assert prevention["url"] == server.url("/police/actualites/2025/prevention-sextorsion-colleges")
    raid = items["Démantèlement d'un réseau de pédocriminalité en ligne : 12 interpellations"]
    assert raid["published"] == "2025-03-14T00:00:00Z"
    assert raid["summary"] == (
        "L'Office mineurs (OFMIN) a conduit une opération coordonnée dans huit départements. "
        "Plus de 40 000 fichiers ont été saisis."
    )
    assert raid["language"] == "fr"


@pytest.mark.parametrize(
    "selectors",
    [
        INHOPE,
        {
            "entry": "//section[@class='articles']/div",
            "title": "./a/h4",
            "link": "./a/@href",
            "date": "./a/span[@class='article-date']/text()",
        },
    ],
    ids=["css", "xpath"],
)
def test_css_and_xpath_selectors_read_the_same_listing(project, server, selectors):
    url = html_route(server, "/EN/articles", "inhope-articles.html")
    project.write_config([page_source("inhope", url, selectors)], fetch=fast_fetch())
    assert outcome(project.json("pull"), "inhope")["status"] == "ok"
    items = items_by_title(project, "inhope")
    assert {t: i["published"] for t, i in items.items()} == {
        "What is Sextortion?": "2025-06-12T00:00:00Z",  # "June 12, 2025"
        "INHOPE Annual Report 2024": "2025-05-28T00:00:00Z",
        "AI-generated child sexual abuse material: what hotlines see": "2025-04-03T00:00:00Z",
    }
    assert items["What is Sextortion?"]["url"] == server.url("/EN/articles/what-is-sextortion")


def test_second_pull_is_conditional_and_not_parsed(project, server, monkeypatch):
    from horizon.default_plugins import page

    url = serve_coe(server)
    project.write_config([page_source("coe", url, COE)], fetch=fast_fetch())
    assert outcome(project.json("pull"), "coe")["new"] == 8

    def must_not_parse(self: Any, source: Any, fetched: Any) -> Any:
        raise AssertionError("a 304 must not be parsed")

    with monkeypatch.context() as patch:
        patch.setattr(page.PageSource, "parse", must_not_parse)
        second = outcome(project.json("pull", "coe"), "coe")
    assert second["status"] == "not-modified", second
    assert server.hits_for("/coe/news")[-1].headers["if-none-match"].startswith('"')
    assert len(server.hits_for("/coe/news/page/2")) == 1  # pagination not followed on a 304
    # The publisher adds a story: the validators no longer match, and only it is new.
    fresh = (
        (PAGES / "coe-news-1.html")
        .read_bytes()
        .replace(
            b'<section class="news-list">',
            b'<section class="news-list"><div class="news-item"><time datetime="2025-03-20">'
            b'20 March 2025</time><h3><a href="/en/web/children/-/call-for-experts">Call for '
            b"experts</a></h3></div>",
        )
    )
    server.route("/coe/news", body=fresh, content_type="text/html")
    third = outcome(project.json("pull", "coe"), "coe")
    assert third["status"] == "ok" and third["new"] == 1 and third["unchanged"] == 8


def test_redesign_fails_that_source_only(project, server):
    coe = html_route(server, "/coe/news", "coe-news-redesign.html")
    inhope = html_route(server, "/EN/articles", "inhope-articles.html")
    rss = server.file("/nixos.xml", REAL / "nixos-news.xml")
    project.write_config(
        [
            page_source("coe", coe, COE),
            page_source("inhope", inhope, INHOPE),
            {"id": "nixos", "url": rss},
        ],
        fetch=fast_fetch(),
    )
    result = project.run("pull", "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    failed = outcome(out, "coe")
    assert failed["error_class"] == "selectors-matched-nothing"
    message = failed["error"]
    assert "entry selector 'div.news-item' matched nothing" in message
    assert "Newsroom | Children's Rights | Council of Europe" in message  # what the page was
    assert "article.card x4" in message  # where the entries probably went
    assert "markup has probably changed" in message
    assert "coe: selectors-matched-nothing" in result.stderr
    assert outcome(out, "inhope")["new"] == 3
    assert outcome(out, "nixos")["new"] == 99
    listed = {s["id"]: s for s in project.json("sources", "list")}
    assert "'div.news-item' matched nothing" in listed["coe"]["last_error"]


def test_entries_found_but_titles_gone(project, server):
    url = html_route(server, "/EN/articles", "inhope-articles.html")
    drifted = {**INHOPE, "title": "h3.card-title"}
    project.write_config([page_source("inhope", url, drifted)], fetch=fast_fetch())
    inhope = outcome(project.json("pull"), "inhope")
    assert inhope["error_class"] == "selectors-matched-nothing"
    assert "matched 3 element(s)" in inhope["error"]
    assert "a title ('h3.card-title' found text in 0)" in inhope["error"]
    assert "'a.article-link' found one in 3" in inhope["error"]


@pytest.mark.parametrize(
    ("file", "title", "hint"),
    [
        (
            "not-a-listing.html",
            "Lanzarote Committee adopts its implementation report - Council of Europe",
            "markup has probably changed",
        ),
        ("challenge.html", "Just a moment...", "refusing automated requests"),
    ],
)
def test_html_page_that_is_not_a_listing(project, server, file, title, hint):
    url = html_route(server, "/page", file)
    project.write_config([page_source("p", url, COE)], fetch=fast_fetch())
    failed = outcome(project.json("pull"), "p")
    assert failed["error_class"] == "selectors-matched-nothing"
    assert title in failed["error"] and hint in failed["error"]


def test_a_body_that_is_not_html_is_not_a_feed(project, server):
    rss = server.file("/feed.xml", REAL / "nixos-news.xml")
    api = server.route("/api", body=b'{"items": []}', content_type="application/json")
    project.write_config(
        [page_source("rss", rss, COE), page_source("api", api, COE)], fetch=fast_fetch()
    )
    out = project.json("pull")
    assert outcome(out, "rss")["error_class"] == "not-a-feed"
    assert "it looks like a feed: use type: rss" in outcome(out, "rss")["error"]
    assert outcome(out, "api")["error_class"] == "not-a-feed"
    assert "Content-Type application/json" in outcome(out, "api")["error"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entry": None}, "'page.entry' is missing"),
        ({"entry": "div.news-item["}, "'page.entry': not a valid CSS selector"),
        ({"titel": "h3 a"}, "unknown key 'page.titel'"),
        ({"link": "./h3/a[@href"}, "'page.link': not a valid XPath expression"),
        ({"date": "//time"}, "'page.date': an XPath inside an entry must start with './'"),
        ({"summary": "p::text"}, "'page.summary': not a valid CSS selector"),
        ({"max_pages": 50}, "'page.max_pages': input should be less than or equal to 20"),
        ({"date_format": "14/03/2025"}, "'page.date_format': must contain strptime directives"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_config_errors_name_the_file_source_and_key(project, server, change, message):
    url = serve_coe(server)
    page = {k: v for k, v in {**COE, **change}.items() if v is not None}
    project.write_config([page_source("coe", url, page)], fetch=fast_fetch())
    result = project.run("pull")
    assert result.exit_code == 2
    assert "feeds.yaml, source 'coe'" in result.stderr
    assert message in result.stderr, result.stderr
    assert server.hits == []  # validated before anything is fetched


def test_config_errors_outside_the_page_key(project, server):
    url = serve_coe(server)
    project.write_config(
        [
            {"id": "nopage", "type": "page", "url": url},
            page_source("typo", url, COE, pages={"entry": "div"}),
        ],
        fetch=fast_fetch(),
    )
    result = project.run("pull")
    assert result.exit_code == 2
    assert "source 'nopage'" in result.stderr and "'page' is missing" in result.stderr
    assert "source 'typo'" in result.stderr and "unknown key 'pages'" in result.stderr


def test_hostile_page_never_reaches_output(project, server):
    url = html_route(server, "/hostile", "hostile.html")
    selectors = {"entry": "div.item", "title": "h3", "link": "h3 a", "summary": "p.teaser"}
    selectors["next"] = "a.next"
    selectors["max_pages"] = 5
    project.write_config([page_source("h", url, selectors)], fetch=fast_fetch())
    result = project.run("pull", "--json")
    pulled = outcome(json.loads(result.stdout), "h")
    assert pulled["status"] == "parse-warning" and pulled["new"] == 2
    # javascript:, obfuscated javascript:, data: and vbscript: links are never used as links.
    assert "4 of 6 entries skipped" in pulled["error"]
    assert "(e.g. a javascript: link)" in pulled["error"]
    # The next link points at a cloud metadata address: not followed.
    assert "leads to another host" in pulled["error"]
    items = project.json("items", "list", "--source", "h")
    assert {i["title"] for i in items} == {"Safe title", "Owned red link done"}
    assert {i["url"] for i in items} == {
        "https://hotline.example/en/news/safe-one",  # resolved against <base href>
        "https://hotline.example/en/news/escapes",
    }
    shown = [project.json("items", "show", str(i["id"])) for i in items]
    table = project.run("items", "list", "--source", "h").stdout
    sources = project.run("sources", "list").stdout
    everything = json.dumps([items, shown]) + table + sources + result.stdout + result.stderr
    for bad in ("\x1b", "\\u001b", "\x07", "\\u0007", "\u202e", "\\u202e"):
        assert bad not in everything
    for bad in ("alert", "<script", "onerror", "onclick", "display:none", "evil.example", "pwned"):
        assert bad not in everything, bad
    assert "Plain bold text and more." in {i["summary"] for i in items}
