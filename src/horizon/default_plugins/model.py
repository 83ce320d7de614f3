"""The `model` tagger: a classifier trained on analysts' decisions (`horizon tagger train`), and
the `seed` tagger: the same kind of classifier trained on horizon's own labelled sets, shipped
in the package (`data/seed-model.bin`, built by `python docs/build_seed_model.py`).

Both are supporting taggers: their probabilities are averaged and combined with the rules
(`TaggerSet.combine`). A model is loaded only when there are items to tag, so a pull with nothing
new pays nothing for it; tagging needs numpy alone (`horizon.ngrams`), and scikit-learn and
scipy are imported only to fit a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from horizon import hookimpl
from horizon.learn import ThemeModel, active_model_id, load_model, load_seed, seed_info
from horizon.tagging import AutoTag, Doc, Tagger, TaggingContext


class ModelTagger(Tagger):
    name = "model"
    description = "TF-IDF and logistic regression trained on analysts' theme decisions."
    role = "supporting"

    def __init__(self, model: ThemeModel | None = None, model_id: Any = 0) -> None:
        self.given = model  # a model handed in (tests, benchmarks) rather than the store's
        self.model = model
        self.model_id = model_id
        self._load: Callable[[], ThemeModel] | None = None

    def prepare(self, context: TaggingContext) -> bool:
        if self.given is not None:
            self.version = f"model-{self.model_id}"
            return True
        self.model = None  # the store's active model may have changed since the last run
        if context.db is None:
            return False
        model_id = active_model_id(context.db)
        if model_id is None:
            return False  # nothing trained yet
        db = context.db
        self.model_id, self.version = model_id, f"model-{model_id}"
        self._load = lambda: load_model(db, model_id)
        return True

    def loaded(self) -> ThemeModel:
        if self.model is None:
            assert self._load is not None, "prepare() first"
            self.model = self._load()
        return self.model

    def tag(self, docs: Sequence[Doc]) -> list[list[AutoTag]]:
        if not docs:
            return []
        model = self.loaded()
        matrix = model.features(docs)
        probabilities = model.probabilities(matrix)
        out = []
        known = matrix.reads()
        for row in range(len(docs)):
            tags = []
            reads = round(float(known[row]), 4)
            for theme, values in probabilities.items():
                p = float(values[row])
                evidence: dict[str, object] = {
                    "model": self.model_id,
                    "probability": round(p, 4),
                    "examples": model.examples,  # its weight among the models
                    "known_words": reads,  # its say shrinks below KNOWN_FULL (tagging.py)
                }
                if p >= 0.3:
                    evidence["because"] = model.explain(matrix, row, theme)
                tags.append(
                    AutoTag("theme", theme, p, p, evidence, weight=model.examples, reads=reads)
                )
            out.append(tags)
        return out


class SeedTagger(ModelTagger):
    name = "seed"
    description = "TF-IDF and logistic regression trained on horizon's labelled sets (shipped)."

    def prepare(self, context: TaggingContext) -> bool:
        info = seed_info()
        if info is None:
            return False  # a build without the seed model: the rules (and `model`) decide
        self.model_id = "seed"  # loaded once per process (load_seed is cached): it never changes
        self.version = f"seed-{info['digest'][:8]}"
        self._load = load_seed
        return True


@hookimpl
def register_taggers(register: Callable[[Tagger], None]) -> None:
    register(ModelTagger())
    register(SeedTagger())
