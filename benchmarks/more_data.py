"""What more labelled data adds to the seed model, measured on items the model did not see.

    python benchmarks/more_data.py      # about four minutes

The labelled sets were written in rounds: six older sets, then extra-c, -d and -e, then extra-f,
-g and -h, then extra-i, -j and -k, then extra-l, -m and -n, then extra-o, -p and -q, then
extra-r, -s and -t, then extra-u, -v and -w (all in the seed model now), then extra-x, -y and
-z, extra-aa, -ab and -ac, extra-ad, -ae and -af, extra-ag, -ah and -ai, and extra-aj, -ak and
-al (not in it: none of the five improved the fresh set or its own sets by more than noise).
For each later round, each of its sets is tested with a model trained on the sets before the
round, and with one trained on those and the round's two other sets; the fresh set (in no
model) with a model trained on the sets before the round, and on those and the whole round.
The rules are today's (they have learned from every round here, not from the fresh set),
combined with the model as `pull` combines them (the shipped weight and AGREE).
"""

from __future__ import annotations

from _corpus import OLDER, ROUNDS, labelled, set_path

from horizon import learn
from horizon.default_plugins.keywords import KeywordTagger
from horizon.default_plugins.model import ModelTagger
from horizon.tagging import (
    AGREE,
    MODEL_WEIGHT,
    Doc,
    TaggerSet,
    TaggingContext,
    evaluate_predictions,
)
from horizon.taxonomy import load_taxonomy


def predict(rules: KeywordTagger, model: learn.ThemeModel, docs: list[Doc]) -> list[set[str]]:
    """The themes the rules and the model give together, as `pull` combines them."""
    tagger = ModelTagger(model)
    tagger.prepare(TaggingContext(rules.rules.taxonomy))
    return [
        set(v.assigned("theme")) for v in TaggerSet([rules, tagger], rules.rules.taxonomy).run(docs)
    ]


def main() -> None:
    rules = KeywordTagger()
    rules.prepare(TaggingContext(load_taxonomy()))
    before = list(OLDER)
    print(
        f"rules + model (model weight {MODEL_WEIGHT}, AGREE {AGREE}), macro-F1 "
        "(the model trained on ...)"
    )
    for round_ in ROUNDS:
        if not all(set_path(name).exists() for name in round_):
            break
        print(f"round {' + '.join(round_)}, after {len(before)} sets:")
        cases = [(name, [name], [n for n in round_ if n != name]) for name in round_]
        cases.append(("fresh", ["fresh"], round_))
        older = learn.fit(labelled(before))
        pooled: dict[str, list[set[str]]] = {"before": [], "more": []}
        pooled_gold: list[set[str]] = []
        for name, test_sets, added in cases:
            test = labelled(test_sets)
            docs, gold = [d for d, _ in test], [g for _, g in test]
            more = learn.fit(labelled(before + added))
            small, large = predict(rules, older, docs), predict(rules, more, docs)
            print(
                f"  {name:8s} ({len(test)}): the sets before "
                f"{evaluate_predictions(small, gold).macro_f1:.3f}   "
                f"+ {' + '.join(added)} {evaluate_predictions(large, gold).macro_f1:.3f}"
            )
            if name in round_:
                pooled["before"] += small
                pooled["more"] += large
                pooled_gold += gold
        print(
            f"  the round pooled ({len(pooled_gold)}): "
            f"{evaluate_predictions(pooled['before'], pooled_gold).macro_f1:.3f} -> "
            f"{evaluate_predictions(pooled['more'], pooled_gold).macro_f1:.3f}"
        )
        before += round_


if __name__ == "__main__":
    main()
