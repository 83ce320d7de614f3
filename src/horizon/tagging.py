"""Apply the taggers to items, combine their verdicts, and store every tag with its evidence.

Each tagger (the `keywords` rules, the trained `model`, or a plugin's) gives, per item, a score,
a confidence in [0, 1] and evidence for each theme, topic or 4P lens it has an opinion on.
`TaggerSet.combine` turns them into one confidence per tag, assigned at 0.5 or more. An
analyst's decision (the `reviews` table) always wins over the automatic one and is never
overwritten by re-tagging. The 4P lens is applied to identified trends only: an item whose
effective themes (the analyst's if they decided, else the automatic ones) are empty has no
automatic 4P (`lens`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlite_utils import Database

from horizon.config import THEME_IDS
from horizon.db import transaction
from horizon.errors import UsageError
from horizon.taxonomy import AGREE, MODEL_ALONE, MODEL_WEIGHT, Taxonomy
from horizon.textutil import iso, utcnow

KINDS = ("theme", "topic", "fourp")
COMBINED = "combined"  # the auto_tags rows holding the combined automatic decision
EVIDENCE_FLOOR = 0.05  # under this combined confidence, a theme's evidence is not stored
BATCH = 500


@dataclass
class Doc:
    """What a tagger sees of an item."""

    id: Any
    title: str
    text: str
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # what the source type stored with it


@dataclass
class AutoTag:
    """One tagger's opinion of one tag for one item."""

    kind: str  # theme, topic, fourp
    value: str
    score: float
    confidence: float  # 0..1; 0.5 is the tagger's own threshold
    evidence: Any = None
    # How much this opinion counts among the supporting taggers' (a model: the examples it
    # learned from); the primary taggers' strongest opinion counts whatever its weight.
    weight: float = 1.0
    # The share of the item's words the tagger knows (a model: its vocabulary's). A model that
    # cannot read an item (a language it never learned from) has less say: see combine.
    reads: float = 1.0
    # A primary tagger's "no" that no model overrides (the taxonomy's `vetoes`: a job advert).
    final: bool = False

    @property
    def assigned(self) -> bool:
        return self.confidence >= 0.5


@dataclass
class TaggingContext:
    taxonomy: Taxonomy
    db: Database | None = None


class Tagger:
    """A way of tagging items, registered with `register_taggers`.

    `prepare` is called once before tagging (return False to sit this run out, e.g. no model
    has been trained yet); `tag` returns one list of AutoTag per document, in order.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    role: ClassVar[str] = "primary"  # primary (rules) or supporting (a learned model)
    version: str = ""

    def prepare(self, context: TaggingContext) -> bool:
        return True

    def tag(self, docs: Sequence[Doc]) -> list[list[AutoTag]]:
        raise NotImplementedError


@dataclass
class Verdict:
    """The combined automatic decision on one item, with every tagger's opinion kept."""

    by_tagger: dict[str, list[AutoTag]] = field(default_factory=dict)
    combined: dict[tuple[str, str], float] = field(default_factory=dict)

    def assigned(self, kind: str) -> list[str]:
        return sorted(v for (k, v), conf in self.combined.items() if k == kind and conf >= 0.5)

    def confidence(self, kind: str, value: str) -> float:
        return self.combined.get((kind, value), 0.0)

    @property
    def top(self) -> float:
        return max((c for (k, _), c in self.combined.items() if k == "theme"), default=0.0)


class TaggerSet:
    """The prepared taggers of one run, and how their verdicts are combined."""

    def __init__(self, taggers: Sequence[Tagger], taxonomy: Taxonomy | None) -> None:
        self.taggers = list(taggers)
        self.taxonomy = taxonomy
        self.roles = {t.name: t.role for t in self.taggers}

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.taggers]

    def run(self, docs: Sequence[Doc]) -> list[Verdict]:
        verdicts = [Verdict() for _ in docs]
        for tagger in self.taggers:
            results = tagger.tag(docs)
            for verdict, tags in zip(verdicts, results, strict=True):
                verdict.by_tagger[tagger.name] = tags
        for verdict in verdicts:
            # 4P is kept here even without a theme: whether it counts depends on the effective
            # themes, which an analyst may decide later (see `lens` and `refresh_effective`).
            verdict.combined = self.combine(verdict.by_tagger)
        return verdicts

    def verdicts(
        self, docs: Sequence[Doc], progress: Callable[[int], None] | None = None
    ) -> Iterator[tuple[Doc, Verdict]]:
        """Each document with its verdict, as `run` gives them, run a batch at a time (the
        verdicts are the same: each document is judged alone); `progress` is told how many
        documents each batch judged."""
        for start in range(0, len(docs), BATCH):
            batch = docs[start : start + BATCH]
            yield from zip(batch, self.run(batch), strict=True)
            if progress is not None:
                progress(len(batch))

    def combine(self, by_tagger: Mapping[str, list[AutoTag]]) -> dict[tuple[str, str], float]:
        """One confidence per tag from the rules (primary taggers) and the models (supporting).

        Without a model, the rules decide. Where models have an opinion, the tag's confidence
        is a weighted mean of the rules' and the models' (the models' own mean, each weighing
        its `AutoTag.weight`: the examples it learned from), the models weighing the
        taxonomy's `model_weight`, scaled so that a mean of its `agree` (or the theme's own,
        `Taxonomy.agree_for`) lands on the 0.5 at which a tag is given. A model that knows few
        of the item's words has less say (`reading_share`): where it knows almost none, the
        rules decide as they would alone. Where the rules have no term for a tag at all, the
        models' probability must reach the taxonomy's `model_alone` too.
        A primary tagger's final "no" (`AutoTag.final`: the taxonomy's `vetoes`) stands.
        """
        primary: dict[tuple[str, str], float] = {}
        final: set[tuple[str, str]] = set()
        support: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for name, tags in by_tagger.items():
            role = self.roles.get(name, "primary")
            for tag in tags:
                key = (tag.kind, tag.value)
                if role == "primary":
                    primary[key] = max(primary.get(key, 0.0), tag.confidence)
                    if tag.final:
                        final.add(key)
                else:
                    support.setdefault(key, []).append(
                        (tag.confidence, max(tag.weight, 1e-9), tag.reads)
                    )
        combined = dict(primary)
        weight = self.taxonomy.model_weight if self.taxonomy is not None else MODEL_WEIGHT
        alone = self.taxonomy.model_alone if self.taxonomy is not None else MODEL_ALONE
        for key, values in support.items():
            total = sum(w for _, w, _ in values)
            p = sum(c * w for c, w, _ in values) / total
            known = sum(r * w for _, w, r in values) / total
            agree = self.taxonomy.agree_for(*key) if self.taxonomy is not None else AGREE
            combined[key] = mixed(primary.get(key, 0.0), p, known, weight, agree, alone)
        for key in final:
            combined[key] = 0.0
        return combined


def mixed(
    rules: float,
    p: float,
    known: float = 1.0,
    weight: float = MODEL_WEIGHT,
    agree: float = AGREE,
    alone: float = 0.0,
) -> float:
    """One tag's confidence from the rules' confidence and the models' probability: their
    mean, the models weighing `weight`, scaled so that a mean of `agree` is 0.5. Where the
    models know few of the item's words (`known`), the rules decide as they would alone: the
    models' weight and the agreement asked of the mean shrink together (`reading_share`).
    Where the rules have nothing for the tag, it also stays under 0.5 until `p` reaches
    `alone` (the models alone decide there, at that probability)."""
    say = reading_share(known)
    w, a = weight * say, 0.5 - (0.5 - agree) * say
    confidence = min(1.0, ((1 - w) * rules + w * p) * (0.5 / a))
    if rules <= 0.0 and alone > 0.0:
        confidence = min(confidence, 0.5 * p / alone)
    return confidence


# A model's say over an item, by the share of the item's words it knows: full from KNOWN_FULL,
# none below KNOWN_NONE, in proportion between. A model that has never seen a language (it
# knows 0.02 to 0.1 of such an item's words) vetoed the rules' hits there; one that has seen a
# few hundred items of it (the seed model and the EU's smaller languages, about 0.3 to 0.5 of
# the words) is worth its full say: over twenty folds of unseen rounds these bounds give 0.748,
# 0.35 and 0.6 (shipped until the tenth session of 2026-11-30) 0.741 (docs/taxonomy.md).
KNOWN_NONE = 0.1
KNOWN_FULL = 0.3


def reading_share(known: float) -> float:
    """How much say (0..1) a model has over an item it shares `known` of the words with."""
    return min(1.0, max(0.0, (known - KNOWN_NONE) / (KNOWN_FULL - KNOWN_NONE)))


def documents(db: Database, item_ids: Sequence[int]) -> list[Doc]:
    docs = []
    for start in range(0, len(item_ids), BATCH):
        chunk = list(item_ids[start : start + BATCH])
        marks = ",".join("?" * len(chunk))
        for row in db.execute(
            f"SELECT id, title, summary, text, language, extra FROM items WHERE id IN ({marks})",
            chunk,
        ).fetchall():
            extra = json.loads(row[5]) if row[5] else {}
            docs.append(
                Doc(
                    row[0],
                    row[1] or "",
                    _body(row[2], row[3]),
                    row[4],
                    extra if isinstance(extra, dict) else {},
                )
            )
    return docs


def _body(summary: str | None, text: str | None) -> str:
    """The opening text an item is judged on: its summary, then its text if that adds more."""
    summary, text = summary or "", text or ""
    if not summary or text.startswith(summary.rstrip("…")[:200]):
        return without_tails(text or summary)
    return without_tails(summary + " " + text)


# What feeds append to an item's text that is not the item: lists of other articles' headlines
# ("Articoli correlati", "Related:", "À lire aussi :"), WordPress's "The post ... appeared first
# on ...", and "Continue reading" links. Another article's headline must not tag this one.
# Case-sensitive: "related: ..." inside a sentence is the item's own text.
# Each tail's marker, and how near the end of the text it must stand (None: anywhere; WordPress's
# footer ends the text within 600 characters of its "The post").
_TAIL_MARKERS = (("Articoli correlati", None), ("À lire aussi", None), ("A lire aussi", None),
                 ("Lire aussi", None), ("Related:", None), ("The post ", 600))  # fmt: skip
_FROM_MARKER = re.compile(
    r"(?:Articoli correlati\b.*|(?:À l|A l|L)ire aussi\s*:.*|Related:\s.*"
    r"|The post\s.{1,300}?\sappeared first on\s.{1,200})$",
    re.DOTALL,
)
_CLOSING_LINK = re.compile(
    r"(?:Continue reading|Read more|Lire la suite|Weiterlesen|Leggi tutto)\W{0,5}$"
)


def without_tails(text: str) -> str:
    """The text without the tails feeds append to it. Each marker is looked for with str.find
    and the pattern tried only where one stands, and a closing link only in the last characters:
    linear in the text, and cheap (a regular expression scanning every position cost the cold
    pull's store thread 0.06 s; a leading \\s* in it made a long run of spaces quadratic)."""
    if not text:
        return text
    cut = len(text)
    for marker, reach in _TAIL_MARKERS:
        at = text.find(marker, 0 if reach is None else max(0, len(text) - reach), cut)
        while at >= 0:
            if _FROM_MARKER.match(text, at):
                cut = at
                break
            at = text.find(marker, at + 1, cut)
    if closing := _CLOSING_LINK.search(text, max(0, cut - 30), cut):
        cut = closing.start()
    return text if cut == len(text) else text[:cut].rstrip()


def tag_items(
    db: Database,
    item_ids: Sequence[int],
    taggers: TaggerSet,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Tag items and store the results (inside the caller's transaction, if any), a batch at
    a time; `progress` is told how many items each batch stored."""
    if not item_ids or not taggers.taggers:
        return 0
    stamp = iso(utcnow()) or ""
    count = 0
    for start in range(0, len(item_ids), BATCH):
        docs = documents(db, item_ids[start : start + BATCH])
        verdicts = taggers.run(docs)
        with transaction(db):
            _store(db, docs, verdicts, taggers, stamp)
        count += len(docs)
        if progress is not None:
            progress(len(docs))
    return count


def _store(
    db: Database, docs: Sequence[Doc], verdicts: Sequence[Verdict], taggers: TaggerSet, stamp: str
) -> None:
    ids = [d.id for d in docs]
    marks = ",".join("?" * len(ids))
    names = taggers.names
    db.execute(
        f"DELETE FROM auto_tags WHERE item_id IN ({marks}) AND tagger IN "
        f"({','.join('?' * (len(names) + 1))})",
        [*ids, *names, COMBINED],
    )
    rows: list[tuple[Any, ...]] = []
    versions = {t.name: t.version for t in taggers.taggers}
    for doc, verdict in zip(docs, verdicts, strict=True):
        # A theme or topic nobody gave and the combination put under EVIDENCE_FLOOR is a "no"
        # that needs no evidence: most items are far from most themes, and their rows would
        # be most of the table (and of the time spent storing tags).
        quiet = {key for key, c in verdict.combined.items() if c < EVIDENCE_FLOOR}
        for name, tags in verdict.by_tagger.items():
            for tag in tags:
                if not tag.score and not tag.evidence:
                    continue  # a silent "no" explains nothing and would only fill the table
                if not tag.assigned and (tag.kind, tag.value) in quiet and not tag.final:
                    continue  # (a veto is kept: it explains why no model's theme was given)
                rows.append(
                    (
                        doc.id,
                        name,
                        tag.kind,
                        tag.value,
                        round(tag.score, 4),
                        int(tag.assigned),
                        json.dumps(tag.evidence, ensure_ascii=False),
                        versions.get(name),
                        stamp,
                    )
                )
        for (kind, value), confidence in verdict.combined.items():
            if confidence >= EVIDENCE_FLOOR:
                rows.append(
                    (
                        doc.id,
                        COMBINED,
                        kind,
                        value,
                        round(confidence, 4),
                        int(confidence >= 0.5),
                        None,
                        None,
                        stamp,
                    )
                )
    db.conn.executemany(
        "INSERT OR REPLACE INTO auto_tags (item_id, tagger, kind, value, score, "
        "assigned, evidence, version, tagged_at) VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.conn.executemany(
        "UPDATE items SET auto_score = ? WHERE id = ?",
        [(round(v.top, 4), d.id) for d, v in zip(docs, verdicts, strict=True)],
    )
    refresh_effective(db, ids, {d.id: v for d, v in zip(docs, verdicts, strict=True)})


def lens(themes: Sequence[str], fourp: Sequence[str]) -> list[str]:
    """The automatic 4P an item keeps: the 4P lens is applied to identified trends, so an item
    with no (effective) theme has no automatic 4P."""
    return list(fourp) if themes else []


def refresh_effective(
    db: Database, item_ids: Sequence[int], verdicts: Mapping[Any, Verdict] | None = None
) -> None:
    """Recompute item_tags: the analyst's tags where they decided, else the automatic ones."""
    if not item_ids:
        return
    marks = ",".join("?" * len(item_ids))
    reviews = {
        row[0]: row
        for row in db.execute(
            f"SELECT item_id, themes, topics, fourp, analyst FROM reviews "
            f"WHERE item_id IN ({marks})",
            list(item_ids),
        ).fetchall()
    }
    if verdicts is None:
        verdicts = _stored_verdicts(db, item_ids)
    db.execute(f"DELETE FROM item_tags WHERE item_id IN ({marks})", list(item_ids))
    rows: list[tuple[Any, ...]] = []
    for item_id in item_ids:
        verdict = verdicts.get(item_id) or Verdict()
        review = reviews.get(item_id)
        chosen: dict[str, list[str]] = {}
        for index, kind in enumerate(KINDS):  # themes first: the automatic 4P depends on them
            decided = review[1 + index] if review else None
            if review is not None and decided is not None:
                chosen[kind] = json.loads(decided)
                origin = f"analyst:{review[4]}"
                for value in chosen[kind]:
                    rows.append((item_id, kind, value, origin, None))
            else:
                chosen[kind] = verdict.assigned(kind)
                if kind == "fourp":
                    chosen[kind] = lens(chosen["theme"], chosen[kind])
                for value in chosen[kind]:
                    rows.append(
                        (item_id, kind, value, "auto", round(verdict.confidence(kind, value), 4))
                    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO item_tags (item_id, kind, value, origin, score) VALUES (?,?,?,?,?)",
        rows,
    )


def _stored_verdicts(db: Database, item_ids: Sequence[int]) -> dict[Any, Verdict]:
    """The last combined automatic verdicts (the `combined` rows of auto_tags)."""
    marks = ",".join("?" * len(item_ids))
    out: dict[Any, Verdict] = {}
    for row in db.execute(
        f"SELECT item_id, kind, value, score FROM auto_tags WHERE "
        f"tagger = '{COMBINED}' AND item_id IN ({marks})",
        list(item_ids),
    ).fetchall():
        out.setdefault(row[0], Verdict()).combined[(row[1], row[2])] = row[3]
    return out


def verdict_json(doc: Doc, verdict: Verdict) -> dict[str, Any]:
    """The line `tagger classify` prints for one document."""
    evidence: dict[str, Any] = {}
    for name, tags in verdict.by_tagger.items():
        for tag in tags:
            if tag.kind == "theme":
                evidence.setdefault(tag.value, {})[name] = {
                    "score": round(tag.score, 3),
                    "confidence": round(tag.confidence, 3),
                    "evidence": tag.evidence,
                }
    themes = verdict.assigned("theme")
    return {
        "id": doc.id,
        "themes": themes,
        "topics": verdict.assigned("topic"),
        "fourp": lens(themes, verdict.assigned("fourp")),
        "scores": {t: round(verdict.confidence("theme", t), 3) for t in THEME_IDS},
        "evidence": evidence,
    }


@dataclass
class Evaluation:
    per_theme: dict[str, dict[str, float]]
    macro_f1: float
    items: int
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "macro_f1": round(self.macro_f1, 4), "themes": self.per_theme}


def evaluate(
    gold: Iterable[tuple[Doc, set[str]]],
    taggers: TaggerSet,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Per-theme precision, recall and F1 of the automatic themes against gold labels
    (`progress` as for `TaggerSet.verdicts`)."""
    pairs = list(gold)
    verdicts = [v for _, v in taggers.verdicts([doc for doc, _ in pairs], progress)]
    predictions = [set(v.assigned("theme")) for v in verdicts]
    result = evaluate_predictions(predictions, [truth for _, truth in pairs])
    for (doc, truth), predicted in zip(pairs, predictions, strict=True):
        if predicted != truth:
            result.errors.append(
                {
                    "id": doc.id,
                    "title": doc.title,
                    "gold": sorted(truth),
                    "predicted": sorted(predicted),
                }
            )
    return result


def evaluate_predictions(predictions: Sequence[set[str]], truths: Sequence[set[str]]) -> Evaluation:
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in THEME_IDS}
    for predicted, truth in zip(predictions, truths, strict=True):
        for theme in THEME_IDS:
            if theme in predicted and theme in truth:
                counts[theme]["tp"] += 1
            elif theme in predicted:
                counts[theme]["fp"] += 1
            elif theme in truth:
                counts[theme]["fn"] += 1
    per_theme = {}
    for theme, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_theme[theme] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "support": c["tp"] + c["fn"],
            **c,
        }
    macro = sum(v["f1"] for v in per_theme.values()) / len(per_theme)
    return Evaluation(per_theme, macro, len(truths))


def prepare_taggers(
    available: Mapping[str, Tagger], context: TaggingContext, only: Iterable[str] | None = None
) -> TaggerSet:
    """The registered taggers that are ready for this run (a model only once trained)."""
    wanted = set(only) if only is not None else None
    ready = [
        tagger
        for name, tagger in available.items()
        if (wanted is None or name in wanted) and tagger.prepare(context)
    ]
    return TaggerSet(ready, context.taxonomy)


JSONL_LINE_MAX = 10_000_000  # characters: far over any item, under what would exhaust memory


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines, numbered from 1, split at line ends only (a JSON string may hold
    U+2028), each refused past JSONL_LINE_MAX: a file with no end (`/dev/zero`) or no line
    ends is an error, not all of memory."""
    try:
        with path.open(encoding="utf-8") as lines:
            number = 0
            while line := lines.readline(JSONL_LINE_MAX + 1):
                number += 1
                if len(line) > JSONL_LINE_MAX and not line.endswith("\n"):
                    raise UsageError(
                        f"{path.name}, line {number}: over {JSONL_LINE_MAX:,} characters long"
                    )
                yield number, line
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None


def read_jsonl(path: Path, *, labelled: bool) -> list[tuple[Doc, set[str]]]:
    """Documents from JSON Lines (`id`, `title`, `summary`, optional `content`, `language`;
    with `themes` when labelled). Errors name the file and line."""
    out = []
    for number, line in _numbered_lines(path):
        if not line.strip():
            continue
        where = f"{path.name}, line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{where}: each line must be a JSON object")
        if "id" not in data:
            raise UsageError(f"{where}: 'id' is missing")
        if not isinstance(data.get("title", ""), str) or not isinstance(
            data.get("summary", ""), str
        ):
            raise UsageError(f"{where}: 'title' and 'summary' must be strings")
        body = without_tails(
            " ".join(str(data.get(k) or "") for k in ("summary", "content")).strip()
        )
        doc = Doc(data["id"], data.get("title") or "", body, data.get("language"))
        themes: set[str] = set()
        if labelled:
            raw = data.get("themes")
            if not isinstance(raw, list):
                wrong = "is missing" if raw is None else "must be a list"
                raise UsageError(f"{where}: 'themes' (the gold themes, a list) {wrong}")
            unknown = [t for t in raw if t not in THEME_IDS]
            if unknown:
                raise UsageError(
                    f"{where}: unknown theme(s) {', '.join(map(str, unknown))}; "
                    f"use {', '.join(THEME_IDS)}"
                )
            themes = set(raw)
        out.append((doc, themes))
    if labelled and not out:  # nothing to measure or learn from is a mistake, not a score of 0
        raise UsageError(f"{path}: no labelled items (one JSON object a line)")
    return out
