"""Build the `seed` tagger's model from horizon's labelled sets, so that a new store tags with
rules and a model from its first pull, before analysts have trained their own.

python docs/build_seed_model.py          # rewrite src/horizon/data/seed-model.{bin,json}
python docs/build_seed_model.py --check  # exit 1 if the labelled sets changed since (a test
                                         # runs this)

It learns from every labelled set in benchmarks/_corpus.py's WRITTEN (the older sets and every
round in its ROUNDS; 11,995 items after the twenty-fourth round). tagging-fresh.jsonl, the
newest round and tagging-real-random.jsonl (_corpus.HELD_OUT) are left out on purpose: they
measure the taggers on items neither the rules nor the model saw (docs/taxonomy.md). Each round
was held out until it had been measured once. Rounds x to ao were left out of the model for a
while (each alone gained its own sets or the fresh set no more than noise,
benchmarks/more_data.py); all of them together, with the rounds in the EU's smaller languages,
raised the next, unseen round from 0.629 to 0.689 and from 0.670 to 0.752 (docs/taxonomy.md,
"The seed model learns from every round"). The sets labelled with the earlier writers' rules
(before extra-bs) weigh a quarter of the guide-alone ones (_corpus.EARLIER_WEIGHT,
benchmarks/seed_weights.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _corpus import EARLIER_WEIGHT, LABELLED, WRITTEN, labelled_weighted  # noqa: E402

from horizon import learn  # noqa: E402

# Every labelled set written so far but the held-out ones, in the order they were written: the
# older sets and every round in benchmarks/_corpus.py's ROUNDS (one list for both).
SETS = [f"tagging-{name}.jsonl" for name in WRITTEN]
OUT = ROOT / "src" / "horizon" / learn.SEED_MODEL
INFO = ROOT / "src" / "horizon" / learn.SEED_INFO


def sources() -> dict[str, str]:
    return {name: hashlib.sha256((LABELLED / name).read_bytes()).hexdigest() for name in SETS}


def expected() -> dict[str, object]:
    """What seed-model.json must say for the current labelled sets and model settings."""
    found = sources()
    settings = {
        "format": learn.MODEL_FORMAT,
        "word": learn._jsonable(learn.WORD_PARAMS),
        "char": learn._jsonable(learn.CHAR_PARAMS),
        "C": learn.C,
        "class_weight": learn.CLASS_WEIGHT,
        "text_chars": learn.MODEL_TEXT_CHARS,
        # the sets before extra-bs (labelled with the earlier writers' rules) weigh this much
        # against the guide-alone ones, the weights scaled to a mean of 1
        "earlier_weight": EARLIER_WEIGHT,
    }
    digest = hashlib.sha256(json.dumps([found, settings], sort_keys=True).encode()).hexdigest()
    return {"sources": found, "settings": settings, "digest": digest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    want = expected()
    if args.check:
        have = json.loads(INFO.read_text(encoding="utf-8")) if INFO.is_file() else {}
        stale = {k: v for k, v in want.items() if have.get(k) != v}
        if stale or not OUT.is_file():
            print(f"{OUT.name} is out of date: run python docs/build_seed_model.py")
            return 1
        return 0
    # every set in SETS (expected() has read each of them), the earlier writers' weighing less
    examples, weights = labelled_weighted(WRITTEN)
    model = learn.fit(examples, weights)
    OUT.write_bytes(model.to_bytes())
    INFO.write_text(
        json.dumps({**want, "examples": len(examples), "themes": model.themes}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"{OUT.relative_to(ROOT)}: {len(examples)} examples, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
