"""Cold ingest: a full `horizon pull` of the 46 real feeds served from 127.0.0.1 (and the same
without the shipped seed model, to show its cost), against feedparser.parse() alone and lxml's
raw parse of the same bytes; then an unchanged re-pull.

    python benchmarks/ingest.py [--rounds 3] [--parse-workers N] [--hosts 1]

Each cold pull runs in a new process, as `horizon pull` does (so the start of its parse
processes is counted), and is timed from opening the store to the end of the library call
`horizon pull` makes (fetch, parse, normalise, dedupe, tag, store, index), into a new store
each round; best of N rounds for every figure, all in one run so the ratios compare like with
like. The unchanged re-pull runs the same way, in a new process, on the last cold pull's store
with every source made due again (outside the timing): a weekly cron run is a new process, and
its first uses of the HTTP client and its modules count, as they do in the cold pull. (Before
2026-11-30's eighth session it was timed in the benchmark's own process, best of three, where
those costs were already paid: about 0.07 s against 0.17 to 0.19 s.)
`--parse-workers 0` parses on the store thread instead. The feeds are served by a separate
process, as a remote server would be: in this one its Python would take turns with the
pull's. All from 127.0.0.1, the per-host limit (2 at a time) queues the 46 requests two by
two, over two kept-alive connections. `--hosts 46` serves each feed from its own loopback
address (127.0.2.N), as 46 publishers would: 46 connections, opened afresh by each pull.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
from lxml import etree  # noqa: E402
from tests.httpserver import FeedServer  # noqa: E402

from horizon.config import load_config  # noqa: E402
from horizon.db import Database, open_db, transaction  # noqa: E402
from horizon.feeds import parse_document  # noqa: E402
from horizon.models import Document  # noqa: E402
from horizon.normalise import normalise  # noqa: E402
from horizon.plugins import load_plugins  # noqa: E402
from horizon.pull import pull_sources  # noqa: E402
from horizon.store import save_items, sync_sources  # noqa: E402
from horizon.tagging import TaggingContext, prepare_taggers, tag_items  # noqa: E402
from horizon.taxonomy import load_taxonomy  # noqa: E402
from horizon.textutil import utcnow  # noqa: E402

FEEDS = sorted((ROOT / "tests" / "corpus" / "real").glob("*.xml"))


def best(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parse-workers", type=int, help="fetch.parse_workers (unset: auto)")
    parser.add_argument("--hosts", type=int, default=1, help="loopback addresses to serve from")
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in FEEDS]
    size = sum(map(len, bodies))

    def feedparser_all() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for body in bodies:
                feedparser.parse(io.BytesIO(body))

    def lxml_all() -> None:
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        for body in bodies:
            etree.fromstring(body.lstrip(), parser)

    server, urls = _serve_elsewhere(args.hosts)
    plugins = load_plugins(None)
    types = plugins.collect("register_sources", "source type")
    taggers_available = plugins.collect("register_taggers", "tagger")
    taxonomy = load_taxonomy()
    work = Path(tempfile.mkdtemp(prefix="horizon-bench-"))
    config_path = write_feeds_yaml(work, urls, args.parse_workers)
    config = load_config(config_path, types)
    counter = iter(range(1000))
    stores: list[Path] = []

    def cold_pull(without: tuple[str, ...] = ()) -> float:
        path = work / f"cold-{next(counter)}.db"
        stores.append(path)
        return in_new_process(path, without)

    def in_new_process(path: Path, without: tuple[str, ...]) -> float:
        receive, send = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.get_context("spawn").Process(
            target=_pull, args=(config_path, path, without, send)
        )
        child.start()
        send.close()  # the child's end only: if it fails, recv() raises instead of waiting
        seconds: float = receive.recv()
        child.join()
        return seconds

    def unchanged_pull() -> float:
        _reset(stores[-1])  # every source due again; nothing has changed on the server
        return in_new_process(stores[-1], ())

    try:
        t_fp = best(feedparser_all, args.rounds)
        t_lxml = best(lxml_all, args.rounds)
        t_bare = min(cold_pull(without=("seed",)) for _ in range(args.rounds))
        t_cold = min(cold_pull() for _ in range(args.rounds))
        # An unchanged week: every source due again (the schedule is reset), nothing changed.
        t_warm = min(unchanged_pull() for _ in range(args.rounds))
    finally:
        server.terminate()
        server.join()
    db = open_db(stores[-1])
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    statuses = dict(db.execute("SELECT status, count(*) FROM fetches GROUP BY status"))
    print(f"{len(FEEDS)} real feeds, {size / 1e6:.1f} MB, {items:,} items stored")
    print(f"feedparser.parse() alone      {t_fp:7.3f} s")
    print(f"lxml raw parse                {t_lxml:7.3f} s")
    print(f"horizon pull, cold            {t_cold:7.3f} s   ({items / t_cold:,.0f} items/s)")
    print(f"  without the seed model      {t_bare:7.3f} s   (/ feedparser {t_bare / t_fp:.3f})")
    print(f"horizon pull, unchanged       {t_warm:7.3f} s")
    print(f"cold pull / feedparser        {t_cold / t_fp:7.3f}   (target <= 0.25)")
    print(f"cold pull / lxml              {t_cold / t_lxml:7.1f}x  (target <= 10x)")
    print(f"unchanged / cold              {t_warm / t_cold:7.3f}   (target <= 0.05)")
    print(f"fetch outcomes in the last store: {statuses}")
    _stages(bodies, config, work, taggers_available, taxonomy, args.rounds)


def _stages(  # type: ignore[no-untyped-def]
    bodies: list[bytes], config, work: Path, taggers_available, taxonomy, rounds: int
) -> None:
    """Where the cold pull's time goes: each stage alone, on the same feeds, best of N."""
    now = utcnow()
    urls = [f"http://127.0.0.1/{path.name}" for path in FEEDS]
    parsed = [parse_document(Document(url=u, body=b)) for u, b in zip(urls, bodies, strict=True)]
    rows = [normalise(feed, now=now).rows for feed in parsed]
    counter = iter(range(1000))

    def fresh_store() -> Database:
        db = open_db(work / f"stages-{next(counter)}.db")
        with transaction(db):
            sync_sources(db, config, now)
        return db

    def store_all(db: Database) -> list[int]:
        ids: list[int] = []
        for index, feed_rows in enumerate(rows):
            with transaction(db):
                ids += save_items(db, f"f{index:02d}", feed_rows, None, now, 5).new_ids
        return ids

    def tag(wanted: list[str]) -> float:
        db = fresh_store()
        ids = store_all(db)
        taggers = prepare_taggers(taggers_available, TaggingContext(taxonomy, db), wanted)
        tag_items(db, ids[:10], taggers)  # load the model outside the timing
        return best(lambda: tag_items(db, ids, taggers), rounds)

    stages = [
        ("parse (parse_document)", best(lambda: [parse_document(Document(url=u, body=b))
                                                  for u, b in zip(urls, bodies, strict=True)],
                                         rounds)),
        ("normalise", best(lambda: [normalise(feed, now=now) for feed in parsed], rounds)),
        ("store and index", best(lambda: store_all(fresh_store()), rounds)),
        ("tag: rules", tag(["keywords"])),
        ("tag: rules + seed model", tag(["keywords", "seed"])),
    ]  # fmt: skip
    print("\nthe stages alone (best of each; the pull adds fetching and its threads):")
    for label, seconds in stages:
        print(f"  {label:28s}{seconds:7.3f} s")


def _serve_elsewhere(hosts: int = 1) -> tuple[multiprocessing.Process, list[str]]:
    """The corpus served from `hosts` loopback addresses by a child process, and the URL of each
    feed (feed i on host i modulo `hosts`)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(send, hosts))
    process.start()
    urls: list[str] = receive.recv()
    return process, urls


def _serve(send: Any, hosts: int) -> None:
    if hosts == 1:
        servers = [FeedServer()]
    else:
        servers = [FeedServer(host=f"127.0.2.{i + 1}") for i in range(hosts)]
    send.send([servers[i % hosts].file(f"/{p.name}", p) for i, p in enumerate(FEEDS)])
    threading.Event().wait()  # until terminated


def write_feeds_yaml(work: Path, urls: list[str], parse_workers: int | None = None) -> Path:
    """A feeds.yaml in `work` with one source per served feed (f00, f01 ...)."""
    workers = "" if parse_workers is None else f"  parse_workers: {parse_workers}\n"
    lines = [f"fetch:\n  budget: 60s\n  max_bytes: 20MiB\n  concurrency: 16\n{workers}sources:\n"]
    lines += [f"  - id: f{index:02d}\n    url: {url}\n" for index, url in enumerate(urls)]
    config_path = work / "feeds.yaml"
    config_path.write_text("".join(lines))
    return config_path


@dataclass
class PullTiming:
    """One timed pull: its seconds, the wall-clock seconds of its tagging calls, the seconds
    from the start at which each source was stored, and the CPU seconds it took in this process
    and in its parse processes."""

    seconds: float
    tagging: float
    stored: list[float]
    cpu_own: float
    cpu_children: float


def timed_pull(config_path: Path, path: Path, without: tuple[str, ...] = ()) -> PullTiming:
    """One pull in this process, as `horizon pull` runs, timed from opening the store."""
    plugins = load_plugins(None)
    types = plugins.collect("register_sources", "source type")
    taggers_available = plugins.collect("register_taggers", "tagger")
    config = load_config(config_path, types)
    taxonomy = load_taxonomy()
    own, children = time.process_time(), children_cpu()
    t0 = time.perf_counter()
    db = open_db(path)
    wanted = [name for name in taggers_available if name not in without]
    taggers = prepare_taggers(taggers_available, TaggingContext(taxonomy, db), wanted)
    tagging = 0.0
    stored: list[float] = []

    def on_items(store: Database, ids: list[int]) -> None:
        nonlocal tagging
        started = time.perf_counter()
        tag_items(store, ids, taggers)
        tagging += time.perf_counter() - started

    def progress(outcome: object) -> None:
        stored.append(time.perf_counter() - t0)

    summary = pull_sources(db, config, types, on_items=on_items, progress=progress)
    assert not summary.failed, [o.error for o in summary.failed]
    db.close()
    return PullTiming(
        time.perf_counter() - t0,
        tagging,
        stored,
        time.process_time() - own,
        children_cpu() - children,
    )


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (a pull's parse processes end
    with it; a feed server still running is not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pull(config_path: Path, path: Path, without: tuple[str, ...], send: Any) -> None:
    """One pull in this (new) process; sends its seconds back."""
    send.send(timed_pull(config_path, path, without).seconds)


def _reset(store: Path) -> None:
    db = open_db(store)
    db.execute("UPDATE sources SET next_fetch_at = NULL")
    db.conn.commit()
    db.close()


if __name__ == "__main__":
    main()
