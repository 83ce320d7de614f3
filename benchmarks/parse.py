"""Parsing speed on the real-feed corpus: feedparser, the lxml fast path, raw lxml, parse_document.

Run: python benchmarks/parse.py  (best of 3 interleaved runs of each, tests/corpus/real/*.xml)
"""

from __future__ import annotations

import contextlib
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from horizon.errors import FetchError
from horizon.fastfeed import parse_fast
from horizon.feeds import parse_document, parse_with_feedparser, repair_xml
from horizon.models import Document

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "real"
RUNS = 3


def _feeds() -> list[tuple[str, bytes]]:
    return [
        (f"https://example.org/{path.name}", path.read_bytes())
        for path in sorted(CORPUS.glob("*.xml"))
    ]


def _feedparser(feeds: list[tuple[str, bytes]]) -> int:
    items = 0
    for url, body in feeds:
        with contextlib.suppress(FetchError):
            items += len(parse_with_feedparser(body, url, {}).entries)
    return items


def _fast(feeds: list[tuple[str, bytes]]) -> int:
    items = 0
    for url, body in feeds:
        parsed = parse_fast(repair_xml(body)[0], url, {})  # as parse_document calls it
        items += len(parsed.entries) if parsed else 0
    return items


def _lxml(feeds: list[tuple[str, bytes]]) -> int:
    parsed = 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for _, body in feeds:
        try:
            etree.fromstring(body, parser)
            parsed += 1
        except etree.XMLSyntaxError:
            pass
    return parsed


def _parse_document(feeds: list[tuple[str, bytes]]) -> int:
    items = 0
    for url, body in feeds:
        with contextlib.suppress(FetchError):
            items += len(parse_document(Document(url=url, body=body)).entries)
    return items


def main() -> None:
    warnings.simplefilter("ignore")  # feedparser's DeprecationWarnings are not what we time
    feeds = _feeds()
    megabytes = sum(len(body) for _, body in feeds) / 1e6
    taken = sum(1 for url, body in feeds if parse_fast(repair_xml(body)[0], url, {}) is not None)
    print(f"{len(feeds)} feeds, {megabytes:.1f} MB, best of {RUNS} interleaved runs")
    print(f"fast path takes {taken} of {len(feeds)} feeds; the rest fall back to feedparser\n")
    rows: list[tuple[str, Callable[[list[tuple[str, bytes]]], int], str]] = [
        ("feedparser.parse", _feedparser, "items"),
        ("fast path (parse_fast)", _fast, "items"),
        ("lxml raw parse", _lxml, "documents"),
        ("parse_document (fast + fallback)", _parse_document, "items"),
    ]
    # Rounds interleave the parsers, so a busy moment on the machine does not favour one.
    best = {name: float("inf") for name, _, _ in rows}
    counts: dict[str, int] = {}
    for _ in range(RUNS):
        for name, run, _ in rows:
            started = time.perf_counter()
            counts[name] = run(feeds)
            best[name] = min(best[name], time.perf_counter() - started)
    for name, _, unit in rows:
        seconds, count = best[name], counts[name]
        print(
            f"{name:34} {seconds:7.3f} s  {count:5} {unit:9} "
            f"{count / seconds:9.0f} {unit}/s  {megabytes / seconds:7.1f} MB/s"
        )
    print()
    for name, seconds in best.items():
        if name != "feedparser.parse":
            print(f"feedparser / {name:34} {best['feedparser.parse'] / seconds:6.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
