"""How the rules and a model should be combined, measured on items the rules had not seen.

    python benchmarks/combination.py

Thirty folds, each with the rules as they were before its test set was first read (the shipped
taxonomy at that commit, from git history) and a model (horizon's TF-IDF + logistic regression)
trained on the sets written before it:

    A: test final (304 items), rules of 97059d7, model trained on dev + holdout + blind
    B: test blind (316 items), rules of 951d6d3, model trained on dev + holdout
    C: test extra-a + extra-b (320 items), rules of 8657b41 (never tuned on them), model
       trained on dev + holdout + blind + final
    D: test extra-c + extra-d + extra-e (480 items), rules of 8657b41 (before they were read),
       model trained on the six sets above (1,565)
    E: test extra-f + extra-g + extra-h (480 items), rules of b68c133 (before they were read),
       model trained on the nine sets above (2,045)
    F: test extra-i + extra-j + extra-k (458 items), rules of e4e3f91 (before they were read),
       model trained on the twelve sets above (2,525)
    G: test extra-l + extra-m + extra-n (400 items), rules of b01ea11 (before they were read),
       model trained on the fifteen sets above (2,983)
    H: test extra-o + extra-p + extra-q (362 items), rules of 3ec7da3 (before they were read),
       model trained on the eighteen sets above (3,383)
    I: test extra-r + extra-s + extra-t (402 items), rules of 8a2e8e3 (before they were read;
       the one mend made before they arrived moves none of them), model trained on the
       twenty-one sets above (3,745)
    J: test extra-u + extra-v + extra-w (363 items), rules of 08362f2 (before they were read),
       model trained on the twenty-four sets above (4,147)
    K: test extra-x + extra-y + extra-z (444 items), rules of de3d8c8 (before they were read),
       model trained on the twenty-seven sets above (4,510)
    L: test extra-aa + extra-ab + extra-ac (402 items), rules of b0b4262 (before they were
       read), model trained on the thirty sets above (4,954)
    M: test extra-ad + extra-ae + extra-af (438 items), rules of cda93f8 (before they were
       read), model trained on the thirty-three sets above (5,356)
    N: test extra-ag + extra-ah + extra-ai (441 items), rules of 9eadcb9 (held out until
       then), model trained on the thirty-six sets above (5,794)
    O: test extra-aj + extra-ak + extra-al (395 items), rules of 4c346a6 (before they were
       read), model trained on the thirty-nine sets above (6,235)
    P: test extra-am + extra-an + extra-ao (480 items), rules of 54e5fc8 (before they were
       read), model trained on the forty-two sets above (6,630)
    Q: test extra-ap + extra-aq + extra-ar (407 items), rules of f2a7219, model trained on the
       forty-five sets above (7,110)
    R: test extra-as + extra-at + extra-au (402 items), rules of 30c94df, model trained on the
       forty-eight sets above (7,517)
    S: test extra-av + extra-aw + extra-ax (375 items), rules of 8c10c6f, model trained on the
       fifty-one sets above (7,919)
    T: test extra-ay + extra-az + extra-ba (446 items), rules of 251b9c2, model trained on the
       fifty-four sets above (8,294)
    U: test extra-bb + extra-bc + extra-bd (375 items), rules of 251b9c2, model trained on the
       fifty-seven sets above (8,740)
    V: test extra-bg + extra-bh + extra-bi (480 items), rules of e37afd2, model trained on the
       sixty sets above (9,115)
    W to AD: the twentieth to twenty-seventh rounds (480 items each), each with the rules of
       the commit at which it was held out (FOLDS below), models trained on 9,595 to 12,955

For each: the rules alone, the model alone, the combination used before 2026-11-30 (the rules
decide; the model adds a theme at p >= 0.91 and vetoes a weak rule hit at p <= 0.1), the equal
mean of the two given at 0.3 (shipped until b68c133), the weighted mean as shipped (the model
weighing MODEL_WEIGHT, given at AGREE), and the weight and threshold that 5-fold
cross-validation on the training sets alone picks, and the shipped pair with the model's say
shrunk where it knows few of an item's words (`tagging.reading_share`, as `pull` combines them
since 2026-11-30's eighth session). Then the mean over the folds of every weight and threshold of
the grid, from which the shipped pair was chosen. Needs the git history (a clone); about
forty minutes.
"""

from __future__ import annotations

from collections.abc import Callable

from _corpus import labelled, old_taxonomy, rule_scores, sets_before

from horizon import learn
from horizon.config import THEME_IDS
from horizon.tagging import evaluate_predictions, mixed
from horizon.taxonomy import AGREE, MODEL_WEIGHT

# (fold, test sets, the commit whose rules had not read them); each fold's model is trained on
# every set written before its test sets (_corpus.sets_before).
FOLDS = [
    ("A", ["final"], "97059d7"),
    ("B", ["blind"], "951d6d3"),
    # The rules were not changed because of these two sets (they never saw them).
    ("C", ["extra-a", "extra-b"], "8657b41"),
    ("D", ["extra-c", "extra-d", "extra-e"], "8657b41"),
    ("E", ["extra-f", "extra-g", "extra-h"], "b68c133"),
    ("F", ["extra-i", "extra-j", "extra-k"], "e4e3f91"),
    ("G", ["extra-l", "extra-m", "extra-n"], "b01ea11"),
    ("H", ["extra-o", "extra-p", "extra-q"], "3ec7da3"),
    ("I", ["extra-r", "extra-s", "extra-t"], "8a2e8e3"),
    ("J", ["extra-u", "extra-v", "extra-w"], "08362f2"),
    ("K", ["extra-x", "extra-y", "extra-z"], "de3d8c8"),
    ("L", ["extra-aa", "extra-ab", "extra-ac"], "b0b4262"),
    ("M", ["extra-ad", "extra-ae", "extra-af"], "cda93f8"),
    ("N", ["extra-ag", "extra-ah", "extra-ai"], "9eadcb9"),
    ("O", ["extra-aj", "extra-ak", "extra-al"], "4c346a6"),
    ("P", ["extra-am", "extra-an", "extra-ao"], "54e5fc8"),
    ("Q", ["extra-ap", "extra-aq", "extra-ar"], "f2a7219"),
    ("R", ["extra-as", "extra-at", "extra-au"], "30c94df"),
    ("S", ["extra-av", "extra-aw", "extra-ax"], "8c10c6f"),
    ("T", ["extra-ay", "extra-az", "extra-ba"], "251b9c2"),
    # Written and held out in the tenth session of 2026-11-30, which began at 251b9c2.
    ("U", ["extra-bb", "extra-bc", "extra-bd"], "251b9c2"),
    ("V", ["extra-bg", "extra-bh", "extra-bi"], "e37afd2"),
    # Added in the twelfth session (2026-12-01): the twentieth to twenty-seventh rounds, each
    # with the rules of the commit at which it was held out; from Z on, labelled from the
    # guide alone.
    ("W", ["extra-bj", "extra-bk", "extra-bl"], "3822346"),
    ("X", ["extra-bm", "extra-bn", "extra-bo"], "7d87929"),
    ("Y", ["extra-bp", "extra-bq", "extra-br"], "d2e67d3"),
    ("Z", ["extra-bs", "extra-bt", "extra-bu"], "f2652a3"),
    ("AA", ["extra-bv", "extra-bw", "extra-bx"], "b1cc6b1"),
    ("AB", ["extra-by", "extra-bz", "extra-ca"], "9ca517e"),
    ("AC", ["extra-cb", "extra-cc", "extra-cd"], "5ffe14c"),
    ("AD", ["extra-ce", "extra-cf", "extra-cg"], "e78bbe2"),
]
GRID = [0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55]
WEIGHTS = [0.5, 0.6, 0.7, 0.8]  # the model's weight in the mean
Scores = list[dict[str, float]]  # per item: theme -> confidence or probability


def before(r: float, p: float) -> bool:
    """The combination used before 2026-11-30."""
    conf = max(r, p) if r > 0 else 0.55 * p
    if p <= 0.1 and r < 0.75:
        conf = min(conf, 0.49)
    return conf >= 0.5


def mean_at(threshold: float, weight: float = 0.5) -> Callable[[float, float], bool]:
    """Given where the mean of the rules' confidence and the model's probability, the model
    weighing `weight`, reaches the threshold (`tagging.mixed`, as `TaggerSet.combine`)."""
    return lambda r, p: mixed(r, p, weight=weight, agree=threshold) >= 0.5


def predict(rules: Scores, model: Scores, given: Callable[[float, float], bool]) -> list[set[str]]:
    return [
        {t for t in THEME_IDS if given(r.get(t, 0.0), p.get(t, 0.0))}
        for r, p in zip(rules, model, strict=True)
    ]


def macro(predicted: list[set[str]], gold: list[set[str]]) -> float:
    return evaluate_predictions(predicted, gold).macro_f1


def main() -> None:
    table: dict[tuple[float, float], list[float]] = {}
    shipped_reading: list[float] = []
    for name, test_sets, commit in FOLDS:
        train_sets = sets_before(test_sets[0])
        taxonomy = old_taxonomy(commit)
        train, test = labelled(train_sets), labelled(test_sets)
        gold = [labels for _, labels in test]
        # Weight and threshold, chosen on the training sets alone: out-of-fold probabilities.
        folds = learn.cross_validate(train)
        train_rules = rule_scores(taxonomy, [train[i][0] for i, _ in folds])
        train_gold = [train[i][1] for i, _ in folds]
        train_model = [probs for _, probs in folds]
        chosen = max(
            ((w, t) for w in WEIGHTS for t in GRID),
            key=lambda c: macro(predict(train_rules, train_model, mean_at(c[1], c[0])), train_gold),
        )
        model = learn.fit(train)
        docs = [doc for doc, _ in test]
        rules = rule_scores(taxonomy, docs)
        matrix = model.features(docs)
        probs = model.probabilities(matrix)
        scores = [{t: float(v[i]) for t, v in probs.items()} for i in range(len(docs))]
        known = matrix.reads()
        by_reading = [
            {t for t in THEME_IDS if mixed(r.get(t, 0.0), p.get(t, 0.0), k) >= 0.5}
            for r, p, k in zip(rules, scores, known, strict=True)
        ]
        shipped_reading.append(macro(by_reading, gold))
        rows = [
            ("rules alone", predict(rules, scores, lambda r, p: r >= 0.5)),
            ("model alone", predict(rules, scores, lambda r, p: p >= 0.5)),
            ("before: add at 0.91, veto at 0.1", predict(rules, scores, before)),
            ("equal mean at 0.3 (to b68c133)", predict(rules, scores, mean_at(0.3))),
            (
                f"model {MODEL_WEIGHT} at {AGREE} (shipped)",
                predict(rules, scores, mean_at(AGREE, MODEL_WEIGHT)),
            ),
            (
                f"model {chosen[0]} at {chosen[1]} (CV, training)",
                predict(rules, scores, mean_at(chosen[1], chosen[0])),
            ),
            ("shipped, say by the words it knows", by_reading),
        ]
        print(
            f"\nFold {name}: test {' + '.join(test_sets)} ({len(test)}), rules of {commit}, "
            f"model on {' + '.join(train_sets)} ({len(train)})"
        )
        for label, predicted in rows:
            result = evaluate_predictions(predicted, gold)
            per = " ".join(
                f"{t[:4]} P{v['precision']:.2f} R{v['recall']:.2f}"
                for t, v in result.per_theme.items()
            )
            print(f"  {label:34s} macro-F1 {result.macro_f1:.3f}   {per}")
        for w in WEIGHTS:
            for t in GRID:
                table.setdefault((w, t), []).append(
                    macro(predict(rules, scores, mean_at(t, w)), gold)
                )
    print(f"\nMean macro-F1 over the {len(FOLDS)} folds, by the model's weight and the threshold:")
    print("  weight " + "".join(f"{t:>7.2f}" for t in GRID))
    for w in WEIGHTS:
        print(f"  {w:6.1f} " + "".join(f"{sum(table[(w, t)]) / len(FOLDS):7.3f}" for t in GRID))
    print(
        f"  the shipped pair with the model's say by the words it knows: "
        f"{sum(shipped_reading) / len(FOLDS):.3f}"
    )


if __name__ == "__main__":
    main()
