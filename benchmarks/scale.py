"""Scale: search, listings, the quarter's digest and `pull` with 1,000,000 items in the store.

    python benchmarks/scale.py [--items 1000000] [--keep PATH] [--cold] [--every-set]

Builds a synthetic store from the real corpus (see benchmarks/_synth.py) through horizon's own
code: open_db (migrations), sync_sources, save_items week by week, the schema's FTS triggers,
tag_items with the registered taggers (`keywords`, `source`; `model` sits out untrained),
review.decide for 0.5% of items. The store grows in 10x steps (10k, 100k, 1M) and each step
is measured, for the cost growth table. At full size:

  search   queries.search_items(query, limit 50), 32 queries x 5 runs   p95 < 50 ms
  list     queries.list_items(theme, since 30 days, limit 50), x 10     p95 < 100 ms per theme
  digest   list_sources + build_digest (last full quarter) + HTML       < 3 s
  pull     `python -m horizon pull` of the 46 real feeds on 127.0.0.1   peak RSS < 300 MB

Then, for each target missed, what bounds it: the ranking query's plan, the digest's profile.
Timings are warm (the store is in the OS page cache after generation); one connection, as the
CLI uses. The digest is then also timed as `horizon digest` in a new process (its imports and
the store's opening included), three times.

--keep PATH keeps the store there; if PATH already holds a store, generation is skipped and
only the full-size figures are measured (the pull measurement adds the 46 feeds' items to it).

--every-set builds the store from every labelled set, not the first four: a denser store
(about 33% of items with a theme instead of 18%; see benchmarks/_synth.py).

--cold also times the digest with the store out of the OS's page cache, as on a machine just
started or a store larger than its memory: before each of three runs it writes to
/proc/sys/vm/drop_caches (as root; otherwise it says so and skips), then opens the store anew;
and `horizon digest` in a new process after dropping the cache, its modules then cold too.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import _synth  # noqa: E402
from sqlite_utils import Database  # noqa: E402
from tests.httpserver import FeedServer  # noqa: E402

from horizon import digest, periods, queries, review  # noqa: E402
from horizon.config import THEME_IDS, load_config  # noqa: E402
from horizon.db import open_db  # noqa: E402
from horizon.default_plugins.renderers import HtmlRenderer  # noqa: E402
from horizon.plugins import load_plugins  # noqa: E402
from horizon.queries import ItemFilter  # noqa: E402
from horizon.review_ui import COUNT_CAP  # noqa: E402
from horizon.tagging import TaggingContext, prepare_taggers  # noqa: E402
from horizon.taxonomy import load_taxonomy  # noqa: E402
from horizon.textutil import human_size, utcnow  # noqa: E402

STEPS = (10_000, 100_000, 1_000_000)
SEARCH_MS, LIST_MS, DIGEST_S, PULL_MB = 50.0, 100.0, 3.0, 300.0
SEARCHES = [
    # single words
    "privacy",
    "surveillance",
    "encryption",
    "security",
    "ransomware",
    "police",
    "election",
    "google",
    "vulnerability",
    "cloud",
    # phrases
    '"data retention"',
    '"machine learning"',
    '"european commission"',
    '"open source"',
    '"facial recognition"',
    # boolean
    "privacy OR surveillance",
    "ransomware OR malware",
    "encryption OR backdoor",
    "police AND encryption",
    "NEAR(data protection, 3)",
    # prefixes
    "regul*",
    "surveil*",
    "encrypt*",
    "cyber*",
    "biometr*",
    # other languages
    "Datenschutz",
    "Vorratsdatenspeicherung",
    "Überwachung",
    "Chatkontrolle",
    "données",
    '"vie privée"',
    "безопасность",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def last_full_quarter(now: datetime) -> periods.Period:
    quarter = (now.month - 1) // 3 + 1
    return periods.parse_period(f"{now.year}-Q{quarter}").previous()


# -- the measurements ------------------------------------------------------------------------


def measure_search(db: Database, runs: int) -> dict[str, list[float]]:
    """Milliseconds per query, `runs` timed runs after one warm-up."""
    out: dict[str, list[float]] = {}
    for query in SEARCHES:
        queries.search_items(db, query, ItemFilter(limit=50))
        out[query] = [
            timed(lambda q=query: queries.search_items(db, q, ItemFilter(limit=50)))[0] * 1000
            for _ in range(runs)
        ]
    return out


def measure_list(db: Database, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for theme in THEME_IDS:

        def one(theme: str = theme) -> list[dict[str, Any]]:
            since = utcnow() - timedelta(days=30)
            return queries.list_items(db, ItemFilter(themes=[theme], since=since, limit=50))

        one()
        out[theme] = [timed(one)[0] * 1000 for _ in range(runs)]
    return out


def measure_digest(
    db: Database, runs: int, options: digest.DigestOptions | None = None
) -> tuple[list[dict[str, float]], dict[str, Any]]:
    """Seconds for list_sources + build_digest + HTML rendering, per run, with the parts."""
    taxonomy = load_taxonomy()
    options = options or digest.DigestOptions()
    period = last_full_quarter(utcnow())
    out = []
    data: dict[str, Any] = {}
    for _ in range(runs):
        t_sources, sources = timed(lambda: queries.list_sources(db, counts=False))
        t_build, data = timed(
            lambda sources=sources: digest.build_digest(
                db, period, taxonomy, options, utcnow(), sources
            )
        )
        t_render, html = timed(lambda data=data: HtmlRenderer().render(data))
        out.append(
            {
                "total": t_sources + t_build + t_render,
                "sources": t_sources,
                "build": t_build,
                "render": t_render,
                "html_kb": len(html) / 1000,
            }
        )
    return out, data


def store_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


# -- generation ------------------------------------------------------------------------------


class Bench:
    def __init__(
        self, work: Path, store: Path, server: FeedServer, every_set: bool = False
    ) -> None:
        self.work, self.store, self.server, self.every_set = work, store, server, every_set
        self.real_urls = {
            source_id: server.file(f"/{path.name}", path)
            for source_id, path in _synth.real_feed_ids()
        }
        plugins = load_plugins(None)
        self.types = plugins.collect("register_sources", "source type")
        self.tagger_plugins = plugins.collect("register_taggers", "tagger")
        config_path = _synth.write_config(
            work / "feeds.yaml", self.real_urls, synthetic=_synth.SOURCES - len(self.real_urls)
        )
        self.config = load_config(config_path, self.types)
        self.growth: list[dict[str, Any]] = []

    def generate(self, steps: list[int], runs: dict[str, int]) -> None:
        t_pool, pool = timed(lambda: _synth.load_pool(self.every_set))
        sets = "every labelled set" if self.every_set else "the first four labelled sets"
        print(f"Pool: {len(pool):,} real items (46 feeds + {sets}), loaded in {t_pool:.1f} s")
        db = open_db(self.store)
        end = utcnow()
        source_ids = _synth.create_sources(db, self.config, end)
        taggers = prepare_taggers(self.tagger_plugins, TaggingContext(load_taxonomy(), db))
        synth = _synth.Synth(pool, source_ids)
        print(
            f"Store: {self.store}; {len(source_ids)} sources; taggers: {', '.join(taggers.names)}"
        )
        total = 0.0
        for step in steps:
            have = int(db.execute("SELECT count(*) FROM items").fetchone()[0])
            print(f"\nGrowing the store to {step:,} items ...")
            t0 = time.perf_counter()
            added = _synth.add_items(db, synth, step - have, end, taggers)
            t = time.perf_counter() - t0
            total += t
            print(
                f"  +{added.items:,} items in {t:.0f} s (insert + FTS {added.insert_s:.0f} s, "
                f"tagging {added.tag_s:.0f} s, {added.reviews:,} decisions "
                f"{added.review_s:.1f} s); store {human_size(store_size(self.store))}"
            )
            self.measure_step(db, step, runs, gen_s=total)
        db.close()

    def measure_step(self, db: Database, step: int, runs: dict[str, int], gen_s: float) -> None:
        search = measure_search(db, runs["search"])
        listing = measure_list(db, runs["list"])
        dig, _ = measure_digest(db, runs["digest"])
        flat = [v for vs in search.values() for v in vs]
        row = {
            "items": step,
            "gen_s": gen_s,
            "size": store_size(self.store),
            "search_p50": percentile(flat, 50),
            "search_p95": percentile(flat, 95),
            "search_max": max(flat),
            "list_p95": max(percentile(v, 95) for v in listing.values()),
            "digest_s": min(d["total"] for d in dig),
            "raw": {"search": search, "list": listing, "digest": dig},
        }
        self.growth.append(row)
        print(
            f"  measured: search p95 {row['search_p95']:.1f} ms, list p95 "
            f"{row['list_p95']:.1f} ms, digest {row['digest_s']:.2f} s"
        )


# -- reports ---------------------------------------------------------------------------------


def report_targets(db: Database, row: dict[str, Any]) -> dict[str, bool]:
    raw = row["raw"]
    items = int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    tagged = dict(
        db.execute(
            "SELECT value, count(*) FROM item_tags WHERE kind = 'theme' GROUP BY value"
        ).fetchall()
    )
    reviews = int(db.execute("SELECT count(*) FROM reviews").fetchone()[0])
    print(f"\n== Targets at {items:,} items ==")
    print(
        "themes: "
        + ", ".join(f"{t} {tagged.get(t, 0):,}" for t in THEME_IDS)
        + f"; {reviews:,} reviewed"
    )
    flat = [v for vs in raw["search"].values() for v in vs]
    p95 = percentile(flat, 95)
    n = len(raw["search"])
    print(
        f"\nsearch_items, limit 50: {n} queries x {len(flat) // n}"
        f" runs: p50 {percentile(flat, 50):.1f} ms  p95 {p95:.1f} ms  max {max(flat):.1f} ms"
        f"   target p95 < {SEARCH_MS:.0f} ms: {verdict(p95 < SEARCH_MS)}"
    )
    print(f"  {'query':30s} {'matches':>9s} {'median ms':>10s} {'max ms':>8s}")
    for query, times in sorted(raw["search"].items(), key=lambda kv: -percentile(kv[1], 50)):
        matches = db.execute(
            "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", [query]
        ).fetchone()[0]
        print(f"  {query:30s} {matches:>9,} {percentile(times, 50):>10.1f} {max(times):>8.1f}")
    ok = {"search": p95 < SEARCH_MS}
    print(f"\nlist_items --theme X --since 30d, limit 50 (target p95 < {LIST_MS:.0f} ms):")
    worst = 0.0
    for theme, times in raw["list"].items():
        p = percentile(times, 95)
        worst = max(worst, p)
        print(
            f"  {theme:16s} p50 {percentile(times, 50):6.1f} ms  p95 {p:6.1f} ms  "
            f"max {max(times):6.1f} ms   {verdict(p < LIST_MS)}"
        )
    ok["list"] = worst < LIST_MS
    dig = raw["digest"]
    totals = [d["total"] for d in dig]
    best = min(dig, key=lambda d: d["total"])
    print(
        f"\ndigest {last_full_quarter(utcnow()).label} (list_sources + build_digest + HTML), "
        f"{len(dig)} runs: p50 {percentile(totals, 50):.2f} s  max {max(totals):.2f} s"
        f"   target < {DIGEST_S:.0f} s: {verdict(max(totals) < DIGEST_S)}"
    )
    print(
        f"  best run: list_sources {best['sources']:.2f} s, build_digest {best['build']:.2f} s, "
        f"HTML {best['render']:.2f} s ({best['html_kb']:.0f} kB)"
    )
    ok["digest"] = max(totals) < DIGEST_S
    return ok


def report_review_queue(db: Database, runs: int = 10) -> None:
    """What `horizon review` reads after each decision: the next item and the queue's length
    shown (counted up to COUNT_CAP), for the queue as a whole and narrowed as analysts do."""
    since = utcnow() - timedelta(days=7)
    filters = {
        "the whole queue": review.QueueFilter(),
        **{f"--theme {t}": review.QueueFilter(themes=(t,)) for t in THEME_IDS},
        "--since 7d": review.QueueFilter(since=since),
        "--theme legislation --since 7d": review.QueueFilter(themes=("legislation",), since=since),
        "--query encryption": review.QueueFilter(query="encryption"),
    }
    print(f"\nreview queue: the next item and the count shown after a decision, {runs} runs:")
    for name, queue_filter in filters.items():

        def one(f: review.QueueFilter = queue_filter) -> int:
            review.queue(db, "bench", f, limit=1)
            return review.queue_count(db, "bench", f, cap=COUNT_CAP)

        left = one()
        times = [timed(one)[0] * 1000 for _ in range(runs)]
        shown = f"{COUNT_CAP:,}+" if left > COUNT_CAP else f"{left:,}"
        print(
            f"  {name:32s} p50 {percentile(times, 50):7.1f} ms  p95 {percentile(times, 95):7.1f}"
            f" ms   {shown} left"
        )


def report_growth(growth: list[dict[str, Any]]) -> None:
    print("\n== Cost growth table at 10x steps ==")
    print(
        f"{'items':>10s} {'store':>9s} {'search p50':>11s} {'search p95':>11s} "
        f"{'list p95':>9s} {'digest':>8s}"
    )
    for r in growth:
        print(
            f"{r['items']:>10,} {human_size(r['size']):>9s} {r['search_p50']:>8.1f} ms "
            f"{r['search_p95']:>8.1f} ms {r['list_p95']:>6.1f} ms {r['digest_s']:>6.2f} s"
        )
    for a, b in itertools.pairwise(growth):
        k = b["items"] / a["items"]
        print(
            f"  x{k:.0f} items ({a['items']:,} -> {b['items']:,}): "
            f"search p95 x{b['search_p95'] / a['search_p95']:.1f}, "
            f"list p95 x{b['list_p95'] / a['list_p95']:.1f}, "
            f"digest x{b['digest_s'] / a['digest_s']:.1f}"
        )


# -- pull memory -----------------------------------------------------------------------------

# Runs the pull and samples, every 10 ms, the resident memory of it and its parse processes
# summed (Linux's /proc); ru_maxrss alone tells only the largest of them.
PEAK = """
import os, resource, subprocess, sys, time

def tree(pid):
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [q for child in f.read().split() for q in tree(int(child))]
    except OSError:
        pass
    return found

def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0

pull = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
summed = 0
while pull.poll() is None:
    summed = max(summed, sum(rss(pid) for pid in tree(pull.pid)))
    time.sleep(0.01)
print(pull.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, summed)
"""


def pull_peak(store: Path, config: Path, *extra: str) -> tuple[int, float, float, float]:
    """Exit code, peak RSS of the largest process and of all summed (MB), and seconds of
    `python -m horizon pull` in a fresh process."""
    db = open_db(store)
    db.execute("UPDATE sources SET next_fetch_at = NULL")  # every source due, as ingest.py does
    db.conn.commit()
    db.close()
    cmd = [sys.executable, "-m", "horizon", "--db", str(store), "--config", str(config), "pull"]
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PEAK, *cmd, "--quiet", *extra],
        capture_output=True,
        text=True,
        cwd=config.parent,
        env={**os.environ, "HORIZON_LOAD_PLUGINS": ""},
        check=True,
    )
    seconds = time.perf_counter() - t0
    rc, largest, summed = out.stdout.split()
    return int(rc), int(largest) / 1024, int(summed) / 1024, seconds


def report_pull(bench: Bench) -> bool:
    config = bench.work / "pull.yaml"
    lines = ["fetch:\n  budget: 60s\n  max_bytes: 20MiB\n  concurrency: 16\nsources:\n"]
    lines += [f"  - id: {sid}\n    url: {url}\n" for sid, url in bench.real_urls.items()]
    config.write_text("".join(lines), encoding="utf-8")
    empty = bench.work / "empty.db"
    before = _count(bench.store)
    runs = [
        ("empty store, 46 feeds (all new)", *pull_peak(empty, config)),
        (f"{before:,}-item store (46 feeds' items new)", *pull_peak(bench.store, config)),
        (
            f"{_count(bench.store):,}-item store, --force (all unchanged)",
            *pull_peak(bench.store, config, "--force"),
        ),
    ]
    for path in bench.work.glob("empty.db*"):
        path.unlink()
    print(
        f"\n== pull peak memory (target < {PULL_MB:.0f} MB): the pull and its parse processes "
        "summed, and the largest alone =="
    )
    worst = 0.0
    for label, rc, largest, summed, seconds in runs:
        print(
            f"  {label:48s} {summed:6.0f} MB  (largest {largest:4.0f} MB)  {seconds:5.1f} s  "
            f"exit {rc}"
        )
        if "store," in label or "item store" in label:
            worst = max(worst, summed)
    print(f"  peak with the large store, summed: {worst:.0f} MB: {verdict(worst < PULL_MB)}")
    return worst < PULL_MB


def _count(store: Path) -> int:
    db = open_db(store)
    try:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    finally:
        db.close()


# -- profiles of misses ----------------------------------------------------------------------


def plan(db: Database, sql: str, params: list[Any]) -> list[str]:
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]


def drop_page_cache() -> bool:
    """Empty the OS's page cache (as root), saying so and returning False if it cannot."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        print(f"  skipped: cannot drop the page cache ({exc.strerror}; it needs root)")
        return False
    return True


def report_cold_digest(store: Path, runs: int = 3) -> bool | None:
    """The digest with the store's pages out of the OS's cache (the modules stay loaded):
    each run after dropping the page cache, on a new connection. None if the cache cannot be
    dropped (not root, or no /proc)."""
    print(f"\ndigest {last_full_quarter(utcnow()).label} with the OS's page cache dropped first:")
    totals = []
    for _ in range(runs):
        if not drop_page_cache():
            return None
        db = open_db(store, migrate=False)
        totals.append(measure_digest(db, 1)[0][0]["total"])
        db.close()
    print(
        f"  {runs} runs: {', '.join(f'{t:.2f} s' for t in totals)}   "
        f"target < {DIGEST_S:.0f} s: {verdict(max(totals) < DIGEST_S)}"
    )
    return max(totals) < DIGEST_S


def report_command_digest(store: Path, cold: bool, runs: int = 3) -> None:
    """`horizon digest` as an analyst runs it: a new process, its imports and the store's
    opening included, writing the HTML file (not recorded in the store's history). With
    `cold`, each run after dropping the page cache, which empties it of the modules too."""
    label = last_full_quarter(utcnow()).label
    how = "after dropping the page cache" if cold else "warm"
    print(f"\n`horizon digest -p {label} -f html` in a new process, {how}:")
    totals = []
    with tempfile.TemporaryDirectory() as where:  # no feeds.yaml there: the store alone
        command = [sys.executable, "-m", "horizon", "--db", str(store), "digest", "-p", label]
        command += ["-f", "html", "-o", "digest.html", "--no-record"]
        for _ in range(runs):
            if cold and not drop_page_cache():
                return
            t0 = time.perf_counter()
            subprocess.run(command, cwd=where, check=True, capture_output=True)
            totals.append(time.perf_counter() - t0)
    print(f"  {runs} runs: {', '.join(f'{t:.2f} s' for t in totals)}")


def profile_misses(bench: Bench, ok: dict[str, bool]) -> None:
    """What bounds a missed target: the query plan of search, the profile of the digest."""
    if ok["search"] and ok["digest"]:
        return
    db = open_db(bench.store)
    if not ok["search"]:
        print(f"\nsearch ranks at most the {queries.RANK_WINDOW:,} most recently stored matches")
        print("  (bm25 is computed for every ranked match); plan of the ranking query:")
        sql = (
            "SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid >= 0 "
            "ORDER BY rank LIMIT 50"
        )
        for line in plan(db, sql, ["security"]):
            print(f"    {line}")
    if not ok["digest"]:
        period = last_full_quarter(utcnow())
        print(f"\ndigest {period.label}: where build_digest's time goes (under the profiler)")
        prof = cProfile.Profile()
        prof.runcall(
            digest.build_digest,
            db,
            period,
            load_taxonomy(),
            digest.DigestOptions(),
            utcnow(),
            queries.list_sources(db),
        )
        stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
        shown = ("build_digest", "_emerging", "__init__", "_stories", "_items", "_theme_counts")
        rows = sorted(
            ((cum, name) for (_, _, name), (_, _, _, cum, _) in stats.items() if name in shown),
            reverse=True,
        )
        for cum, name in rows:
            print(f"    {name:14s} {cum:6.2f} s cumulative")
        fetches = [v[2] for k, v in stats.items() if k[2].startswith("<method 'fetchall")]
        fetch = sum(fetches)
        print(f"    SQL fetches    {fetch:6.2f} s (the rest is Python: title terms, counting)")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the store here (reused if it exists)")
    parser.add_argument("--cold", action="store_true", help="time the digest cold too (root)")
    parser.add_argument(
        "--every-set", action="store_true", help="a denser store: every labelled set in the pool"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.keep:
        work = args.keep.resolve().parent
        work.mkdir(parents=True, exist_ok=True)
        store = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="horizon-scale-"))
        store = work / "scale.db"
    server = FeedServer()
    try:
        bench = Bench(work, store, server, args.every_set)
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} (others skew timings)")
        full = {"search": 5, "list": 10, "digest": 3}
        if store.exists():
            print(f"Reusing {store} ({_count(store):,} items); growth table skipped")
            db = open_db(store)
            bench.measure_step(db, _count(store), full, gen_s=0.0)
            db.close()
        else:
            steps = [s for s in STEPS if s < args.items] + [args.items]
            small = {"search": 3, "list": 5, "digest": 2}
            bench.generate(steps, small)
            # The last step again, with the full number of runs.
            bench.growth.pop()
            db = open_db(store)
            print("\nFull-size measurements ...")
            bench.measure_step(db, args.items, full, gen_s=0.0)
            db.close()
        db = open_db(store)
        ok = report_targets(db, bench.growth[-1])
        report_review_queue(db)
        db.close()
        profile_misses(bench, ok)
        if args.cold and (cold := report_cold_digest(store)) is not None:
            ok["digest cold"] = cold
        report_command_digest(store, cold=False)
        if args.cold:
            report_command_digest(store, cold=True)
        ok["pull"] = report_pull(bench)
        if len(bench.growth) > 1:
            report_growth(bench.growth)
        print(
            "\nSummary: "
            + ", ".join(f"{k} {verdict(v)}" for k, v in ok.items())
            + f"; whole run {time.perf_counter() - started:.0f} s; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        (work / "scale-results.json").write_text(
            json.dumps(bench.growth, indent=1), encoding="utf-8"
        )
    finally:
        server.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
