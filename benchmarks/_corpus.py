"""Shared by the benchmarks: real feed items from tests/corpus, parsed once; labelled sets."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import yaml

from horizon.default_plugins.keywords import KeywordTagger
from horizon.feeds import parse_document
from horizon.models import Document
from horizon.normalise import normalise
from horizon.tagging import Doc, TaggingContext, read_jsonl
from horizon.taxonomy import Taxonomy
from horizon.textutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
REAL = sorted((CORPUS / "real").glob("*.xml"))
LABELLED = ROOT / "tests" / "data"
# The labelled sets in the order they were written: six older sets, then rounds of three written
# at once, each read for the rules; the seed model learned from all of them
# (docs/build_seed_model.py). The round after the last is held out of both with the fresh set
# (HELD_OUT).
OLDER = ["dev", "holdout", "blind", "final", "extra-a", "extra-b"]
ROUNDS = [
    ["extra-c", "extra-d", "extra-e"],
    ["extra-f", "extra-g", "extra-h"],
    ["extra-i", "extra-j", "extra-k"],
    ["extra-l", "extra-m", "extra-n"],
    ["extra-o", "extra-p", "extra-q"],
    ["extra-r", "extra-s", "extra-t"],
    ["extra-u", "extra-v", "extra-w"],
    ["extra-x", "extra-y", "extra-z"],
    ["extra-aa", "extra-ab", "extra-ac"],
    ["extra-ad", "extra-ae", "extra-af"],
    ["extra-ag", "extra-ah", "extra-ai"],
    ["extra-aj", "extra-ak", "extra-al"],
    ["extra-am", "extra-an", "extra-ao"],
    ["extra-ap", "extra-aq", "extra-ar"],
    ["extra-as", "extra-at", "extra-au"],
    ["extra-av", "extra-aw", "extra-ax"],
    ["extra-ay", "extra-az", "extra-ba"],
    ["extra-bb", "extra-bc", "extra-bd"],
    ["extra-bg", "extra-bh", "extra-bi"],
    ["extra-bj", "extra-bk", "extra-bl"],
    ["extra-bm", "extra-bn", "extra-bo"],
    ["extra-bp", "extra-bq", "extra-br"],
    ["extra-bs", "extra-bt", "extra-bu"],
    ["extra-bv", "extra-bw", "extra-bx"],
    ["extra-by", "extra-bz", "extra-ca"],
    ["extra-cb", "extra-cc", "extra-cd"],
    ["extra-ce", "extra-cf", "extra-cg"],
    ["extra-ch", "extra-ci", "extra-cj"],
    ["extra-ck", "extra-cl", "extra-cm"],
    ["extra-cn", "extra-co", "extra-cp"],
    ["extra-cq", "extra-cr", "extra-cs"],
    ["extra-ct", "extra-cu", "extra-cv"],
    ["extra-cw", "extra-cx", "extra-cy"],
    ["extra-cz", "extra-da", "extra-db"],
    ["extra-dc", "extra-dd", "extra-de"],
    ["extra-df", "extra-dg", "extra-dh"],
    ["extra-di", "extra-dj", "extra-dk"],
    ["extra-dl", "extra-dm", "extra-dn"],
    ["extra-do", "extra-dp", "extra-dq"],
    ["extra-dr", "extra-ds", "extra-dt"],
    ["extra-du", "extra-dv", "extra-dw"],
    ["extra-dx", "extra-dy", "extra-dz"],
    ["extra-ea", "extra-eb", "extra-ec"],
    ["extra-ed", "extra-ee", "extra-ef"],
    ["extra-eg", "extra-eh", "extra-ei"],
    ["extra-ej", "extra-ek", "extra-el"],
    ["extra-em", "extra-en", "extra-eo"],
    ["extra-ep", "extra-eq", "extra-er"],
    ["extra-es", "extra-et", "extra-eu"],
    ["extra-ev", "extra-ew", "extra-ex"],
    ["extra-ey", "extra-ez", "extra-fa"],
    ["extra-fb", "extra-fc", "extra-fd"],
    ["extra-fe", "extra-ff", "extra-fg"],
    ["extra-fh", "extra-fi", "extra-fj"],
    ["extra-fk", "extra-fl", "extra-fm"],
    ["extra-fn", "extra-fo", "extra-fp"],
    ["extra-fq", "extra-fr", "extra-fs"],
    ["extra-ft", "extra-fu", "extra-fv"],
    ["extra-fw", "extra-fx", "extra-fy"],
    ["extra-fz", "extra-ga", "extra-gb"],
]
WRITTEN = OLDER + [name for round_ in ROUNDS for name in round_]
# In neither the rules nor the seed model: the fresh set and the round after the last above
# (the sixty-first, labelled from the guide alone, without the earlier writers' rules, with at
# most a third of its themed items re-reporting known developments: fortnights of the sources
# in English, in Dutch, and in Spanish, Italian and Portuguese). And 400 real items drawn at
# random from the corpus's feeds (all but four without a theme): a measure of false themes on
# ordinary items (tests/data/TAGGING-REAL-RANDOM.md).
HELD_OUT = {
    "the fresh set": ["fresh"],
    "extra-gc+gd+ge": ["extra-gc", "extra-gd", "extra-ge"],
    "400 random real items": ["real-random"],
}


# The sets labelled with the earlier writers' borderline rules; from extra-bs on, the writers
# read the guide alone (docs/tagging-history.md, "The fortieth round opened").
EARLIER = frozenset(WRITTEN[: WRITTEN.index("extra-bs")])
# What each of their examples weighs in the seed model against one labelled from the guide
# alone (docs/build_seed_model.py; measured by benchmarks/seed_weights.py).
EARLIER_WEIGHT = 0.25


def set_weights(
    sizes: list[tuple[str, int]], earlier: float = EARLIER_WEIGHT, normalise: bool = True
) -> list[float]:
    """A weight for each item of these sets (name, item count), in order: `earlier` for an item
    of an EARLIER set, 1 for the others; with `normalise`, scaled to a mean of 1, so that only
    the sets' shares change and not how much the data weighs against the classifiers'
    regularisation."""
    weights = [earlier if name in EARLIER else 1.0 for name, count in sizes for _ in range(count)]
    if normalise and weights:
        mean = sum(weights) / len(weights)
        weights = [w / mean for w in weights]
    return weights


def labelled_weighted(
    names: list[str], earlier: float = EARLIER_WEIGHT, normalise: bool = True
) -> tuple[list[tuple[Doc, set[str]]], list[float]]:
    """The items of these labelled sets, pooled, and their weights (`set_weights`)."""
    per_set = [(name, labelled([name])) for name in names]
    items = [pair for _, pairs in per_set for pair in pairs]
    sizes = [(name, len(pairs)) for name, pairs in per_set]
    return items, set_weights(sizes, earlier, normalise)


def sets_before(name: str) -> list[str]:
    """The labelled sets written before this one (a round's sets are written together)."""
    first = next((r[0] for r in ROUNDS if name in r), name)
    return WRITTEN[: WRITTEN.index(first)]


def set_path(name: str) -> Path:
    """A labelled set's file: `fresh` is tests/data/tagging-fresh.jsonl."""
    return LABELLED / f"tagging-{name}.jsonl"


def labelled(names: list[str]) -> list[tuple[Doc, set[str]]]:
    """The items of these labelled sets, pooled; a set not there is skipped."""
    paths = [set_path(name) for name in names]
    return [pair for path in paths if path.exists() for pair in read_jsonl(path, labelled=True)]


def real_items() -> list[tuple[str, str]]:
    """(title, opening text) of every item in the 46 real feeds."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in REAL:
            feed = parse_document(Document(url="http://example.org/", body=path.read_bytes()))
            for row in normalise(feed, now=utcnow()).rows:
                out.append((row.values["title"], row.values["text"]))
    return out


def old_taxonomy(commit: str) -> Taxonomy:
    """The shipped taxonomy as it was at a git commit (needs the git history: a clone)."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:src/horizon/data/taxonomy.yaml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Taxonomy.model_validate(yaml.safe_load(text))


def rule_verdicts(taxonomy: Taxonomy, docs: list[Doc]) -> list[tuple[dict[str, float], set[str]]]:
    """Per item, each theme's confidence from the rules alone (given at 0.5), and the themes
    their vetoes make final "no"s (the taxonomy's `vetoes`)."""
    rules = KeywordTagger()
    rules.prepare(TaggingContext(taxonomy))
    out = []
    for tags in rules.tag(docs):
        themes = [t for t in tags if t.kind == "theme"]
        out.append(({t.value: t.confidence for t in themes}, {t.value for t in themes if t.final}))
    return out


def rule_scores(taxonomy: Taxonomy, docs: list[Doc]) -> list[dict[str, float]]:
    """Per item, each theme's confidence from the rules alone (given at 0.5)."""
    return [scores for scores, _ in rule_verdicts(taxonomy, docs)]
