"""What more labelled data adds to the seed model, measured on items the model did not see.

    python benchmarks/more_data.py      # about 30 s

Each set written in one round (extra-c, -d and -e) is tested with a model trained on the six
older sets alone, and with one trained on those and the round's two other sets; the fresh set
with a model trained on the six older sets, and on all nine. The rules are today's (they have
learned from the newer sets, but not from the fresh set), combined with the model at the shipped
AGREE, as `pull` does.
"""

from __future__ import annotations

from pathlib import Path

from horizon import learn
from horizon.config import THEME_IDS
from horizon.default_plugins.keywords import KeywordTagger
from horizon.tagging import AGREE, Doc, TaggingContext, evaluate_predictions, read_jsonl
from horizon.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OLDER = ["dev", "holdout", "blind", "final", "extra-a", "extra-b"]
ROUND = ["extra-c", "extra-d", "extra-e"]

Examples = list[tuple[Doc, set[str]]]


def load(names: list[str]) -> Examples:
    return [
        pair for name in names for pair in read_jsonl(DATA / f"tagging-{name}.jsonl", labelled=True)
    ]


def predict(rules: KeywordTagger, model: learn.ThemeModel, docs: list[Doc]) -> list[set[str]]:
    """The rules' confidence and the model's probability averaged, given at AGREE."""
    probs = model.probabilities(model.features(docs))
    out = []
    for i, tags in enumerate(rules.tag(docs)):
        confidence = {t.value: t.confidence for t in tags if t.kind == "theme"}
        out.append(
            {t for t in THEME_IDS if (confidence.get(t, 0.0) + float(probs[t][i])) / 2 >= AGREE}
        )
    return out


def main() -> None:
    rules = KeywordTagger()
    rules.prepare(TaggingContext(load_taxonomy()))
    cases = [(name, [name], [n for n in ROUND if n != name]) for name in ROUND]
    cases.append(("fresh", ["fresh"], ROUND))
    older = learn.fit(load(OLDER))
    pooled: dict[str, list[set[str]]] = {"older": [], "more": []}
    pooled_gold: list[set[str]] = []
    print(f"rules + model at AGREE {AGREE}, macro-F1 (the model trained on ...)")
    for name, test_sets, added in cases:
        test = load(test_sets)
        docs, gold = [d for d, _ in test], [g for _, g in test]
        more = learn.fit(load(OLDER + added))
        small, large = predict(rules, older, docs), predict(rules, more, docs)
        print(
            f"  {name:8s} ({len(test)}): six older sets "
            f"{evaluate_predictions(small, gold).macro_f1:.3f}   "
            f"+ {' + '.join(added)} {evaluate_predictions(large, gold).macro_f1:.3f}"
        )
        if name in ROUND:
            pooled["older"] += small
            pooled["more"] += large
            pooled_gold += gold
    print(
        f"  the round pooled ({len(pooled_gold)}): "
        f"{evaluate_predictions(pooled['older'], pooled_gold).macro_f1:.3f} -> "
        f"{evaluate_predictions(pooled['more'], pooled_gold).macro_f1:.3f}"
    )


if __name__ == "__main__":
    main()
