"""Synthetic stores for benchmarks/scale.py: real feed items varied into as many distinct ones as
asked, written through horizon's own store, tagging and review code.

The pool is every item of the 46 real feeds (tests/corpus/real) plus the labelled items of the
first four labelled sets of tests/data (dev, holdout, blind and final: 1,245 items, real and
written, about half on-theme): the real feeds alone are general news in which fewer than 2% of
items get a theme, far fewer than a deployment watching its chosen sources sees, and the tagged
share is what the digest and `--theme` listings work on. These are the sets of the pool every
1M-item figure in docs/performance.md was measured on; with the taggers of 2026-12-03 about
18% of the store's items have a theme. The pool is fixed so that the store does not change as
labelled sets are added: taking every labelled set
(`load_pool(every_set=True)`, `scale.py --every-set`: 30,241 items, themed by writers who
aimed for a third to a half of them on-theme) gives a denser store, about 33% with a theme.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import re
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from _corpus import LABELLED, OLDER, set_path
from sqlite_utils import Database

from horizon.config import Config
from horizon.db import transaction
from horizon.feeds import parse_document
from horizon.models import Document
from horizon.normalise import ItemRow, _digest, _summary, normalise
from horizon.review import Change, decide
from horizon.store import _cadence, save_items, sync_sources
from horizon.tagging import TaggerSet, tag_items
from horizon.textutil import iso, utcnow

ROOT = Path(__file__).resolve().parent.parent
REAL = sorted((ROOT / "tests" / "corpus" / "real").glob("*.xml"))
FIRST_SETS = [set_path(name) for name in OLDER[:4]]  # dev ... final
EVERY_SET = sorted(LABELLED.glob("tagging-*.jsonl"))
SOURCES = 300
YEARS = 3
REVIEW_SHARE = 0.005  # analyst decisions per item stored (5,000 at 1M)
MAX_VERSIONS = 5
_SENTENCE = re.compile(r"(?<=[.!?。])\s+")
_WORD = re.compile(r"\w{4,}")
AUTHORS = [None, None, "Staff", "A. Rivera", "J. Müller", "C. Dubois", "K. Nowak", "S. Patel"]
NOTES = [
    "Watch: the proposal would extend retention to messaging services.",
    "Relevant for the Q-board: second publisher reporting this week.",
    "Follow up with legal on the enforcement timeline.",
    "Early signal; check whether other regulators follow.",
    "Vendor claim, not yet confirmed independently.",
]


@dataclass
class Base:
    title: str
    sentences: list[str]
    language: str | None


def load_pool(every_set: bool = False) -> list[Base]:
    """Every real feed item (title + text) and every labelled item (title + summary) of the
    first four sets, or of every set."""
    pool: list[Base] = []
    now = utcnow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in REAL:
            feed = parse_document(Document(url="http://example.org/", body=path.read_bytes()))
            for row in normalise(feed, now=now).rows:
                v = row.values
                pool.append(Base(v["title"], _split(v["text"]), v["language"]))
    for path in EVERY_SET if every_set else FIRST_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                text = " ".join(str(data.get(k) or "") for k in ("summary", "content")).strip()
                pool.append(Base(data.get("title") or "", _split(text), data.get("language")))
    return [b for b in pool if b.title or b.sentences]


def _split(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s] if text else []


def real_feed_ids() -> list[tuple[str, Path]]:
    """The source id each real feed has, in the store and in the pull's feeds.yaml."""
    return [(f"real-{p.stem}"[:80].lower(), p) for p in REAL]


def write_config(path: Path, real_urls: dict[str, str], *, synthetic: int) -> Path:
    """feeds.yaml: the real feeds (served on 127.0.0.1) and `synthetic` made-up sources."""
    lines = ["fetch:\n  budget: 60s\n  max_bytes: 20MiB\n  concurrency: 16\nsources:\n"]
    for source_id, url in real_urls.items():
        lines.append(f"  - id: {source_id}\n    url: {url}\n")
    languages = ["en", "en", "en", "de", "fr", "nl", "es", "it"]
    for n in range(synthetic):
        lines.append(
            f"  - id: syn-{n:03d}\n    name: Synthetic publisher {n}\n"
            f"    url: https://syn-{n:03d}.example.org/feed.xml\n"
            f"    organisation: Org {n % 40}\n    language: {languages[n % len(languages)]}\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


class Synth:
    """Turns pool items into distinct stored items: sentences reordered and dropped, a tail of
    corpus words added, titles varied, spread over sources and over the last YEARS years."""

    def __init__(self, pool: Sequence[Base], source_ids: Sequence[str], seed: int = 1) -> None:
        self.pool = list(pool)
        self.rng = random.Random(seed)
        self.vocab = [w for b in self.pool for s in b.sentences for w in _WORD.findall(s)]
        self.vocab += [w for b in self.pool for w in _WORD.findall(b.title)]
        self.source_ids = list(source_ids)
        # A few prolific publishers, many quiet ones (roughly Zipf).
        weights = [1 / (i + 1) ** 0.8 for i in range(len(self.source_ids))]
        self.rng.shuffle(weights)
        self.cum_weights = list(_accumulate(weights))

    def _words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(self.vocab, k=self.rng.randint(low, high)))

    def item(self, serial: int, source_id: str, published: datetime) -> ItemRow:
        rng = self.rng
        base = self.pool[rng.randrange(len(self.pool))]
        sentences = list(base.sentences)
        if len(sentences) > 2 and rng.random() < 0.5:
            rng.shuffle(sentences)
        elif len(sentences) > 1:
            cut = rng.randrange(len(sentences))
            sentences = sentences[cut:] + sentences[:cut]
        kept = [s for s in sentences if rng.random() >= 0.1] or sentences[:1]
        kept.append(self._words(5, 12).capitalize() + ".")
        text = " ".join(kept)
        title = base.title
        roll = rng.random()
        if roll < 0.4:
            title = f"{title} – {self._words(1, 3)}"
        elif roll < 0.5:
            title = f"Update: {title}"
        host = f"{source_id}.example.org"
        url = f"https://{host}/{published:%Y/%m}/item-{serial}"
        content = "<p>" + "</p>\n<p>".join(kept) + "</p>"
        author = rng.choice(AUTHORS)
        values = {
            "guid": url,
            "url": url,
            "title": title,
            "summary": _summary(text),
            "content": content,
            "text": text,
            "author": author,
            "published": iso(published),
            "published_estimated": 0,
            "published_raw": format_datetime(published),
            "updated": None,
            "language": base.language,
            "categories": json.dumps([self._words(1, 1)]) if rng.random() < 0.3 else None,
            "extra": None,
        }
        return ItemRow(key=f"guid:{url}", values=values, content_hash=_digest(title, url, text))

    def source(self) -> str:
        return self.rng.choices(self.source_ids, cum_weights=self.cum_weights)[0]


def _accumulate(values: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


@dataclass
class Added:
    items: int
    reviews: int
    insert_s: float
    tag_s: float
    review_s: float


Batch = list[tuple[str, datetime, int, list[ItemRow]]]  # source, pulled at, fetch ms, rows


def weekly_batches(synth: Synth, count: int, end: datetime, first_serial: int) -> Iterator[Batch]:
    """`count` new items published over the YEARS before `end`, as one batch per week of
    (source, time of the pull, rows)."""
    rng = synth.rng
    start = end - timedelta(days=365 * YEARS)
    span = (end - start).total_seconds()
    stamps = sorted(rng.random() * span for _ in range(count))
    weeks: dict[int, list[float]] = defaultdict(list)
    for s in stamps:
        weeks[int(s // (7 * 86400))].append(s)
    serial = first_serial
    for week in sorted(weeks):
        by_source: dict[str, list[datetime]] = defaultdict(list)
        for s in weeks[week]:
            by_source[synth.source()].append(start + timedelta(seconds=int(s)))
        batch: Batch = []
        for source_id, dates in by_source.items():
            rows = []
            for published in dates:
                rows.append(synth.item(serial, source_id, published))
                serial += 1
            pulled = min(max(dates) + timedelta(minutes=rng.randint(5, 360)), end)
            batch.append((source_id, pulled, rng.randint(80, 900), rows))
        yield batch


def _produce(synth: Synth, count: int, end: datetime, first: int, queue: mp.Queue) -> None:
    for batch in weekly_batches(synth, count, end, first):
        queue.put(batch)
    queue.put(None)


def _parallel(synth: Synth, count: int, end: datetime, first: int) -> Iterator[Batch]:
    """The batches made in a second process, so making items overlaps storing them."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue(maxsize=4)
    worker = ctx.Process(target=_produce, args=(synth, count, end, first, queue), daemon=True)
    worker.start()
    try:
        while (batch := queue.get()) is not None:
            yield batch
    finally:
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()


def add_items(
    db: Database,
    synth: Synth,
    count: int,
    end: datetime,
    taggers: TaggerSet,
    progress: Callable[[str], None] = print,
) -> Added:
    """Store `count` more items published over the YEARS before `end`, week by week as pulls
    would (save_items per source, one transaction per week), tag them, and decide a few."""
    first_serial = int(db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]) + 1
    synth.rng.seed(first_serial)
    new_ids: list[int] = []
    insert_s = tag_s = 0.0
    t_report = time.perf_counter()
    for batch in _parallel(synth, count, end, first_serial):
        t0 = time.perf_counter()
        week_ids: list[int] = []
        with transaction(db):
            for source_id, pulled, duration_ms, rows in batch:
                fetch_id = db.execute(
                    "INSERT INTO fetches (source_id, started_at, duration_ms, status, "
                    "http_status, items_seen, items_new) VALUES (?, ?, ?, 'ok', 200, ?, ?)",
                    [source_id, iso(pulled), duration_ms, len(rows), len(rows)],
                ).lastrowid
                saved = save_items(db, source_id, rows, int(fetch_id or 0), pulled, MAX_VERSIONS)
                week_ids.extend(saved.new_ids)
        t1 = time.perf_counter()
        tag_items(db, week_ids, taggers)
        t2 = time.perf_counter()
        insert_s += t1 - t0
        tag_s += t2 - t1
        new_ids.extend(week_ids)
        if time.perf_counter() - t_report > 30:
            t_report = time.perf_counter()
            progress(f"    ... {len(new_ids):,} / {count:,} items stored and tagged")
    t0 = time.perf_counter()
    reviews = add_reviews(db, new_ids, random.Random(first_serial))
    review_s = time.perf_counter() - t0
    finish_sources(db, end)
    return Added(len(new_ids), reviews, insert_s, tag_s, review_s)


def add_reviews(db: Database, item_ids: Sequence[int], rng: random.Random) -> int:
    """Analyst decisions through review.decide: mostly on tagged items, as a queue gives them;
    signals with notes, some flagged, some with a review-by date, some noise."""
    wanted = max(1, int(len(item_ids) * REVIEW_SHARE))
    low, high = min(item_ids), max(item_ids)
    tagged = [
        r[0]
        for r in db.execute(
            "SELECT id FROM items WHERE id BETWEEN ? AND ? AND auto_score >= 0.5", [low, high]
        ).fetchall()
    ]
    chosen = set(rng.sample(tagged, min(len(tagged), int(wanted * 0.8))))
    while len(chosen) < wanted:
        chosen.add(rng.choice(item_ids))
    themes = ["technology", "human-behaviour", "legislation", "organisational"]
    for item_id in sorted(chosen):
        roll = rng.random()
        if roll < 0.55:
            change = Change(status="signal", note=rng.choice(NOTES), flagged=rng.random() < 0.15)
        elif roll < 0.65:
            change = Change(status="reviewed", flagged=True, note=rng.choice(NOTES))
        elif roll < 0.85:
            change = Change(status="noise")
        else:
            change = Change(status="reviewed")
        if rng.random() < 0.1:
            change.themes = rng.sample(themes, rng.randint(1, 2))
        if rng.random() < 0.1:
            change.review_by = (utcnow() + timedelta(days=rng.randint(-60, 120))).date().isoformat()
        decide(db, item_id, rng.choice(["ana", "ben", "chloe"]), change, "decide")
    return len(chosen)


def finish_sources(db: Database, end: datetime) -> None:
    """Source state as after a healthy pull: last success, last new item, cadence; all due."""
    with transaction(db):
        for (source_id,) in db.execute("SELECT id FROM sources").fetchall():
            db.execute(
                "UPDATE sources SET last_fetch_at = ?, last_success_at = ?, last_status = 'ok', "
                "last_http_status = 200, last_new_item_at = (SELECT max(first_seen) FROM items "
                "WHERE source_id = ?), cadence_seconds = ?, next_fetch_at = NULL WHERE id = ?",
                [iso(end), iso(end), source_id, _cadence(db, source_id), source_id],
            )


def create_sources(db: Database, config: Config, now: datetime) -> list[str]:
    sync_sources(db, config, now)
    return [s.id for s in config.sources]
