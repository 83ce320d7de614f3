"""The seed model with the sets written under the earlier writers' rules weighing less.

    python benchmarks/seed_weights.py [--raw] [WEIGHT ...]    (default: 1 0.5 0.25)

The sets before BS were labelled with the earlier writers' borderline rules; from BS on, the
writers read the guide alone, and some lines differ (docs/tagging-history.md, "The fortieth
round opened"). Over the guide-alone folds of `model_alone.py` and the rounds held out since, each
with the rules of the commit at which it was held out and a model trained on the sets written
before it, the earlier sets weighing WEIGHT each, this prints per fold and on average the
macro-F1, the weakest theme's precision and human-behaviour's, combined as shipped. About five
minutes a weight on a quiet machine; needs the git history (a clone).

Each fold's weights are scaled to a mean of 1, as docs/build_seed_model.py does (the shipped
weight is _corpus.EARLIER_WEIGHT), so that only the earlier sets' share changes; `--raw` leaves
them unscaled, which also gives the data less say against the classifiers' fixed
regularisation (how the experiment was first run).
"""

from __future__ import annotations

import sys

from _corpus import labelled, old_taxonomy, set_weights, sets_before
from combination import FOLDS
from model_alone import GUIDE_ALONE, LATER, fold_rows, predict

from horizon import learn
from horizon.tagging import evaluate_predictions
from horizon.taxonomy import load_taxonomy

# The rounds held out since model_alone.py's folds, with the commits that added them.
SINCE = [
    ("AM", ["extra-df", "extra-dg", "extra-dh"], "6cabc36"),
    ("AN", ["extra-di", "extra-dj", "extra-dk"], "b94b0a7"),
    ("AO", ["extra-dl", "extra-dm", "extra-dn"], "4e4e5a4"),
    ("AP", ["extra-do", "extra-dp", "extra-dq"], "8f63f9b"),
    ("AQ", ["extra-dr", "extra-ds", "extra-dt"], "ed556b2"),
    ("AR", ["extra-du", "extra-dv", "extra-dw"], "320cb4d"),
]


def main() -> None:
    normalise = "--raw" not in sys.argv[1:]
    weights = [float(w) for w in sys.argv[1:] if w != "--raw"] or [1.0, 0.5, 0.25]
    shipped = load_taxonomy()
    agree, behaviour = shipped.agree, shipped.agree_for("theme", "human-behaviour")
    folds = [f for f in [*FOLDS, *LATER, *SINCE] if f[0] in GUIDE_ALONE or f in SINCE]
    results: dict[float, list[tuple[float, float, float]]] = {w: [] for w in weights}
    for name, test_sets, commit in folds:
        taxonomy = old_taxonomy(commit)
        before = [(s, labelled([s])) for s in sets_before(test_sets[0])]
        train = [pair for _, pairs in before for pair in pairs]
        sizes = [(s, len(pairs)) for s, pairs in before]
        for weight in weights:
            per_item = set_weights(sizes, weight, normalise)
            rows, gold = fold_rows(taxonomy, test_sets, learn.fit(train, per_item))
            result = evaluate_predictions(
                predict(rows, agree, behaviour, shipped.model_alone), gold
            )
            precision = {t: v["precision"] for t, v in result.per_theme.items()}
            figures = (result.macro_f1, min(precision.values()), precision["human-behaviour"])
            results[weight].append(figures)
            print(
                f"fold {name:3s} weight {weight:<5g} macro-F1 {figures[0]:.3f}  weakest "
                f"precision {figures[1]:.2f}  human-behaviour precision {figures[2]:.2f}",
                flush=True,
            )
    print(f"\nMean over {len(folds)} guide-alone folds:")
    for weight, rows in results.items():
        mean = [sum(column) / len(rows) for column in zip(*rows, strict=True)]
        met = sum(weakest >= 0.8 for _, weakest, _ in rows)
        print(
            f"  weight {weight:<5g} macro-F1 {mean[0]:.3f}  weakest precision {mean[1]:.3f}  "
            f"human-behaviour precision {mean[2]:.3f}  folds with precision >= 0.80: "
            f"{met}/{len(rows)}"
        )


if __name__ == "__main__":
    main()
