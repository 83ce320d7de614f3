"""The `keywords` tagger: the taxonomy's weighted rules (see horizon.rules)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from horizon import hookimpl
from horizon.rules import RuleSet, Scored
from horizon.tagging import AutoTag, Doc, Tagger, TaggingContext
from horizon.taxonomy import Taxonomy

_COMPILED: dict[str, RuleSet] = {}


def digest(taxonomy: Taxonomy) -> str:
    """The taxonomy's digest (SHA-1 of its JSON), which names the rules' version."""
    return hashlib.sha1(taxonomy.model_dump_json().encode(), usedforsecurity=False).hexdigest()


def compiled(taxonomy: Taxonomy, key: str) -> RuleSet:
    """One compiled rule set per distinct taxonomy (`key`: its digest), reused across runs in
    a process."""
    if key not in _COMPILED:
        _COMPILED.clear()
        _COMPILED[key] = RuleSet(taxonomy)
    return _COMPILED[key]


class KeywordTagger(Tagger):
    name = "keywords"
    description = "Weighted terms, AND-groups, proximity and exclusions from the taxonomy."

    def prepare(self, context: TaggingContext) -> bool:
        self.taxonomy, self.digest = context.taxonomy, digest(context.taxonomy)
        self.version = f"{context.taxonomy.version}+{self.digest[:8]}"
        self._rules: RuleSet | None = None
        # Most items match no rule: a "no" for every theme, with no evidence (not stored). Those
        # tags are made once and shared (an AutoTag is never changed once made).
        self._silent = [AutoTag("theme", theme, 0.0, 0.0) for theme in context.taxonomy.themes]
        return True

    @property
    def rules(self) -> RuleSet:
        """The taxonomy compiled, when the first item is tagged (10 to 30 ms): a pull that
        finds nothing new, as most weekly pulls of most sources, compiles nothing."""
        if self._rules is None:
            self._rules = compiled(self.taxonomy, self.digest)
        return self._rules

    def tag(self, docs: Sequence[Doc]) -> list[list[AutoTag]]:
        return [self._tags(self.rules.score(doc.title, doc.text)) for doc in docs]

    def _tags(self, scored: Scored) -> list[AutoTag]:
        taxonomy = self.rules.taxonomy
        thresholds = self.rules.thresholds
        if scored.vetoed:
            # No development of any theme (a job advert ...): a final "no", which no model's
            # opinion overrides (TaggerSet.combine).
            veto = {"matches": [], "vetoed": scored.vetoed}
            return [
                AutoTag("theme", theme, 0.0, 0.0, veto, final=True) for theme in taxonomy.themes
            ]
        if not scored.matches and not scored.excluded:
            return self._silent.copy()  # no rule spoke to the item
        tags = []
        evidence: Any
        for theme in taxonomy.themes:  # every theme, so a silent rule set counts as a "no"
            score = scored.themes.get(theme, 0.0)
            # None when nothing matched or excluded for this theme: such a "no" is not stored.
            evidence = self._evidence(scored, theme)
            tags.append(
                AutoTag(
                    "theme", theme, score, _confidence(score, thresholds["themes"][theme]), evidence
                )
            )
        for kind, plural in (("topic", "topics"), ("fourp", "fourp")):
            for value, score in getattr(scored, plural).items():
                evidence = [_match(m) for m in scored.matches if m.owner == f"{kind}:{value}"]
                tags.append(
                    AutoTag(
                        kind, value, score, _confidence(score, thresholds[plural][value]), evidence
                    )
                )
        return tags

    def _evidence(self, scored: Scored, theme: str) -> dict[str, Any] | None:
        taxonomy = self.rules.taxonomy
        matches = []
        for match in scored.matches:
            kind, name = match.owner.split(":", 1)
            if (kind == "topic" and taxonomy.topics[name].theme == theme) or (
                kind == "theme" and name == theme
            ):
                matches.append(_match(match))
        excluded = {
            k: v
            for k, v in scored.excluded.items()
            if k == theme or (k in taxonomy.topics and taxonomy.topics[k].theme == theme)
        }
        if not matches and not excluded:
            return None
        evidence: dict[str, Any] = {"matches": matches}
        if excluded:
            evidence["excluded"] = excluded
        return evidence


def _confidence(score: float, threshold: float) -> float:
    """Rule scores mapped to 0..1 so that the threshold lands on 0.5."""
    return round(min(1.0, score / (2 * threshold)), 4)


def _match(match: Any) -> dict[str, Any]:
    kind, name = match.owner.split(":", 1)
    return {kind: name, "rule": match.rule + 1, "score": match.score, "terms": match.terms}


@hookimpl
def register_taggers(register: Callable[[Tagger], None]) -> None:
    register(KeywordTagger())
