"""Should a theme the model gives alone (no rule term for it at all) need a higher probability?

    python benchmarks/model_alone.py

Without a floor of its own, a model alone adds a theme at a probability of 0.43 (human-
behaviour, asking for more agreement, at 0.57). Most errors of the rounds labelled from the
guide alone are such themes: laws outside the domain, operations against other crime,
children's screen time. This measures a floor on the model's probability where the rules have
no term for the theme (the taxonomy's `model_alone`, shipped at 0.5 since it was measured), over
the folds of `combination.py` (thirty, A to AD) and the rounds since (AE to AK, the
twenty-eighth to thirty-fourth), each with the rules of the commit at which it was held out
and a model trained on the sets written before it. The combination is otherwise as shipped:
the model's weight and each theme's `agree` from the shipped taxonomy, its say shrunk where it
knows few of an item's words, and the rules' vetoes final. About six minutes.
"""

from __future__ import annotations

from _corpus import labelled, old_taxonomy, sets_before
from combination import FOLDS

from horizon import learn
from horizon.config import THEME_IDS
from horizon.default_plugins.keywords import KeywordTagger
from horizon.tagging import TaggingContext, evaluate_predictions, mixed
from horizon.taxonomy import MODEL_ALONE, Taxonomy, load_taxonomy

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
]
# From fold Z on, the rounds were labelled from the guide alone (docs/taxonomy.md).
GUIDE_ALONE = ["Z", "AA", "AB", "AC", "AD"] + [name for name, _, _ in LATER]
BARS = [None, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8]  # None: no floor of its own
Row = tuple[dict[str, float], set[str], dict[str, float], float]  # rules, vetoed, model, known


def fold_rows(taxonomy: Taxonomy, test_sets: list[str]) -> tuple[list[Row], list[set[str]]]:
    """Per test item: the rules' confidence per theme, the themes they veto, the model's
    probabilities and the share of the item's words the model knows."""
    train, test = labelled(sets_before(test_sets[0])), labelled(test_sets)
    docs = [doc for doc, _ in test]
    keywords = KeywordTagger()
    keywords.prepare(TaggingContext(taxonomy))
    model = learn.fit(train)
    matrix = model.features(docs)
    probs = model.probabilities(matrix)
    rows: list[Row] = []
    for i, (tags, known) in enumerate(zip(keywords.tag(docs), matrix.reads(), strict=True)):
        themes = [t for t in tags if t.kind == "theme"]
        rules = {t.value: t.confidence for t in themes}
        vetoed = {t.value for t in themes if t.final}
        rows.append((rules, vetoed, {t: float(v[i]) for t, v in probs.items()}, known))
    return rows, [labels for _, labels in test]


def predict(rows: list[Row], shipped: Taxonomy, bar: float | None) -> list[set[str]]:
    out = []
    for rules, vetoed, probs, known in rows:
        given = set()
        for theme in THEME_IDS:
            r, p = rules.get(theme, 0.0), probs.get(theme, 0.0)
            if theme in vetoed:
                continue
            agree = shipped.agree_for("theme", theme)
            if mixed(r, p, known, shipped.model_weight, agree, bar or 0.0) >= 0.5:
                given.add(theme)
        out.append(given)
    return out


def main() -> None:
    shipped = load_taxonomy()
    folds = [*FOLDS, *LATER]
    # bar -> per fold: (fold, macro-F1, the weakest theme's precision)
    results: dict[float | None, list[tuple[str, float, float]]] = {bar: [] for bar in BARS}
    for name, test_sets, commit in folds:
        rows, gold = fold_rows(old_taxonomy(commit), test_sets)
        line = []
        for bar in BARS:
            result = evaluate_predictions(predict(rows, shipped, bar), gold)
            weakest = min(v["precision"] for v in result.per_theme.values())
            results[bar].append((name, result.macro_f1, weakest))
            line.append(f"{result.macro_f1:.3f}/{weakest:.2f}")
        print(f"fold {name:3s} ({len(gold)} items): " + "  ".join(line), flush=True)
    print("\nmacro-F1 / weakest theme's precision per bar: " + ", ".join(map(str, BARS)))

    def summary(label: str, names: set[str]) -> None:
        print(f"\n{label} ({len(names)} folds)")
        print("  bar on the model alone     mean macro-F1  mean weakest precision  folds P>=0.80")
        for bar in BARS:
            chosen = [(m, w) for f, m, w in results[bar] if f in names]
            macro = sum(m for m, _ in chosen) / len(chosen)
            weakest = sum(w for _, w in chosen) / len(chosen)
            clear = sum(w >= 0.8 for _, w in chosen)
            label_bar = "none (0.43; hb 0.57)" if bar is None else f"{bar:.2f}"
            if bar == MODEL_ALONE:
                label_bar += " (shipped)"
            print(f"  {label_bar:26s} {macro:13.3f}  {weakest:22.3f}  {clear:13d}")

    summary("All folds", {name for name, _, _ in folds})
    summary("Folds labelled from the guide alone", set(GUIDE_ALONE))
    summary("Earlier writers' folds", {name for name, _, _ in folds} - set(GUIDE_ALONE))


if __name__ == "__main__":
    main()
