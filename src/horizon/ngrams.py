"""The models' features, counted for a whole batch of texts at once with numpy.

Two blocks, as scikit-learn's TfidfVectorizer would give them: word 1- and 2-grams (words of two
or more word characters) and character 3- to 5-grams inside words (its `char_wb`: each word
padded with a space). scikit-learn builds every n-gram as a Python string, about 0.5 ms an item;
here each n-gram is a 64-bit hash of its characters (polynomial, then mixed), computed for every
position of the batch in a few array operations. The features are the very ones scikit-learn
gives (tests/test_ngrams.py compares them), so a model either of them fitted reads the same.
A vocabulary is kept as the n-grams themselves (readable, and what explanations print) and
hashed again when loaded. Two n-grams sharing a hash would share a column: with 64 bits, in
practice never (and a collision would cost a feature, nothing more).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

CHAR_SIZES = (3, 4, 5)
_P = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
_INVERSE_P = np.uint64(pow(int(_P), -1, 2**64))
_WORD, _BIGRAM = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD6E8FEB86659FD93)
_WORD_RE = re.compile(r"\w\w+")


def normalise(texts: Sequence[str]) -> list[str]:
    """The texts in lower case without accents (é -> e), as `strip_accents="unicode"` does:
    decomposed (NFKD), then every combining character dropped, for the batch at once."""
    lowered = [t.lower() for t in texts]
    if all(t.isascii() for t in lowered):
        return lowered
    decomposed = [t if t.isascii() else unicodedata.normalize("NFKD", t) for t in lowered]
    joined, owner = _join(decomposed)
    codes = _codes(joined)
    keep = ~_combining(codes)
    if keep.all():
        return decomposed
    kept = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
    bounds = np.zeros(len(decomposed) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner[keep], minlength=len(decomposed)), out=bounds[1:])
    return [kept[a:b] for a, b in itertools.pairwise(bounds.tolist())]


def _combining(codes: np.ndarray) -> np.ndarray:
    """Which code points are combining characters: asked of unicodedata once for each distinct
    one from U+0300 up (a table of all of them took a new process 60 ms to build)."""
    out = np.zeros(len(codes), dtype=bool)
    high = codes >= 0x300
    if high.any():
        distinct, where = np.unique(codes[high], return_inverse=True)
        marks = np.array([unicodedata.combining(chr(c)) > 0 for c in distinct.tolist()])
        out[high] = marks[where.ravel()]
    return out


@dataclass
class Grams:
    """Every n-gram of a batch: its document and its hash (and, for naming, where it is)."""

    block: str  # "word" or "char"
    doc: np.ndarray
    key: np.ndarray
    text: str
    spans: Callable[[], tuple[np.ndarray, np.ndarray]]
    words: int = 0  # word n-grams: how many of them, first, are single words

    def names(self, indices: np.ndarray) -> list[str]:
        """The n-grams at the given indices, as text (a bigram's two words with one space)."""
        start, stop = self.spans()
        return [self.text[a:b] for a, b in zip(start[indices], stop[indices], strict=True)]


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the hash depends on every character."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class _Hashes:
    """Polynomial hashes of any span of one string, from prefix sums: the hash of text[a:b] is
    the sum of text[j] * P**(b-1-j), modulo 2**64 (numpy's uint64 arithmetic wraps)."""

    def __init__(self, text: str) -> None:
        self.codes = _codes(text)
        length = len(self.codes)
        with np.errstate(over="ignore"):
            # powers[k] = P**(k-1), the scale of a span that ends at k;
            # prefix[k] = sum of text[j] * P**-j for j < k
            self.powers = np.cumprod(np.full(length + 1, _P, dtype=np.uint64)) * _INVERSE_P**2
            inverse = np.cumprod(np.full(length, _INVERSE_P, dtype=np.uint64)) * _P
            self.prefix = np.zeros(length + 1, dtype=np.uint64)
            np.cumsum(self.codes * inverse, out=self.prefix[1:])

    def spans(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """The hash of text[start:stop] for each pair (stop > start)."""
        with np.errstate(over="ignore"):
            return _mix(self.powers[stop] * (self.prefix[stop] - self.prefix[start]))

    def windows(self, n: int) -> np.ndarray:
        """The hash of every window of n characters, by where it starts."""
        with np.errstate(over="ignore"):
            return self.powers[n:] * (self.prefix[n:] - self.prefix[:-n])  # not yet mixed


def _codes(text: str) -> np.ndarray:
    """The text's code points (lone surrogates too: valid JSON can hold them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _join(parts: list[str]) -> tuple[str, np.ndarray]:
    """The texts as one string, and each character's document."""
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    return "".join(parts), np.repeat(np.arange(len(parts), dtype=np.int32), lengths)


def char_grams(texts: Sequence[str]) -> Grams:
    """Character n-grams inside words of normalised texts: each word padded as " word ", two
    spaces between words and between texts, so that a window with a space inside it crosses a
    boundary."""
    text, owner = _join([" " + "  ".join(t.split()) + " " for t in texts])
    hashes = _Hashes(text)
    spaces = np.zeros(len(text) + 1, dtype=np.int32)
    np.cumsum(hashes.codes == 32, out=spaces[1:])
    docs, keys, starts = [], [], []
    for n in CHAR_SIZES:
        count = len(text) - n + 1
        if count <= 0:
            continue
        inside = spaces[n - 1 : n - 1 + count] == spaces[1 : 1 + count]  # no space inside
        docs.append(owner[:count][inside])
        keys.append(_mix(hashes.windows(n)[inside]))
        starts.append((inside, n))  # positions only if names are asked for (fitting)
    doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
    return Grams("char", doc, key, text, lambda: _char_spans(starts))


def _char_spans(masks: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    starts = [(np.flatnonzero(inside), n) for inside, n in masks]
    start = np.concatenate([s for s, _ in starts]) if starts else np.zeros(0, dtype=np.int64)
    stop = np.concatenate([s + n for s, n in starts]) if starts else start
    return start, stop


def word_grams(texts: Sequence[str]) -> Grams:
    """Words of two or more word characters in normalised texts, and each pair of neighbours."""
    text, owner = _join([" " + " ".join(_WORD_RE.findall(t)) + " " for t in texts])
    hashes = _Hashes(text)
    edges = np.flatnonzero(np.diff((hashes.codes == 32).view(np.int8)))
    start, stop = edges[0::2] + 1, edges[1::2] + 1  # a word starts after a space, ends before one
    doc = owner[start]
    pair = doc[:-1] == doc[1:]
    with np.errstate(over="ignore"):
        word = hashes.spans(start, stop) ^ _WORD
        bigram = _mix(word[:-1][pair] * _P + word[1:][pair] + _BIGRAM)
    doc = np.concatenate([doc, doc[:-1][pair]])
    return Grams(
        "word", doc, np.concatenate([word, bigram]), text,
        lambda: (np.concatenate([start, start[:-1][pair]]), np.concatenate([stop, stop[1:][pair]])),
        words=len(word),
    )  # fmt: skip


def keys_of(names: Sequence[str], block: str) -> np.ndarray:
    """The hash of each stored n-gram name, as `char_grams` or `word_grams` computes it."""
    if not names:
        return np.zeros(0, dtype=np.uint64)
    lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    stop = np.cumsum(lengths)
    start = stop - lengths
    hashes = _Hashes("".join(names))
    if block == "char":  # a name is one window as it was found, spaces and all
        return hashes.spans(start, stop)
    # A word name is one word or two joined by one space: split where the space is.
    space = np.full(len(names), -1, dtype=np.int64)
    at = np.flatnonzero(hashes.codes == 32)
    space[np.searchsorted(stop, at, side="right")] = at
    bigram = space >= 0
    with np.errstate(over="ignore"):
        first = hashes.spans(start, np.where(bigram, space, stop)) ^ _WORD
        second = hashes.spans(np.where(bigram, space + 1, start), stop) ^ _WORD
        return np.where(bigram, _mix(first * _P + second + _BIGRAM), first)


class Vocabulary:
    """The n-grams a model knows, each with its inverse document frequency, as TF-IDF columns
    (sublinear term frequency, rows of unit length), like a fitted TfidfVectorizer."""

    def __init__(self, names: Sequence[str], idf: np.ndarray, block: str) -> None:
        self.names, self.idf, self.block = list(names), np.asarray(idf, dtype=np.float64), block
        self.table = _Table(keys_of(self.names, block))

    @classmethod
    def fit(
        cls, grams: Grams, documents: int, min_df: int, max_features: int | None = None
    ) -> Vocabulary:
        """The max_features most frequent n-grams (all, without it) found in at least min_df
        documents."""
        _, first, total = np.unique(grams.key, return_index=True, return_counts=True)
        # document frequency: count each n-gram once per document (sorted by n-gram, document)
        order = np.lexsort((grams.doc, grams.key))
        key, doc = grams.key[order], grams.doc[order]
        new = np.ones(len(key), dtype=bool)
        new[1:] = (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])
        _, df = np.unique(key[new], return_counts=True)  # the same n-grams, in the same order
        kept = np.flatnonzero(df >= min_df)
        names = grams.names(first[kept])
        by_name = sorted(range(len(names)), key=names.__getitem__)
        kept, names = kept[by_name], [names[i] for i in by_name]
        if max_features is not None and len(kept) > max_features:  # as scikit-learn chooses
            chosen = np.sort((-total[kept]).argsort()[:max_features])
            kept, names = kept[chosen], [names[i] for i in chosen]
        return cls(names, np.log((1 + documents) / (1 + df[kept])) + 1.0, grams.block)

    def transform(self, grams: Grams, documents: int) -> Rows:
        """A documents x n-grams matrix of TF-IDF weights; for word n-grams, with the share of
        each document's words that the vocabulary knows (`Rows.known`)."""
        columns = self.table.lookup(grams.key)
        known = columns >= 0
        rows = _weigh(grams.doc[known], columns[known], (documents, len(self.names)), self.idf)
        if grams.words:
            doc, found = grams.doc[: grams.words], known[: grams.words]
            total = np.bincount(doc, minlength=documents)
            rows.known = np.bincount(doc[found], minlength=documents) / np.maximum(total, 1)
        return rows


@dataclass
class Rows:
    """A sparse matrix in numpy arrays alone, laid out as scipy's CSR (row i's entries are
    `data[indptr[i]:indptr[i + 1]]` in the columns `indices[...]`, in column order): tagging
    needs no more than this, and importing scipy would cost a new process 0.3 s."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]
    # The share of each row's words its vocabulary knows, where counted (a text in a language
    # the model never learned from shares few of its words; see tagging.TaggerSet.combine).
    known: np.ndarray | None = None

    def reads(self) -> list[float]:
        """The share of each row's words its vocabulary knows (1.0 where it was not counted)."""
        return self.known.tolist() if self.known is not None else [1.0] * self.shape[0]

    @cached_property
    def row_of_each(self) -> np.ndarray:
        """Each entry's row (a product takes it once per theme)."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def __matmul__(self, vector: np.ndarray) -> np.ndarray:
        """The matrix times a vector of one value per column."""
        weighted = self.data * vector[self.indices]
        return np.bincount(self.row_of_each, weights=weighted, minlength=self.shape[0])

    def to_scipy(self) -> Any:
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def toarray(self) -> np.ndarray:
        dense = np.zeros(self.shape)
        dense[self.row_of_each, self.indices] = self.data
        return dense

    @classmethod
    def side_by_side(cls, blocks: Sequence[Rows]) -> Rows:
        """The blocks' columns one after the other (scipy's hstack); the share of words known,
        from the block that counted it."""
        offsets = np.cumsum([0] + [b.shape[1] for b in blocks])
        rows = np.concatenate([b.row_of_each for b in blocks])
        order = np.argsort(rows, kind="stable")  # each block's rows in order: a merge
        indices = [b.indices + o for b, o in zip(blocks, offsets[:-1], strict=True)]
        return cls(
            np.concatenate([b.data for b in blocks])[order],
            np.concatenate(indices)[order],
            np.concatenate(([0], np.cumsum(sum(np.diff(b.indptr) for b in blocks)))),
            (blocks[0].shape[0], int(offsets[-1])),
            next((b.known for b in blocks if b.known is not None), None),
        )

    @classmethod
    def one_below_another(cls, blocks: Sequence[Rows]) -> Rows:
        """The blocks' rows one after the other (scipy's vstack)."""
        starts = np.cumsum([0] + [len(b.data) for b in blocks])
        knowns = [b.known for b in blocks]
        return cls(
            np.concatenate([b.data for b in blocks]),
            np.concatenate([b.indices for b in blocks]),
            np.concatenate(
                [[0], *(b.indptr[1:] + s for b, s in zip(blocks, starts[:-1], strict=True))]
            ),
            (sum(b.shape[0] for b in blocks), blocks[0].shape[1]),
            None if any(k is None for k in knowns) else np.concatenate(knowns),  # type: ignore[arg-type]
        )


def _weigh(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int], idf: np.ndarray) -> Rows:
    """TF-IDF rows from each n-gram found (its document and column): sublinear term
    frequency times the inverse document frequency, each row of unit length."""
    width = max(shape[1], 1)
    cells, counts = np.unique(rows.astype(np.int64) * width + columns, return_counts=True)
    row, column = np.divmod(cells, width)  # in row order, then column order, each cell once
    data = (np.log(counts) + 1.0) * idf[column]
    lengths = np.sqrt(np.bincount(row, weights=data * data, minlength=shape[0]))
    lengths[lengths == 0] = 1.0
    data *= (1.0 / lengths)[row]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=shape[0]))))
    return Rows(data, column, indptr, shape)


def word_tfidf(texts: Sequence[str]) -> Any:
    """TF-IDF rows (word 1- and 2-grams, sublinear, unit length) fitted on the texts themselves:
    scikit-learn's `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
    strip_accents="unicode").fit_transform(texts)` without importing it, but with its columns
    in the order of the n-grams' hashes, not their names. Similarities between the rows do not
    depend on that order, and naming every n-gram would cost more than all the rest."""
    grams = word_grams(normalise(texts))
    keys, columns = np.unique(grams.key, return_inverse=True)
    columns = columns.ravel()
    found = np.unique(grams.doc.astype(np.int64) * len(keys) + columns)  # once per document
    df = np.bincount(found % max(len(keys), 1), minlength=len(keys))
    idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
    return _weigh(grams.doc, columns, (len(texts), len(keys)), idf).to_scipy()


class _Table:
    """Each key's column, by open addressing with linear probing on the hash's low bits: a
    batch is looked up with one gather per probe (a binary search would take twenty)."""

    def __init__(self, keys: np.ndarray) -> None:
        size = 1 << max(4, (len(keys) * 4).bit_length())  # at most a quarter full
        self.mask = np.uint64(size - 1)
        self.keys = np.zeros(size, dtype=np.uint64)
        self.columns = np.full(size, -1, dtype=np.int32)
        home = keys & self.mask
        pending, self.probes = np.arange(len(keys)), 0
        while len(pending):  # each round, every free slot goes to the first key that wants it
            slot = ((home[pending] + np.uint64(self.probes)) & self.mask).astype(np.int64)
            free = self.columns[slot] < 0
            slots, first = np.unique(slot[free], return_index=True)
            winners = pending[free][first]
            self.columns[slots], self.keys[slots] = winners, keys[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            self.probes += 1

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, or -1 for keys not in the table."""
        home = (keys & self.mask).astype(np.intp)
        out = self.columns[home]  # most keys are settled by their home slot
        elsewhere = (out >= 0) & (self.keys[home] != keys)  # home taken by another key
        out[elsewhere] = -1
        todo = np.flatnonzero(elsewhere)
        for probe in range(1, self.probes):  # a key is further on only past occupied slots
            slot = (home[todo] + probe) & int(self.mask)
            columns = self.columns[slot]
            occupied = columns >= 0
            hit = occupied & (self.keys[slot] == keys[todo])
            out[todo[hit]] = columns[hit]
            todo = todo[occupied & ~hit]
            if not len(todo):
                break
        return out
