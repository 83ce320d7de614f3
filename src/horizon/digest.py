"""Choose what goes into a period's digest; renderers (plugins) draw it.

The digest is built as plain JSON-able data and stored with the record of the digest, so a past
digest is regenerated identically from what it said at the time (`horizon digest show N`).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from horizon import ngrams, queries
from horizon.config import THEME_IDS
from horizon.db import open_db, transaction
from horizon.errors import UsageError
from horizon.periods import Period
from horizon.rules import fold
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


def _items(db: Database, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT items.id, items.title, items.url, items.summary, items.published, "
            "items.source_id, sources.name AS source_name, items.auto_score, "
            "coalesce(r.status, 'unreviewed') AS status, r.note, "
            "coalesce(r.flagged, 0) AS flagged, "
            "r.review_by, r.analyst FROM items JOIN sources ON sources.id = items.source_id "
            f"LEFT JOIN reviews r ON r.item_id = items.id WHERE {where}",
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
        # CROSS JOIN keeps SQLite on the period's items (idx_items_published) instead of
        # walking every theme tag in the store: 10x faster on a million items.
        "SELECT t.value, count(*), sum(CASE WHEN r.status = 'signal' OR r.flagged = 1 "
        "THEN 1 ELSE 0 END) FROM items CROSS JOIN item_tags t ON t.item_id = items.id "
        f"LEFT JOIN reviews r ON r.item_id = items.id WHERE t.kind = 'theme' AND {where} "
        "GROUP BY t.value",
        params,
    ).fetchall()
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


def build_digest(
    db: Database,
    period: Period,
    taxonomy: Taxonomy,
    options: DigestOptions,
    now: datetime,
    sources: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Everything the board sees for a period, as data."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        tagged = _tagged_later(pool, db, period, options)
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
                    "AND t.value = ?) ORDER BY items.auto_score DESC, items.published DESC LIMIT ?",
                    [*params, theme_id, options.unreviewed * 3],
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
            "r.review_by IS NOT NULL AND r.review_by < ? ORDER BY r.review_by, items.id",
            [period.end.date().isoformat()],
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
            "emerging": _emerging(tagged.result(), period, taxonomy, options),
            "due": [_public(i) for i in due],
            "dossiers": _dossiers(db, period),
            "health": _health(sources),
        }


def _tagged_later(
    pool: ThreadPoolExecutor, db: Database, period: Period, options: DigestOptions
) -> Future[list[tuple[Any, ...]]]:
    """The emerging terms' big read, on its own read-only connection in the pool while the
    other sections are built (SQLite lets go of the GIL while it works): a second at a million
    items. A store in memory has no second connection: it is read here, first."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if path:
        return pool.submit(_read_tagged, path, period, options)
    read: Future[list[tuple[Any, ...]]] = Future()
    read.set_result(_tagged_rows(db, period, options))
    return read


def _read_tagged(path: str, period: Period, options: DigestOptions) -> list[tuple[Any, ...]]:
    reader = open_db(path, migrate=False, readonly=True)
    try:
        return _tagged_rows(reader, period, options)
    finally:
        reader.close()


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
        f"{where} AND (items.auto_score >= 0.5 OR r.status = 'signal' OR "
        "r.flagged = 1) ORDER BY items.auto_score DESC LIMIT ?",
        [*params, options.max_story_items],
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
    published, title, url, source, topics. Found from the tags' index (a third faster at a
    million items than walking the items by date and probing each one's tags)."""
    baseline = period.history(options.baseline)
    first = baseline[0].start if baseline else period.start
    rows: list[tuple[Any, ...]] = db.execute(
        "WITH tagged AS (SELECT item_id, group_concat(CASE WHEN kind = 'topic' THEN value "
        "END) AS topics FROM item_tags WHERE kind IN ('theme', 'topic') GROUP BY item_id) "
        "SELECT items.id, items.published, items.title, items.url, items.source_id, "
        "tagged.topics FROM tagged CROSS JOIN items ON items.id = tagged.item_id "
        "WHERE items.published >= ? AND items.published < ? ORDER BY items.id",
        [iso(first), iso(period.end)],
    ).fetchall()
    return rows


def _emerging(
    rows: list[tuple[Any, ...]], period: Period, taxonomy: Taxonomy, options: DigestOptions
) -> list[dict[str, Any]]:
    """Topics and title terms whose count this period is well above their trailing baseline:
    count >= min_count, z >= options.z with z = (count - mean) / max(sd, sqrt(max(mean, 1))),
    and at least twice the mean; a term must come from two sources or more. Nothing is
    emerging until the store has items in at least half of the baseline periods."""
    baseline = period.history(options.baseline)
    starts = [iso(p.start) for p in baseline] + [iso(period.start)]
    last = len(starts) - 1
    # The period itself first: only what occurs often enough in it can emerge, so the
    # baseline periods count only those terms (on a million items, a tenth of the work).
    counts: dict[tuple[str, str], list[int]] = {}
    current: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    earlier = []
    # Titles repeat (syndicated copies, updates): fold and split each distinct one once.
    title_words = functools.cache(_title_words)
    for row in rows:
        if row[1] < starts[-1]:
            earlier.append(row)
            continue
        for key in _keys(row, title_words):
            current[key].append((row[0], row[2], row[3], row[4]))
    for key, found in current.items():
        if len(found) >= options.min_count:
            counts[key] = [0] * last + [len(found)]
    history_seen = [False] * last
    # A bigram's words are each at least as frequent as it, so only pairs of candidate words
    # can be candidate bigrams: the baseline's titles are split, but few pairs are joined.
    words = {name for kind, name in counts if kind == "term" and " " not in name}
    # Items alike in period and title (or topics) count alike: each title is split once.
    titles: Counter[tuple[int, str]] = Counter()
    topics: Counter[tuple[int, str | None]] = Counter()
    for row in earlier:
        slot = bisect.bisect_right(starts, row[1]) - 1
        if slot >= 0:
            titles[slot, row[2]] += 1
            topics[slot, row[5]] += 1
    for slot, _ in topics:
        history_seen[slot] = True
    for (slot, title), alike in titles.items():
        for key in _term_keys(title, words, counts, title_words):
            counts[key][slot] += alike
    for (slot, names), alike in topics.items():
        for key in _topic_keys(names, counts):
            counts[key][slot] += alike
    if sum(history_seen) < max(1, len(baseline) / 2):
        return []  # too little history: nothing can be "above its usual level" yet
    out: list[dict[str, Any]] = []
    for (kind, name), series in counts.items():
        now_count, history = series[-1], series[:-1]
        if now_count < options.min_count or not history:
            continue
        if kind == "term" and len({row[3] for row in current[(kind, name)]}) < 2:
            continue  # a term only one source uses is that source's vocabulary, not a trend
        mean = sum(history) / len(history)
        sd = math.sqrt(sum((x - mean) ** 2 for x in history) / len(history))
        z = (now_count - mean) / max(sd, math.sqrt(max(mean, 1.0)))
        if z >= options.z and now_count >= 2 * mean:
            label = (
                taxonomy.topics[name].label if kind == "topic" and name in taxonomy.topics else name
            )
            out.append(
                {
                    "kind": kind,
                    "name": name,
                    "label": label,
                    "count": now_count,
                    "baseline": round(mean, 2),
                    "z": round(z, 2),
                    "items": [
                        {"id": i, "title": t, "url": safe_url(u), "source": s}
                        for i, t, u, s in current[(kind, name)][:8]
                    ],
                }
            )
    out.sort(key=lambda e: (-e["z"], -e["count"], e["name"]))
    return _drop_overlapping_terms(out)[:12]


def _keys(
    row: tuple[Any, ...], title_words: Callable[[str], list[str]] | None = None
) -> set[tuple[str, str]]:
    """What an item counts towards: its topics and the terms of its title."""
    keys = {("topic", t) for t in (row[5] or "").split(",") if t}
    words = (title_words or _title_words)(row[2])
    keys |= {("term", w) for w in words}
    keys |= {("term", f"{a} {b}") for a, b in itertools.pairwise(words)}
    return keys


def _ref(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("id", "source", "source_name", "title", "url")}


def _candidate_keys(
    title: str,
    topics: str | None,
    words: set[str],
    counts: dict[tuple[str, str], list[int]],
    title_words: Callable[[str], list[str]] | None = None,
) -> set[tuple[str, str]]:
    """`_keys(row)` of a row with this title and these topics, limited to the keys in `counts`
    (whose single words are `words`)."""
    return _topic_keys(topics, counts) | _term_keys(title, words, counts, title_words)


def _topic_keys(
    topics: str | None, counts: dict[tuple[str, str], list[int]]
) -> set[tuple[str, str]]:
    return {("topic", t) for t in (topics or "").split(",") if ("topic", t) in counts}


def _term_keys(
    title: str,
    words: set[str],
    counts: dict[tuple[str, str], list[int]],
    title_words: Callable[[str], list[str]] | None = None,
) -> set[tuple[str, str]]:
    found = (title_words or _title_words)(title)
    keys = {("term", w) for w in found if w in words}
    for a, b in itertools.pairwise(found):
        if a in words and b in words and ("term", f"{a} {b}") in counts:
            keys.add(("term", f"{a} {b}"))
    return keys


def _title_words(title: str) -> list[str]:
    return [
        w
        for w in fold(title or "").split()
        if len(w) > 2 and w not in STOPWORDS and not w.isdigit()
    ]


def _drop_overlapping_terms(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A bigram and its words usually describe the same burst: keep the most specific."""
    kept: list[dict[str, Any]] = []
    for entry in found:
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
