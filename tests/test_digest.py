"""The board digest: content and order, stories, emerging terms, history, and safety."""

from __future__ import annotations

import gc
import itertools
import json
import os
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from horizon import digest, periods
from horizon.db import open_db
from horizon.default_plugins.renderers import HtmlRenderer, JsonRenderer, MarkdownRenderer
from horizon.errors import StoreError
from horizon.queries import list_sources
from horizon.rules import fold
from horizon.taxonomy import load_taxonomy
from tests.conftest import dump_dom, fast_fetch

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOTS = Path(__file__).parent / "snapshots"
WEEK = periods.parse_period("2026-W47")  # Mon 16 Nov 2026 - Mon 23 Nov 2026
HOSTILE_TITLE = (
    '<script>alert(1)</script><img src=x onerror="document.body.dataset.pwned=1">'
    "[click](javascript:alert(2)) *bold* <style>body{background:url(x)}</style>"
    " expression(alert(3))"
)


def rss(items: list[tuple[str, str, str, datetime]]) -> str:
    body = "".join(
        f"<item><title><![CDATA[{t}]]></title><guid>{g}</guid><link><![CDATA[{link}]]></link>"
        f"<description><![CDATA[{d}]]></description><pubDate>{format_datetime(when)}</pubDate>"
        "</item>"
        for g, (t, d, link, when) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
        f"</title>{body}</channel></rss>"
    )


def build_store(project, feeds: dict[str, list[tuple[str, str, str, datetime]]]) -> None:
    sources = []
    for name, items in feeds.items():
        (project.root / f"{name}.xml").write_text(rss(items), encoding="utf-8")
        sources.append({"id": name, "name": name.upper(), "type": "file", "path": f"{name}.xml"})
    project.write_config(sources, fetch=fast_fetch())
    result = project.run("pull")
    assert result.exit_code == 0, result.output


def day(n: int) -> datetime:
    return datetime(2026, 11, 16, 9, tzinfo=UTC) + timedelta(days=n)


STORY = [
    (
        "Council agrees position on chat control regulation",
        "EU member states agreed their position on the child sexual abuse regulation and "
        "detection orders for messaging services.",
    ),
    (
        "Chat control: EU Council agrees its position on the regulation",
        "Member states in the Council agreed a position on the regulation against child sexual "
        "abuse, including detection orders for messaging services.",
    ),
    (
        "EU member states agree position on child sexual abuse regulation (chat control)",
        "The Council agreed its position on detection orders in the chat control regulation on "
        "child sexual abuse.",
    ),
]


@pytest.fixture
def store(project):
    build_store(
        project,
        {
            "edri": [
                (STORY[0][0], STORY[0][1], "https://edri.example/1", day(1)),
                (
                    "Europol takes down darknet child abuse platform",
                    "Police in 12 countries arrested administrators.",
                    "https://edri.example/2",
                    day(2),
                ),
                (HOSTILE_TITLE, HOSTILE_TITLE, "javascript:alert(4)", day(3)),
            ],
            "netzpolitik": [
                (STORY[1][0], STORY[1][1], "https://np.example/a", day(1)),
                (
                    "Vorratsdatenspeicherung: EuGH urteilt erneut",
                    "Der Gerichtshof entscheidet über die Speicherung von IP-Adressen.",
                    "https://np.example/b",
                    day(4),
                ),
            ],
            "consilium": [
                (STORY[2][0], STORY[2][1], "https://cons.example/x", day(2)),
                (
                    "Old item on sextortion of teenagers",
                    "Sextortion rose.",
                    "https://cons.example/old",
                    day(-40),
                ),
            ],
        },
    )
    db = project.db()
    # Parsers strip tags from titles; put the raw hostile text in as if one had not, to prove
    # the renderers escape whatever reaches them.
    db.execute(
        "UPDATE items SET title = ?, summary = ? WHERE url = 'javascript:alert(4)'",
        [HOSTILE_TITLE, HOSTILE_TITLE],
    )
    db.conn.commit()
    ids = {row["title"]: row["id"] for row in db.query("SELECT id, title FROM items")}
    project.run(
        "tag",
        str(ids[STORY[0][0]]),
        "--signal",
        "--note",
        "Detection orders survive: watch the trilogue",
        "--review-by",
        "2026-11-20",
        "--analyst",
        "alice",
    )
    project.run(
        "tag",
        str(ids["Europol takes down darknet child abuse platform"]),
        "--digest",
        "--note",
        "Biggest takedown this year",
        "--analyst",
        "bob",
    )
    project.run(
        "tag",
        str(ids[HOSTILE_TITLE]),
        "--signal",
        "--note",
        HOSTILE_TITLE,
        "--theme",
        "technology",
        "--analyst",
        "mallory",
    )
    return project, ids


def build(project, period=WEEK, **options):
    db = open_db(project.db_path)
    return digest.build_digest(
        db,
        period,
        load_taxonomy(),
        digest.DigestOptions(**options),
        datetime(2026, 11, 23, 8, tzinfo=UTC),
        list_sources(db),
    )


def test_sources_without_counts_keep_what_the_health_section_reads(store):
    project, _ = store
    db = open_db(project.db_path)
    counted, light = list_sources(db), list_sources(db, counts=False)
    assert [s["newest_item"] for s in light] == [s["newest_item"] for s in counted]
    assert [s["stale"] for s in light] == [s["stale"] for s in counted]
    assert all(s["newest_item"] for s in counted) and sum(s["items"] for s in counted) > 0
    assert {s["items"] for s in light} == {None}
    assert digest._health(light) == digest._health(counted)


def test_digest_content_and_order(store):
    project, ids = store
    data = build(project)
    assert data["period"]["label"] == "2026-W47"
    assert data["header"] == {
        "sources_watched": 3,
        "items_seen": 6,
        "items_reviewed": 3,
        "signals": 3,
    }
    assert [t["id"] for t in data["themes"]] == [
        "technology",
        "human-behaviour",
        "legislation",
        "organisational",
    ]
    legislation = data["themes"][2]
    assert [i["note"] for i in legislation["signals"]] == [
        "Detection orders survive: watch the trilogue"
    ]
    organisational = data["themes"][3]
    assert organisational["signals"][0]["flagged"] is True
    assert data["glance"]["periods"] == ["2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert data["glance"]["themes"]["legislation"]["items"][-1] >= 3
    assert [d["id"] for d in data["due"]] == [ids[STORY[0][0]]]
    hostile = next(i for t in data["themes"] for i in t["signals"] if i["id"] == ids[HOSTILE_TITLE])
    assert hostile["url"] is None  # javascript: links never reach a digest
    assert "Old item" not in json.dumps(data)


def test_glance_has_no_columns_before_the_first_item(store):
    project, _ = store
    data = build(project, period=periods.parse_range("2026-01-01", "2026-11-22"))
    first = project.db().execute("SELECT min(published) FROM items").fetchone()[0]
    assert first > "2025"  # so every earlier 326-day period would be empty
    assert data["glance"]["periods"] == ["2026-01-01 to 2026-11-22"]
    weekly = build(project)
    assert len(weekly["glance"]["periods"]) == 5  # in-store history is kept


def test_same_story_from_three_sources_is_one_entry(store):
    project, ids = store
    data = build(project)
    assert len(data["stories"]) == 1
    story = data["stories"][0]
    assert story["sources"] == 3 and story["lead"]["id"] == ids[STORY[0][0]]
    assert {a["source"] for a in story["lead"]["also_reported_by"]} == {"netzpolitik", "consilium"}
    legislation = data["themes"][2]
    shown = [i["id"] for i in legislation["signals"] + legislation["unreviewed"]]
    assert shown.count(ids[STORY[0][0]]) == 1
    assert ids[STORY[1][0]] not in shown and ids[STORY[2][0]] not in shown
    assert legislation["signals"][0]["also_reported_by"]


def test_unrelated_items_are_not_clustered(store):
    project, _ = store
    data = build(project, similarity=0.99)
    assert data["stories"] == []


def rising_feeds() -> dict[str, list]:
    """Nine weeks of two feeds: four PNR items every week; sextortion 0-1 a week, then 6."""
    weeks = [datetime(2026, 11, 16, 9, tzinfo=UTC) - timedelta(weeks=w) for w in range(9)]
    feeds: dict[str, list] = {"a": [], "b": []}
    for index, start in enumerate(weeks):
        for n in range(4):  # a steady topic: 4 PNR items every week
            feeds["a"].append(
                (
                    f"PNR directive review {index}-{n}",
                    "Passenger name record data rules discussed.",
                    f"https://a.example/pnr/{index}/{n}",
                    start + timedelta(hours=n),
                )
            )
        burst = 6 if index == 0 else (1 if index % 3 == 0 else 0)
        for n in range(burst):  # sextortion: 0-1 a week, then 6 this week
            feeds["a" if n % 2 else "b"].append(
                (
                    f"Sextortion of teenagers case {index}-{n}",
                    "Police warn of sextortion targeting teenagers online.",
                    f"https://x.example/sx/{index}/{n}",
                    start + timedelta(hours=10 + n),
                )
            )
    return feeds


def test_emerging_topic_against_its_baseline(project):
    build_store(project, rising_feeds())
    data = build(project, period=periods.parse_period("2026-W47"))
    emerging = {(e["kind"], e["name"]): e for e in data["emerging"]}
    assert ("topic", "sexual-extortion") in emerging
    entry = emerging[("topic", "sexual-extortion")]
    assert entry["count"] == 6 and entry["z"] >= 2 and len(entry["items"]) == 6
    # Each item shown with its own link (read for the items shown, not counted from the index)
    assert {i["url"] for i in entry["items"]} == {f"https://x.example/sx/0/{n}" for n in range(6)}
    assert ("topic", "pnr") not in emerging
    assert ("term", "sextortion") in emerging or ("term", "sextortion teenagers") in emerging


def test_no_baseline_means_nothing_emerges(store):
    project, _ = store
    assert build(project)["emerging"] == []


def test_a_store_in_memory_reads_its_tagged_items_itself(store):
    # On disk, the emerging terms' read runs on a second connection; in memory there is none.
    project, _ = store
    memory = open_db(":memory:")
    open_db(project.db_path).conn.backup(memory.conn)
    on_disk = build(project)
    in_memory = digest.build_digest(
        memory, WEEK, load_taxonomy(), digest.DigestOptions(),
        datetime(2026, 11, 23, 8, tzinfo=UTC), list_sources(memory),
    )  # fmt: skip
    assert in_memory["themes"] == on_disk["themes"] and in_memory["emerging"] == on_disk["emerging"]


def recording_walkers(monkeypatch) -> list[tuple[object, list[str]]]:
    """Each store the digest opens read-only, with the statements run on it, as they start."""
    opened: list[tuple[object, list[str]]] = []

    def open_and_record(path, **kwargs):
        db = open_db(path, **kwargs)
        statements: list[str] = []
        db.conn.set_trace_callback(statements.append)
        opened.append((db, statements))
        return db

    monkeypatch.setattr(digest, "open_db", open_and_record)
    return opened


def wait_until(condition) -> None:
    for _ in range(3000):  # up to 30 s: the walkers run on threads of their own
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the read-ahead's walkers never started")


def test_the_emerging_read_is_read_ahead_over_later_ranges_of_both_indexes(project, monkeypatch):
    build_store(project, rising_feeds())
    walkers = recording_walkers(monkeypatch)
    reader = open_db(project.db_path, readonly=True)
    first, last = reader.execute("SELECT min(item_id), max(item_id) FROM item_tags").fetchone()
    with digest._reading_ahead(str(project.db_path), reader):
        wait_until(lambda: sum(len(s) for _, s in walkers) == 2 * digest.READ_AHEAD)
    assert len(walkers) == digest.READ_AHEAD
    ranges = []
    for db, statements in walkers:
        assert [re.sub(r"BETWEEN \d+ AND \d+", "BETWEEN ? AND ?", s) for s in statements] == list(
            digest._AHEAD
        )  # both indexes, over one range of items
        low, high = map(int, re.findall(r"BETWEEN (\d+) AND (\d+)", statements[0])[0])
        assert statements[1].endswith(f"BETWEEN {low} AND {high}")
        ranges.append((low, high))
        with pytest.raises(sqlite3.ProgrammingError):  # closed once the body ended
            db.execute("SELECT 1")
    ranges.sort()
    # Later ranges only (the body reads the first itself), next to each other, up to the last
    assert first < ranges[0][0] and ranges[-1][1] >= last
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))


def test_the_read_ahead_stops_when_the_read_ends(project, monkeypatch):
    build_store(project, rising_feeds())
    walkers = recording_walkers(monkeypatch)
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) "
    monkeypatch.setattr(digest, "_AHEAD", (endless + "FROM n WHERE x BETWEEN ? AND ? - 1",))
    reader = open_db(project.db_path, readonly=True)
    with digest._reading_ahead(str(project.db_path), reader):
        wait_until(lambda: sum(len(s) for _, s in walkers) == digest.READ_AHEAD)
    # Left without a stop, the walks would never end and the block above with them.
    for db, _ in walkers:
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")


@pytest.mark.parametrize("fault", ["walk", "open"])
def test_a_failing_read_ahead_leaves_the_read_as_it_is(project, monkeypatch, fault):
    build_store(project, rising_feeds())
    period, options = periods.parse_period("2026-W47"), digest.DigestOptions()
    reader = open_db(project.db_path, readonly=True)
    expected = digest._tagged_rows(reader, period, options)
    assert expected  # something to lose
    walkers = recording_walkers(monkeypatch)
    tried: list[str] = []
    if fault == "walk":  # fails as it runs (an integer overflow), after the trace has seen it
        monkeypatch.setattr(digest, "_AHEAD", ("SELECT abs(-9223372036854775807 - 1) WHERE ? < ?",))
    else:

        def cannot_open(path, **kwargs):
            tried.append(path)
            raise StoreError(f"{path}: cannot open the store")

        monkeypatch.setattr(digest, "open_db", cannot_open)
    with digest._reading_ahead(str(project.db_path), reader):
        wait_until(lambda: sum(len(s) for _, s in walkers) + len(tried) == digest.READ_AHEAD)
        rows = digest._tagged_rows(reader, period, options)
    assert rows == expected
    for db, _ in walkers:  # none left open
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")


def test_the_digest_is_built_with_the_cyclic_collector_paused(store, monkeypatch):
    project, _ = store
    seen: list[bool] = []
    counts = digest._theme_counts

    def observed(*args):
        seen.append(gc.isenabled())
        return counts(*args)

    monkeypatch.setattr(digest, "_theme_counts", observed)
    assert gc.isenabled()
    build(project)
    assert seen and not any(seen)  # paused while the digest was built
    assert gc.isenabled()  # and running again after


def test_the_collector_is_left_as_it_was_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), digest._collector_paused():
        assert not gc.isenabled()
        raise ValueError("in the block")
    assert gc.isenabled()
    gc.disable()  # paused by the caller already: the caller decides
    try:
        with digest._collector_paused(), digest._collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cli_since_last_history_and_regeneration(store, tmp_path):
    project, ids = store
    first = project.run(
        "digest", "--period", "2026-W47", "--format", "md", "--out", str(tmp_path / "w47.md")
    )
    assert first.exit_code == 0, first.output
    listed = project.json("digest", "list")
    assert listed[0]["period_label"] == "2026-W47" and listed[0]["items"] >= 4
    # Change the analyst's note afterwards: the recorded digest still says what it said.
    project.run("tag", str(ids[STORY[0][0]]), "--note", "changed later")
    again = project.run("digest", "show", str(listed[0]["id"]))
    assert again.stdout == (tmp_path / "w47.md").read_text()
    assert "changed later" not in again.stdout
    as_html = project.run("digest", "show", str(listed[0]["id"]), "--format", "html")
    assert '<section id="theme-technology">' in as_html.stdout
    since = project.run("digest", "--format", "json")
    data = json.loads(since.stdout)
    assert data["period"]["start"] == "2026-11-23T00:00:00Z"  # where the last one ended
    assert project.json("digest", "list")[0]["period_label"].startswith("2026-11-23 to")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-W60"), "has no ISO week 60"),
        (("--period", "soon"), "use a week"),
        (("--from", "2026-11-01"), "go together"),
        (("--from", "2026-11-05", "--to", "2026-11-01"), "before --from"),
        (("--period", "2026-11", "--since-last"), "choose one"),
        (("--format", "pdf"), "choose one of"),
    ],
)
def test_bad_digest_arguments(store, args, message):
    project, _ = store
    result = project.run("digest", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_digest_settings_from_feeds_yaml(store):
    project, _ = store
    config = project.config.read_text() + "digest:\n  unreviewed: 0\n  title: VGT board\n"
    project.config.write_text(config)
    data = json.loads(
        project.run("digest", "--period", "2026-W47", "--format", "json", "--no-record").stdout
    )
    assert data["title"] == "VGT board"
    assert all(t["unreviewed"] == [] for t in data["themes"])
    project.config.write_text(config.replace("unreviewed: 0", "unreviewd: 0"))
    bad = project.run("digest")
    assert bad.exit_code == 2 and "feeds.yaml, digest" in bad.stderr and "unreviewd" in bad.stderr


def test_markdown_cannot_inject(store):
    project, _ = store
    text = MarkdownRenderer().render(build(project))
    assert "<script>" not in text and "<img" not in text and "<style>" not in text
    assert not re.search(r"(?<!\\)\]\(javascript", text)  # no link can form
    assert r"\[click\]" in text and r"\*bold\*" in text


def test_html_has_no_active_content(store):
    project, _ = store
    page = HtmlRenderer().render(build(project))
    lowered = page.lower()
    assert "<script" not in lowered
    assert set(re.findall(r'href="([a-z]+):', page)) <= {"https"}  # only http(s) links
    assert not re.search(r"<[^>]+\son\w+\s*=", page)  # no event-handler attributes
    assert "&lt;script&gt;" in page
    assert 'http-equiv="Content-Security-Policy"' in page
    assert not re.search(r"<(img|link|iframe|object|embed)\b", lowered)
    for theme in ("technology", "human-behaviour", "legislation", "organisational"):
        assert f'<section id="theme-{theme}">' in page


# Snapshot tests: each renderer on a fixed digest (tests/fixtures/digest-data.json). After an
# intended change, regenerate with: HORIZON_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_digest.py
@pytest.mark.parametrize(
    "renderer", [MarkdownRenderer(), HtmlRenderer(), JsonRenderer()], ids=["md", "html", "json"]
)
def test_renderer_snapshots(renderer):
    data = json.loads((FIXTURES / "digest-data.json").read_text(encoding="utf-8"))
    output = renderer.render(data)
    snapshot = SNAPSHOTS / f"digest.{renderer.extension}"
    if os.environ.get("HORIZON_UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")


@pytest.mark.slow
def test_html_digest_in_headless_chromium(store, tmp_path):
    project, _ = store
    page = tmp_path / "digest.html"
    page.write_text(HtmlRenderer().render(build(project)), encoding="utf-8")
    dom = dump_dom(page.as_uri(), tmp_path / "profile")
    sections = re.findall(r'<section id="theme-([\w-]+)">', dom)
    assert sections == ["technology", "human-behaviour", "legislation", "organisational"]
    assert "Detection orders survive: watch the trilogue" in dom
    assert "Biggest takedown this year" in dom
    assert len(re.findall(r"<svg\b", dom)) == 4 and "<rect" in dom
    assert "data-pwned" not in dom and "<script" not in dom.lower()  # nothing ran
    assert not re.search(r"<[^>]+\son\w+\s*=", dom)
    assert set(re.findall(r'href="([a-z]+):', dom)) <= {"https"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text, not run


WORDS = [
    "chat",
    "Control",
    "contrôle",
    "data",
    "the",
    "of",
    "2026",
    "Tor",
    "ban",
    "a-b",
    "Überwachung",
]
STARTS = ["2026-01-01", "2026-02-01", "2026-03-01"]  # two baseline periods, then the period


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["2025-12-31", "2026-01-05", "2026-02-05", "2026-03-05"]),
            st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
            st.lists(st.sampled_from(["encryption", "pnr", "grooming"]), unique=True),
            st.sampled_from(["s1", "s2"]),
        ),
        max_size=30,
    ),
    min_count=st.integers(1, 3),
)
def test_key_counts_are_what_counting_each_row_gives(rows, min_count):
    """The array counting of `_KeyCounts` against the rule written out row by row: a row counts
    once towards each kept word of its title, each pair of kept words next to each other, and
    each of its topics, in the period its date falls in."""
    table = [
        (i, date, title, source, ",".join(topics) or None)
        for i, (date, title, topics, source) in enumerate(rows)
    ]
    expected: dict[str, list[int]] = {}
    for _, date, title, _, topics in table:
        if date < STARTS[0]:
            continue
        slot = sum(date >= start for start in STARTS) - 1
        words = [w for w in fold(title).split() if digest._keep(w)]
        keys = set(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)}
        keys |= {digest.TOPIC + t for t in (topics or "").split(",") if t}
        for key in keys:
            expected.setdefault(key, [0] * len(STARTS))[slot] += 1
    counts = digest._KeyCounts(table, STARTS)
    frequent = {k: v for k, v in expected.items() if v[-1] >= min_count}
    assert counts.frequent(min_count) == frequent
    assert counts.seen == [any(STARTS[i] <= r[1] < STARTS[i + 1] for r in table) for i in (0, 1)]
    carrying = counts.carrying(list(frequent))
    for key in frequent:
        assert len(carrying[key]) == frequent[key][-1]  # the period's rows, each once
        assert [r[0] for r in carrying[key]] == sorted(r[0] for r in carrying[key])


def test_overlapping_emerging_terms_are_dropped_within_the_first_shown():
    """A bigram and its words with the same count are one burst: the first (the strongest) is
    kept. The pass stops once enough are kept, with the same entries as a full pass cut there."""
    import random

    from horizon.digest import _drop_overlapping_terms

    found = [
        {"kind": "term", "name": "chat control", "count": 9},
        {"kind": "term", "name": "chat", "count": 9},  # the same burst: dropped
        {"kind": "term", "name": "control", "count": 7},  # another count: kept
        {"kind": "topic", "name": "chat", "count": 9},  # a topic is never dropped
    ]
    assert [e["name"] for e in _drop_overlapping_terms(found, 12)] == [
        "chat control",
        "control",
        "chat",
    ]
    rng = random.Random(7)
    words = ["data", "retention", "chat", "control", "europol", "pnr", "eu", "grooming"]
    for _ in range(200):
        many = [
            {
                "kind": rng.choice(["term", "term", "topic"]),
                "name": " ".join(rng.sample(words, rng.choice([1, 2]))),
                "count": rng.randint(3, 6),
            }
            for _ in range(rng.randint(0, 60))
        ]
        full_pass = _drop_overlapping_terms(many, len(many))  # every entry compared
        for limit in (1, 5, 12):
            assert _drop_overlapping_terms(many, limit) == full_pass[:limit]
