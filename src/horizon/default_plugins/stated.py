"""The `source` tagger: themes and topics a source type states with certainty (a legislative
procedure is legislation) become tags with that source as their evidence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from horizon import hookimpl
from horizon.config import THEME_IDS
from horizon.tagging import AutoTag, Doc, Tagger, TaggingContext


class StatedTagger(Tagger):
    name = "source"
    description = "Themes and topics the source type itself states (e.g. ep-procedures)."
    version = "1"

    def prepare(self, context: TaggingContext) -> bool:
        self.topics = set(context.taxonomy.topics)
        self.theme_of = {t: topic.theme for t, topic in context.taxonomy.topics.items()}
        return True

    def tag(self, docs: Sequence[Doc]) -> list[list[AutoTag]]:
        out = []
        for doc in docs:
            stated = doc.extra.get("tags") if doc.extra else None
            tags: list[AutoTag] = []
            if isinstance(stated, dict):
                evidence = {"stated_by": str(stated.get("by") or "the source")}
                topics = [t for t in stated.get("topics") or [] if t in self.topics]
                themes = {t for t in stated.get("themes") or [] if t in THEME_IDS}
                themes |= {self.theme_of[t] for t in topics}
                tags += [AutoTag("theme", t, 1.0, 1.0, evidence) for t in sorted(themes)]
                tags += [AutoTag("topic", t, 1.0, 1.0, evidence) for t in topics]
            out.append(tags)
        return out


@hookimpl
def register_taggers(register: Callable[[Tagger], None]) -> None:
    register(StatedTagger())
