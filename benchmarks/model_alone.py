"""How much the rules and the models must agree, and what a theme the models give alone needs.

    python benchmarks/model_alone.py

Most errors of the rounds labelled from the guide alone are themes the seed model gives with no
rule term for them (laws outside the domain, operations against other crime, children's screen
time) or rule hits it half agrees with. Over the folds of `combination.py` (thirty, A to AD)
and the rounds since (AE to AL, the twenty-eighth to thirty-fifth), each with the rules of the
commit at which it was held out and a model trained on the sets written before it, this
measures, with the model's weight as shipped, its say shrunk where it knows few of an item's
words, and the rules' vetoes final:

1. a floor on the model's probability where the rules have no term for the theme (the
   taxonomy's `model_alone`), at the `agree` of the time it was chosen (0.3; human-behaviour
   0.4), where a model alone otherwise adds a theme at 0.43;
2. the taxonomy's `agree` and human-behaviour's own, with `model_alone` as shipped.

About six minutes on a quiet machine.
"""

from __future__ import annotations

from _corpus import labelled, old_taxonomy, rule_verdicts, sets_before
from combination import FOLDS

from horizon import learn
from horizon.config import THEME_IDS
from horizon.tagging import evaluate_predictions, mixed
from horizon.taxonomy import MODEL_WEIGHT, Taxonomy, load_taxonomy

# The rounds held out since the folds of combination.py, each with the rules of the commit that
# added it (before its errors were read).
LATER = [
    ("AE", ["extra-ch", "extra-ci", "extra-cj"], "31d2218"),
    ("AF", ["extra-ck", "extra-cl", "extra-cm"], "6f60899"),
    ("AG", ["extra-cn", "extra-co", "extra-cp"], "6840707"),
    ("AH", ["extra-cq", "extra-cr", "extra-cs"], "49ea3e7"),
    ("AI", ["extra-ct", "extra-cu", "extra-cv"], "4ae1bbb"),
    ("AJ", ["extra-cw", "extra-cx", "extra-cy"], "7a7d28c"),
    ("AK", ["extra-cz", "extra-da", "extra-db"], "4de5208"),
    ("AL", ["extra-dc", "extra-dd", "extra-de"], "4ae3ddf"),
]
# From fold Z on, the rounds were labelled from the guide alone (docs/taxonomy.md).
GUIDE_ALONE = {"Z", "AA", "AB", "AC", "AD"} | {name for name, _, _ in LATER}
BARS = [None, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8]  # None: no floor of its own
AGREES = [0.25, 0.3, 0.325, 0.35, 0.375, 0.4]
BEHAVIOUR_AGREES = [0.4, 0.45, 0.5]
Row = tuple[dict[str, float], set[str], dict[str, float], float]  # rules, vetoed, model, known
Fold = tuple[str, list[Row], list[set[str]]]


def fold_rows(
    taxonomy: Taxonomy, test_sets: list[str], model: learn.ThemeModel | None = None
) -> tuple[list[Row], list[set[str]]]:
    """Per test item: the rules' confidence per theme, the themes they veto, the model's
    probabilities and the share of the item's words the model knows. The model is one trained
    on the sets written before the test sets unless given."""
    test = labelled(test_sets)
    docs = [doc for doc, _ in test]
    model = model or learn.fit(labelled(sets_before(test_sets[0])))
    matrix = model.features(docs)
    probs = model.probabilities(matrix)
    verdicts = zip(rule_verdicts(taxonomy, docs), matrix.reads(), strict=True)
    rows: list[Row] = [
        (rules, vetoed, {t: float(v[i]) for t, v in probs.items()}, known)
        for i, ((rules, vetoed), known) in enumerate(verdicts)
    ]
    return rows, [labels for _, labels in test]


def predict(rows: list[Row], agree: float, behaviour: float, alone: float) -> list[set[str]]:
    out = []
    for rules, vetoed, probs, known in rows:
        given = set()
        for theme in THEME_IDS:
            if theme in vetoed:
                continue
            asked = behaviour if theme == "human-behaviour" else agree
            r, p = rules.get(theme, 0.0), probs.get(theme, 0.0)
            if mixed(r, p, known, MODEL_WEIGHT, asked, alone) >= 0.5:
                given.add(theme)
        out.append(given)
    return out


def scores(
    folds: list[Fold], agree: float, behaviour: float, alone: float
) -> list[tuple[str, float, float]]:
    """Per fold: its name, macro-F1 and the weakest theme's precision."""
    out = []
    for name, rows, gold in folds:
        result = evaluate_predictions(predict(rows, agree, behaviour, alone), gold)
        out.append((name, result.macro_f1, min(v["precision"] for v in result.per_theme.values())))
    return out


def summary(per_fold: list[tuple[str, float, float]], names: set[str]) -> str:
    chosen = [(m, w) for f, m, w in per_fold if f in names]
    macro = sum(m for m, _ in chosen) / len(chosen)
    weakest = sum(w for _, w in chosen) / len(chosen)
    return f"{macro:.3f} / {weakest:.3f} / {sum(w >= 0.8 for _, w in chosen):2d}"


def main() -> None:
    shipped = load_taxonomy()
    behaviour = shipped.agree_for("theme", "human-behaviour")
    folds: list[Fold] = []
    for name, test_sets, commit in [*FOLDS, *LATER]:
        rows, gold = fold_rows(old_taxonomy(commit), test_sets)
        folds.append((name, rows, gold))
        print(f"fold {name:3s} ({len(gold)} items) read", flush=True)
    everyone = {name for name, _, _ in folds}
    groups = [
        (f"all {len(everyone)} folds", everyone),
        (f"the {len(GUIDE_ALONE)} guide-alone folds", GUIDE_ALONE),
        (f"the {len(everyone - GUIDE_ALONE)} earlier writers' folds", everyone - GUIDE_ALONE),
    ]
    print("\nEach cell: mean macro-F1 / mean weakest theme's precision / folds with P >= 0.80")
    print("\n1. A floor on a theme the models give alone, at `agree` 0.3 (human-behaviour 0.4):")
    print(f"  {'floor':22s}" + "".join(f"{label:>34s}" for label, _ in groups))
    for bar in BARS:
        per_fold = scores(folds, 0.3, 0.4, bar or 0.0)
        label = "none (0.43; hb 0.57)" if bar is None else f"{bar:.2f}"
        print(f"  {label:22s}" + "".join(f"{summary(per_fold, n):>34s}" for _, n in groups))
    print(f"\n2. `agree` and human-behaviour's own, with `model_alone` {shipped.model_alone}:")
    print(f"  {'agree, hb':22s}" + "".join(f"{label:>34s}" for label, _ in groups))
    for agree in AGREES:
        for hb in BEHAVIOUR_AGREES:
            per_fold = scores(folds, agree, hb, shipped.model_alone)
            label = f"{agree:g}, {hb:g}"
            if (agree, hb) == (shipped.agree, behaviour):
                label += " (shipped)"
            print(f"  {label:22s}" + "".join(f"{summary(per_fold, n):>34s}" for _, n in groups))


if __name__ == "__main__":
    main()
