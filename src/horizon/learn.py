"""The `model` tagger's learning: TF-IDF (words and character n-grams, counted by
`horizon.ngrams`) with one logistic regression per theme, fitted on analysts' decisions, stored
in the store as compressed JSON (never pickle), and explained by the n-grams that pushed a
prediction up. Tagging with a model needs numpy alone; scikit-learn (and scipy) fit it."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

import numpy as np
from sqlite_utils import Database

from horizon import ngrams
from horizon.config import THEME_IDS
from horizon.db import transaction
from horizon.errors import UsageError
from horizon.ngrams import Rows, Vocabulary
from horizon.tagging import Doc, Tagger
from horizon.textutil import iso, utcnow

MIN_EXAMPLES = 40
# Of the opening text: the labelled items it learns from are a title and a few sentences.
MODEL_TEXT_CHARS = 500
MIN_POSITIVES = 5
# 2: arrays as base64 little-endian float32, names as a list (1: lists of decimals, a name ->
# column map; still read). Format 2 loads in about a third of the time.
MODEL_FORMAT = 2
FEATURE_BATCH = 2000
# What horizon.ngrams counts: the very features scikit-learn's TfidfVectorizer gives with these
# parameters (a model it fitted before horizon.ngrams existed still reads the same).
WORD_PARAMS: dict[str, Any] = {
    "ngram_range": (1, 2),
    "min_df": 2,
    "max_features": 40000,
    "sublinear_tf": True,
    "strip_accents": "unicode",
}
CHAR_PARAMS: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (3, 5),
    "min_df": 2,
    "max_features": 60000,
    "sublinear_tf": True,
    "strip_accents": "unicode",
}
# The logistic regression's regularisation and class weights. Unweighted classes with C = 32
# replaced "balanced" with C = 4 in the eleventh session of 2026-11-30: "balanced" raised the
# probabilities of a theme few items carry, the near misses' with them. Over twelve folds of
# rounds the model had not seen (docs/taxonomy.md), each at the `agree` shipped with it (0.3;
# 0.45 before): macro-F1 0.752 against 0.744, and precision on the weakest theme 0.739 against
# 0.728 (at equal macro-F1, 0.04 more).
C = 32.0
CLASS_WEIGHT: str | None = None


def model_text(doc: Doc) -> str:
    """Title twice (it carries most of the signal) and the opening text."""
    return f"{doc.title} {doc.title} {doc.text[:MODEL_TEXT_CHARS]}"


@dataclass
class ThemeModel:
    """Vocabularies and per-theme coefficients; everything JSON-serialisable."""

    word: Vocabulary
    char: Vocabulary
    coef: dict[str, np.ndarray]
    intercept: dict[str, float]
    examples: int

    @property
    def themes(self) -> list[str]:
        return list(self.coef)

    def features(self, docs: Sequence[Doc]) -> Rows:
        return _features([model_text(d) for d in docs], self.word, self.char)

    def probabilities(self, matrix: Rows) -> dict[str, np.ndarray]:
        out = {}
        for theme, coef in self.coef.items():
            z = matrix @ coef + self.intercept[theme]
            out[theme] = 1.0 / (1.0 + np.exp(-z))
        return out

    def explain(self, matrix: Rows, row: int, theme: str, n: int = 5) -> list[str]:
        """The n-grams that pushed this item's score for the theme up the most."""
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        columns = matrix.indices[start:stop]
        contributions = matrix.data[start:stop] * self.coef[theme][columns]
        order = np.argsort(contributions)[::-1][:n]
        names = self.feature_names
        return [names[columns[i]] for i in order if contributions[i] > 0]

    @cached_property
    def feature_names(self) -> list[str]:
        """The name of each feature column: word n-grams, then character n-grams as ~gram~."""
        return self.word.names + [f"~{t}~" for t in self.char.names]

    def to_bytes(self) -> bytes:
        data = {
            "format": MODEL_FORMAT,
            "examples": self.examples,
            "word": {
                "params": _jsonable(WORD_PARAMS),
                "names": self.word.names,
                "idf": _packed(self.word.idf),
            },
            "char": {
                "params": _jsonable(CHAR_PARAMS),
                "names": self.char.names,
                "idf": _packed(self.char.idf),
            },
            "coef": {t: _packed(c) for t, c in self.coef.items()},
            "intercept": self.intercept,
        }
        return zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ThemeModel:
        data = json.loads(zlib.decompress(blob))
        counted = (data["word"].get("params"), data["char"].get("params"))
        if data.get("format") not in (1, MODEL_FORMAT) or counted != (
            _jsonable(WORD_PARAMS),
            _jsonable(CHAR_PARAMS),
        ):  # horizon.ngrams counts exactly these n-grams
            raise UsageError(
                "the stored model was made by another horizon version; run "
                "`horizon tagger train` again"
            )
        return cls(
            _vocabulary(data["word"], "word"),
            _vocabulary(data["char"], "char"),
            {t: _unpacked(c) for t, c in data["coef"].items()},
            {t: float(v) for t, v in data["intercept"].items()},
            int(data["examples"]),
        )


def _packed(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def _unpacked(value: str | list[float]) -> np.ndarray:
    """An array as `_packed` wrote it (format 2), or a list of decimals (format 1)."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype="<f4").astype(np.float64)
    return np.array(value, dtype=np.float64)


def _vocabulary(part: dict[str, Any], block: str) -> Vocabulary:
    if "names" in part:
        names: list[str] = part["names"]
    else:  # format 1: a name -> column map
        columns: dict[str, int] = part["vocabulary"]
        names = sorted(columns, key=columns.__getitem__)
    return Vocabulary(names, _unpacked(part["idf"]), block)


def _features(texts: list[str], word: Vocabulary, char: Vocabulary) -> Rows:
    if len(texts) > FEATURE_BATCH:  # n-grams of a batch are held at once: about 1 KB a text
        parts = range(0, len(texts), FEATURE_BATCH)
        blocks = [_features(texts[i : i + FEATURE_BATCH], word, char) for i in parts]
        return Rows.one_below_another(blocks)
    return _tfidf(word, char, *_grams(texts), len(texts))


def _grams(texts: list[str]) -> tuple[ngrams.Grams, ngrams.Grams]:
    folded = ngrams.normalise(texts)
    return ngrams.word_grams(folded), ngrams.char_grams(folded)


def _tfidf(
    word: Vocabulary, char: Vocabulary, words: ngrams.Grams, chars: ngrams.Grams, count: int
) -> Rows:
    return Rows.side_by_side([word.transform(words, count), char.transform(chars, count)])


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def fit(
    examples: Sequence[tuple[Doc, set[str]]], weights: Sequence[float] | None = None
) -> ThemeModel:
    """Fit the vocabularies and one classifier per theme with enough positives and negatives;
    `weights`, one per example, make some count for more in the classifiers (not in the
    vocabularies)."""
    from sklearn.linear_model import LogisticRegression

    texts = [model_text(doc) for doc, _ in examples]
    words, chars = _grams(texts)  # counted once, for the vocabularies and the matrix
    word, char = (
        Vocabulary.fit(grams, len(texts), params["min_df"], params["max_features"])
        for grams, params in ((words, WORD_PARAMS), (chars, CHAR_PARAMS))
    )
    matrix = _tfidf(word, char, words, chars, len(texts)).to_scipy()
    coef, intercept = {}, {}
    for theme in THEME_IDS:
        y = np.array([1 if theme in labels else 0 for _, labels in examples])
        if y.sum() < MIN_POSITIVES or (len(y) - y.sum()) < MIN_POSITIVES:
            continue  # the model abstains on this theme; the rules decide alone
        clf = LogisticRegression(C=C, class_weight=CLASS_WEIGHT, max_iter=2000, solver="liblinear")
        clf.fit(matrix, y, sample_weight=None if weights is None else np.asarray(weights))
        coef[theme] = clf.coef_[0]
        intercept[theme] = float(clf.intercept_[0])
    return ThemeModel(word, char, coef, intercept, len(examples))


def cross_validate(
    examples: Sequence[tuple[Doc, set[str]]], folds: int = 5, seed: int = 7
) -> list[tuple[int, dict[str, float]]]:
    """Out-of-fold probabilities per example (index, {theme: p}) for honest metrics."""
    out: list[tuple[int, dict[str, float]]] = []
    if len(examples) < folds * 4:
        return out
    from sklearn.model_selection import KFold

    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    indices = np.arange(len(examples))
    for train_idx, test_idx in splitter.split(indices):
        model = fit([examples[i] for i in train_idx])
        test_docs = [examples[i][0] for i in test_idx]
        probs = model.probabilities(model.features(test_docs))
        for row, index in enumerate(test_idx):
            out.append((int(index), {t: float(p[row]) for t, p in probs.items()}))
    return out


def decisions(db: Database) -> list[tuple[Doc, set[str]]]:
    """Analysts' theme decisions in the store, as training examples."""
    from horizon.tagging import documents

    rows = db.execute("SELECT item_id, themes FROM reviews WHERE themes IS NOT NULL").fetchall()
    labels = {row[0]: set(json.loads(row[1])) for row in rows}
    docs = documents(db, list(labels))
    return [(doc, labels[doc.id]) for doc in docs]


def save(db: Database, model: ThemeModel, metrics: dict[str, Any]) -> int:
    with transaction(db):
        db.execute("UPDATE tag_models SET active = 0 WHERE tagger = 'model'")
        row = db.table("tag_models").insert(
            {
                "tagger": "model",
                "created_at": iso(utcnow()),
                "examples": model.examples,
                "params": json.dumps(
                    {
                        "word": _jsonable(WORD_PARAMS),
                        "char": _jsonable(CHAR_PARAMS),
                        "C": C,
                        "themes": model.themes,
                    }
                ),
                "metrics": json.dumps(metrics),
                "data": model.to_bytes(),
                "active": 1,
            }
        )
    return int(row.last_pk or 0)


def active_model_id(db: Database) -> int | None:
    """The id of the analysts' model that tags new items, if one was trained."""
    row = db.execute(
        "SELECT id FROM tag_models WHERE tagger = 'model' AND active = 1 ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return int(row[0]) if row else None


def load_model(db: Database, model_id: int) -> ThemeModel:
    row = db.execute("SELECT data FROM tag_models WHERE id = ?", [model_id]).fetchone()
    return ThemeModel.from_bytes(row[0])


SEED_MODEL = "data/seed-model.bin"
SEED_INFO = "data/seed-model.json"


@cache
def seed_info() -> dict[str, Any] | None:
    """What the shipped seed model was trained on (files and their SHA-256, examples, digest),
    or None when this build has no seed model."""
    path = resources.files("horizon").joinpath(SEED_INFO)
    if not path.is_file():
        return None
    info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return info


@cache
def load_seed() -> ThemeModel:
    return ThemeModel.from_bytes(resources.files("horizon").joinpath(SEED_MODEL).read_bytes())


@dataclass
class TrainResult:
    model_id: int
    examples: int
    metrics: dict[str, Any]


def train(
    db: Database,
    rules: Tagger,
    taxonomy: Any,
    extra: Sequence[tuple[Doc, set[str]]] = (),
    minimum: int = MIN_EXAMPLES,
) -> TrainResult:
    """Fit a model on the analysts' decisions (plus any labelled files), measure by 5-fold
    cross-validation what it adds to the rules, and store it as the active model."""
    from horizon.tagging import AutoTag, TaggerSet, evaluate_predictions

    examples = decisions(db) + list(extra)
    if len(examples) < minimum:
        raise UsageError(
            f"only {len(examples)} decided item(s) to learn from; at least "
            f"{minimum} are needed (review more items, or pass --from FILE.jsonl)"
        )
    folds = cross_validate(examples)
    docs = [doc for doc, _ in examples]
    gold = [labels for _, labels in examples]
    rule_tags = rules.tag(docs)
    combiner = TaggerSet([rules, _Supporting()], taxonomy)
    rules_only, model_only, combined = [], [], []
    for index, probs in folds:
        verdict = {t.value: t.confidence for t in rule_tags[index] if t.kind == "theme"}
        rules_only.append({t for t, c in verdict.items() if c >= 0.5})
        model_only.append({t for t, p in probs.items() if p >= 0.5})
        merged = combiner.combine(
            {
                rules.name: [t for t in rule_tags[index] if t.kind == "theme"],
                "model": [AutoTag("theme", t, p, p) for t, p in probs.items()],
            }
        )
        combined.append({v for (k, v), c in merged.items() if k == "theme" and c >= 0.5})
    truth = [gold[index] for index, _ in folds]
    metrics = {
        "examples": len(examples),
        "cross_validated": len(folds),
        "rules": evaluate_predictions(rules_only, truth).as_json(),
        "model": evaluate_predictions(model_only, truth).as_json(),
        "combined": evaluate_predictions(combined, truth).as_json(),
    }
    model = fit(examples)
    return TrainResult(save(db, model, metrics), len(examples), metrics)


class _Supporting(Tagger):
    name = "model"
    role = "supporting"
