"""Tagging quality: rules alone on each labelled set, and what a model trained on N analyst
decisions adds (a learning curve).

    python benchmarks/tagging_quality.py

The model is trained on N items of tests/data/tagging-dev.jsonl (standing in for N analyst
decisions; 3 random draws per N) and measured with the rules alone (a build without the seed
model) on the sets it never saw: holdout, blind and final.

Then the shipped `seed` model on the sets neither the rules nor the seed model learned from
(tagging-fresh.jsonl; the newest round, pooled, when one is held out; 400 random real items,
of which four have a theme, so read its precision, not its macro-F1): rules alone, the seed model
alone, and the two combined; and on the fresh set the two with an analysts' model of N dev
decisions beside the seed, as in a store where analysts trained one.
About 2 minutes.
"""

from __future__ import annotations

import random

from _corpus import HELD_OUT, ROUNDS, labelled

from horizon import learn
from horizon.default_plugins.keywords import KeywordTagger
from horizon.default_plugins.model import ModelTagger, SeedTagger
from horizon.tagging import TaggerSet, TaggingContext, evaluate
from horizon.taxonomy import load_taxonomy

SETS = ["dev", "holdout", "blind", "final"]


def row(name: str, result) -> str:  # type: ignore[no-untyped-def]
    per = " ".join(
        f"{t[:4]} P{v['precision']:.2f} R{v['recall']:.2f}" for t, v in result.per_theme.items()
    )
    return f"  {name:28s} macro-F1 {result.macro_f1:.3f}   {per}"


def main() -> None:
    taxonomy = load_taxonomy()
    rules = KeywordTagger()
    rules.prepare(TaggingContext(taxonomy))
    sets = {f"tagging-{name}.jsonl": labelled([name]) for name in SETS}
    print("Rules alone (the `keywords` tagger):")
    for name, pairs in sets.items():
        print(row(f"{name} ({len(pairs)})", evaluate(pairs, TaggerSet([rules], taxonomy))))
    for names in ROUNDS:  # each round's three sets pooled, as each leans on a focus
        label = names[0] + "".join(f"+{name.removeprefix('extra-')}" for name in names[1:])
        if later := labelled(names):
            print(row(f"{label} ({len(later)})", evaluate(later, TaggerSet([rules], taxonomy))))
    dev = sets["tagging-dev.jsonl"]
    unseen = {k: v for k, v in sets.items() if k != "tagging-dev.jsonl"}
    print("\nRules + model trained on N dev items (mean of 3 draws), on unseen sets:")
    for n in (50, 100, 200, 300, len(dev)):
        draws = 1 if n == len(dev) else 3
        scores: dict[str, list[float]] = {}
        for seed in range(draws):
            sample = random.Random(seed).sample(dev, n)
            model = ModelTagger(learn.fit(sample), 0)
            model.prepare(TaggingContext(taxonomy))
            for name, pairs in unseen.items():
                combined = evaluate(pairs, TaggerSet([rules, model], taxonomy)).macro_f1
                alone = learn_alone(model, pairs)
                scores.setdefault(f"{name} combined", []).append(combined)
                scores.setdefault(f"{name} model alone", []).append(alone)
        parts = "  ".join(f"{k}: {sum(v) / len(v):.3f}" for k, v in scores.items())
        print(f"  N={n:<4d} {parts}")
    seed = SeedTagger()
    if not seed.prepare(TaggingContext(taxonomy)):
        return
    held_out = {name: labelled(names) for name, names in HELD_OUT.items()}
    for name, pairs in held_out.items():
        if not pairs:
            continue
        print(f"\nThe seed model ({seed.version}) on {name} ({len(pairs)}, held out):")
        print(row("rules alone", evaluate(pairs, TaggerSet([rules], taxonomy))))
        print(f"  {'seed model alone':28s} macro-F1 {learn_alone(seed, pairs):.3f}")
        print(row("rules + seed model", evaluate(pairs, TaggerSet([rules, seed], taxonomy))))
    pairs = held_out["the fresh set"]
    if pairs:
        print("\nOn the fresh set, rules + seed + a model of N dev decisions (mean of 3 draws):")
        for n in (50, 100, 200, 409):
            draws = 1 if n == len(dev) else 3
            scores = []
            for draw in range(draws):
                model = ModelTagger(learn.fit(random.Random(draw).sample(dev, n)), 0)
                model.prepare(TaggingContext(taxonomy))
                scores.append(evaluate(pairs, TaggerSet([rules, seed, model], taxonomy)).macro_f1)
            print(f"    N={n:<4d} macro-F1 {sum(scores) / len(scores):.3f}")


def learn_alone(model: ModelTagger, pairs) -> float:  # type: ignore[no-untyped-def]
    """The model on its own, at probability 0.5."""
    from horizon.tagging import evaluate_predictions

    docs = [doc for doc, _ in pairs]
    predicted = [{t.value for t in tags if t.confidence >= 0.5} for tags in model.tag(docs)]
    return evaluate_predictions(predicted, [truth for _, truth in pairs]).macro_f1


if __name__ == "__main__":
    main()
