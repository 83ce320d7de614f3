"""horizon.ngrams gives the features scikit-learn's TfidfVectorizer gives, n-gram for n-gram."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from horizon import learn, ngrams
from horizon.tagging import Doc

DATA = Path(__file__).parent / "data"
BLOCKS = [
    ("word", learn.WORD_PARAMS, ngrams.word_grams),
    ("char", learn.CHAR_PARAMS, ngrams.char_grams),
]


def _labelled_texts(step: int = 1) -> list[str]:
    """The labelled sets' texts, every `step`-th of them (in order, so every set and language)."""
    texts = []
    for path in sorted(DATA.glob("tagging-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            text = " ".join(p for p in (row.get("summary"), row.get("content")) if p)
            texts.append(learn.model_text(Doc(id=0, title=row["title"], text=text)))
    return texts[::step]


def _same_as_sklearn(texts: list[str], params: dict[str, Any], grams: Any) -> None:
    reference = TfidfVectorizer(**params)
    expected = reference.fit_transform(texts)
    mine = ngrams.Vocabulary.fit(
        grams(ngrams.normalise(texts)),
        len(texts),
        params.get("min_df", 1),
        params.get("max_features") or 10**9,
    )
    assert mine.names == list(reference.get_feature_names_out())
    assert np.allclose(mine.idf, reference.idf_)
    got = mine.transform(grams(ngrams.normalise(texts)), len(texts)).to_scipy()
    assert got.shape == expected.shape
    assert got.has_sorted_indices or got.nnz == 0
    assert abs(got - expected).max() < 1e-12


@pytest.mark.parametrize("cut", [None, 1000], ids=["settings", "max_features-1000"])
@pytest.mark.parametrize(("block", "params", "grams"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_the_labelled_sets_give_sklearns_features(
    block: str, params: Any, grams: Any, cut: int | None
) -> None:
    # Every third labelled text: all the sets, in more than twenty languages (every text took
    # half a minute a block once the sets passed 19,000 items); with a cut, max_features
    # chooses among ties too.
    texts = _labelled_texts(step=3)
    assert len(texts) > 6000
    _same_as_sklearn(texts, {**params, "max_features": cut or params["max_features"]}, grams)


ALPHABET = st.sampled_from(
    [*"ab cD  \t\n_-.,'é", "É", "ç", "ß", "ﬁ", "ئ", "й", "中", "٣", "\u0301", "\xa0", "²", "\ud800"]
)
TEXTS = st.lists(st.text(ALPHABET, max_size=30), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(TEXTS)
def test_any_text_gives_sklearns_features(texts: list[str]) -> None:
    for _, params, grams in BLOCKS:
        loose = {k: v for k, v in params.items() if k not in ("min_df", "max_features")}
        try:
            TfidfVectorizer(**loose).fit(texts)
        except ValueError:  # "empty vocabulary": no n-gram at all
            assert len(grams(ngrams.normalise(texts)).key) == 0
            continue
        _same_as_sklearn(texts, loose, grams)


def test_the_grams_are_the_ones_a_slow_reading_finds() -> None:
    texts = ["Vorratsdatenspeicherung — a EU law", "", "x", "l'État  et  la  loi_2024"]
    normalised = ngrams.normalise(texts)
    char, word = ngrams.char_grams(normalised), ngrams.word_grams(normalised)
    for doc, folded in enumerate(normalised):
        windows = [
            f" {w} "[i : i + n]
            for w in folded.split()
            for n in ngrams.CHAR_SIZES
            for i in range(len(w) + 3 - n)
        ]
        assert Counter(char.names(np.flatnonzero(char.doc == doc))) == Counter(windows)
        words = re.findall(r"\w\w+", folded)
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
        assert Counter(word.names(np.flatnonzero(word.doc == doc))) == Counter(words + pairs)
    assert ngrams.normalise(["ÉTAT Straße ﬁn", "", "x\u0301y", "abc"]) == [
        "etat straße fin",
        "",
        "xy",
        "abc",
    ]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_normalise_drops_every_combining_character_as_sklearn_does(texts: list[str]) -> None:
    def slowly(text: str) -> str:  # scikit-learn's strip_accents_unicode, after lower()
        decomposed = unicodedata.normalize("NFKD", text.lower())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    assert ngrams.normalise(texts) == [slowly(t) for t in texts]


def test_a_stored_name_hashes_as_found() -> None:
    for grams in (ngrams.char_grams, ngrams.word_grams):
        found = grams(ngrams.normalise(["the e-evidence rules, agreed", "données conservées"]))
        names = found.names(np.arange(len(found.key)))
        assert (ngrams.keys_of(names, found.block) == found.key).all()


def test_unknown_grams_have_no_column() -> None:
    vocabulary = ngrams.Vocabulary(["data", "data retention", "retention"], np.ones(3), "word")
    found = ngrams.word_grams(ngrams.normalise(["Data retention, again", "nothing known here"]))
    matrix = vocabulary.transform(found, 2).toarray()
    assert (matrix[0] > 0).all() and (matrix[1] == 0).all()
    assert np.isclose(np.linalg.norm(matrix[0]), 1.0)


def test_the_share_of_each_texts_words_the_vocabulary_knows() -> None:
    """Counted over single words (each occurrence), whatever the batch: what says how well a
    model can read a text (tagging.reading_share)."""
    vocabulary = ngrams.Vocabulary(["data", "data retention", "retention"], np.ones(3), "word")
    texts = ["Data retention, again", "nothing known here", "", "data data other"]
    found = ngrams.word_grams(ngrams.normalise(texts))
    known = vocabulary.transform(found, len(texts)).known
    assert known is not None
    assert known.tolist() == pytest.approx([2 / 3, 0.0, 0.0, 2 / 3])
    # Character n-grams say nothing of it; batches stacked keep each row's share.
    chars = ngrams.Vocabulary(["dat"], np.ones(1), "char")
    assert chars.transform(ngrams.char_grams(ngrams.normalise(texts)), len(texts)).known is None
    halves = [vocabulary.transform(ngrams.word_grams(ngrams.normalise(t)), len(t)) for t in
              (texts[:2], texts[2:])]  # fmt: skip
    stacked = ngrams.Rows.one_below_another(halves).known
    assert stacked is not None and stacked.tolist() == pytest.approx(known.tolist())


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_rows_add_stack_and_multiply_as_scipy_does(widths: list[int], seed: int) -> None:
    from scipy import sparse

    rng = np.random.default_rng(seed)
    height = int(rng.integers(1, 5))

    def block(width: int) -> ngrams.Rows:
        dense = rng.random((height, width)) * (rng.random((height, width)) < 0.5)
        found = sparse.csr_matrix(dense)
        return ngrams.Rows(found.data, found.indices, found.indptr, found.shape)

    blocks = [block(w) for w in widths]
    wide = ngrams.Rows.side_by_side(blocks)
    expected = sparse.hstack([b.to_scipy() for b in blocks]).tocsr()
    assert wide.shape == expected.shape
    assert (wide.indptr == expected.indptr).all() and (wide.indices == expected.indices).all()
    assert (wide.data == expected.data).all() and (wide.toarray() == expected.toarray()).all()
    vector = rng.random(wide.shape[1])
    assert np.allclose(wide @ vector, expected @ vector, rtol=0, atol=1e-12)
    tall = ngrams.Rows.one_below_another([wide, wide])
    assert (tall.toarray() == np.vstack([expected.toarray()] * 2)).all()
    assert (tall.to_scipy() != sparse.vstack([expected, expected])).nnz == 0


def test_word_tfidf_is_sklearns_fit_transform_up_to_the_columns_order() -> None:
    texts = _labelled_texts()[:400]
    expected = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode", min_df=1
    ).fit_transform(texts)
    got = ngrams.word_tfidf(texts)
    assert got.shape == expected.shape
    assert abs(got @ got.T - expected @ expected.T).max() < 1e-12  # the same similarities
    assert got.nnz == expected.nnz  # and the same weights, in other places
    assert abs(np.sort(got.data) - np.sort(expected.data)).max() < 1e-12
    assert ngrams.word_tfidf(["a", "b"]).shape == (2, 0)  # no word of two letters or more


def test_a_model_counted_otherwise_is_refused() -> None:
    import zlib

    from horizon.errors import UsageError

    data = json.loads(zlib.decompress(learn.load_seed().to_bytes()))
    assert learn.ThemeModel.from_bytes(zlib.compress(json.dumps(data).encode()))  # as it is
    data["char"]["params"]["ngram_range"] = [2, 4]  # not what horizon.ngrams counts
    with pytest.raises(UsageError, match="train"):
        learn.ThemeModel.from_bytes(zlib.compress(json.dumps(data).encode()))


def test_a_model_stored_in_the_first_format_still_loads() -> None:
    """Analysts' models trained before format 2 (decimals in lists, a name -> column map) keep
    working, and give the probabilities format 2 gives (its float32 arrays round at 1e-7)."""
    import zlib

    from horizon.errors import UsageError

    model = learn.load_seed()
    first = {
        "format": 1,
        "examples": model.examples,
        "word": {
            "params": learn._jsonable(learn.WORD_PARAMS),
            "vocabulary": {name: i for i, name in enumerate(model.word.names)},
            "idf": model.word.idf.round(6).tolist(),
        },
        "char": {
            "params": learn._jsonable(learn.CHAR_PARAMS),
            "vocabulary": {name: i for i, name in enumerate(model.char.names)},
            "idf": model.char.idf.round(6).tolist(),
        },
        "coef": {t: c.round(6).tolist() for t, c in model.coef.items()},
        "intercept": model.intercept,
    }
    old = learn.ThemeModel.from_bytes(zlib.compress(json.dumps(first).encode()))
    docs = [
        Doc(i, title, "")
        for i, title in enumerate(
            [
                "Europol takes down a darknet forum",
                "Council agrees chat control position",
                "New phone released",
            ]
        )
    ]
    now, then = model.probabilities(model.features(docs)), old.probabilities(old.features(docs))
    assert old.word.names == model.word.names and old.examples == model.examples
    for theme in model.themes:
        assert np.allclose(now[theme], then[theme], atol=1e-4)
    assert json.loads(zlib.decompress(model.to_bytes()))["format"] == learn.MODEL_FORMAT == 2
    first["format"] = 99  # a later horizon's
    with pytest.raises(UsageError, match="another horizon version"):
        learn.ThemeModel.from_bytes(zlib.compress(json.dumps(first).encode()))
