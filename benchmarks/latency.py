"""A latency-bound pull: 200 sources, each answering after 200 ms, on 50 different hosts.

    python benchmarks/latency.py [--sources 200] [--latency 0.2] [--hosts 50]

Each host is its own loopback address (127.0.1.N), so the per-host limit (2) applies as it
would to 50 publishers. Prints the wall time of the pull against the bound
1.5 x (sources x latency / concurrency) + parse time, with the concurrency used; and, since
each source's feed has 170 items (34,000 in all) and storing them costs more than parsing,
against the same bound with the time of the same pull without latency in place of parse time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.httpserver import FeedServer, Route  # noqa: E402

from horizon.config import load_config  # noqa: E402
from horizon.db import open_db  # noqa: E402
from horizon.feeds import parse_document  # noqa: E402
from horizon.models import Document  # noqa: E402
from horizon.plugins import load_plugins  # noqa: E402
from horizon.pull import pull_sources  # noqa: E402

FEED = ROOT / "tests" / "corpus" / "real" / "neovim-news.xml"  # 170 items, 30 KB


def pull_once(args: argparse.Namespace, latency: float, work: Path) -> tuple[float, Any]:
    """A pull of `args.sources` sources answering after `latency` s; (wall time, summary)."""
    body = FEED.read_bytes()
    servers = [FeedServer(host=f"127.0.1.{i + 1}") for i in range(args.hosts)]
    lines = [f"fetch:\n  concurrency: {args.concurrency}\n  per_host: 2\nsources:\n"]
    for index in range(args.sources):
        server = servers[index % args.hosts]
        # A distinct body per source so nothing is skipped as unchanged.
        server.routes[f"/s{index}"] = Route(
            body=body.replace(b"<channel>", f"<channel><!-- {index} -->".encode(), 1),
            delay=latency,
        )
        lines.append(f"  - id: s{index:03d}\n    url: {server.url(f'/s{index}')}\n")
    work.mkdir()
    (work / "feeds.yaml").write_text("".join(lines))
    types = load_plugins(None).collect("register_sources", "source type")
    config = load_config(work / "feeds.yaml", types)
    db = open_db(work / "store.db")
    t0 = time.perf_counter()
    summary = pull_sources(db, config, types)
    wall = time.perf_counter() - t0
    summary.items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    for server in servers:
        server.close()
    return wall, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    body = FEED.read_bytes()
    t0 = time.perf_counter()
    for _ in range(args.sources):
        parse_document(Document(url="http://example.org/", body=body))
    parse_time = time.perf_counter() - t0
    work = Path(tempfile.mkdtemp(prefix="horizon-latency-"))
    processing, _ = pull_once(args, 0.0, work / "no-latency")
    wall, summary = pull_once(args, args.latency, work / "latency")
    waiting = 1.5 * (args.sources * args.latency / args.concurrency)
    print(
        f"{args.sources} sources on {args.hosts} hosts, {args.latency * 1000:.0f} ms latency "
        f"each; concurrency {args.concurrency}, per host 2"
    )
    print(f"failed: {len(summary.failed)}; items stored: {summary.items:,}")
    print(f"pull wall time             {wall:6.2f} s")
    print(f"serial would take          {args.sources * args.latency:6.2f} s (latency alone)")
    print(f"parse time (serial)        {parse_time:6.2f} s")
    print(
        f"same pull, no latency      {processing:6.2f} s (parse, normalise, dedupe, store, index)"
    )
    strict = waiting + parse_time
    print(
        f"bound 1.5 x (n x latency / concurrency) + parse = {strict:.2f} s: "
        f"{'PASS' if wall <= strict else 'MISS'}"
    )
    full = waiting + processing
    print(
        f"bound 1.5 x (n x latency / concurrency) + the no-latency pull = {full:.2f} s: "
        f"{'PASS' if wall <= full else 'MISS'}"
    )
    print(
        f"time latency added to the pull: {wall - processing:.2f} s (1.5 x ideal: {waiting:.2f} s)"
    )


if __name__ == "__main__":
    main()
