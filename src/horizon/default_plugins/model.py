"""The `model` tagger: a classifier trained on analysts' decisions (`horizon tagger train`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from horizon import hookimpl
from horizon.learn import ThemeModel, load_active
from horizon.tagging import AutoTag, Doc, Tagger, TaggingContext


class ModelTagger(Tagger):
    name = "model"
    description = "TF-IDF and logistic regression trained on analysts' theme decisions."
    role = "supporting"

    def __init__(self, model: ThemeModel | None = None, model_id: int = 0) -> None:
        self.model = model
        self.model_id = model_id

    def prepare(self, context: TaggingContext) -> bool:
        if self.model is None:
            if context.db is None:
                return False
            loaded = load_active(context.db)
            if loaded is None:
                return False  # nothing trained yet: the rules decide alone
            self.model_id, self.model = loaded
        self.version = f"model-{self.model_id}"
        return True

    def tag(self, docs: Sequence[Doc]) -> list[list[AutoTag]]:
        assert self.model is not None
        if not docs:
            return []
        matrix = self.model.features(docs)
        probabilities = self.model.probabilities(matrix)
        out = []
        for row in range(len(docs)):
            tags = []
            for theme, values in probabilities.items():
                p = float(values[row])
                evidence: dict[str, object] = {"model": self.model_id, "probability": round(p, 4)}
                if p >= 0.3:
                    evidence["because"] = self.model.explain(matrix, row, theme)
                tags.append(AutoTag("theme", theme, p, p, evidence))
            out.append(tags)
        return out


@hookimpl
def register_taggers(register: Callable[[Tagger], None]) -> None:
    register(ModelTagger())
