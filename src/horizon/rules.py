"""The rule engine behind the `keywords` tagger: every term of the taxonomy in one Aho-Corasick
automaton, matched once over an item's folded title and text; rules scored from the hits.

Text and terms are folded the same way: case-folded, accents removed, every run of
non-alphanumerics made one space. A term is a word or phrase matched on word boundaries;
`encrypt*` also matches longer words (prefix), `*missbrauch` and `*darstellung*` match inside
compounds.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick_rs

from horizon.taxonomy import Rule, Taxonomy

_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(b"  +")
SEPARATOR = " . "  # between title and text: no phrase can span it


def _accent_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Latin letters with accents, and Greek ones with their tonos or breathings (which writers
    # of Greek often leave off): the letter without them.
    for code in [*range(0xC0, 0x250), *range(0x370, 0x400), *range(0x1F00, 0x2000)]:
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char:
            table[code] = base.casefold()
    table.update(
        {
            ord("ß"): "ss",
            ord("æ"): "ae",
            ord("œ"): "oe",
            ord("ø"): "o",
            ord("đ"): "d",
            ord("ł"): "l",
            ord("þ"): "th",
        }
    )
    return table


_ACCENTS = _accent_table()


# Most text is folded with one bytes.translate: lower-case letters and digits kept, every other
# byte a space. Latin text with accents goes through NFKD first; text in other scripts (where
# that would drop most letters) takes the slower Unicode path.
_ASCII_TABLE = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32
    for c in range(256)
)
_SPECIAL = {
    "ß": "ss",
    "ẞ": "ss",
    "æ": "ae",
    "Æ": "ae",
    "œ": "oe",
    "Œ": "oe",
    "ø": "o",
    "Ø": "o",
    "ł": "l",
    "Ł": "l",
    "đ": "d",
    "Đ": "d",
    "þ": "th",
    "ı": "i",
}

_PUNCTUATION = (
    "\u2019",
    "\u2018",
    "\u201c",
    "\u201d",
    "\u201e",
    "\u2014",
    "\u2013",
    "\u2026",
    "\u00ab",
    "\u00bb",
    "\u00a0",
    "\u2022",
    "\u00b7",
    "\u2032",
    "\u2010",
    "\u2011",
    "\u202f",
    "\u2009",
    "\u00bf",
    "\u00a1",
)

# A text whose letters keep less than this share of it once accents are dropped is mostly in
# another script, whose letters `fold` keeps.
LATIN_SHARE = 0.9
_REPLACE = {**_SPECIAL, **dict.fromkeys(_PUNCTUATION, " ")}
_REPLACE_RE = re.compile("[" + "".join(_REPLACE) + "]")
_LATIN_RE = re.compile("[\u00c0-\u024f\u0370-\u03ff\u1f00-\u1fff]")


def _replace(match: re.Match[str]) -> str:
    return _REPLACE[match.group(0)]


def _unaccent(match: re.Match[str]) -> str:
    return _ACCENTS.get(ord(match.group(0)), match.group(0))


def fold(text: str) -> str:
    """Case-folded, accent-free, punctuation as single spaces: how text and terms are compared."""
    if text.isascii():
        data = text.encode("ascii")
    else:
        # Letters NFKD leaves whole (ß, ø, ł ...) are spelled out, and punctuation outside ASCII
        # (quotes, dashes, spaces) becomes a space rather than vanishing: one scan of the text.
        text = _REPLACE_RE.sub(_replace, text)
        if text.isascii():  # only quotes, dashes and the like were outside ASCII
            data = text.encode("ascii")
        else:
            data = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
        if len(data) < LATIN_SHARE * len(text):
            # Mostly another script, whose letters encoding to ASCII would drop: keep them
            # (composed, with compatibility forms such as full-width letters folded), and take
            # the accents off the Latin and Greek letters among them.
            folded = _LATIN_RE.sub(_unaccent, unicodedata.normalize("NFKC", text.casefold()))
            return _NON_WORD.sub(" ", folded).strip()
    # Only lower-case letters, digits and spaces are left: runs of spaces made one.
    return _SPACES.sub(b" ", data.translate(_ASCII_TABLE)).strip().decode("ascii")


# The ASCII table, but a newline stays a newline: texts folded together stay apart.
_ASCII_LINES = _ASCII_TABLE[:10] + b"\n" + _ASCII_TABLE[11:]


def fold_words(texts: Sequence[str]) -> list[list[str]]:
    """`fold(text).split()` for each text (the same words), for many texts at once: each step
    of `fold` runs once over all of them joined by newlines (which no step changes), instead
    of once per text. A digest at a million items folds 60,000 titles."""
    out: list[list[str]] = [[] for _ in texts]
    plain: list[int] = []
    other: list[int] = []
    for i, text in enumerate(texts):
        if "\n" in text:
            out[i] = fold(text).split()
        else:
            (plain if text.isascii() else other).append(i)
    encoded = {i: texts[i].encode("ascii") for i in plain}
    if other:
        replaced = _REPLACE_RE.sub(_replace, "\n".join([texts[i] for i in other]))
        lengths = [len(text) for text in replaced.split("\n")]
        decomposed = unicodedata.normalize("NFKD", replaced).split("\n")
        for i, length, text in zip(other, lengths, decomposed, strict=True):
            data = text.encode("ascii", "ignore")
            if len(data) < LATIN_SHARE * length:  # mostly another script: see fold
                out[i] = fold(texts[i]).split()
            else:
                encoded[i] = data
    if encoded:
        lines = b"\n".join(encoded.values()).translate(_ASCII_LINES).decode("ascii")
        for i, line in zip(encoded, lines.split("\n"), strict=True):
            out[i] = line.split()
    return out


class Hit(NamedTuple):
    term: int
    field: str  # "title" or "text"
    start: int  # character offset in the folded document


@dataclass
class CompiledRule:
    owner: str  # "topic:encryption", "theme:legislation", "fourp:pursue"
    index: int
    groups: tuple[frozenset[int], ...]
    near: int | None
    weight: float
    title_only: bool
    unless: frozenset[int]


@dataclass
class Match:
    """Why one rule fired: the terms that satisfied each of its groups."""

    owner: str
    rule: int
    score: float
    terms: list[dict[str, Any]]


class Scored:
    """The keyword tagger's verdict on one item (a plain class: one is made for every item)."""

    __slots__ = ("excluded", "fourp", "matches", "themes", "topics", "vetoed")

    def __init__(self) -> None:
        self.themes: dict[str, float] = {}
        self.topics: dict[str, float] = {}
        self.fourp: dict[str, float] = {}
        self.matches: list[Match] = []
        self.excluded: dict[str, list[str]] = {}
        # The terms of the taxonomy's `vetoes` found: then no theme at all, whatever matched.
        self.vetoed: list[str] = []


class RuleSet:
    """A taxonomy compiled for matching."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._keys: dict[str, int] = {}
        self._term_ids: dict[str, int | None] = {}
        self.labels: list[str] = []
        self.rules: list[CompiledRule] = []
        self.trigger: dict[int, list[int]] = {}
        excludes: dict[str, frozenset[int]] = {}
        self.thresholds: dict[str, dict[str, float]] = {"themes": {}, "topics": {}, "fourp": {}}
        default = taxonomy.threshold
        for name, topic in taxonomy.topics.items():
            self._add_rules(f"topic:{name}", topic.rules)
            excludes[f"topic:{name}"] = self._group(topic.exclude)
            self.thresholds["topics"][name] = topic.threshold or default
        for name, theme in taxonomy.themes.items():
            self._add_rules(f"theme:{name}", theme.rules)
            excludes[f"theme:{name}"] = self._group(theme.exclude)
            self.thresholds["themes"][name] = theme.threshold or default
        for name, lens in taxonomy.fourp.items():
            self._add_rules(f"fourp:{name}", lens.rules)
            self.thresholds["fourp"][name] = lens.threshold or default
        # Only the topics and themes that have exclusions are checked for them, per document.
        self.excludes = {owner: terms for owner, terms in excludes.items() if terms}
        self._any_exclude = frozenset().union(*self.excludes.values())
        # Phrases whose words never count on their own ("law" in "law enforcement").
        self.ignore = self._group(taxonomy.ignore)
        self.vetoes = self._group([f"@{name}" for name in taxonomy.vetoes])
        # The length of each term's key, by term id.
        self._lengths: list[int] = [0] * len(self.labels)
        for key, term_id in self._keys.items():
            self._lengths[term_id] = len(key)
        # Term ids are assigned in the order keys are first seen, so the automaton's pattern
        # index is the term id.
        self.automaton = (
            ahocorasick_rs.AhoCorasick(
                list(self._keys), implementation=ahocorasick_rs.Implementation.ContiguousNFA
            )
            if self._keys
            else None
        )

    # -- compiling -------------------------------------------------------------------------
    def _expand(self, terms: list[str], seen: frozenset[str] = frozenset()) -> list[str]:
        out: list[str] = []
        for term in terms:
            if term.startswith("@"):
                name = term[1:]
                if name in seen:
                    continue  # a set that includes itself: ignore the cycle
                out.extend(self._expand(self.taxonomy.sets.get(name, []), seen | {name}))
            else:
                out.append(term)
        return out

    def _term_id(self, term: str) -> int | None:
        if term in self._term_ids:  # sets are named by many rules: fold each term once
            return self._term_ids[term]
        found = self._term_ids[term] = self._new_term_id(term)
        return found

    def _new_term_id(self, term: str) -> int | None:
        prefix = term.endswith("*")
        infix_left = term.startswith("*")
        core = fold(term.strip("*"))
        if not core:
            return None
        key = ("" if infix_left else " ") + core + ("" if prefix else " ")
        if key not in self._keys:
            self._keys[key] = len(self.labels)
            self.labels.append(term)
        return self._keys[key]

    def _group(self, terms: list[str]) -> frozenset[int]:
        ids = (self._term_id(t) for t in self._expand(terms))
        return frozenset(i for i in ids if i is not None)

    def _add_rules(self, owner: str, rules: list[Rule]) -> None:
        for index, rule in enumerate(rules):
            groups = [self._group(rule.terms)]
            for group in rule.and_:
                groups.append(self._group([group] if isinstance(group, str) else group))
            compiled = CompiledRule(
                owner,
                index,
                tuple(groups),
                rule.near,
                rule.weight,
                rule.title,
                self._group(rule.unless),
            )
            position = len(self.rules)
            self.rules.append(compiled)
            for term_id in groups[0]:
                self.trigger.setdefault(term_id, []).append(position)

    # -- matching --------------------------------------------------------------------------
    def document(self, title: str, text: str) -> tuple[str, int]:
        """The folded document that is matched, and where the title ends in it."""
        folded_title = fold(title)
        body = fold(text[: self.taxonomy.text_chars]) if text else ""
        doc = " " + folded_title + SEPARATOR + body + " "
        return doc, len(folded_title) + 1

    def hits(self, title: str, text: str) -> tuple[dict[int, list[int]], str, int]:
        """Where each term matched: term id -> start offsets in the folded document."""
        doc, title_end = self.document(title, text)
        found: dict[int, list[int]] = {}
        masks: list[tuple[int, int]] = []
        ignore = self.ignore
        automaton = self.automaton
        matches = automaton.find_matches_as_indexes(doc, overlapping=True) if automaton else ()
        for term_id, start, end in matches:
            if term_id in ignore:
                masks.append((start, end - 1))  # inclusive, as _unmasked compares
            elif term_id in found:
                found[term_id].append(start)
            else:
                found[term_id] = [start]
        if masks:
            found = self._unmasked(found, masks)
        return found, doc, title_end

    def _unmasked(
        self, found: dict[int, list[int]], masks: list[tuple[int, int]]
    ) -> dict[int, list[int]]:
        kept: dict[int, list[int]] = {}
        for term_id, starts in found.items():
            length = self._lengths[term_id]
            for start in starts:
                end = start + length - 1
                if not any(m_start <= start and end <= m_end for m_start, m_end in masks):
                    kept.setdefault(term_id, []).append(start)
        return kept

    def score(self, title: str, text: str) -> Scored:
        """Score every topic, theme and 4P lens for one item."""
        found, doc, title_end = self.hits(title, text)
        result = Scored()
        if not found:
            return result
        if not self.vetoes.isdisjoint(found):
            result.vetoed = sorted(self.labels[t] for t in self.vetoes.intersection(found))
            return result
        trigger = self.trigger
        candidates = sorted(
            {r for term_id in found if term_id in trigger for r in trigger[term_id]}
        )
        if not candidates:
            return result
        lengths = self._lengths
        positions: list[int] | None = None
        vetoed: set[str] = set()
        if not self._any_exclude.isdisjoint(found):
            for owner, terms in self.excludes.items():
                hit = terms.intersection(found)
                if hit:
                    vetoed.add(owner)
                    result.excluded[owner.split(":", 1)[1]] = sorted(self.labels[t] for t in hit)
        for position in candidates:
            rule = self.rules[position]
            if rule.owner in vetoed or (rule.unless and not rule.unless.isdisjoint(found)):
                continue
            chosen: list[list[Hit]] = []
            for group in rule.groups:
                present = group.intersection(found)
                if not present:
                    break
                group_hits = [
                    Hit(t, "title" if s < title_end else "text", s)
                    for t in present
                    for s in found[t]
                ]
                if rule.title_only:
                    group_hits = [h for h in group_hits if h.field == "title"]
                if chosen:
                    # Another group must be met by other words, not the same phrase again.
                    group_hits = [
                        h
                        for h in group_hits
                        if any(not _overlap(h, first, lengths) for first in chosen[0])
                    ]
                if not group_hits:
                    break
                chosen.append(group_hits)
            else:
                if rule.near is not None and len(chosen) > 1:
                    if positions is None:
                        positions = [m.start() for m in re.finditer(" ", doc)]
                    if not _within(chosen, rule.near, positions):
                        continue
                self._credit(result, rule, chosen, doc)
        for name, value in result.topics.items():
            theme = self.taxonomy.topics[name].theme
            if f"theme:{theme}" not in vetoed:
                result.themes[theme] = result.themes.get(theme, 0.0) + value
        return result

    def _credit(
        self, result: Scored, rule: CompiledRule, chosen: list[list[Hit]], doc: str
    ) -> None:
        score = rule.weight
        if any(h.field == "title" for h in chosen[0]):
            score += self.taxonomy.title_bonus
        kind, name = rule.owner.split(":", 1)
        bucket = {"topic": result.topics, "theme": result.themes, "fourp": result.fourp}[kind]
        bucket[name] = bucket.get(name, 0.0) + score
        terms = []
        for hit in _first_per_group(chosen, self._lengths, self.labels):
            length = self._lengths[hit.term]
            terms.append(
                {
                    "term": self.labels[hit.term],
                    "field": hit.field,
                    "text": doc[hit.start : hit.start + length].strip(),
                }
            )
        result.matches.append(Match(rule.owner, rule.index, score, terms))


def _overlap(a: Hit, b: Hit, lengths: list[int]) -> bool:
    return a.start < b.start + lengths[b.term] - 1 and b.start < a.start + lengths[a.term] - 1


def _within(groups: list[list[Hit]], near: int, positions: list[int]) -> bool:
    """True when one hit of every group falls inside a window of `near` words."""
    tagged = sorted(
        (bisect.bisect_right(positions, h.start), g) for g, hits in enumerate(groups) for h in hits
    )
    need = len(groups)
    counts: dict[int, int] = {}
    left = 0
    for word, group in tagged:
        counts[group] = counts.get(group, 0) + 1
        while tagged[left][0] < word - near:
            old = tagged[left][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        if len(counts) == need:
            return True
    return False


def _first_per_group(groups: list[list[Hit]], lengths: list[int], labels: list[str]) -> list[Hit]:
    """Each group's evidence: its first hit, the title's before the text's. Of terms that
    match at the same place, the longest (the most specific), then the first by name: the
    evidence does not depend on the order of the terms in the taxonomy, which any edit to it
    renumbers."""
    return [
        min(hits, key=lambda h: (h.field != "title", h.start, -lengths[h.term], labels[h.term]))
        for hits in groups
    ]
