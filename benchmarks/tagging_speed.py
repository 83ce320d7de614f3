"""Rule tagging speed on one core: 100,000 real items (the corpus repeated).

    python benchmarks/tagging_speed.py [--items 100000]

Prints items/s for the rule engine alone (RuleSet.score) and for the `keywords` tagger as pull
uses it (scores turned into tags with evidence). Target (issue 3): >= 20,000 items/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import real_items

from horizon.default_plugins.keywords import KeywordTagger
from horizon.rules import RuleSet
from horizon.tagging import Doc, TaggingContext
from horizon.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    base = real_items()
    items = (base * (args.items // len(base) + 1))[: args.items]
    taxonomy = load_taxonomy()
    t0 = time.perf_counter()
    rules = RuleSet(taxonomy)
    compile_s = time.perf_counter() - t0
    print(
        f"{len(items):,} items from {len(base):,} real ones; mean text "
        f"{sum(len(t) for _, t in base) / len(base):,.0f} chars (first "
        f"{taxonomy.text_chars} used); taxonomy compiled in {compile_s * 1000:.0f} ms "
        f"({len(rules.labels):,} terms, {len(rules.rules)} rules)"
    )
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for title, text in items:
            rules.score(title, text)
        best = min(best, time.perf_counter() - t0)
    print(f"rule engine:      {len(items) / best:>10,.0f} items/s  (best of 3: {best:.2f} s)")
    tagger = KeywordTagger()
    tagger.prepare(TaggingContext(taxonomy))
    docs = [Doc(i, title, text) for i, (title, text) in enumerate(items)]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for start in range(0, len(docs), 500):
            tagger.tag(docs[start : start + 500])
        best = min(best, time.perf_counter() - t0)
    print(f"keywords tagger:  {len(items) / best:>10,.0f} items/s  (best of 3: {best:.2f} s)")


if __name__ == "__main__":
    main()
