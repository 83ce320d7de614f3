"""Choose what goes into a period's digest; renderers (plugins) draw it.

The digest is built as plain JSON-able data and stored with the record of the digest, so a past
digest is regenerated identically from what it said at the time (`horizon digest show N`).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import math
import operator
import re
import sqlite3
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlite_utils import Database

from horizon import ngrams, queries
from horizon.config import THEME_IDS
from horizon.db import open_db, transaction
from horizon.errors import StoreError, UsageError
from horizon.periods import Period
from horizon.rules import fold_words
from horizon.taxonomy import Taxonomy
from horizon.textutil import from_iso, iso

FORMAT_VERSION = 1
# Words too common to be an emerging term (titles in English, French, German).
STOPWORDS = set(
    """
a an and are as at be by for from has have in into is it its new of on or over the to with
after against says say will was were this that not no more than up out how why what who
report reports publishes published announces announced launches calls call case week year
der die das und in im den des dem ein eine einer zu zum zur mit von fur auf ist sind bei nach
aus als wie auch sich nicht vor uber gegen neue neuer
le la les de des du un une et en au aux pour par sur dans avec est sont pas plus sa son ses
""".split()
)


@dataclass
class DigestOptions:
    """Knobs of a digest (feeds.yaml `digest:` sets the defaults)."""

    unreviewed: int = 5  # highest-scoring unreviewed items per theme; 0 turns it off
    history: int = 4  # earlier periods in "at a glance"
    baseline: int = 8  # earlier periods the emerging-terms baseline is taken over
    similarity: float = 0.5  # TF-IDF cosine at which two items are the same story
    min_count: int = 3  # an emerging term needs at least this many items this period
    z: float = 2.0  # ... and this many standard deviations over its baseline
    max_story_items: int = 3000  # items compared for stories (the most relevant ones)
    title: str = "horizon digest"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach a digest; anything else (javascript:, data:, file:) is dropped."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"'`]+$", url, re.IGNORECASE):
        return None
    return url


def _items(
    db: Database,
    where: str,
    params: Sequence[Any],
    order: str = "items.id",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The items `where` (over `items` and their reviews `r`) chooses, in `order`, at most
    `limit` of them. They are chosen first and read after: with the (published, auto_score)
    index, a period's items are chosen by date and score without reading each one's row (at a
    million items, 80,000 rows a quarter, for each list of the digest)."""
    chosen = f"SELECT items.id FROM items LEFT JOIN reviews r ON r.item_id = items.id WHERE {where}"
    if limit is not None:
        chosen += f" ORDER BY {order}, items.id LIMIT ?"
        params = [*params, limit]
    rows = list(
        db.query(
            "SELECT items.id, items.title, items.url, items.summary, items.published, "
            "items.source_id, sources.name AS source_name, items.auto_score, "
            "coalesce(r.status, 'unreviewed') AS status, r.note, "
            "coalesce(r.flagged, 0) AS flagged, "
            "r.review_by, r.analyst FROM items JOIN sources ON sources.id = items.source_id "
            f"LEFT JOIN reviews r ON r.item_id = items.id WHERE items.id IN ({chosen}) "
            f"ORDER BY {order}, items.id",
            list(params),
        )
    )
    return queries.attach_tags(db, [_item(row) for row in rows])


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"] or "(untitled)",
        "url": safe_url(row["url"]),
        "summary": (row["summary"] or "")[:400],
        "published": row["published"],
        "source": row["source_id"],
        "source_name": row["source_name"] or row["source_id"],
        "score": round(row["auto_score"] or 0.0, 3),
        "status": row["status"],
        "note": row["note"],
        "flagged": bool(row["flagged"]),
        "review_by": row["review_by"],
        "analyst": row["analyst"],
    }


def _public(item: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "id",
        "title",
        "url",
        "summary",
        "published",
        "source",
        "source_name",
        "score",
        "status",
        "note",
        "flagged",
        "review_by",
        "analyst",
        "themes",
        "topics",
        "fourp",
    )
    out = {k: item.get(k) for k in keep}
    out["also_reported_by"] = item.get("also_reported_by", [])
    return out


def _period_where(period: Period) -> tuple[str, list[str]]:
    return "items.published >= ? AND items.published < ?", [
        iso(period.start) or "",
        iso(period.end) or "",
    ]


def _theme_counts(db: Database, period: Period) -> dict[str, tuple[int, int]]:
    where, params = _period_where(period)
    rows = db.execute(
        # CROSS JOIN keeps SQLite on the period's items (idx_items_published_score) instead of
        # walking every theme tag in the store: 10x faster on a million items.
        "SELECT t.value, count(*), sum(CASE WHEN r.status = 'signal' OR r.flagged = 1 "
        "THEN 1 ELSE 0 END) FROM items CROSS JOIN item_tags t ON t.item_id = items.id "
        f"LEFT JOIN reviews r ON r.item_id = items.id WHERE t.kind = 'theme' AND {where} "
        "GROUP BY t.value",
        params,
    ).fetchall()
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (or the function it decorates),
    then as it was; nested, the outermost decides. A digest at a million items holds hundreds
    of thousands of rows, their words and their counts at once, and makes almost no reference
    cycles; the collector, run after every 700 new containers, kept walking them all. Paused,
    a quarter's digest at a million items took 1.46 to 1.61 s against 1.64 to 2.05 s, with the
    same peak memory; the few hundred objects in cycles it leaves are collected once the
    collector runs again (docs/performance.md). A pull keeps few objects alive at a time:
    paused there it saved about 3%, within the noise, and it is not paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def build_digest(
    db: Database,
    period: Period,
    taxonomy: Taxonomy,
    options: DigestOptions,
    now: datetime,
    sources: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Everything the board sees for a period, as data (its emerging terms found on another
    thread meanwhile)."""
    emerging = _emerging_later(db, period, taxonomy, options)
    where, params = _period_where(period)
    counts = db.execute(
        "SELECT count(*), sum(CASE WHEN coalesce(r.status, 'unreviewed') != 'unreviewed' "
        "THEN 1 ELSE 0 END), sum(CASE WHEN r.status = 'signal' OR r.flagged = 1 THEN 1 ELSE 0 "
        f"END) FROM items LEFT JOIN reviews r ON r.item_id = items.id WHERE {where}",
        params,
    ).fetchone()
    watched = [s for s in sources if s["in_config"] and s["status"] != "disabled"]
    signals = _items(db, f"{where} AND (r.status = 'signal' OR r.flagged = 1)", params)
    stories, clustered = _stories(db, period, options, signals)
    for item in signals:
        item["also_reported_by"] = clustered.get(item["id"], [])
    themes = []
    for theme_id in THEME_IDS:
        theme = taxonomy.themes[theme_id]
        chosen = [i for i in signals if theme_id in i["themes"]]
        unreviewed: list[dict[str, Any]] = []
        if options.unreviewed:
            unreviewed = _items(
                db,
                f"{where} AND coalesce(r.status, 'unreviewed') = 'unreviewed' AND EXISTS "
                "(SELECT 1 FROM item_tags t WHERE t.item_id = items.id AND t.kind = 'theme' "
                "AND t.value = ?)",
                [*params, theme_id],
                "items.auto_score DESC, items.published DESC",
                options.unreviewed * 3,
            )
            shown = {i["id"] for i in chosen} | {
                a["id"] for i in chosen for a in clustered.get(i["id"], [])
            }
            unreviewed = _one_per_story(unreviewed, clustered, options.unreviewed, shown)
        themes.append(
            {
                "id": theme_id,
                "label": theme.label,
                "section": theme.section,
                "signals": [_public(i) for i in _order(chosen)],
                "unreviewed": [_public(i) for i in unreviewed],
            }
        )
    other = [_public(i) for i in _order(signals) if not i["themes"]]
    history = [*period.history(options.history), period]
    first = db.execute("SELECT min(published) FROM items").fetchone()[0]
    if first:  # no columns for periods before the store's first item
        history = [p for p in history if p is period or iso(p.end) > first]
    glance_counts = [_theme_counts(db, p) for p in history]
    glance = {
        "periods": [p.label for p in history],
        "themes": {
            t: {
                "label": taxonomy.themes[t].label,
                "items": [c.get(t, (0, 0))[0] for c in glance_counts],
                "signals": [c.get(t, (0, 0))[1] for c in glance_counts],
            }
            for t in THEME_IDS
        },
    }
    due = _items(
        db,
        "r.review_by IS NOT NULL AND r.review_by < ?",
        [period.end.date().isoformat()],
        "r.review_by",
    )
    return {
        "version": FORMAT_VERSION,
        "title": options.title,
        "period": {
            "label": period.label,
            "start": iso(period.start),
            "end": iso(period.end),
            "kind": period.kind,
        },
        "produced_at": iso(now),
        "parameters": asdict(options),
        "header": {
            "sources_watched": len(watched),
            "items_seen": int(counts[0] or 0),
            "items_reviewed": int(counts[1] or 0),
            "signals": int(counts[2] or 0),
        },
        "glance": glance,
        "themes": themes,
        "other_signals": other,
        "stories": stories,
        "emerging": emerging.result(),
        "due": [_public(i) for i in due],
        "dossiers": _dossiers(db, period),
        "health": _health(sources),
    }


def _emerging_later(
    db: Database, period: Period, taxonomy: Taxonomy, options: DigestOptions
) -> Future[list[dict[str, Any]]]:
    """Emerging terms, found on a thread of their own and their own read-only connection while
    the other sections are built: their big read (one to two seconds at a million items) and much of
    their counting (numpy) let go of the GIL, as the other sections' queries do. (Splitting
    the read in two by date, on two connections, did not help warm: each half walks all the
    tags, and both cores are busy already. Cold, more connections reading ahead of it do:
    _reading_ahead.) A store in memory has no second connection: its terms are found here,
    first."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if path:
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            return pool.submit(_read_emerging, path, period, taxonomy, options)
        finally:
            pool.shutdown(wait=False)  # the thread ends with its one job
    found: Future[list[dict[str, Any]]] = Future()
    terms = _emerging(_tagged_rows(db, period, options), period, taxonomy, options)
    found.set_result(_with_urls(db, terms))
    return found


def _read_emerging(
    path: str, period: Period, taxonomy: Taxonomy, options: DigestOptions
) -> list[dict[str, Any]]:
    reader = open_db(path, migrate=False, readonly=True)
    try:
        with _reading_ahead(path, reader):
            rows = _tagged_rows(reader, period, options)
        return _with_urls(reader, _emerging(rows, period, taxonomy, options))
    finally:
        reader.close()


READ_AHEAD = 3  # connections reading ahead of the emerging terms' read (_reading_ahead)
# What each of them walks over its range of items: the pages of the tags' index and of the
# titles' that the emerging terms' read looks items up in, for a third of its CPU time.
_AHEAD = (
    "SELECT count(*) FROM item_tags WHERE item_id BETWEEN ? AND ?",
    "SELECT count(*) FROM items INDEXED BY idx_items_titles WHERE id BETWEEN ? AND ?",
)


@contextmanager
def _reading_ahead(path: str, reader: Database) -> Iterator[None]:
    """While the body reads the tagged rows in item order, READ_AHEAD more connections walk the
    two indexes it reads over later ranges of items, and stop when the body ends. The indexes'
    pages lie scattered through the file (a store grows a week at a time), so with the OS's
    cache cold one reader waits on the disk a page at a time; four keep four reads in flight,
    and the body then finds most pages in the OS's cache. They count in SQLite, without the GIL;
    an error among them costs only the speed-up."""
    lo, hi = reader.execute(  # apart, each is one step down the tags' index; together, a scan
        "SELECT (SELECT min(item_id) FROM item_tags), (SELECT max(item_id) FROM item_tags)"
    ).fetchone()
    if lo is None:
        yield
        return
    stop = threading.Event()
    step = (hi - lo) // (READ_AHEAD + 1) + 1
    pool = ThreadPoolExecutor(max_workers=READ_AHEAD)
    for part in range(1, READ_AHEAD + 1):
        pool.submit(_walk_quietly, path, stop, [lo + part * step, lo + (part + 1) * step - 1])
    try:
        yield
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _walk_quietly(path: str, stop: threading.Event, bounds: list[int]) -> None:
    """_reading_ahead's walk of one range of items, given up once `stop` is set."""
    try:
        ahead = open_db(path, migrate=False, readonly=True)
    except StoreError:
        return
    try:
        ahead.conn.set_progress_handler(stop.is_set, 10_000)
        for sql in _AHEAD:
            ahead.execute(sql, bounds).fetchall()
    except sqlite3.Error:
        pass  # given up on `stop`, or failed: the body's own read is unaffected
    finally:
        ahead.close()


def _dossiers(db: Database, period: Period) -> list[dict[str, Any]]:
    """Every tracked legislative dossier, those that moved this period first."""
    start, end = (iso(period.start) or "")[:10], (iso(period.end) or "")[:10]
    rows = list(
        db.query(
            "SELECT reference, title, procedure_type, current_stage, next_step, "
            "last_event_date, url FROM dossiers ORDER BY last_event_date DESC"
        )
    )
    for row in rows:
        row["url"] = safe_url(row["url"])
        row["moved"] = bool(row["last_event_date"] and start <= row["last_event_date"] < end)
    return sorted(rows, key=lambda r: not r["moved"])


def _order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (not i["flagged"], i["published"]), reverse=False)


def _one_per_story(
    items: list[dict[str, Any]],
    clustered: dict[int, list[dict[str, Any]]],
    limit: int,
    shown: set[int],
) -> list[dict[str, Any]]:
    """Keep one item per story (none of a story already shown), noting who else carried it."""
    out, seen = [], set(shown)
    for item in items:
        if item["id"] in seen:
            continue
        also = clustered.get(item["id"], [])
        seen.update(a["id"] for a in also)
        item["also_reported_by"] = also
        out.append(item)
        if len(out) >= limit:
            break
    return out


def _stories(
    db: Database, period: Period, options: DigestOptions, signals: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """Near-duplicate items from different sources (TF-IDF cosine over title and summary):
    one entry per story, with who else reported it."""
    where, params = _period_where(period)
    candidates = _items(
        db,
        f"{where} AND (items.auto_score >= 0.5 OR r.status = 'signal' OR r.flagged = 1)",
        params,
        "items.auto_score DESC, items.published DESC",
        options.max_story_items,
    )
    if len(candidates) < 2:
        return [], {}
    texts = [f"{i['title']} {i['title']} {i['summary']}" for i in candidates]
    matrix = ngrams.word_tfidf(texts)
    if matrix.shape[1] == 0:  # not a word among them
        return [], {}
    similarity = (matrix @ matrix.T).tocoo()
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    close = (similarity.row < similarity.col) & (similarity.data >= options.similarity)
    for a, b in zip(similarity.row[close].tolist(), similarity.col[close].tolist(), strict=True):
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(candidates)):
        groups[root(index)].append(index)
    signal_ids = {s["id"] for s in signals}
    stories: list[dict[str, Any]] = []
    clustered: dict[int, list[dict[str, Any]]] = {}
    for members in groups.values():
        items = [candidates[i] for i in members]
        if len({i["source"] for i in items}) < 2:
            continue
        items.sort(key=lambda i: (i["id"] not in signal_ids, -i["score"], i["published"]))
        lead, rest = items[0], items[1:]
        also = [_ref(i) for i in rest]
        for item in items:
            clustered[item["id"]] = [a for a in [*also, _ref(lead)] if a["id"] != item["id"]]
        lead_public = _public(lead)
        lead_public["also_reported_by"] = also
        stories.append(
            {"lead": lead_public, "sources": len({i["source"] for i in items}), "items": len(items)}
        )
    stories.sort(key=lambda s: (-s["sources"], -s["items"], s["lead"]["published"]))
    return stories[:20], clustered


def _tagged_rows(db: Database, period: Period, options: DigestOptions) -> list[tuple[Any, ...]]:
    """The items with a theme or topic in the period and its baseline, oldest id first: id,
    published, title, source, topics. Found from the tags' primary key, in
    item order (a third faster at a million items than walking the items by date and probing
    each one's tags). `+kind` keeps SQLite off the (kind, value) index, whose order it would
    then sort back by item (0.4 s against 0.2 s); the rows come in id order, so sorting them
    here is one pass, where an ORDER BY would sort them again. Each item is read from the
    narrow index of its id, date, source and title (migration 0009), not from its row: the
    rows are most of the store, and with the OS's cache cold reading them took 10 s at a
    million items (1.5 s from the index). SQLite would go to the rows by their rowid unless told."""
    baseline = period.history(options.baseline)
    rows: list[tuple[Any, ...]] = db.execute(
        "WITH tagged AS (SELECT item_id, group_concat(CASE WHEN kind = 'topic' THEN value "
        "END) AS topics FROM item_tags WHERE +kind IN ('theme', 'topic') GROUP BY item_id) "
        "SELECT items.id, items.published, items.title, items.source_id, tagged.topics "
        "FROM tagged CROSS JOIN items INDEXED BY idx_items_titles ON items.id = tagged.item_id "
        "WHERE items.published >= ? AND items.published < ?",
        [iso(baseline[0].start if baseline else period.start), iso(period.end)],
    ).fetchall()
    rows.sort(key=operator.itemgetter(0))
    return rows


def _with_urls(db: Database, emerging: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The emerging terms with their items' links, read for the few items shown (the count
    reads no links: they would double the index it reads)."""
    shown = [item for entry in emerging for item in entry["items"]]
    ids = sorted({item["id"] for item in shown})
    urls = dict(
        db.execute(f"SELECT id, url FROM items WHERE id IN ({', '.join('?' * len(ids))})", ids)
        if ids
        else ()
    )
    for item in shown:
        item["url"] = safe_url(urls.get(item["id"]))
    return emerging


EMERGING_SHOWN = 12  # how many emerging topics and terms the digest shows
TOPIC = "topic:"  # a topic's key: "topic:NAME" (a title's words and pairs have no colon)


def _emerging(
    rows: list[tuple[Any, ...]], period: Period, taxonomy: Taxonomy, options: DigestOptions
) -> list[dict[str, Any]]:
    """Topics and title terms whose count this period is well above their trailing baseline:
    count >= min_count, z >= options.z with z = (count - mean) / max(sd, sqrt(max(mean, 1))),
    and at least twice the mean; a term must come from two sources or more. Nothing is
    emerging until the store has items in at least half of the baseline periods."""
    baseline = period.history(options.baseline)
    counts = _KeyCounts(rows, [iso(p.start) or "" for p in [*baseline, period]])
    if sum(counts.seen) < max(1, len(baseline) / 2):
        return []  # too little history: nothing can be "above its usual level" yet
    rising: dict[str, dict[str, Any]] = {}
    for key, series in counts.frequent(options.min_count).items():
        now_count, history = series[-1], series[:-1]
        mean = sum(history) / len(history)
        sd = math.sqrt(sum((x - mean) ** 2 for x in history) / len(history))
        z = (now_count - mean) / max(sd, math.sqrt(max(mean, 1.0)))
        if z >= options.z and now_count >= 2 * mean:
            rising[key] = {"count": now_count, "baseline": round(mean, 2), "z": round(z, 2)}
    out: list[dict[str, Any]] = []
    for key, found in counts.carrying(list(rising)).items():
        if key.startswith(TOPIC):
            kind, name = "topic", key.removeprefix(TOPIC)
            label = taxonomy.topics[name].label if name in taxonomy.topics else name
        elif len({row[3] for row in found}) < 2:
            continue  # a term only one source uses is that source's vocabulary, not a trend
        else:
            kind, name, label = "term", key, key
        items = [
            {"id": row[0], "title": row[2], "url": None, "source": row[3]}  # url: _with_urls
            for row in found[:8]
        ]
        out.append({"kind": kind, "name": name, "label": label, **rising[key], "items": items})
    out.sort(key=lambda e: (-e["z"], -e["count"], e["name"], e["kind"]))
    return _drop_overlapping_terms(out, EMERGING_SHOWN)


class _KeyCounts:
    """How many rows (id, published, title, source, topics) count towards each key in
    each period (periods begin at `starts`, the last is the period itself, the others its
    baseline). A row counts once towards each word of its title, each pair of words next to
    each other once stopwords, numbers and short words are skipped ("chat control"), and each
    of its topics.

    Counted with arrays: each distinct title is folded and split once (titles repeat:
    syndicated copies, updates), its words and pairs become numbers, and a sparse product of
    (period x title) row counts with (title x key) incidence gives every count at once: about
    a second for the 143,000 rows (60,000 distinct titles) of a quarter and its baseline at a
    million items, where counting key by key in Python took two to three."""

    def __init__(self, rows: list[tuple[Any, ...]], starts: list[str]) -> None:
        from scipy import sparse  # here, not at the top: every command imports this module

        slot_of = np.searchsorted(np.array(starts), np.array([r[1] for r in rows]), "right") - 1
        slots = len(starts)
        self.rows, self.now, self.slot_of = rows, slots - 1, slot_of
        self.seen = [bool(n) for n in np.bincount(slot_of[slot_of >= 0], minlength=slots)]
        self.seen.pop()
        # Titles: each distinct one's keys, as a (title x key) 0/1 matrix.
        title_index: dict[str, int] = {}
        self.title_of = np.fromiter(
            (title_index.setdefault(r[2] or "", len(title_index)) for r in rows), np.int64
        )
        folded = fold_words(list(title_index))
        flat = list(itertools.chain.from_iterable(folded))
        self.vocabulary = list(dict.fromkeys(flat))
        word_id = {w: i for i, w in enumerate(self.vocabulary)}
        ids = np.fromiter(map(word_id.__getitem__, flat), np.int64, len(flat))
        owner = np.repeat(np.arange(len(folded)), [len(words) for words in folded])
        kept = np.fromiter(map(_keep, self.vocabulary), bool, len(self.vocabulary))[ids]
        ids, owner = ids[kept], owner[kept]
        pair = owner[1:] == owner[:-1]  # kept words next to each other in one title
        size = len(self.vocabulary)
        codes = np.concatenate([ids, size + ids[:-1][pair] * size + ids[1:][pair]])
        self.codes, key_of = np.unique(codes, return_inverse=True)
        title_keys = sparse.csr_matrix(
            (
                np.ones(len(codes), np.int64),
                (np.concatenate([owner, owner[:-1][pair]]), key_of.ravel()),
            ),
            shape=(len(folded), len(self.codes)),
        )
        title_keys.data[:] = 1  # a word twice in a title counts once
        self.title_keys = title_keys
        counted = slot_of >= 0
        rows_per_title = sparse.csr_matrix(
            (np.ones(int(counted.sum()), np.int64), (slot_of[counted], self.title_of[counted])),
            shape=(slots, len(folded)),
        )
        # (period x key), sparse: most keys occur in few periods (a quarter at a million items:
        # 137,000 keys, 233,000 counts), and a longer baseline multiplies the periods.
        self.terms = sparse.csr_matrix(rows_per_title @ title_keys)
        # Topics: few, counted directly.
        self.topics: dict[str, list[int]] = defaultdict(lambda: [0] * slots)
        topics = Counter(zip(slot_of.tolist(), [r[4] for r in rows], strict=True))
        for (slot, names), alike in topics.items():
            for name in (names or "").split(",") if slot >= 0 else ():
                if name:
                    self.topics[TOPIC + name][slot] += alike
        self.columns: dict[str, int] = {}  # the title-key matrix's column of each term named

    def name(self, code: int) -> str:
        """A term's name from its number: a word's index, or after them a pair's."""
        size = len(self.vocabulary)
        if code < size:
            return self.vocabulary[code]
        first, second = divmod(code - size, size)
        return f"{self.vocabulary[first]} {self.vocabulary[second]}"

    def frequent(self, min_count: int) -> dict[str, list[int]]:
        """Each key at least `min_count` rows of the period count towards: its counts, the
        baseline periods' first, the period's last."""
        now = self.terms[self.now].toarray().ravel()
        columns = np.flatnonzero(now >= min_count)
        series = self.terms[:, columns].toarray().T.tolist()
        names = [self.name(int(self.codes[k])) for k in columns]
        self.columns.update(zip(names, columns.tolist(), strict=True))
        found = dict(zip(names, series, strict=True))
        found.update((k, v) for k, v in self.topics.items() if v[-1] >= min_count)
        return found

    def carrying(self, keys: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        """The period's rows that count towards each of these keys (as `frequent` named
        them), in the rows' order."""
        from scipy import sparse

        out: dict[str, list[tuple[Any, ...]]] = {key: [] for key in keys}
        terms = [k for k in keys if not k.startswith(TOPIC)]
        having = sparse.csr_matrix(self.title_keys[:, [self.columns[k] for k in terms]])
        now = np.flatnonzero(self.slot_of == self.now).tolist()
        for row, title in zip(
            [self.rows[i] for i in now], self.title_of[now].tolist(), strict=True
        ):
            for index in having.indices[having.indptr[title] : having.indptr[title + 1]]:
                out[terms[index]].append(row)
            for name in (row[4] or "").split(","):
                if TOPIC + name in out:
                    out[TOPIC + name].append(row)
        return out


def _ref(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("id", "source", "source_name", "title", "url")}


def _keep(word: str) -> bool:
    """Whether a folded title word counts: not a stopword, a number or under three letters."""
    return len(word) > 2 and word not in STOPWORDS and not word.isdigit()


def _drop_overlapping_terms(found: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first `limit` entries, where a bigram and its words usually describe the same burst:
    keep the most specific. Stops once `limit` are kept: each entry is compared with those kept
    before it, so on a dense store's thousands of rising terms a full pass took 0.6 s."""
    kept: list[dict[str, Any]] = []
    for entry in found:
        if len(kept) >= limit:
            break
        if entry["kind"] == "term" and any(
            e["kind"] == "term"
            and e["count"] == entry["count"]
            and (entry["name"] in e["name"] or e["name"] in entry["name"])
            for e in kept
        ):
            continue
        kept.append(entry)
    return kept


def _health(sources: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in sources:
        if not s["in_config"]:
            continue
        problems = []
        if s["status"] == "gone":
            problems.append(("gone", "the publisher says the feed is gone (410)"))
        elif s["consecutive_failures"]:
            problems.append(("failing", f"{s['status']}: {s['last_error'] or ''}".strip(": ")))
        if s["stale"]:
            problems.append(("stale", f"no new item since {s['newest_item']}"))
        if s["moved"]:
            problems.append(("moved", f"now at {s['effective_url']}"))
        for problem, detail in problems:
            out.append(
                {
                    "source": s["id"],
                    "name": s["name"] or s["id"],
                    "problem": problem,
                    "detail": detail[:300],
                    "failures": s["consecutive_failures"],
                    "last_success": s["last_success"],
                }
            )
    return out


def included_ids(digest: dict[str, Any]) -> list[int]:
    ids: set[int] = set()
    for theme in digest["themes"]:
        ids.update(i["id"] for i in theme["signals"] + theme["unreviewed"])
    ids.update(i["id"] for i in digest["other_signals"] + digest["due"])
    for story in digest["stories"]:
        ids.add(story["lead"]["id"])
        ids.update(a["id"] for a in story["lead"]["also_reported_by"])
    for entry in digest["emerging"]:
        ids.update(i["id"] for i in entry["items"])
    return sorted(ids)


def record(db: Database, digest: dict[str, Any], fmt: str, rendered: str) -> int:
    """Keep the digest: its period, parameters, items and the data it was drawn from."""
    with transaction(db):
        row = db.table("digests").insert(
            {
                "created_at": digest["produced_at"],
                "period_label": digest["period"]["label"],
                "period_start": digest["period"]["start"],
                "period_end": digest["period"]["end"],
                "format": fmt,
                "parameters": json.dumps(digest["parameters"], sort_keys=True),
                "item_ids": json.dumps(included_ids(digest)),
                "snapshot": zlib.compress(json.dumps(digest).encode("utf-8")),  # order matters
                "sha256": hashlib.sha256(rendered.encode("utf-8")).hexdigest(),
            }
        )
    return int(row.last_pk or 0)


def load(db: Database, digest_id: int) -> tuple[dict[str, Any], str, str]:
    rows = db.execute(
        "SELECT snapshot, format, sha256 FROM digests WHERE id = ?", [digest_id]
    ).fetchall()
    if not rows:
        raise UsageError(f"no digest with id {digest_id} (see `horizon digest list`)")
    return json.loads(zlib.decompress(rows[0][0])), rows[0][1], rows[0][2]


def history(db: Database) -> list[dict[str, Any]]:
    return [
        {**row, "items": len(json.loads(row.pop("item_ids")))}
        for row in db.query(
            "SELECT id, created_at, period_label, period_start, period_end, format, item_ids "
            "FROM digests ORDER BY id DESC"
        )
    ]


def last_end(db: Database) -> datetime | None:
    row = db.execute("SELECT max(period_end) FROM digests").fetchone()
    return from_iso(row[0]) if row and row[0] else None
